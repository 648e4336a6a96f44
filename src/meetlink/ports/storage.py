"""**Protocol:** storage, as a unit of work over repositories.

A unit of work is a context manager: nothing is kept unless ``commit()`` is called, and leaving
the block without committing rolls back. Repositories never leak sessions or rows: they take
and return domain records. A unique-constraint race surfaces as
[`ConcurrentUpdate`][meetlink.errors.ConcurrentUpdate] (from the repository call or from
``commit()``): the caller retries the whole unit of work.

No provider or mail call is ever made while a unit of work is open.

Tenancy is a key, not an argument: every row that belongs to a tenant is keyed by it (links
and OAuth states by ``(tenant_id, user_id)``; events, conferences, reminders and jobs by
``(tenant_id, event_id)``), and every method that reads by a user or event id takes the
tenant first. Provider accounts are the one global key (an account serves one host user of
one tenant at a time).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from types import TracebackType
from typing import Protocol

from meetlink.domain.budgets import Usage
from meetlink.domain.conference import ConferenceRecord
from meetlink.domain.erasure import Erasure
from meetlink.domain.issuance import IssuancePolicy
from meetlink.domain.jobs import AccountWait
from meetlink.domain.links import DirectoryEntry, LinkRecord, TokenSet
from meetlink.domain.records import EventRecord, Job, JobStatus, PendingAuth
from meetlink.domain.results import HostEvent, HostNotice
from meetlink.domain.subscription import SubscriptionRecord

__all__ = [
    "AuthStateRepository",
    "ConferenceRepository",
    "DirectoryRepository",
    "ErasureLog",
    "EventRepository",
    "HostEventLog",
    "JobRepository",
    "LinkRepository",
    "PolicyRepository",
    "ReminderLog",
    "Storage",
    "SubscriptionRepository",
    "UnitOfWork",
    "WebhookLog",
]


class SubscriptionRepository(Protocol):
    """**Protocol:** the add-on contract per tenant."""

    def get(self, tenant_id: str) -> SubscriptionRecord | None:
        """The tenant's record, or None (never started)."""
        ...

    def put(self, record: SubscriptionRecord) -> None:
        """Insert or replace the tenant's record."""
        ...


class PolicyRepository(Protocol):
    """**Protocol:** a tenant's own issuance policy (R2, R3)."""

    def get(self, tenant_id: str) -> IssuancePolicy | None:
        """The tenant's policy, or None (the installation's ``policy`` setting applies)."""
        ...

    def put(self, tenant_id: str, policy: IssuancePolicy) -> None:
        """Insert or replace the tenant's policy."""
        ...

    def delete(self, tenant_id: str) -> bool:
        """Forget the tenant's policy; False when it had none."""
        ...


class LinkRepository(Protocol):
    """**Protocol:** account links, active and historical.

    The store enforces at most one active link per (provider, tenant_id, user_id) and per
    (provider, external_account_id) across every tenant: a second one raises
    ConcurrentUpdate."""

    def get(self, link_id: str, *, for_update: bool = False) -> LinkRecord | None:
        """A link by id; ``for_update`` locks the row until the unit of work ends."""
        ...

    def lock_account(self, provider: str, external_account_id: str) -> None:
        """Hold a lock on the account's links until the unit of work ends, so that linking
        one external account is serialised across transactions and processes. Call it first
        in the unit of work."""
        ...

    def active_for_user(self, tenant_id: str, user_id: str, provider: str) -> LinkRecord | None:
        """The active link of the tenant's user to ``provider``."""
        ...

    def active_for_account(self, provider: str, external_account_id: str) -> LinkRecord | None:
        """The active link holding that external account (in whichever tenant)."""
        ...

    def add(self, record: LinkRecord) -> None:
        """Store a new link."""
        ...

    def update(self, record: LinkRecord) -> None:
        """Replace the stored link with the same id (all fields, tokens included)."""
        ...

    def swap_tokens(
        self, link_id: str, expected_version: int, tokens: TokenSet, *, refreshed_at: datetime
    ) -> bool:
        """Store ``tokens`` (issued at ``refreshed_at``), bump ``token_version`` and let go of
        the refresh lease, only if the version still equals ``expected_version`` and the link
        is active; False otherwise (compare-and-swap)."""
        ...

    def idle(
        self, before: datetime, *, limit: int, after: tuple[datetime, str] | None = None
    ) -> list[LinkRecord]:
        """Up to ``limit`` active links whose refresh token was issued at or before
        ``before``, by ``(refreshed_at, id)``, after the cursor ``after`` (keyset paging):
        an index range, never a scan of the links (keep-alive)."""
        ...

    def history(self, tenant_id: str, user_id: str) -> list[LinkRecord]:
        """Every link the tenant's user ever had, oldest first."""
        ...

    def for_account(self, provider: str, external_account_id: str) -> list[LinkRecord]:
        """Every link of that provider account, active or ended, in every tenant, oldest
        first (an index range)."""
        ...

    def erase(self, provider: str, external_account_id: str, *, linked_before: datetime) -> int:
        """Delete the ended links of that provider account made at or before
        ``linked_before`` (every tenant); returns how many."""
        ...


class DirectoryRepository(Protocol):
    """**Protocol:** users' addresses in a provider's directory, per ``(tenant_id, provider,
    user_id)``, and what the tenant's organisation link found for each (the lookup, kept with
    its time: a cache shared by every process)."""

    def get(self, tenant_id: str, provider: str, user_id: str) -> DirectoryEntry | None:
        """The tenant's user's entry, or None."""
        ...

    def put(self, entry: DirectoryEntry) -> None:
        """Insert or replace the entry of ``(entry.tenant_id, entry.provider,
        entry.user_id)``."""
        ...

    def delete(self, tenant_id: str, provider: str, user_id: str) -> bool:
        """Forget the entry; False when there was none."""
        ...

    def of_tenant(self, tenant_id: str, provider: str) -> list[DirectoryEntry]:
        """Every entry of the tenant for ``provider``, by user id."""
        ...

    def by_account(
        self, tenant_id: str, provider: str, external_account_id: str
    ) -> list[DirectoryEntry]:
        """The tenant's entries that resolved to that provider user."""
        ...


class AuthStateRepository(Protocol):
    """**Protocol:** OAuth authorizations in flight."""

    def add(self, pending: PendingAuth) -> None:
        """Remember an authorization in flight."""
        ...

    def take(self, state: str) -> PendingAuth | None:
        """Remove and return the authorization for ``state`` (single use), or None."""
        ...

    def purge(self, before: datetime) -> int:
        """Forget authorizations that expired before ``before``; returns how many."""
        ...


class EventRepository(Protocol):
    """**Protocol:** events as meetlink keeps them.

    An event's row is the lock of everything about its conference: a unit of work that reads
    and then changes the conference or what participants were mailed reads the event
    ``for_update`` first (two concurrent saves then run one after the other). Events are
    keyed by ``(tenant_id, event_id)``: the same event id in two tenants is two events."""

    def get(self, tenant_id: str, event_id: str, *, for_update: bool = False) -> EventRecord | None:
        """The event, or None; ``for_update`` locks its row until the unit of work ends."""
        ...

    def get_with_conference(
        self, tenant_id: str, event_id: str, *, for_update: bool = False
    ) -> tuple[EventRecord | None, ConferenceRecord | None]:
        """The event and its conference in one read (SQL: one statement), as
        [`get`][meetlink.ports.storage.EventRepository.get] then ``conferences.get``; ``(None,
        None)`` when the event is unknown (its conference is not looked for then)."""
        ...

    def add(self, record: EventRecord) -> None:
        """Insert a new event; ConcurrentUpdate if one with that tenant and id exists (a
        concurrent first save won: the unit of work is retried and finds it)."""
        ...

    def put(self, record: EventRecord) -> None:
        """Insert or replace the event with the same tenant and id."""
        ...

    def delete(self, tenant_id: str, event_id: str) -> bool:
        """Forget the tenant's event; False when it was unknown."""
        ...

    def due_reminders(self, now: datetime, limit: int) -> list[EventRecord]:
        """Events whose ``remind_at`` <= ``now``, earliest first (an index range scan), of
        every tenant."""
        ...

    def starting(
        self,
        start_from: datetime,
        start_to: datetime,
        *,
        limit: int,
        after: tuple[datetime, str, str] | None = None,
    ) -> list[EventRecord]:
        """Up to ``limit`` events of every tenant whose ``start`` is in ``[start_from,
        start_to)``, by ``(start, tenant_id, event_id)``, after the cursor ``after`` (keyset
        paging, an index range: the meeting check)."""
        ...


class ConferenceRepository(Protocol):
    """**Protocol:** one conference per event, keyed by ``(tenant_id, event_id)``."""

    def get(self, tenant_id: str, event_id: str) -> ConferenceRecord | None:
        """The tenant's event's conference, or None."""
        ...

    def put(self, record: ConferenceRecord) -> None:
        """Insert or replace the event's conference."""
        ...

    def delete(self, tenant_id: str, event_id: str) -> bool:
        """Remove the tenant's event's conference; False when there was none."""
        ...

    def by_account(self, provider: str, external_account_id: str) -> list[ConferenceRecord]:
        """Every conference hosted by that external account, in every tenant."""
        ...


class JobRepository(Protocol):
    """**Protocol:** background work, persisted. The rules (merge by generation, claim,
    lease, retry, wait, park) are [`meetlink.domain.jobs`][meetlink.domain.jobs], applied by the
    app; the store keeps what they return. Every query here is an index lookup or range, never a
    scan of the table (``all`` excepted: inspection and tests only)."""

    def get(self, job_id: str, *, for_update: bool = False) -> Job | None:
        """A job by id; ``for_update`` locks its row until the unit of work ends."""
        ...

    def find(self, tenant_id: str, kind: str, key: str, *, for_update: bool = False) -> Job | None:
        """The tenant's job for ``(kind, key)``, if any (``for_update``: locked)."""
        ...

    def add(self, job: Job) -> None:
        """Insert a new job; ConcurrentUpdate if its id or ``(tenant_id, kind, key)`` exists."""
        ...

    def add_new(self, job: Job) -> bool:
        """Insert the job unless one with its id or ``(tenant_id, kind, key)`` exists (even
        concurrently: no error, nothing changes); True when inserted."""
        ...

    def add_all(self, jobs: Sequence[Job]) -> None:
        """Insert new jobs at once (SQL: one statement); ConcurrentUpdate as
        [`add`][meetlink.ports.storage.JobRepository.add]."""
        ...

    def put(self, job: Job) -> None:
        """Replace the stored job with the same id."""
        ...

    def remove(self, job_id: str) -> None:
        """Forget the job (nothing happens when it is gone already)."""
        ...

    def remove_done(self, job_id: str, generation: int) -> bool:
        """Forget the job if it is PENDING or RUNNING at ``generation`` (one compare and
        delete: [`meetlink.domain.jobs.finish`][meetlink.domain.jobs.finish]'s "gone" outcome);
        False, and nothing changes, when it is gone, FAILED or at another generation."""
        ...

    def due(self, now: datetime, limit: int) -> list[Job]:
        """Up to ``limit`` jobs a worker may take at ``now`` (pending with run_at <= now, or
        running with an expired lease), earliest first, locked against concurrent claimers
        (SKIP LOCKED / an immediate transaction): no job is handed to two of them."""
        ...

    def for_account(
        self, provider: str, account: str, *, kind: str, after: datetime, limit: int
    ) -> list[Job]:
        """Pending jobs of ``kind`` on one provider account that run after ``after`` (e.g.
        parked deletions), earliest first."""
        ...

    def page(self, status: JobStatus, *, limit: int, after: Job | None = None) -> list[Job]:
        """Up to ``limit`` jobs in ``status`` ordered by ``(run_at, id)``, after the cursor
        job ``after`` (keyset paging)."""
        ...

    def all(self) -> list[Job]:
        """Every job, by run_at (inspection and tests; a scan)."""
        ...

    def account_wait(
        self, provider: str, account: str, *, for_update: bool = False
    ) -> AccountWait | None:
        """The wait a provider account asked for, if any."""
        ...

    def put_account_wait(self, wait: AccountWait) -> None:
        """Insert or replace the account's wait."""
        ...

    def budget_usages(
        self, provider: str, keys: Sequence[tuple[str, str]], *, for_update: bool = False
    ) -> dict[tuple[str, str], Usage]:
        """What each ``(limit name, scope key)`` of the provider's rate budget has spent
        (absent: nothing yet). ``for_update`` locks them against other claimers, also those
        not stored yet."""
        ...

    def put_budget_usages(self, provider: str, usages: Mapping[tuple[str, str], Usage]) -> None:
        """Store what the limits spent, by ``(limit name, scope key)``."""
        ...

    def spend_in_window(
        self, provider: str, key: tuple[str, str], start: datetime, cost: int, count: int
    ) -> bool:
        """Spend ``cost`` calls of a calendar-window limit at once, without a read first: the
        usage of ``key`` moved to the window that starts at ``start`` (what it held in another
        window counts as nothing) plus ``cost``, only if that stays within ``count``. True when
        spent; False changes nothing (the window is spent, or a store that cannot make the
        usage here has none yet): then ``budget_usages`` and ``put_budget_usages`` decide."""
        ...

    def forget_account(self, provider: str, account: str) -> int:
        """Delete the account's wait and the rate-budget counters kept under its id (scope
        key ``account``); returns how many rows went."""
        ...


class ReminderLog(Protocol):
    """**Protocol:** which reminders were queued (exactly once per participant and time)."""

    def record(self, tenant_id: str, event_id: str, email: str, start: datetime) -> bool:
        """Note the reminder for the tenant's event; False when it was already noted."""
        ...

    def purge(self, before: datetime) -> int:
        """Forget reminders for event times before ``before``; returns how many."""
        ...


class WebhookLog(Protocol):
    """**Protocol:** webhook deliveries already handled (replays change nothing)."""

    def record(self, provider: str, delivery_key: str, received_at: datetime) -> bool:
        """Note the delivery; False when it was already noted."""
        ...

    def purge(self, before: datetime) -> int:
        """Forget deliveries received before ``before``; returns how many."""
        ...


class ErasureLog(Protocol):
    """**Protocol:** erasures asked for by a provider and when they happened (see
    ``meetlink.domain.erasure``)."""

    def put(self, erasure: Erasure) -> None:
        """Insert or replace the erasure with the same provider, account key and
        deauthorization time."""
        ...

    def of_account(self, provider: str, account_key: str) -> list[Erasure]:
        """The account's erasures, oldest deauthorization first."""
        ...


class HostEventLog(Protocol):
    """**Protocol:** the host event feed: entries numbered per tenant, in commit order.

    ``add`` only notes an entry; the store numbers and writes what was added when the unit of
    work commits, as the last thing before the commit, so that an entry numbered ``n + 1``
    of a tenant never commits before entry ``n``: a reader that saw ``n + 1`` has seen every
    entry before it, and resuming after the last number read misses nothing (SQL: the
    tenant's row in ``meetlink_host_event_heads`` is locked while the numbers are taken and
    stays locked until the commit; tenants are locked in sorted order). Numbers are never
    reused, also after a purge."""

    def add(self, notice: HostNotice, at: datetime) -> None:
        """Note ``notice`` (its tenant is required) to be recorded at ``at`` on commit."""
        ...

    def written(self) -> list[HostEvent]:
        """The entries the last commit of this unit of work recorded, in feed order
        (what the listener is told)."""
        ...

    def after(self, tenant_id: str, number: int, limit: int) -> list[HostEvent]:
        """Up to ``limit`` of the tenant's entries numbered above ``number``, in order."""
        ...

    def purge(self, before: datetime) -> int:
        """Forget entries recorded before ``before`` (every tenant); returns how many. The
        tenants' numbering goes on where it was."""
        ...


class UnitOfWork(Protocol):
    """**Protocol:** one transaction over every repository."""

    @property
    def subscriptions(self) -> SubscriptionRepository:
        """The subscriptions of this unit of work."""
        ...

    @property
    def links(self) -> LinkRepository:
        """The links of this unit of work."""
        ...

    @property
    def policies(self) -> PolicyRepository:
        """The tenants' issuance policies of this unit of work."""
        ...

    @property
    def auth_states(self) -> AuthStateRepository:
        """The auth states of this unit of work."""
        ...

    @property
    def events(self) -> EventRepository:
        """The events of this unit of work."""
        ...

    @property
    def conferences(self) -> ConferenceRepository:
        """The conferences of this unit of work."""
        ...

    @property
    def jobs(self) -> JobRepository:
        """The jobs of this unit of work."""
        ...

    @property
    def reminders(self) -> ReminderLog:
        """The reminders of this unit of work."""
        ...

    @property
    def webhooks(self) -> WebhookLog:
        """The webhooks of this unit of work."""
        ...

    @property
    def directory(self) -> DirectoryRepository:
        """The directory addresses of this unit of work (organisation links)."""
        ...

    @property
    def erasures(self) -> ErasureLog:
        """The erasure records of this unit of work."""
        ...

    @property
    def feed(self) -> HostEventLog:
        """The host event feed of this unit of work."""
        ...

    def __enter__(self) -> UnitOfWork: ...

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None: ...

    def commit(self) -> None:
        """Make every change of this unit of work durable, atomically."""
        ...

    def rollback(self) -> None:
        """Drop every change not yet committed."""
        ...


class Storage(Protocol):
    """**Protocol:** where units of work come from."""

    def unit_of_work(self, *, read_only: bool = False) -> UnitOfWork:
        """A new unit of work (use it as a context manager). ``read_only`` promises that it
        will not write, so the store may take lighter locks."""
        ...

    def close(self) -> None:
        """Release connections."""
        ...
