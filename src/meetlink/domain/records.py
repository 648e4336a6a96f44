"""Stored records that are not rules of their own: events as kept, jobs, pending OAuth."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

import attrs

from meetlink.domain.conference import MailedState
from meetlink.domain.event import Event

__all__ = ["EventRecord", "Job", "JobStatus", "PendingAuth"]


@attrs.frozen(kw_only=True)
class EventRecord:
    """An event as meetlink keeps it.

    ``sequence`` is the iCalendar SEQUENCE last mailed for it; ``remind_at`` is when its
    reminders fall due (None: nothing to remind, or already done for this start time);
    ``told``: what participants hold of the event while it has no conference, after its
    URL was withdrawn (an update without the URL): who holds it gets a cancellation when the
    event is deleted or they are removed, an update when its time changes.
    """

    event: Event
    sequence: int = 0
    remind_at: datetime | None = None
    updated_at: datetime
    told: MailedState | None = None


@attrs.frozen(kw_only=True)
class PendingAuth:
    """An OAuth authorization in flight: valid for 10 minutes, once."""

    state: str = attrs.field(repr=False)
    tenant_id: str
    user_id: str
    provider: str
    code_verifier: str = attrs.field(repr=False)
    created_at: datetime
    expires_at: datetime


class JobStatus(enum.Enum):
    """Where a job stands. Finished jobs are removed; failed ones stay to be seen."""

    PENDING = "pending"
    RUNNING = "running"  # claimed; ``lease_until`` says when another worker may take it
    FAILED = "failed"  # gave up after the retry policy; recorded, never dropped


@attrs.frozen(kw_only=True)
class Job:
    """A unit of background work (provider sync/delete, mail delivery); its rules are in
    [`meetlink.domain.jobs`][meetlink.domain.jobs].

    Every job belongs to one tenant (``tenant_id``: a sync job's by its event, a deletion's and
    a mail's by the event they came from), and ``(tenant_id, kind, key)`` is unique: asking
    for the same work again merges into one job and bumps ``generation``, so a worker that
    finishes an older generation leaves the job to run again.
    ``payload`` is JSON-compatible. ``provider``/``account``: the provider account the job
    calls (None for mail), so one account's waits never hold up another's work.
    ``attempts`` counts failed tries; ``waits`` counts waits that are not attempts (a rate
    limit, a link or a key to come back).
    """

    id: str
    tenant_id: str
    kind: str
    key: str
    payload: dict[str, Any] = attrs.field(factory=dict)
    status: JobStatus = JobStatus.PENDING
    run_at: datetime
    attempts: int = 0
    waits: int = 0
    generation: int = 0
    last_error: str | None = None
    lease_until: datetime | None = None
    provider: str | None = None
    account: str | None = None
    created_at: datetime
