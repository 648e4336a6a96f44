"""The job runner behind ``run_pending()``: claim due jobs, run them, retry or record failure.

Safe from several threads and processes: claiming is atomic in storage (SKIP LOCKED or an
immediate transaction), a claimed job is leased and retaken only after its lease expires.
Permanent failures are recorded (status FAILED, with the error), never dropped.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import datetime

from meetlink.app.context import AppContext
from meetlink.domain.records import Job
from meetlink.errors import (
    CredentialError,
    GrantRevoked,
    MailDeliveryFailed,
    NotLinked,
    ProviderError,
    ProviderUnavailable,
    RateLimited,
)

__all__ = ["AskedAgain", "JobRunner", "Parked"]

log = logging.getLogger("meetlink.jobs")
Handler = Callable[[Job], bool | None]  # True: the handler finished the job itself
FailureHook = Callable[[Job, str], None]


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


class JobRunner:
    """Runs jobs by kind."""

    def __init__(
        self,
        ctx: AppContext,
        handlers: dict[str, Handler],
        on_failure: FailureHook,
        asked_again: AskedAgain,
    ) -> None:
        self._ctx = ctx
        self._handlers = handlers
        self._on_failure = on_failure
        self.asked_again = asked_again

    def run_pending(self, max_jobs: int | None = None) -> int:
        """Run every due job (or at most ``max_jobs``); returns how many completed.

        Jobs are claimed ``claim_batch`` at a time (setting, default 1): a worker never sits
        on claimed work that an idle worker could be doing."""
        done = 0
        batch = self._ctx.settings.claim_batch
        while max_jobs is None or done < max_jobs:
            limit = batch if max_jobs is None else min(batch, max_jobs - done)
            jobs = self._claim(limit)
            if not jobs:
                break
            done += sum(self.execute(job) for job in jobs)
        return done

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

    def _claim(self, limit: int) -> list[Job]:
        now = self._ctx.clock.now()
        lease = now + self._ctx.settings.job_lease
        return self._ctx.transaction(lambda uow: uow.jobs.claim(now, limit, lease))

    def _claim_one(self, job_id: str) -> Job | None:
        now = self._ctx.clock.now()
        lease = now + self._ctx.settings.job_lease
        return self._ctx.transaction(lambda uow: uow.jobs.claim_job(job_id, now, lease))

    def execute(self, job: Job) -> bool:
        """Run one claimed job; True when it completed (and was removed)."""
        handler = self._handlers.get(job.kind)
        if handler is None:
            self._fail(job, f"no handler for job kind {job.kind!r}")
            return False
        try:
            finished = handler(job)
        except Parked as parked:
            until, reason = parked.until, f"parked: {parked}"
            log.info("job %s/%s %s, until %s", job.kind, job.key, reason, until)
            self._ctx.transaction(
                lambda uow: uow.jobs.retry(
                    job.id, run_at=until, attempts=job.attempts, error=reason
                )
            )
            return False
        except RateLimited as exc:
            self._retry(job, exc, exc.retry_at)
            return False
        except ProviderUnavailable as exc:
            self._retry(job, exc, None)
            return False
        except MailDeliveryFailed as exc:
            if exc.permanent:
                self._fail(job, f"{type(exc).__name__}: {exc}")
            else:
                self._retry(job, exc, None)
            return False
        except (GrantRevoked, NotLinked) as exc:
            # The link is gone (already recorded): the work for it stops.
            log.info("job %s/%s stopped: %s", job.kind, job.key, exc)
            finished = False
        except (ProviderError, CredentialError) as exc:
            # Retrying cannot help (a refused request, an unreadable stored credential):
            # record it for this job only; the other jobs go on.
            self._fail(job, f"{type(exc).__name__}: {exc}")
            return False
        except Exception as exc:  # never drop a job on a bug: retry with backoff
            log.exception("job %s/%s failed unexpectedly", job.kind, job.key)
            self._retry(job, exc, None)
            return False
        if not finished:
            removed = self._ctx.transaction(lambda uow: uow.jobs.finish(job.id, job.generation))
            if not removed:
                self.asked_again.add(job.id)
        log.info("job %s/%s done", job.kind, job.key)
        return True

    def _retry(self, job: Job, exc: BaseException, retry_at: datetime | None) -> None:
        attempts = job.attempts + 1
        error = f"{type(exc).__name__}: {exc}"
        policy = self._ctx.settings.retry
        if policy.exhausted(attempts):
            self._fail(job, error, attempts)
            return
        now = self._ctx.clock.now()
        run_at = policy.next_run(now, attempts, retry_at)
        log.info("job %s/%s: %s; retry at %s", job.kind, job.key, error, run_at.isoformat())
        self._ctx.transaction(
            lambda uow: uow.jobs.retry(job.id, run_at=run_at, attempts=attempts, error=error)
        )

    def _fail(self, job: Job, error: str, attempts: int | None = None) -> None:
        log.error("job %s/%s failed for good: %s", job.kind, job.key, error)
        count = attempts if attempts is not None else job.attempts + 1
        self._ctx.transaction(lambda uow: uow.jobs.fail(job.id, attempts=count, error=error))
        self._on_failure(job, error)
