"""The job rules ([`meetlink.domain.jobs`][meetlink.domain.jobs]) applied through the storage port,
inside the caller's unit of work. Stores persist; every decision is the domain's.

Claiming a job that calls a provider spends from the provider's rate budget
([`meetlink.domain.budgets`][meetlink.domain.budgets], declared in its ``Capabilities.rate_budget``)
in the same unit of work: the usage rows of the job's limits are locked, so every worker process
spends from one budget. A job whose budget is spent is deferred to when it returns (not attempted,
not an attempt) and the claimer moves on to other accounts' jobs.
"""

from __future__ import annotations

import secrets
import threading
import time
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta

from meetlink.domain import budgets as budget_rules
from meetlink.domain import jobs as rules
from meetlink.domain.budgets import Limit, Operation, RateBudget, Scope, Window
from meetlink.domain.jobs import AccountWait, JobRequest
from meetlink.domain.records import Job, JobStatus
from meetlink.domain.retry import RetryPolicy
from meetlink.ports.storage import UnitOfWork

__all__ = ["BudgetGate", "JobQueue"]

_WAKE_BATCH = 500
_ids = threading.Lock()
_last_stamp = 0


def new_job_id() -> str:
    """A job id that sorts by creation: 16 hex digits of wall-clock nanoseconds (strictly
    increasing in this process), then 16 random ones. The stores order jobs that share a
    ``run_at`` by id (``ix_meetlink_jobs_due`` ends with it), so jobs asked for at one instant,
    such as an invitation and the update that follows it, run in the order they were asked."""
    global _last_stamp
    with _ids:
        _last_stamp = max(time.time_ns(), _last_stamp + 1)
        stamp = _last_stamp
    return f"{stamp:016x}{secrets.token_hex(8)}"


#: A budget refusal at least this long holds the account (its other jobs take turns after it).
_HOLD = timedelta(minutes=1)


class BudgetGate:
    """Which rate-budget limits a job spends from, and under which keys.

    ``budgets(provider)`` gives the provider's declared
    [`RateBudget`][meetlink.domain.budgets.RateBudget] (None: no budget); ``operations`` maps a job
    kind to what its jobs may ask of the provider (kinds not listed spend nothing)."""

    def __init__(
        self,
        budgets: Callable[[str], RateBudget | None],
        operations: Mapping[str, frozenset[Operation]],
    ) -> None:
        self._budgets = budgets
        self._operations = dict(operations)

    def limits(self, job: Job) -> tuple[Limit, ...]:
        """The limits ``job`` spends from when claimed (none without provider or account)."""
        operations = self._operations.get(job.kind)
        if operations is None or job.provider is None or job.account is None:
            return ()
        budget = self._budgets(job.provider)
        return () if budget is None else budget.applying(operations)

    def holds_account(self, job: Job, returns: datetime, now: datetime) -> bool:
        """Whether a refusal until ``returns`` is the account's own long wait (a calendar
        limit on the account), not a pause of a second on a shared per-second limit."""
        return returns - now >= _HOLD and any(
            limit.scope is Scope.ACCOUNT and limit.window is not Window.ROLLING
            for limit in self.limits(job)
        )

    def spend(self, uow: UnitOfWork, job: Job, now: datetime) -> datetime | None:
        """Spend one call of ``job`` from its limits (locked in ``uow``): None when granted,
        else when the budget allows the call (nothing spent)."""
        limits = self.limits(job)
        if not limits:
            return None
        assert job.provider is not None and job.account is not None
        keys = {limit.name: (limit.name, _scope_key(uow, job, limit)) for limit in limits}
        if len(limits) == 1 and limits[0].window is not Window.ROLLING:
            # One calendar-window limit (Zoom's daily cap): spent by one statement when the
            # window has room (the store refuses a cost over the count); otherwise read as
            # below, to know until when.
            limit = limits[0]
            start = budget_rules.window_start(limit.window, now)
            if uow.jobs.spend_in_window(
                job.provider, keys[limit.name], start, limit.cost, limit.count
            ):
                return None
        stored = uow.jobs.budget_usages(job.provider, list(keys.values()), for_update=True)
        usages = {name: stored[key] for name, key in keys.items() if key in stored}
        spent = budget_rules.spend(limits, usages, now)
        if not spent.granted:
            return spent.retry_at
        uow.jobs.put_budget_usages(
            job.provider, {keys[name]: usage for name, usage in spent.usages.items()}
        )
        return None


def _scope_key(uow: UnitOfWork, job: Job, limit: Limit) -> str:
    """The key a limit counts ``job`` under: its account, the account's organisation (read
    from the account's active link; the account itself without one), or the app ("")."""
    assert job.provider is not None and job.account is not None
    if limit.scope is Scope.ACCOUNT:
        return job.account
    if limit.scope is Scope.APP:
        return ""
    link = uow.links.active_for_account(job.provider, job.account)
    return f"org:{link.account_id if link is not None else job.account}"


class JobQueue:
    """Asks for, claims and settles jobs in a unit of work."""

    def __init__(
        self, policy: RetryPolicy, lease: timedelta, budgets: BudgetGate | None = None
    ) -> None:
        self._policy = policy
        self._lease = lease
        self._budgets = budgets

    def ask(self, uow: UnitOfWork, request: JobRequest, now: datetime) -> Job:
        """Ask for the work ``request`` names: a new job, or merged into the existing one."""
        existing = uow.jobs.find(request.tenant_id, request.kind, request.key, for_update=True)
        job = rules.ask(existing, request, now=now, new_id=new_job_id())
        if existing is None:
            uow.jobs.add(job)
        else:
            uow.jobs.put(job)
        return job

    def ask_to_run(
        self, uow: UnitOfWork, request: JobRequest, now: datetime
    ) -> tuple[Job, Job | None]:
        """[`ask`][meetlink.app.queue.JobQueue.ask], for a caller that runs the work at once if it
        can: a new job that is due, on an account that does not wait, is stored already claimed by
        this worker (one insert, no read of the job first). Returns the job as stored and the
        claimed job, or None when the usual way was taken (a job for the same work exists, the
        account waits, or it is not due yet)."""
        job = rules.ask(None, request, now=now, new_id=new_job_id())
        if rules.is_due(job, now):
            wait = None
            if job.provider is not None and job.account is not None:
                wait = uow.jobs.account_wait(job.provider, job.account, for_update=True)
            if wait is None or not wait.holds(now):
                claimed = rules.claim(job, now, now + self._lease)
                if uow.jobs.add_new(claimed):
                    deferred = self._over_budget(uow, claimed, now, wait)
                    if deferred is not None:
                        return deferred, None
                    return claimed, claimed
        return self.ask(uow, request, now), None

    def claim(self, uow: UnitOfWork, now: datetime, limit: int) -> list[Job]:
        """Take up to ``limit`` due jobs (a job whose account waits is deferred instead)."""
        taken = [self.take(uow, job, now) for job in uow.jobs.due(now, limit)]
        return [job for job in taken if job is not None]

    def claim_job(self, uow: UnitOfWork, job_id: str, now: datetime) -> Job | None:
        """Take this one job if it is due and its account does not wait; else None."""
        job = uow.jobs.get(job_id, for_update=True)
        if job is None or not rules.is_due(job, now):
            return None
        return self.take(uow, job, now)

    def claim_asked(self, uow: UnitOfWork, job: Job, now: datetime) -> Job | None:
        """Take ``job`` as [`ask`][meetlink.app.queue.JobQueue.ask] returned it in this unit of work
        (so it is stored exactly so, and locked: no need to read it again) if it is due; else
        None."""
        if not rules.is_due(job, now):
            return None
        return self.take(uow, job, now)

    def take(self, uow: UnitOfWork, job: Job, now: datetime) -> Job | None:
        """Lease ``job`` (due, read from storage) to this worker; None when its account
        waits (then the job is deferred to the account's next turn instead) or its rate
        budget is spent (deferred to when the budget returns)."""
        if job.provider is not None and job.account is not None:
            wait = uow.jobs.account_wait(job.provider, job.account, for_update=True)
            if wait is not None and wait.holds(now):
                # The account asked to wait: no call before then; queue up for a turn.
                turn, wait = rules.take_slot(wait, self._policy.release_spacing)
                uow.jobs.put_account_wait(wait)
                uow.jobs.put(rules.defer(job, turn))
                return None
            if self._over_budget(uow, job, now, wait) is not None:
                return None
        claimed = rules.claim(job, now, now + self._lease)
        uow.jobs.put(claimed)
        return claimed

    def _over_budget(
        self, uow: UnitOfWork, job: Job, now: datetime, wait: AccountWait | None
    ) -> Job | None:
        """Spend ``job``'s call from its rate budget; when the budget is spent, the job as
        deferred (stored) to when it returns, else None (``wait``: the account's, read
        locked, not holding)."""
        if self._budgets is None or job.provider is None or job.account is None:
            return None
        returns = self._budgets.spend(uow, job, now)
        if returns is None:
            return None
        # No budget left: not attempted, not an attempt; other jobs go first. A wait of the
        # account's own (a daily cap) holds its other jobs too, which then come back one per
        # turn, as after a 429.
        if self._budgets.holds_account(job, returns, now):
            wait = rules.hold(wait, job.provider, job.account, returns)
            returns, wait = rules.take_slot(wait, self._policy.release_spacing)
            uow.jobs.put_account_wait(wait)
        deferred = rules.defer(job, returns)
        uow.jobs.put(deferred)
        return deferred

    def finish(self, uow: UnitOfWork, job_id: str, generation: int) -> bool:
        """The work of ``generation`` is done. True when the job is gone; False when it was
        asked for again meanwhile and runs again."""
        if uow.jobs.remove_done(job_id, generation):
            return True  # rules.finish: the generation that ran is the latest, the job goes
        job = uow.jobs.get(job_id, for_update=True)
        if job is None or job.status is JobStatus.FAILED:
            return True
        after = rules.finish(job, generation)
        if after is None:
            uow.jobs.remove(job_id)
            return True
        uow.jobs.put(after)
        return False

    def release(self, uow: UnitOfWork, job: Job) -> None:
        """Give back ``job``, claimed (``job`` as claimed) and not started: due again at once
        for any worker, not an attempt. Nothing when its lease is no longer this claim's."""
        stored = self.running(uow, job.id)
        if stored is not None and stored.lease_until == job.lease_until:
            uow.jobs.put(rules.defer(stored, stored.run_at))

    def running(self, uow: UnitOfWork, job_id: str) -> Job | None:
        """The job as stored now, locked, if a worker still holds it."""
        job = uow.jobs.get(job_id, for_update=True)
        return job if job is not None and job.status is JobStatus.RUNNING else None

    def retry(
        self,
        uow: UnitOfWork,
        job: Job,
        error: str,
        now: datetime,
        retry_at: datetime | None = None,
    ) -> Job:
        """A failed attempt (FAILED once the attempts are spent)."""
        after = rules.retry(job, error=error, now=now, policy=self._policy, retry_at=retry_at)
        uow.jobs.put(after)
        return after

    def wait(
        self,
        uow: UnitOfWork,
        job: Job,
        error: str,
        now: datetime,
        until: datetime | None,
        *,
        account_wide: bool = True,
    ) -> Job:
        """The provider asked to wait (until ``until``, or a backoff when it named no time):
        not an attempt. An ``account_wide`` wait (a rate limit) holds the job's account too,
        and its jobs take turns after; otherwise only this job waits (a meeting in
        progress cannot be deleted yet, but the account's other work goes on)."""
        until = self._policy.next_run(now, job.waits + 1, until)
        if account_wide and job.provider is not None and job.account is not None:
            held = uow.jobs.account_wait(job.provider, job.account, for_update=True)
            held = rules.hold(held, job.provider, job.account, until)
            until, held = rules.take_slot(held, self._policy.release_spacing)
            uow.jobs.put_account_wait(held)
        after = rules.wait(job, error=error, until=until)
        uow.jobs.put(after)
        return after

    def backoff(self, now: datetime, tries: int) -> datetime:
        """When to look again after ``tries`` fruitless tries (the retry policy's backoff)."""
        return self._policy.next_run(now, tries)

    def park(self, uow: UnitOfWork, job: Job, reason: str, until: datetime) -> Job:
        """Wait for something outside meetlink, until ``until`` or woken."""
        after = rules.park(job, reason=reason, until=until)
        uow.jobs.put(after)
        return after

    def give_up(self, uow: UnitOfWork, job: Job, error: str) -> Job:
        """Retrying cannot help: FAILED, recorded."""
        after = rules.give_up(job, error)
        uow.jobs.put(after)
        return after

    def wake(self, uow: UnitOfWork, provider: str, account: str, kind: str, now: datetime) -> int:
        """Jobs of ``kind`` parked on the account run now; returns how many."""
        woken = 0
        while True:
            parked = uow.jobs.for_account(provider, account, kind=kind, after=now,
                                          limit=_WAKE_BATCH)  # fmt: skip
            for job in parked:
                uow.jobs.put(rules.wake(job, now))
            woken += len(parked)
            if len(parked) < _WAKE_BATCH:
                return woken
