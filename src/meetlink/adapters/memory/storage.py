"""An in-memory [`Storage`][meetlink.ports.storage.Storage]: the reference behaviour that the SQL
adapter's contract tests also hold it to.

One lock serialises units of work (they are short and never call out), so it is safe from
several threads. Each unit of work edits copies of the tables and swaps them in on commit.
Rows that belong to a tenant are keyed by it, as in the SQL tables: events, conferences and
reminders by ``(tenant_id, event_id, ...)``, jobs by ``(tenant_id, kind, key)``; ids compare
exactly (no trimming, case folding or Unicode normalisation).
"""

from __future__ import annotations

import threading
from collections.abc import Mapping, Sequence
from datetime import datetime
from types import TracebackType

import attrs

from meetlink.domain.budgets import Usage
from meetlink.domain.conference import ConferenceRecord
from meetlink.domain.erasure import Erasure
from meetlink.domain.feed import FeedBuffer, feed_entry
from meetlink.domain.issuance import IssuancePolicy
from meetlink.domain.jobs import AccountWait, is_due
from meetlink.domain.links import DirectoryEntry, LinkRecord, TokenSet
from meetlink.domain.records import EventRecord, Job, JobStatus, PendingAuth
from meetlink.domain.results import HostEvent
from meetlink.domain.subscription import SubscriptionRecord
from meetlink.errors import ConcurrentUpdate, StorageError

__all__ = ["InMemoryStorage", "InMemoryUnitOfWork"]


@attrs.define
class _Tables:
    subscriptions: dict[str, SubscriptionRecord] = attrs.Factory(dict)
    links: dict[str, LinkRecord] = attrs.Factory(dict)
    auth_states: dict[str, PendingAuth] = attrs.Factory(dict)
    events: dict[tuple[str, str], EventRecord] = attrs.Factory(dict)  # (tenant, event id)
    conferences: dict[tuple[str, str], ConferenceRecord] = attrs.Factory(dict)
    jobs: dict[str, Job] = attrs.Factory(dict)
    reminders: set[tuple[str, str, str, datetime]] = attrs.Factory(set)
    webhooks: dict[tuple[str, str], datetime] = attrs.Factory(dict)
    job_keys: dict[tuple[str, str, str], str] = attrs.Factory(dict)  # (tenant, kind, key) -> id
    account_waits: dict[tuple[str, str], AccountWait] = attrs.Factory(dict)
    policies: dict[str, IssuancePolicy] = attrs.Factory(dict)
    budgets: dict[tuple[str, str, str], Usage] = attrs.Factory(dict)
    # (tenant, provider, user) -> the user's directory address (organisation links)
    directory: dict[tuple[str, str, str], DirectoryEntry] = attrs.Factory(dict)
    # The feed per tenant, oldest first (lists are replaced, never changed in place), and
    # the last number each tenant's feed gave (kept by purges).
    feed: dict[str, tuple[HostEvent, ...]] = attrs.Factory(dict)
    feed_heads: dict[str, int] = attrs.Factory(dict)
    erasures: dict[tuple[str, str, datetime], Erasure] = attrs.Factory(dict)

    def copy(self) -> _Tables:
        return _Tables(
            dict(self.subscriptions),
            dict(self.links),
            dict(self.auth_states),
            dict(self.events),
            dict(self.conferences),
            dict(self.jobs),
            set(self.reminders),
            dict(self.webhooks),
            dict(self.job_keys),
            dict(self.account_waits),
            dict(self.policies),
            dict(self.budgets),
            dict(self.directory),
            dict(self.feed),
            dict(self.feed_heads),
            dict(self.erasures),
        )


class InMemoryStorage:
    """Storage in process memory. ``unit_of_work()`` gives an
    [`InMemoryUnitOfWork`][meetlink.adapters.memory.storage.InMemoryUnitOfWork]."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._tables = _Tables()

    def unit_of_work(self, *, read_only: bool = False) -> InMemoryUnitOfWork:
        """A new unit of work (``read_only`` changes nothing here)."""
        return InMemoryUnitOfWork(self)

    def close(self) -> None:
        """Nothing to release."""


class _Repo:
    def __init__(self, uow: InMemoryUnitOfWork) -> None:
        self._uow = uow

    @property
    def _t(self) -> _Tables:
        return self._uow.tables


class _Subscriptions(_Repo):
    def get(self, tenant_id: str) -> SubscriptionRecord | None:
        return self._t.subscriptions.get(tenant_id)

    def put(self, record: SubscriptionRecord) -> None:
        self._t.subscriptions[record.tenant_id] = record


class _Policies(_Repo):
    def get(self, tenant_id: str) -> IssuancePolicy | None:
        return self._t.policies.get(tenant_id)

    def put(self, tenant_id: str, policy: IssuancePolicy) -> None:
        self._t.policies[tenant_id] = policy

    def delete(self, tenant_id: str) -> bool:
        return self._t.policies.pop(tenant_id, None) is not None


class _Directory(_Repo):
    def get(self, tenant_id: str, provider: str, user_id: str) -> DirectoryEntry | None:
        return self._t.directory.get((tenant_id, provider, user_id))

    def put(self, entry: DirectoryEntry) -> None:
        self._t.directory[(entry.tenant_id, entry.provider, entry.user_id)] = entry

    def delete(self, tenant_id: str, provider: str, user_id: str) -> bool:
        return self._t.directory.pop((tenant_id, provider, user_id), None) is not None

    def of_tenant(self, tenant_id: str, provider: str) -> list[DirectoryEntry]:
        found = [e for k, e in self._t.directory.items() if k[:2] == (tenant_id, provider)]
        return sorted(found, key=lambda e: e.user_id)

    def by_account(
        self, tenant_id: str, provider: str, external_account_id: str
    ) -> list[DirectoryEntry]:
        return [
            e
            for e in self.of_tenant(tenant_id, provider)
            if e.external_account_id == external_account_id
        ]


class _Links(_Repo):
    def get(self, link_id: str, *, for_update: bool = False) -> LinkRecord | None:
        return self._t.links.get(link_id)

    def lock_account(self, provider: str, external_account_id: str) -> None:
        """Nothing to do: a unit of work holds the storage lock."""

    def active_for_user(self, tenant_id: str, user_id: str, provider: str) -> LinkRecord | None:
        for link in self._t.links.values():
            if link.active and link.user_key == (tenant_id, user_id) and link.provider == provider:
                return link
        return None

    def active_for_account(self, provider: str, external_account_id: str) -> LinkRecord | None:
        for link in self._t.links.values():
            if (
                link.active
                and link.provider == provider
                and link.external_account_id == external_account_id
            ):
                return link
        return None

    def _check_unique(self, record: LinkRecord) -> None:
        if not record.active:
            return
        for other in self._t.links.values():
            if other.id == record.id or not other.active or other.provider != record.provider:
                continue
            if other.user_key == record.user_key:
                raise ConcurrentUpdate("the user already has an active link to this provider")
            if other.external_account_id == record.external_account_id:
                raise ConcurrentUpdate("that external account is already linked")

    def add(self, record: LinkRecord) -> None:
        if record.id in self._t.links:
            raise ConcurrentUpdate(f"link {record.id} exists")
        self._check_unique(record)
        self._t.links[record.id] = record

    def update(self, record: LinkRecord) -> None:
        if record.id not in self._t.links:
            raise StorageError(f"no link {record.id}")
        self._check_unique(record)
        self._t.links[record.id] = record

    def swap_tokens(
        self, link_id: str, expected_version: int, tokens: TokenSet, *, refreshed_at: datetime
    ) -> bool:
        link = self._t.links.get(link_id)
        if link is None or not link.active or link.token_version != expected_version:
            return False
        self._t.links[link_id] = attrs.evolve(
            link,
            tokens=tokens,
            token_version=expected_version + 1,
            refresh_lease_until=None,
            refreshed_at=refreshed_at,
        )
        return True

    def idle(
        self, before: datetime, *, limit: int, after: tuple[datetime, str] | None = None
    ) -> list[LinkRecord]:
        found = [
            (link.refreshed_at, link.id, link)
            for link in self._t.links.values()
            if link.active
            and link.refreshed_at is not None
            and link.refreshed_at <= before
            and (after is None or (link.refreshed_at, link.id) > after)
        ]
        return [link for _, _, link in sorted(found, key=lambda f: (f[0], f[1]))[:limit]]

    def history(self, tenant_id: str, user_id: str) -> list[LinkRecord]:
        return sorted(
            (link for link in self._t.links.values() if link.user_key == (tenant_id, user_id)),
            key=lambda link: link.linked_at,
        )

    def for_account(self, provider: str, external_account_id: str) -> list[LinkRecord]:
        return sorted(
            (
                link
                for link in self._t.links.values()
                if (link.provider, link.external_account_id) == (provider, external_account_id)
            ),
            key=lambda link: (link.linked_at, link.id),
        )

    def erase(self, provider: str, external_account_id: str, *, linked_before: datetime) -> int:
        gone = [
            link.id
            for link in self.for_account(provider, external_account_id)
            if not link.active and link.linked_at <= linked_before
        ]
        for link_id in gone:
            del self._t.links[link_id]
        return len(gone)


class _AuthStates(_Repo):
    def add(self, pending: PendingAuth) -> None:
        self._t.auth_states[pending.state] = pending

    def take(self, state: str) -> PendingAuth | None:
        return self._t.auth_states.pop(state, None)

    def purge(self, before: datetime) -> int:
        gone = [s for s, p in self._t.auth_states.items() if p.expires_at < before]
        for state in gone:
            del self._t.auth_states[state]
        return len(gone)


def _event_key(record: EventRecord) -> tuple[str, str]:
    return (record.event.tenant_id, record.event.id)


class _Events(_Repo):
    def get(self, tenant_id: str, event_id: str, *, for_update: bool = False) -> EventRecord | None:
        return self._t.events.get((tenant_id, event_id))

    def get_with_conference(
        self, tenant_id: str, event_id: str, *, for_update: bool = False
    ) -> tuple[EventRecord | None, ConferenceRecord | None]:
        key = (tenant_id, event_id)
        record = self._t.events.get(key)
        return record, None if record is None else self._t.conferences.get(key)

    def add(self, record: EventRecord) -> None:
        if _event_key(record) in self._t.events:
            raise ConcurrentUpdate(f"event {record.event.id} exists")
        self._t.events[_event_key(record)] = record

    def put(self, record: EventRecord) -> None:
        self._t.events[_event_key(record)] = record

    def delete(self, tenant_id: str, event_id: str) -> bool:
        return self._t.events.pop((tenant_id, event_id), None) is not None

    def due_reminders(self, now: datetime, limit: int) -> list[EventRecord]:
        due = [r for r in self._t.events.values() if r.remind_at is not None and r.remind_at <= now]
        due.sort(key=lambda r: (r.remind_at, r.event.tenant_id, r.event.id))
        return due[:limit]

    def starting(
        self,
        start_from: datetime,
        start_to: datetime,
        *,
        limit: int,
        after: tuple[datetime, str, str] | None = None,
    ) -> list[EventRecord]:
        found = [
            ((r.event.start, r.event.tenant_id, r.event.id), r)
            for r in self._t.events.values()
            if start_from <= r.event.start < start_to
        ]
        found = [(key, r) for key, r in found if after is None or key > after]
        return [r for _, r in sorted(found, key=lambda f: f[0])[:limit]]


class _Conferences(_Repo):
    def get(self, tenant_id: str, event_id: str) -> ConferenceRecord | None:
        return self._t.conferences.get((tenant_id, event_id))

    def put(self, record: ConferenceRecord) -> None:
        self._t.conferences[(record.tenant_id, record.event_id)] = record

    def delete(self, tenant_id: str, event_id: str) -> bool:
        return self._t.conferences.pop((tenant_id, event_id), None) is not None

    def by_account(self, provider: str, external_account_id: str) -> list[ConferenceRecord]:
        return [
            c
            for c in self._t.conferences.values()
            if c.provider == provider and c.external_account_id == external_account_id
        ]


class _Jobs(_Repo):
    """Jobs by id, with the (tenant_id, kind, key) index the SQL table has."""

    def get(self, job_id: str, *, for_update: bool = False) -> Job | None:
        return self._t.jobs.get(job_id)

    def find(self, tenant_id: str, kind: str, key: str, *, for_update: bool = False) -> Job | None:
        job_id = self._t.job_keys.get((tenant_id, kind, key))
        return None if job_id is None else self._t.jobs[job_id]

    def add(self, job: Job) -> None:
        if job.id in self._t.jobs or _job_key(job) in self._t.job_keys:
            raise ConcurrentUpdate(f"job {job.kind}/{job.key} exists")
        self._t.jobs[job.id] = job
        self._t.job_keys[_job_key(job)] = job.id

    def put(self, job: Job) -> None:
        if job.id not in self._t.jobs:
            raise StorageError(f"no job {job.id}")
        self._t.jobs[job.id] = job

    def add_new(self, job: Job) -> bool:
        if job.id in self._t.jobs or _job_key(job) in self._t.job_keys:
            return False
        self.add(job)
        return True

    def add_all(self, jobs: Sequence[Job]) -> None:
        ids = [job.id for job in jobs]
        keys = [_job_key(job) for job in jobs]
        if len(set(ids)) < len(ids) or len(set(keys)) < len(keys):
            raise ConcurrentUpdate("jobs added twice at once")
        for job in jobs:
            if job.id in self._t.jobs or _job_key(job) in self._t.job_keys:
                raise ConcurrentUpdate(f"job {job.kind}/{job.key} exists")
        for job in jobs:
            self.add(job)

    def remove(self, job_id: str) -> None:
        job = self._t.jobs.pop(job_id, None)
        if job is not None:
            del self._t.job_keys[_job_key(job)]

    def remove_done(self, job_id: str, generation: int) -> bool:
        job = self._t.jobs.get(job_id)
        if job is None or job.generation != generation or job.status is JobStatus.FAILED:
            return False
        self.remove(job_id)
        return True

    def due(self, now: datetime, limit: int) -> list[Job]:
        return sorted((j for j in self._t.jobs.values() if is_due(j, now)), key=_by_time)[:limit]

    def for_account(
        self, provider: str, account: str, *, kind: str, after: datetime, limit: int
    ) -> list[Job]:
        found = [
            j
            for j in self._t.jobs.values()
            if (j.provider, j.account, j.kind) == (provider, account, kind)
            and j.status is JobStatus.PENDING
            and j.run_at > after
        ]
        return sorted(found, key=_by_time)[:limit]

    def page(self, status: JobStatus, *, limit: int, after: Job | None = None) -> list[Job]:
        cursor = None if after is None else (after.run_at, after.id)
        found = [
            j
            for j in self._t.jobs.values()
            if j.status is status and (cursor is None or (j.run_at, j.id) > cursor)
        ]
        return sorted(found, key=lambda j: (j.run_at, j.id))[:limit]

    def all(self) -> list[Job]:
        return sorted(self._t.jobs.values(), key=_by_time)

    def account_wait(
        self, provider: str, account: str, *, for_update: bool = False
    ) -> AccountWait | None:
        return self._t.account_waits.get((provider, account))

    def put_account_wait(self, wait: AccountWait) -> None:
        self._t.account_waits[(wait.provider, wait.account)] = wait

    def budget_usages(
        self, provider: str, keys: Sequence[tuple[str, str]], *, for_update: bool = False
    ) -> dict[tuple[str, str], Usage]:
        found = ((key, self._t.budgets.get((provider, *key))) for key in keys)
        return {key: usage for key, usage in found if usage is not None}

    def put_budget_usages(self, provider: str, usages: Mapping[tuple[str, str], Usage]) -> None:
        for (limit, key), usage in usages.items():
            self._t.budgets[(provider, limit, key)] = usage

    def spend_in_window(
        self, provider: str, key: tuple[str, str], start: datetime, cost: int, count: int
    ) -> bool:
        usage = self._t.budgets.get((provider, *key))
        used = usage.used if usage is not None and usage.mark == start else 0
        if used + cost > count:
            return False
        self._t.budgets[(provider, *key)] = Usage(start, used + cost)
        return True

    def forget_account(self, provider: str, account: str) -> int:
        gone = [k for k in self._t.budgets if k[0] == provider and k[2] == account]
        for key in gone:
            del self._t.budgets[key]
        waited = self._t.account_waits.pop((provider, account), None) is not None
        return len(gone) + waited


def _by_time(job: Job) -> tuple[datetime, datetime, str]:
    return (job.run_at, job.created_at, job.id)


def _job_key(job: Job) -> tuple[str, str, str]:
    return (job.tenant_id, job.kind, job.key)


class _Reminders(_Repo):
    def record(self, tenant_id: str, event_id: str, email: str, start: datetime) -> bool:
        key = (tenant_id, event_id, email.lower(), start)
        if key in self._t.reminders:
            return False
        self._t.reminders.add(key)
        return True

    def purge(self, before: datetime) -> int:
        old = {key for key in self._t.reminders if key[3] < before}
        self._t.reminders -= old
        return len(old)


class _Webhooks(_Repo):
    def record(self, provider: str, delivery_key: str, received_at: datetime) -> bool:
        key = (provider, delivery_key)
        if key in self._t.webhooks:
            return False
        self._t.webhooks[key] = received_at
        return True

    def purge(self, before: datetime) -> int:
        old = [key for key, at in self._t.webhooks.items() if at < before]
        for key in old:
            del self._t.webhooks[key]
        return len(old)


class _Erasures(_Repo):
    def put(self, erasure: Erasure) -> None:
        key = (erasure.provider, erasure.account_key, erasure.deauthorized_at)
        self._t.erasures[key] = erasure

    def of_account(self, provider: str, account_key: str) -> list[Erasure]:
        found = [e for k, e in self._t.erasures.items() if k[:2] == (provider, account_key)]
        return sorted(found, key=lambda e: e.deauthorized_at)


class _Feed(_Repo, FeedBuffer):
    def __init__(self, uow: InMemoryUnitOfWork) -> None:
        _Repo.__init__(self, uow)
        FeedBuffer.__init__(self)

    def after(self, tenant_id: str, number: int, limit: int) -> list[HostEvent]:
        entries = self._t.feed.get(tenant_id, ())
        return [e for e in entries if int(e.id) > number][:limit]

    def purge(self, before: datetime) -> int:
        gone = 0
        for tenant, entries in list(self._t.feed.items()):
            kept = tuple(e for e in entries if e.at >= before)
            gone += len(entries) - len(kept)
            self._t.feed[tenant] = kept
        return gone

    def flush(self) -> list[HostEvent]:
        """Number and store what was added (at commit, under the storage lock)."""
        recorded: list[HostEvent] = []
        for notice, at in self.noted:
            tenant = notice.tenant_id
            assert tenant is not None
            number = self._t.feed_heads.get(tenant, 0) + 1
            self._t.feed_heads[tenant] = number
            entry = feed_entry(notice, number, at)
            self._t.feed[tenant] = (*self._t.feed.get(tenant, ()), entry)
            recorded.append(entry)
        return recorded


class InMemoryUnitOfWork:
    """A unit of work over [`InMemoryStorage`][meetlink.adapters.memory.storage.InMemoryStorage];
    holds the storage lock while open."""

    def __init__(self, storage: InMemoryStorage) -> None:
        self._storage = storage
        self.tables = _Tables()
        self.subscriptions = _Subscriptions(self)
        self.links = _Links(self)
        self.policies = _Policies(self)
        self.auth_states = _AuthStates(self)
        self.events = _Events(self)
        self.conferences = _Conferences(self)
        self.jobs = _Jobs(self)
        self.reminders = _Reminders(self)
        self.webhooks = _Webhooks(self)
        self.directory = _Directory(self)
        self.feed = _Feed(self)
        self.erasures = _Erasures(self)
        self._open = False

    def __enter__(self) -> InMemoryUnitOfWork:
        self._storage._lock.acquire()
        self._open = True
        self.tables = self._storage._tables.copy()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.rollback()
        self._open = False
        self._storage._lock.release()

    def commit(self) -> None:
        """Swap this unit's tables in."""
        if not self._open:
            raise StorageError("commit outside of a unit of work")
        recorded = self.feed.flush()
        self._storage._tables = self.tables
        self.feed.committed(recorded)
        self.tables = self.tables.copy()

    def rollback(self) -> None:
        """Drop uncommitted changes."""
        self.feed.dropped()
        if self._open:
            self.tables = self._storage._tables.copy()
