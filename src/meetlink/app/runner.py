"""The job runner behind ``run_pending()``: claim due jobs, run them, then retry, wait, park
or record the failure (the rules: [`meetlink.domain.jobs`][meetlink.domain.jobs]).

Safe from several threads and processes: claiming is atomic in storage (SKIP LOCKED or an
immediate transaction), a claimed job is leased and retaken only after its lease expires.
A wait the provider asked for (429, a daily cap) is not an attempt. Permanent failures are
recorded (status FAILED, with the error), never dropped.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import datetime

from meetlink.app.context import AppContext
from meetlink.app.queue import JobQueue
from meetlink.domain import jobs as rules
from meetlink.domain.records import Job, JobStatus
from meetlink.domain.results import HostNotice, HostNoticeKind
from meetlink.errors import (
    CredentialError,
    GrantRevoked,
    MailDeliveryFailed,
    NotLinked,
    ProviderError,
    ProviderUnavailable,
    RateLimited,
)
from meetlink.ports.storage import UnitOfWork

__all__ = ["AskedAgain", "JobRunner", "OutcomeHook", "Parked"]

log = logging.getLogger("meetlink.jobs")
Handler = Callable[[Job], bool | None]  # True: the handler finished the job itself
#: (unit of work, the job after the run, error, refused for good, notices to send).
OutcomeHook = Callable[[UnitOfWork, Job, str, bool, list[HostNotice]], None]


class Parked(Exception):
    """Raised by a handler whose job must wait for something outside meetlink (a link to the
    meeting's account to come back): the job is kept, not counted as an attempt, and runs
    again at ``until`` (or sooner, when what it waits for happens)."""

    def __init__(self, reason: str, until: datetime) -> None:
        super().__init__(reason)
        self.until = until


class AskedAgain:
    """Job ids whose finish found a newer generation (asked for again while running), so
    the worker that ran them can run them again at once. Thread-safe."""

    def __init__(self) -> None:
        self._ids: set[str] = set()
        self._lock = threading.Lock()

    def add(self, job_id: str) -> None:
        """Note that ``job_id`` is wanted again."""
        with self._lock:
            self._ids.add(job_id)

    def take(self, job_id: str) -> bool:
        """True (once) if ``job_id`` was noted."""
        with self._lock:
            if job_id in self._ids:
                self._ids.discard(job_id)
                return True
            return False


#: Jobs of a batched kind claimed at once while claims bring nothing else.
BATCH = 32


class JobRunner:
    """Runs jobs by kind, and settles each run in one unit of work: the job's next state
    ([`meetlink.domain.jobs`][meetlink.domain.jobs]) with what its kind records about the outcome
    (``hooks``: the sync job's conference moves), host notices after the commit."""

    def __init__(
        self,
        ctx: AppContext,
        queue: JobQueue,
        handlers: dict[str, Handler],
        hooks: dict[str, OutcomeHook],
        asked_again: AskedAgain,
        batched: frozenset[str] = frozenset(),
    ) -> None:
        self._ctx = ctx
        self._queue = queue
        self._handlers = handlers
        self._hooks = hooks
        self.asked_again = asked_again
        self._batched = batched

    def run_pending(self, max_jobs: int | None = None) -> int:
        """Run every due job (or at most ``max_jobs``); returns how many completed.

        Jobs are claimed ``claim_batch`` at a time (setting, default 1): a worker never sits
        on claimed work that an idle worker could be doing. Jobs of a ``batched`` kind
        (mail: a mailing queues one per participant, each done in a millisecond or so) are
        claimed up to ``BATCH`` at a time while claims bring nothing else, and the completed
        ones of a claim are finished in one unit of work: two units of work per batch
        instead of two per mail. Each keeps its lease; what a batch has not started when half
        the lease is gone is given back (due again at once, not an attempt), so no job runs
        past its lease. A worker that dies mid-batch leaves the batch's sent mails unfinished,
        to be sent again when their leases expire (at least once, as for one mail)."""
        done = 0
        batch = self._ctx.settings.claim_batch
        size = batch
        mailed = False
        try:
            while max_jobs is None or done < max_jobs:
                limit = size if max_jobs is None else min(size, max_jobs - done)
                jobs, more = self._claim(limit)
                if not jobs and not more:
                    break
                mailed = mailed or any(job.kind in self._batched for job in jobs)
                done += self._run_claimed(jobs)
                if jobs and all(job.kind in self._batched for job in jobs):
                    size = max(batch, BATCH)
                else:
                    size = batch
        finally:
            if mailed:
                self._forget_shared()
        return done

    def _forget_shared(self) -> None:
        """What the composer shares between a mailing's messages (titles, addresses) is
        dropped at the end of the pass that delivered them (a composer that shares nothing
        has no ``forget_shared``)."""
        forget = getattr(self._ctx.composer, "forget_shared", None)
        if callable(forget):
            forget()

    def _run_claimed(self, jobs: list[Job]) -> int:
        """Run the jobs of one claim; those of a batched kind that complete are finished
        together at the end (also when a later one raises)."""
        done = 0
        finished: list[Job] = []
        try:
            for index, job in enumerate(jobs):
                if index and not self._lease_holds(job):
                    self._give_back(jobs[index:])
                    break
                deferred = finished if job.kind in self._batched and len(jobs) > 1 else None
                done += self.execute(job, to_finish=deferred)
        finally:
            if finished:
                self._finish_all(finished)
        return done

    def _lease_holds(self, job: Job) -> bool:
        """Whether more than half of ``job``'s lease is left."""
        lease_until = job.lease_until
        half = self._ctx.settings.job_lease / 2
        return lease_until is not None and self._ctx.clock.now() < lease_until - half

    def _give_back(self, jobs: list[Job]) -> None:
        """Claimed jobs this worker will not start now: due again for anyone, at once."""
        log.info("%d claimed jobs given back: their batch ran past half its lease", len(jobs))

        def work(uow: UnitOfWork) -> None:
            for job in jobs:
                self._queue.release(uow, job)

        self._ctx.transaction(work)

    def _finish_all(self, jobs: list[Job]) -> None:
        """Remove completed ``jobs`` in one unit of work; one asked for again while it ran (a
        newer generation) stays, noted in ``asked_again`` for its worker to run at once."""

        def work(uow: UnitOfWork) -> list[Job]:
            return [job for job in jobs if not self._queue.finish(uow, job.id, job.generation)]

        for job in self._ctx.transaction(work):
            self.asked_again.add(job.id)

    def run_now(self, job: Job, *, claimed: bool = False) -> bool:
        """Run ``job`` now: claim it first unless ``claimed`` (someone else may hold it), and
        run any newer generation of it that arrived meanwhile. True when it completed."""
        completed = False
        current: Job | None = job if claimed else self._claim_one(job.id)
        for _ in range(3):
            if current is None:
                break
            completed = self.execute(current)
            if not completed or not self.asked_again.take(job.id):
                break  # done, or failed (retried later): no newer generation to run now
            current = self._claim_one(job.id)
        return completed

    def _claim(self, limit: int) -> tuple[list[Job], bool]:
        """Claimed jobs, and whether due jobs were seen (some may have been deferred)."""
        now = self._ctx.clock.now()

        def work(uow: UnitOfWork) -> tuple[list[Job], bool]:
            due = uow.jobs.due(now, limit)
            return [j for j in (self._queue.take(uow, job, now) for job in due) if j], bool(due)

        return self._ctx.transaction(work)

    def _claim_one(self, job_id: str) -> Job | None:
        now = self._ctx.clock.now()
        return self._ctx.transaction(lambda uow: self._queue.claim_job(uow, job_id, now))

    def execute(self, job: Job, *, to_finish: list[Job] | None = None) -> bool:
        """Run one claimed job; True when it completed (and was removed). ``to_finish``: a
        completed job is put there for the caller to finish, instead of being finished now."""
        handler = self._handlers.get(job.kind)
        if handler is None:
            self._settle(job, f"no handler for job kind {job.kind!r}", _GIVE_UP, refused=True)
            return False
        try:
            finished_by_handler = handler(job)
        except Parked as parked:
            until = parked.until
            log.info("job %s/%s parked (%s) until %s", job.kind, job.key, parked, until)
            self._settle(job, str(parked), lambda q, u, j, e, now: q.park(u, j, e, until))
            return False
        except RateLimited as exc:
            # A wait the provider asked for: not an attempt (API "Additions").
            # A rate limit holds the whole account; a meeting in progress only this job.
            retry_at, account_wide = exc.retry_at, exc.account_wide
            self._settle(
                job,
                _describe(exc),
                lambda q, u, j, e, now: q.wait(u, j, e, now, retry_at, account_wide=account_wide),
            )
            return False
        except CredentialError as exc:
            # A key is missing or wrong: nothing to retry until the operator fixes it; the
            # job waits (not an attempt) and looks again, and the operator is told once.
            self._settle(job, _describe(exc), _KEY_WAIT, credential=True)
            return False
        except ProviderUnavailable as exc:
            self._settle(job, _describe(exc), _RETRY)
            return False
        except MailDeliveryFailed as exc:
            self._settle(job, _describe(exc), _GIVE_UP if exc.permanent else _RETRY,
                         refused=exc.permanent)  # fmt: skip
            return False
        except (GrantRevoked, NotLinked) as exc:
            # The link is gone (already recorded): the work for it stops.
            log.info("job %s/%s stopped: %s", job.kind, job.key, exc)
            finished_by_handler = False
        except ProviderError as exc:
            # Retrying cannot help (a refused request): record it for this job only.
            self._settle(job, _describe(exc), _GIVE_UP, refused=True)
            return False
        except Exception as exc:  # never drop a job on a bug: retry with backoff
            log.exception("job %s/%s failed unexpectedly", job.kind, job.key)
            self._settle(job, _describe(exc), _RETRY)
            return False
        if not finished_by_handler:
            if to_finish is not None:
                to_finish.append(job)
            else:
                self._finish_all([job])
        log.info("job %s/%s done", job.kind, job.key)
        return True

    def _settle(
        self,
        job: Job,
        error: str,
        change: _Change,
        *,
        refused: bool = False,
        credential: bool = False,
    ) -> None:
        """Record one run's outcome: the job's next state, and what its kind records."""
        now = self._ctx.clock.now()

        def work(uow: UnitOfWork, notices: list[HostNotice]) -> None:
            stored = self._queue.running(uow, job.id)
            if stored is None:
                return  # finished or failed by a worker that took over its lease
            after = change(self._queue, uow, stored, error, now)
            if after.status is JobStatus.FAILED:
                log.error("job %s/%s failed for good: %s", job.kind, job.key, error)
            else:
                log.info("job %s/%s: %s; again at %s", job.kind, job.key, error,
                         after.run_at.isoformat())  # fmt: skip
            hook = self._hooks.get(job.kind)
            if hook is not None:
                hook(uow, after, error, refused, notices)
            elif after.status is JobStatus.FAILED:
                notices.append(_gave_up(after, error))
            if credential and not _waited_for_a_key(stored):
                notices.append(_credentials_unreadable(after, error))  # once per wait

        self._ctx.transaction_notifying(work)


_Change = Callable[[JobQueue, UnitOfWork, Job, str, datetime], Job]


def _retry(q: JobQueue, uow: UnitOfWork, job: Job, error: str, now: datetime) -> Job:
    return q.retry(uow, job, error, now)


def _give_up(q: JobQueue, uow: UnitOfWork, job: Job, error: str, now: datetime) -> Job:
    return q.give_up(uow, job, error)


def _key_wait(q: JobQueue, uow: UnitOfWork, job: Job, error: str, now: datetime) -> Job:
    return q.park(uow, job, error, q.backoff(now, job.waits + 1))


_RETRY, _GIVE_UP, _KEY_WAIT = _retry, _give_up, _key_wait


def _waited_for_a_key(job: Job) -> bool:
    """Whether ``job``'s last run already met an unreadable credential (and said so)."""
    return (rules.parked_reason(job) or "").startswith(CredentialError.__name__)


def _describe(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}"


def _gave_up(job: Job, error: str) -> HostNotice:
    return HostNotice(
        kind=HostNoticeKind.WORK_FAILED,
        tenant_id=job.tenant_id,
        provider=job.provider,
        event_id=job.payload.get("event_id"),
        detail=f"{job.kind} job gave up: {error}"[:500],
    )


def _credentials_unreadable(job: Job, error: str) -> HostNotice:
    whose = f" for {job.provider} account {job.account}" if job.account else ""
    return HostNotice(
        kind=HostNoticeKind.CREDENTIALS_UNREADABLE,
        tenant_id=job.tenant_id,
        provider=job.provider,
        event_id=job.payload.get("event_id"),
        detail=(
            f"{job.kind} job{whose} waits: stored credentials cannot be decrypted (check"
            f" encryption_keys: a key is missing or wrong); it runs once the key is back. {error}"
        )[:500],
    )
