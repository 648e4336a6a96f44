"""The job rules, written once: both stores persist what these functions return (DESIGN 4).

A job is asked for, claimed by a worker under a lease, and then finished, retried, told to
wait, parked or given up. The table ([`TRANSITIONS`][meetlink.domain.jobs.TRANSITIONS]; any other
pair is illegal)::

    status    move      -> status    what changes
    (none)    ask       -> PENDING   a new job
    PENDING   ask       -> PENDING   generation + 1, the new payload, the earlier run_at
    RUNNING   ask       -> RUNNING   generation + 1 (the worker's finish sees it asked again)
    FAILED    ask       -> PENDING   attempts 0, runs at the asked time
    PENDING   claim     -> RUNNING   leased until the lease ends (only when due)
    RUNNING   claim     -> RUNNING   a new lease, once the old one expired (a worker died)
    RUNNING   finish    -> (gone)    the generation that ran is the latest
    RUNNING   finish    -> PENDING   asked again meanwhile: runs again, attempts 0
    PENDING   finish    -> (gone)    a worker whose lease ran out finished after all
    RUNNING   retry     -> PENDING   attempts + 1, at backoff or the provider's retry time
    RUNNING   retry     -> FAILED    the attempts are spent (recorded, never dropped)
    RUNNING   give_up   -> FAILED    retrying cannot help
    RUNNING   wait      -> PENDING   waits + 1, not an attempt: the provider asked to wait
    RUNNING   park      -> PENDING   waits + 1: something outside meetlink must happen first
    PENDING   defer     -> PENDING   due while its account waits: its turn comes later
    RUNNING   defer     -> PENDING   the same, for a job retaken after its lease expired
    PENDING   wake      -> PENDING   what it waited for happened: runs now

Waits are paced per provider account ([`AccountWait`][meetlink.domain.jobs.AccountWait]): when a
provider asks an account to wait (a 429 with a retry time, a daily cap), none of that account's jobs
calls it before then, and afterwards they run one per ``spacing``, so they do not all ask again at
the same moment; other accounts' jobs are never held up. A wait that concerns one job only (Zoom
refuses to delete a meeting while it runs) holds that job, not its account.
"""

from __future__ import annotations

import enum
import random
from datetime import datetime, timedelta
from typing import Any

import attrs

from meetlink.domain.records import Job, JobStatus
from meetlink.domain.retry import RetryPolicy
from meetlink.errors import IllegalMove

__all__ = [
    "TRANSITIONS",
    "AccountWait",
    "JobRequest",
    "Move",
    "ask",
    "claim",
    "defer",
    "finish",
    "give_up",
    "hold",
    "is_due",
    "park",
    "parked_reason",
    "retry",
    "take_slot",
    "wait",
    "wake",
]

_ERROR_LIMIT = 1000


class Move(enum.Enum):
    """What can happen to a job."""

    ASK = "ask"
    CLAIM = "claim"
    FINISH = "finish"
    RETRY = "retry"
    GIVE_UP = "give_up"
    WAIT = "wait"
    PARK = "park"
    DEFER = "defer"
    WAKE = "wake"


_P, _R, _F = JobStatus.PENDING, JobStatus.RUNNING, JobStatus.FAILED
#: (status, move) -> status after (None: the job is gone). Absent pairs are illegal.
TRANSITIONS: dict[tuple[JobStatus | None, Move], JobStatus | None] = {
    (None, Move.ASK): _P,
    (_P, Move.ASK): _P,
    (_R, Move.ASK): _R,
    (_F, Move.ASK): _P,
    (_P, Move.CLAIM): _R,
    (_R, Move.CLAIM): _R,
    (_R, Move.FINISH): None,  # or PENDING when asked again: see finish()
    (_P, Move.FINISH): None,  # or PENDING when asked again
    (_R, Move.RETRY): _P,  # or FAILED when spent: see retry()
    (_R, Move.GIVE_UP): _F,
    (_R, Move.WAIT): _P,
    (_R, Move.PARK): _P,
    (_P, Move.DEFER): _P,
    (_R, Move.DEFER): _P,
    (_P, Move.WAKE): _P,
}


def _check(job: Job | None, move: Move) -> None:
    status = None if job is None else job.status
    if (status, move) not in TRANSITIONS:
        name = "no job" if status is None else f"a {status.value} job"
        raise IllegalMove(f"{name} cannot take the move {move.value}")


@attrs.frozen(kw_only=True)
class JobRequest:
    """Work asked for: ``(tenant_id, kind, key)`` names it; ``run_at`` is the earliest it may
    run."""

    tenant_id: str
    kind: str
    key: str
    run_at: datetime
    payload: dict[str, Any] = attrs.field(factory=dict)
    provider: str | None = None
    account: str | None = None


def ask(existing: Job | None, request: JobRequest, *, now: datetime, new_id: str) -> Job:
    """The job after asking for ``request``: new, or merged into ``existing`` (the same
    ``(tenant_id, kind, key)``) with ``generation + 1``."""
    _check(existing, Move.ASK)
    if existing is None:
        return Job(
            id=new_id,
            tenant_id=request.tenant_id,
            kind=request.kind,
            key=request.key,
            payload=request.payload,
            run_at=request.run_at,
            provider=request.provider,
            account=request.account,
            created_at=now,
        )
    failed = existing.status is JobStatus.FAILED
    return attrs.evolve(
        existing,
        payload=request.payload,
        generation=existing.generation + 1,
        run_at=request.run_at if failed else min(existing.run_at, request.run_at),
        status=JobStatus.PENDING if failed else existing.status,
        attempts=0 if failed else existing.attempts,
        provider=request.provider,
        account=request.account,
    )


def is_due(job: Job, now: datetime) -> bool:
    """Whether a worker may take ``job`` at ``now``: pending and due, or running under a
    lease that expired (its worker died)."""
    if job.status is JobStatus.PENDING:
        return job.run_at <= now
    return (
        job.status is JobStatus.RUNNING and job.lease_until is not None and job.lease_until <= now
    )


def claim(job: Job, now: datetime, lease_until: datetime) -> Job:
    """``job`` taken by a worker until ``lease_until`` (it must be due)."""
    _check(job, Move.CLAIM)
    if not is_due(job, now):
        raise IllegalMove(f"job {job.kind}/{job.key} is not due at {now.isoformat()}")
    return attrs.evolve(job, status=JobStatus.RUNNING, lease_until=lease_until)


def finish(job: Job, generation: int) -> Job | None:
    """The work of ``generation`` is done: the job goes (None), unless it was asked for
    again meanwhile, then it runs again (pending, attempts 0)."""
    _check(job, Move.FINISH)
    if job.generation == generation:
        return None
    return attrs.evolve(job, status=JobStatus.PENDING, lease_until=None, attempts=0)


def retry(
    job: Job,
    *,
    error: str,
    now: datetime,
    policy: RetryPolicy,
    retry_at: datetime | None = None,
    rng: random.Random | None = None,
) -> Job:
    """A failed attempt: again at backoff (or the provider's ``retry_at``), or FAILED once
    the policy's attempts are spent."""
    _check(job, Move.RETRY)
    attempts = job.attempts + 1
    if policy.exhausted(attempts):
        return _failed(job, error, attempts)
    return attrs.evolve(
        job,
        status=JobStatus.PENDING,
        run_at=policy.next_run(now, attempts, retry_at, rng),
        attempts=attempts,
        last_error=error[:_ERROR_LIMIT],
        lease_until=None,
    )


def give_up(job: Job, error: str) -> Job:
    """Retrying cannot help (a refusal): recorded as FAILED, counted as an attempt."""
    _check(job, Move.GIVE_UP)
    return _failed(job, error, job.attempts + 1)


def _failed(job: Job, error: str, attempts: int) -> Job:
    return attrs.evolve(
        job,
        status=JobStatus.FAILED,
        attempts=attempts,
        last_error=error[:_ERROR_LIMIT],
        lease_until=None,
    )


def wait(job: Job, *, error: str, until: datetime) -> Job:
    """The provider asked to wait until ``until``: not an attempt."""
    _check(job, Move.WAIT)
    return _pending_until(job, until, error, waits=job.waits + 1)


_PARKED = "parked: "


def park(job: Job, *, reason: str, until: datetime) -> Job:
    """Something outside meetlink must happen first (a link to come back): the job waits
    until ``until`` or until woken; not an attempt."""
    _check(job, Move.PARK)
    return _pending_until(job, until, _PARKED + reason, waits=job.waits + 1)


def parked_reason(job: Job) -> str | None:
    """Why ``job`` was parked by its last run (None when that run did not park it)."""
    error = job.last_error or ""
    return error.removeprefix(_PARKED) if error.startswith(_PARKED) else None


def defer(job: Job, until: datetime) -> Job:
    """Due while its account waits: it runs at its turn, ``until``; not an attempt."""
    _check(job, Move.DEFER)
    return _pending_until(job, until, job.last_error, waits=job.waits)


def _pending_until(job: Job, until: datetime, error: str | None, *, waits: int) -> Job:
    return attrs.evolve(
        job,
        status=JobStatus.PENDING,
        run_at=until,
        waits=waits,
        last_error=None if error is None else error[:_ERROR_LIMIT],
        lease_until=None,
    )


def wake(job: Job, now: datetime) -> Job:
    """What a parked job waited for happened: it runs now, and is no longer parked (its
    parked reason goes; a job woken while waiting for a retry keeps its last error). A wake
    the job's account or rate budget then defers must not leave it looking parked."""
    _check(job, Move.WAKE)
    error = None if parked_reason(job) is not None else job.last_error
    return attrs.evolve(job, run_at=min(job.run_at, now), last_error=error)


# -- waits per provider account ------------------------------------------------------------


@attrs.frozen(kw_only=True)
class AccountWait:
    """A provider account that asked meetlink to wait: none of its jobs calls the provider
    before ``until``; after it, waiting jobs run one per slot, from ``next_slot`` on."""

    provider: str
    account: str
    until: datetime
    next_slot: datetime

    def holds(self, now: datetime) -> bool:
        """Whether the account's jobs must still wait at ``now``."""
        return now < self.until


def hold(current: AccountWait | None, provider: str, account: str, until: datetime) -> AccountWait:
    """The account asks to wait until ``until`` (a later wait than one already held
    replaces it; slots restart there)."""
    if current is not None and current.until >= until:
        return current
    return AccountWait(provider=provider, account=account, until=until, next_slot=until)


def take_slot(current: AccountWait, spacing: timedelta) -> tuple[datetime, AccountWait]:
    """The next free turn on the waiting account, and the wait after handing it out."""
    turn = max(current.next_slot, current.until)
    return turn, attrs.evolve(current, next_slot=turn + spacing)
