"""An in-memory :class:`~meetlink.ports.storage.Storage`: the reference behaviour that the SQL
adapter's contract tests also hold it to.

One lock serialises units of work (they are short and never call out), so it is safe from
several threads. Each unit of work edits copies of the tables and swaps them in on commit.
"""

from __future__ import annotations

import threading
import uuid
from datetime import datetime
from types import TracebackType
from typing import Any

import attrs

from meetlink.domain.conference import ConferenceRecord
from meetlink.domain.links import LinkRecord, TokenSet
from meetlink.domain.records import EventRecord, Job, JobStatus, PendingAuth
from meetlink.domain.subscription import SubscriptionRecord
from meetlink.errors import ConcurrentUpdate, StorageError

__all__ = ["InMemoryStorage", "InMemoryUnitOfWork"]


@attrs.define
class _Tables:
    subscriptions: dict[str, SubscriptionRecord] = attrs.Factory(dict)
    links: dict[str, LinkRecord] = attrs.Factory(dict)
    auth_states: dict[str, PendingAuth] = attrs.Factory(dict)
    events: dict[str, EventRecord] = attrs.Factory(dict)
    conferences: dict[str, ConferenceRecord] = attrs.Factory(dict)
    jobs: dict[str, Job] = attrs.Factory(dict)
    reminders: set[tuple[str, str, datetime]] = attrs.Factory(set)
    webhooks: dict[tuple[str, str], datetime] = attrs.Factory(dict)

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
        )


class InMemoryStorage:
    """Storage in process memory. ``unit_of_work()`` gives an :class:`InMemoryUnitOfWork`."""

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


class _Links(_Repo):
    def get(self, link_id: str, *, for_update: bool = False) -> LinkRecord | None:
        return self._t.links.get(link_id)

    def lock_account(self, provider: str, external_account_id: str) -> None:
        """Nothing to do: a unit of work holds the storage lock."""

    def active_for_user(self, user_id: str, provider: str) -> LinkRecord | None:
        for link in self._t.links.values():
            if link.active and link.user_id == user_id and link.provider == provider:
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
            if other.user_id == record.user_id:
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

    def swap_tokens(self, link_id: str, expected_version: int, tokens: TokenSet) -> bool:
        link = self._t.links.get(link_id)
        if link is None or not link.active or link.token_version != expected_version:
            return False
        self._t.links[link_id] = attrs.evolve(
            link, tokens=tokens, token_version=expected_version + 1
        )
        return True

    def history(self, user_id: str) -> list[LinkRecord]:
        return sorted(
            (link for link in self._t.links.values() if link.user_id == user_id),
            key=lambda link: link.linked_at,
        )


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


class _Events(_Repo):
    def get(self, event_id: str) -> EventRecord | None:
        return self._t.events.get(event_id)

    def put(self, record: EventRecord) -> None:
        self._t.events[record.event.id] = record

    def delete(self, event_id: str) -> bool:
        return self._t.events.pop(event_id, None) is not None

    def due_reminders(self, now: datetime, limit: int) -> list[EventRecord]:
        due = [r for r in self._t.events.values() if r.remind_at is not None and r.remind_at <= now]
        due.sort(key=lambda r: (r.remind_at, r.event.id))
        return due[:limit]


class _Conferences(_Repo):
    def get(self, event_id: str) -> ConferenceRecord | None:
        return self._t.conferences.get(event_id)

    def put(self, record: ConferenceRecord) -> None:
        self._t.conferences[record.event_id] = record

    def delete(self, event_id: str) -> bool:
        return self._t.conferences.pop(event_id, None) is not None

    def by_account(self, provider: str, external_account_id: str) -> list[ConferenceRecord]:
        return [
            c
            for c in self._t.conferences.values()
            if c.provider == provider and c.external_account_id == external_account_id
        ]


class _Jobs(_Repo):
    def ensure(
        self, *, kind: str, key: str, run_at: datetime, payload: dict[str, Any], now: datetime
    ) -> Job:
        existing = self.find(kind, key)
        if existing is None:
            job = Job(
                id=uuid.uuid4().hex, kind=kind, key=key, payload=payload, run_at=run_at,
                created_at=now,
            )  # fmt: skip
        else:
            failed = existing.status is JobStatus.FAILED
            job = attrs.evolve(
                existing,
                payload=payload,
                generation=existing.generation + 1,
                run_at=run_at if failed else min(existing.run_at, run_at),
                status=JobStatus.PENDING if failed else existing.status,
                attempts=0 if failed else existing.attempts,
            )
        self._t.jobs[job.id] = job
        return job

    def add(self, job: Job) -> None:
        if job.id in self._t.jobs or self.find(job.kind, job.key) is not None:
            raise ConcurrentUpdate(f"job {job.kind}/{job.key} exists")
        self._t.jobs[job.id] = job

    @staticmethod
    def _due(job: Job, now: datetime) -> bool:
        if job.status is JobStatus.PENDING:
            return job.run_at <= now
        return (
            job.status is JobStatus.RUNNING
            and job.lease_until is not None
            and job.lease_until <= now
        )

    def claim_job(self, job_id: str, now: datetime, lease_until: datetime) -> Job | None:
        job = self._t.jobs.get(job_id)
        if job is None or not self._due(job, now):
            return None
        running = attrs.evolve(job, status=JobStatus.RUNNING, lease_until=lease_until)
        self._t.jobs[job_id] = running
        return running

    def claim(self, now: datetime, limit: int, lease_until: datetime) -> list[Job]:
        due = [j for j in self._t.jobs.values() if self._due(j, now)]
        due.sort(key=lambda j: (j.run_at, j.created_at, j.id))
        claimed = []
        for job in due[:limit]:
            running = attrs.evolve(job, status=JobStatus.RUNNING, lease_until=lease_until)
            self._t.jobs[job.id] = running
            claimed.append(running)
        return claimed

    def finish(self, job_id: str, generation: int) -> bool:
        job = self._t.jobs.get(job_id)
        if job is None:
            return True
        if job.generation == generation:
            del self._t.jobs[job_id]
            return True
        self._t.jobs[job_id] = attrs.evolve(
            job, status=JobStatus.PENDING, lease_until=None, attempts=0
        )
        return False

    def retry(self, job_id: str, *, run_at: datetime, attempts: int, error: str) -> None:
        job = self._t.jobs.get(job_id)
        if job is not None:
            self._t.jobs[job_id] = attrs.evolve(
                job,
                status=JobStatus.PENDING,
                run_at=run_at if job.status is JobStatus.RUNNING else min(run_at, job.run_at),
                attempts=attempts,
                last_error=error,
                lease_until=None,
            )

    def fail(self, job_id: str, *, attempts: int, error: str) -> None:
        job = self._t.jobs.get(job_id)
        if job is not None:
            self._t.jobs[job_id] = attrs.evolve(
                job, status=JobStatus.FAILED, attempts=attempts, last_error=error, lease_until=None
            )

    def get(self, job_id: str) -> Job | None:
        return self._t.jobs.get(job_id)

    def find(self, kind: str, key: str) -> Job | None:
        for job in self._t.jobs.values():
            if job.kind == kind and job.key == key:
                return job
        return None

    def all(self) -> list[Job]:
        return sorted(self._t.jobs.values(), key=lambda j: (j.run_at, j.created_at, j.id))


class _Reminders(_Repo):
    def record(self, event_id: str, email: str, start: datetime) -> bool:
        key = (event_id, email.lower(), start)
        if key in self._t.reminders:
            return False
        self._t.reminders.add(key)
        return True

    def purge(self, before: datetime) -> int:
        old = {key for key in self._t.reminders if key[2] < before}
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


class InMemoryUnitOfWork:
    """A unit of work over :class:`InMemoryStorage`; holds the storage lock while open."""

    def __init__(self, storage: InMemoryStorage) -> None:
        self._storage = storage
        self.tables = _Tables()
        self.subscriptions = _Subscriptions(self)
        self.links = _Links(self)
        self.auth_states = _AuthStates(self)
        self.events = _Events(self)
        self.conferences = _Conferences(self)
        self.jobs = _Jobs(self)
        self.reminders = _Reminders(self)
        self.webhooks = _Webhooks(self)
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
        self._storage._tables = self.tables
        self.tables = self.tables.copy()

    def rollback(self) -> None:
        """Drop uncommitted changes."""
        if self._open:
            self.tables = self._storage._tables.copy()
