"""Job contract: the job rules (domain/jobs.py) applied through the storage port by the app's
JobQueue, and the port's indexed queries. Every test runs against InMemoryStorage and
SqlStorage on SQLite, PostgreSQL and MariaDB, so both stores persist the same rules."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any

import attrs
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from meetlink.app.queue import BudgetGate, JobQueue
from meetlink.domain.budgets import (
    Limit,
    Operation,
    RateBudget,
    Scope,
    Usage,
    Window,
    spend,
    window_start,
)
from meetlink.domain.jobs import AccountWait, JobRequest, ask
from meetlink.domain.records import Job, JobStatus
from meetlink.domain.retry import RetryPolicy
from meetlink.errors import ConcurrentUpdate
from meetlink.ports.storage import Storage, UnitOfWork

from .factories import T0, link

LEASE = timedelta(minutes=5)
QUEUE = JobQueue(RetryPolicy(jitter=0.0), LEASE)


def _ask(uow: UnitOfWork, key: str, run_at: datetime = T0, kind: str = "k", **fields: Any) -> Job:
    return QUEUE.ask(
        uow, JobRequest(tenant_id="t1", kind=kind, key=key, run_at=run_at, **fields), T0
    )


def test_ask_inserts_then_merges_by_generation(storage: Storage) -> None:
    with storage.unit_of_work() as uow:
        job = _ask(uow, "e1", kind="sync", payload={"v": 1})
        assert (job.generation, job.status, job.attempts) == (0, JobStatus.PENDING, 0)
        uow.commit()
    with storage.unit_of_work() as uow:
        assert uow.jobs.get(job.id) == job
        later = _ask(uow, "e1", T0 + timedelta(hours=1), kind="sync", payload={"v": 2})
        assert later.id == job.id
        assert (later.generation, later.payload, later.run_at) == (1, {"v": 2}, T0)
        sooner = _ask(uow, "e1", T0 - timedelta(hours=1), kind="sync", payload={"v": 3})
        assert (sooner.generation, sooner.run_at) == (2, T0 - timedelta(hours=1))
        uow.commit()
    with storage.unit_of_work() as uow:
        assert uow.jobs.find("t1", "sync", "e1") == sooner
        assert uow.jobs.find("t1", "sync", "e2") is None
        assert uow.jobs.find("t1", "mail", "e1") is None


def test_ask_restarts_a_failed_job_and_keeps_a_running_one(storage: Storage) -> None:
    with storage.unit_of_work() as uow:
        failed = _ask(uow, "f")
        running = _ask(uow, "r")
        QUEUE.claim(uow, T0, 10)
        QUEUE.give_up(uow, uow.jobs.get(failed.id), "gave up")  # type: ignore[arg-type]
        uow.commit()
    later = T0 + timedelta(hours=2)
    with storage.unit_of_work() as uow:
        again = QUEUE.ask(
            uow,
            JobRequest(tenant_id="t1", kind="k", key="f", run_at=later, payload={"n": 1}),
            later,
        )
        assert (again.status, again.attempts, again.run_at, again.generation) == (
            JobStatus.PENDING, 0, later, 1,
        )  # fmt: skip
        busy = QUEUE.ask(
            uow,
            JobRequest(tenant_id="t1", kind="k", key="r", run_at=later, payload={"n": 1}),
            later,
        )
        assert (busy.status, busy.lease_until, busy.run_at, busy.generation) == (
            JobStatus.RUNNING, T0 + LEASE, T0, 1,
        )  # fmt: skip
        uow.commit()
    with storage.unit_of_work() as uow:
        assert uow.jobs.get(failed.id) == again
        assert uow.jobs.get(running.id) == busy


def test_claim_takes_due_jobs_earliest_first(storage: Storage) -> None:
    with storage.unit_of_work() as uow:
        for key, minutes in (("c", -1), ("a", -10), ("future", 5), ("b", -5), ("edge", 0)):
            _ask(uow, key, T0 + timedelta(minutes=minutes), payload={"key": key})
        uow.commit()
    with storage.unit_of_work() as uow:
        claimed = QUEUE.claim(uow, T0, 3)
        assert [j.key for j in claimed] == ["a", "b", "c"]
        assert all(j.status is JobStatus.RUNNING and j.lease_until == T0 + LEASE for j in claimed)
        assert [j.payload for j in claimed] == [{"key": "a"}, {"key": "b"}, {"key": "c"}]
        uow.commit()
    with storage.unit_of_work() as uow:
        assert [j.key for j in QUEUE.claim(uow, T0, 10)] == ["edge"]
        assert QUEUE.claim(uow, T0, 10) == []
        uow.commit()
    with storage.unit_of_work() as uow:
        assert uow.jobs.find("t1", "k", "a") == claimed[0]


def test_claim_retakes_jobs_whose_lease_expired(storage: Storage) -> None:
    with storage.unit_of_work() as uow:
        job = _ask(uow, "1")
        QUEUE.claim(uow, T0, 1)
        uow.commit()
    with storage.unit_of_work() as uow:
        assert QUEUE.claim(uow, T0 + LEASE - timedelta(seconds=1), 10) == []
        retaken = QUEUE.claim(uow, T0 + LEASE, 10)
        assert [j.id for j in retaken] == [job.id]
        assert retaken[0].lease_until == T0 + LEASE + LEASE


def test_claim_job_takes_one_due_job_once(storage: Storage) -> None:
    with storage.unit_of_work() as uow:
        due = _ask(uow, "due", payload={"n": 1})
        later = _ask(uow, "later", T0 + timedelta(minutes=1))
        uow.commit()
    with storage.unit_of_work() as uow:
        assert QUEUE.claim_job(uow, later.id, T0) is None  # not due yet
        assert QUEUE.claim_job(uow, "no-such-job", T0) is None
        taken = QUEUE.claim_job(uow, due.id, T0)
        assert taken is not None and taken.id == due.id and taken.payload == {"n": 1}
        assert taken.status is JobStatus.RUNNING and taken.lease_until == T0 + LEASE
        uow.commit()
    with storage.unit_of_work() as uow:
        assert QUEUE.claim_job(uow, due.id, T0) is None  # someone holds it
        assert [j.key for j in QUEUE.claim(uow, T0, 10)] == []
        retaken = QUEUE.claim_job(uow, due.id, T0 + LEASE)  # its lease is over
        assert retaken is not None and retaken.lease_until == T0 + LEASE + LEASE


def test_finish_removes_the_current_generation_only(storage: Storage) -> None:
    with storage.unit_of_work() as uow:
        done = _ask(uow, "done")
        asked = _ask(uow, "asked")
        QUEUE.claim(uow, T0, 10)
        QUEUE.retry(uow, uow.jobs.get(asked.id), "x", T0)  # type: ignore[arg-type]
        QUEUE.claim(uow, T0 + timedelta(hours=1), 10)
        _ask(uow, "asked", payload={"v": 2})
        uow.commit()
    with storage.unit_of_work() as uow:
        assert QUEUE.finish(uow, done.id, done.generation) is True
        assert QUEUE.finish(uow, asked.id, asked.generation) is False  # an older generation
        assert QUEUE.finish(uow, "ghost", 0) is True
        uow.commit()
    with storage.unit_of_work() as uow:
        assert uow.jobs.get(done.id) is None
        again = uow.jobs.get(asked.id)
        assert again is not None
        assert (again.status, again.attempts, again.lease_until, again.generation) == (
            JobStatus.PENDING, 0, None, 1,
        )  # fmt: skip
        assert again.payload == {"v": 2}


def test_retry_backs_off_then_gives_up(storage: Storage) -> None:
    queue = JobQueue(RetryPolicy(jitter=0.0, max_attempts=2), LEASE)
    with storage.unit_of_work() as uow:
        job = _ask(uow, "1")
        [running] = queue.claim(uow, T0, 1)
        retried = queue.retry(uow, running, "503", T0)
        uow.commit()
    assert (retried.status, retried.run_at, retried.attempts, retried.last_error) == (
        JobStatus.PENDING, T0 + timedelta(seconds=30), 1, "503",
    )  # fmt: skip
    with storage.unit_of_work() as uow:
        [running] = queue.claim(uow, retried.run_at, 1)
        failed = queue.retry(uow, running, "503 again", retried.run_at)
        uow.commit()
    with storage.unit_of_work() as uow:
        assert uow.jobs.get(job.id) == failed
        assert (failed.status, failed.attempts, failed.lease_until) == (JobStatus.FAILED, 2, None)
        assert queue.claim(uow, T0 + timedelta(days=1), 10) == []


def test_a_wait_is_not_an_attempt_and_holds_the_account(storage: Storage) -> None:
    account: dict[str, Any] = {"provider": "zoom", "account": "acct-1"}
    until = T0 + timedelta(hours=10)
    with storage.unit_of_work() as uow:
        first = _ask(uow, "1", **account)
        second = _ask(uow, "2", T0 + timedelta(seconds=1), **account)
        other = _ask(uow, "3", T0 + timedelta(seconds=2), provider="zoom", account="acct-2")
        [running] = QUEUE.claim(uow, T0, 1)
        waited = QUEUE.wait(uow, running, "429", T0, until)
        uow.commit()
    assert (waited.attempts, waited.waits, waited.run_at) == (0, 1, until)
    later = T0 + timedelta(minutes=1)
    with storage.unit_of_work() as uow:
        # The same account's job is deferred to the next turn, the other account runs.
        assert [j.id for j in QUEUE.claim(uow, later, 10)] == [other.id]
        deferred = uow.jobs.get(second.id)
        assert deferred is not None
        assert (deferred.status, deferred.run_at, deferred.attempts, deferred.waits) == (
            JobStatus.PENDING, until + timedelta(seconds=1), 0, 0,
        )  # fmt: skip
        wait = uow.jobs.account_wait("zoom", "acct-1")
        assert wait == AccountWait(provider="zoom", account="acct-1", until=until,
                                   next_slot=until + timedelta(seconds=2))  # fmt: skip
        assert QUEUE.finish(uow, other.id, other.generation)
        uow.commit()
    with storage.unit_of_work() as uow:
        # At the reset the waiting jobs come one per turn: no stampede.
        assert [j.id for j in QUEUE.claim(uow, until, 10)] == [first.id]
        assert QUEUE.claim(uow, until + timedelta(seconds=1), 10)[0].id == second.id


def test_park_and_wake_by_account(storage: Storage) -> None:
    far = T0 + timedelta(days=1)
    with storage.unit_of_work() as uow:
        jobs = [_ask(uow, f"d{n}", kind="delete", provider="zoom", account="acct-1") for n in "ab"]
        elsewhere = _ask(uow, "dc", kind="delete", provider="zoom", account="acct-2")
        for job in QUEUE.claim(uow, T0, 10):
            QUEUE.park(uow, job, "no link", far)
        uow.commit()
    with storage.unit_of_work() as uow:
        parked = uow.jobs.for_account("zoom", "acct-1", kind="delete", after=T0, limit=10)
        assert {j.id for j in parked} == {j.id for j in jobs}
        assert all(j.waits == 1 and j.attempts == 0 for j in parked)
        assert QUEUE.wake(uow, "zoom", "acct-1", "delete", T0) == 2
        uow.commit()
    with storage.unit_of_work() as uow:
        assert {j.id for j in QUEUE.claim(uow, T0, 10)} == {j.id for j in jobs}
        assert uow.jobs.get(elsewhere.id).run_at == far  # type: ignore[union-attr]


def test_pages_of_jobs_by_status(storage: Storage) -> None:
    with storage.unit_of_work() as uow:
        made = [_ask(uow, f"j{n}", T0 + timedelta(minutes=n % 3)) for n in range(7)]
        uow.commit()
    expected = sorted(made, key=lambda j: (j.run_at, j.id))
    seen: list[Job] = []
    with storage.unit_of_work() as uow:
        page = uow.jobs.page(JobStatus.PENDING, limit=3)
        while page:
            seen += page
            page = uow.jobs.page(JobStatus.PENDING, limit=3, after=page[-1])
        assert uow.jobs.page(JobStatus.FAILED, limit=3) == []
    assert seen == expected


def test_jobs_all_by_run_at_and_payload_round_trips(storage: Storage) -> None:
    payload = {"meeting_id": "89012345678", "n": 2**40, "nested": {"l": [1, "ja: 会議"]}}
    with storage.unit_of_work() as uow:
        _ask(uow, "2", T0 + timedelta(minutes=2))
        _ask(uow, "1", T0 + timedelta(minutes=1), payload=payload)
        _ask(uow, "3", T0 + timedelta(minutes=3), kind="j")
        uow.commit()
    with storage.unit_of_work() as uow:
        assert [j.key for j in uow.jobs.all()] == ["1", "2", "3"]
        assert uow.jobs.all()[0].payload == payload
        assert uow.jobs.get("ghost") is None


def test_add_inserts_a_new_job_and_refuses_a_known_key(storage: Storage) -> None:
    request = JobRequest(tenant_id="t1", kind="mail", key="<m1@x>", run_at=T0, payload={"n": 1})
    job = ask(None, request, now=T0, new_id="job-add-1")
    with storage.unit_of_work() as uow:
        uow.jobs.add(job)
        uow.commit()
    with storage.unit_of_work() as uow:
        assert uow.jobs.find("t1", "mail", "<m1@x>") == job
        with pytest.raises(ConcurrentUpdate):
            uow.jobs.add(attrs.evolve(job, id="job-add-2"))


def test_add_new_inserts_once_per_key_without_an_error(storage: Storage) -> None:
    request = JobRequest(tenant_id="t1", kind="sync", key="e-new", run_at=T0)
    job = ask(None, request, now=T0, new_id="job-new-1")
    with storage.unit_of_work() as uow:
        assert uow.jobs.add_new(job) is True
        # The same (kind, key) under another id, and the same id: nothing changes.
        assert uow.jobs.add_new(attrs.evolve(job, id="job-new-2", payload={"v": 2})) is False
        assert uow.jobs.add_new(attrs.evolve(job, key="other")) is False
        uow.commit()
    with storage.unit_of_work() as uow:
        assert uow.jobs.find("t1", "sync", "e-new") == job
        assert uow.jobs.find("t1", "sync", "other") is None


def test_add_all_inserts_every_job_or_refuses_a_known_key(storage: Storage) -> None:
    jobs = [
        ask(
            None,
            JobRequest(tenant_id="t1", kind="mail", key=f"<all{n}@x>", run_at=T0),
            now=T0,
            new_id=f"a{n}",
        )
        for n in range(3)
    ]
    with storage.unit_of_work() as uow:
        uow.jobs.add_all([])
        uow.jobs.add_all(jobs)
        uow.commit()
    with storage.unit_of_work() as uow:
        assert [uow.jobs.get(job.id) for job in jobs] == jobs
        with pytest.raises(ConcurrentUpdate):
            uow.jobs.add_all([attrs.evolve(jobs[0], id="a-dup")])


def test_ask_to_run_stores_a_new_job_claimed(storage: Storage) -> None:
    request = JobRequest(
        tenant_id="t1", kind="sync", key="run", run_at=T0, provider="zoom", account="acc"
    )
    with storage.unit_of_work() as uow:
        stored, claimed = QUEUE.ask_to_run(uow, request, T0)
        assert claimed == stored
        assert (stored.status, stored.lease_until, stored.generation) == (
            JobStatus.RUNNING, T0 + LEASE, 0,
        )  # fmt: skip
        # Asked again while it runs: merged the usual way (a newer generation), not claimed.
        again, taken = QUEUE.ask_to_run(uow, request, T0)
        assert taken is None and (again.id, again.generation) == (stored.id, 1)
        uow.commit()
    with storage.unit_of_work() as uow:
        assert uow.jobs.get(stored.id) == again


def test_ask_to_run_leaves_a_job_whose_account_waits_pending(storage: Storage) -> None:
    until = T0 + timedelta(minutes=3)
    with storage.unit_of_work() as uow:
        uow.jobs.put_account_wait(AccountWait(provider="zoom", account="busy", until=until,
                                              next_slot=until))  # fmt: skip
        request = JobRequest(
            tenant_id="t1", kind="sync", key="w", run_at=T0, provider="zoom", account="busy"
        )
        stored, claimed = QUEUE.ask_to_run(uow, request, T0)
        assert claimed is None and stored.status is JobStatus.PENDING
        later, _ = QUEUE.ask_to_run(uow, attrs.evolve(request, key="l", run_at=until), T0)
        assert later.status is JobStatus.PENDING  # not due yet: never claimed
        uow.commit()


def test_remove_done_is_a_compare_and_delete(storage: Storage) -> None:
    with storage.unit_of_work() as uow:
        job = _ask(uow, "cad")
        failed = _ask(uow, "cad-failed")
        QUEUE.claim(uow, T0, 10)
        QUEUE.give_up(uow, uow.jobs.get(failed.id), "no")  # type: ignore[arg-type]
        uow.commit()
    with storage.unit_of_work() as uow:
        assert uow.jobs.remove_done(job.id, job.generation + 1) is False  # another generation
        assert uow.jobs.remove_done(failed.id, failed.generation) is False  # FAILED stays
        assert uow.jobs.remove_done("ghost", 0) is False
        assert uow.jobs.remove_done(job.id, job.generation) is True
        uow.commit()
    with storage.unit_of_work() as uow:
        assert uow.jobs.get(job.id) is None
        assert uow.jobs.get(failed.id) is not None


def _budgeted_queue(budget: RateBudget) -> JobQueue:
    gate = BudgetGate(lambda provider: budget if provider == "zoom" else None,
                      {"sync": frozenset({Operation.CREATE})})  # fmt: skip
    return JobQueue(RetryPolicy(jitter=0.0), LEASE, gate)


def test_budget_usages_round_trip(storage: Storage) -> None:
    keys = [("daily", "acct-1"), ("qps", "org:o1")]
    with storage.unit_of_work() as uow:
        assert uow.jobs.budget_usages("zoom", keys) == {}
        assert uow.jobs.budget_usages("zoom", keys, for_update=True) == {}  # locked, unspent
        uow.jobs.put_budget_usages("zoom", {keys[0]: Usage(T0, 3), keys[1]: Usage(T0, 0)})
        uow.commit()
    with storage.unit_of_work() as uow:
        assert uow.jobs.budget_usages("zoom", keys, for_update=True) == {
            keys[0]: Usage(T0, 3), keys[1]: Usage(T0, 0),
        }  # fmt: skip
        assert uow.jobs.budget_usages("teams", keys) == {}
        uow.jobs.put_budget_usages("zoom", {keys[0]: Usage(T0 + timedelta(days=1), 1)})
        uow.commit()
    with storage.unit_of_work() as uow:
        assert uow.jobs.budget_usages("zoom", keys[:1]) == {
            keys[0]: Usage(T0 + timedelta(days=1), 1)
        }


def test_a_spent_budget_defers_the_job_and_other_accounts_are_claimed(storage: Storage) -> None:
    cap = Limit(name="daily", scope=Scope.ACCOUNT, count=2, window=Window.UTC_DAY,
                operations={Operation.CREATE})  # fmt: skip
    queue = _budgeted_queue(RateBudget((cap,)))
    with storage.unit_of_work() as uow:
        mine = [_ask(uow, f"a{n}", kind="sync", provider="zoom", account="acct-1") for n in "123"]
        other = _ask(uow, "b1", T0 + timedelta(seconds=1), kind="sync", provider="zoom",
                     account="acct-2")  # fmt: skip
        mail = _ask(uow, "m1", T0 + timedelta(seconds=2), kind="mail")
        uow.commit()
    now = T0 + timedelta(minutes=1)
    with storage.unit_of_work() as uow:
        taken = queue.claim(uow, now, 10)
        for job in taken:
            assert queue.finish(uow, job.id, job.generation)
        uow.commit()
    # Two of acct-1's jobs spend its budget; the third is deferred to 00:00 UTC, unattempted.
    ids = {j.id for j in taken}
    assert len(taken) == 4 and {other.id, mail.id} <= ids
    [left] = [j for j in mine if j.id not in ids]
    midnight = datetime(T0.year, T0.month, T0.day, tzinfo=T0.tzinfo) + timedelta(days=1)
    with storage.unit_of_work() as uow:
        deferred = uow.jobs.get(left.id)
        assert deferred is not None
        assert (deferred.status, deferred.run_at, deferred.attempts, deferred.waits) == (
            JobStatus.PENDING, midnight, 0, 0,
        )  # fmt: skip
        assert uow.jobs.budget_usages("zoom", [("daily", "acct-1"), ("daily", "acct-2")]) == {
            ("daily", "acct-1"): Usage(midnight - timedelta(days=1), 2),
            ("daily", "acct-2"): Usage(midnight - timedelta(days=1), 1),
        }
        assert queue.claim(uow, midnight - timedelta(seconds=1), 10) == []
        assert [j.id for j in queue.claim(uow, midnight, 10)] == [left.id]
        uow.commit()


def test_a_wait_stored_after_the_owners_link_was_read_is_seen(storage: Storage) -> None:
    """The owner's link is read before the account's wait (a save's order): a wait stored
    meanwhile, in the same unit of work or committed by another before the link read, still
    keeps the job from running (the SQL store reads the wait with the link and skips the
    wait's own read only while none was stored)."""
    until = T0 + timedelta(minutes=3)
    wait = AccountWait(provider="zoom", account="acct-1", until=until, next_slot=until)
    request = JobRequest(
        tenant_id="t1", kind="sync", key="a", run_at=T0, provider="zoom", account="acct-1"
    )
    with storage.unit_of_work() as uow:
        uow.links.add(link())
        uow.commit()
    with storage.unit_of_work() as uow:
        assert uow.links.active_for_user("t1", "u1", "zoom") is not None
        assert uow.jobs.account_wait("zoom", "acct-1", for_update=True) is None
        uow.jobs.put_account_wait(wait)  # after the link read, in the same unit of work
        assert uow.jobs.account_wait("zoom", "acct-1", for_update=True) == wait
        stored, claimed = QUEUE.ask_to_run(uow, request, T0)
        assert claimed is None and stored.status is JobStatus.PENDING
        uow.commit()
    with storage.unit_of_work() as uow:  # stored by an earlier unit of work
        assert uow.links.active_for_account("zoom", "acct-1") is not None
        _, claimed = QUEUE.ask_to_run(uow, attrs.evolve(request, key="b"), T0)
        assert claimed is None
    with storage.unit_of_work() as uow:
        uow.jobs.forget_account("zoom", "acct-1")
        uow.commit()
    with storage.unit_of_work() as uow:  # gone: the next job runs at once
        assert uow.links.active_for_user("t1", "u1", "zoom") is not None
        _, claimed = QUEUE.ask_to_run(uow, attrs.evolve(request, key="c"), T0)
        assert claimed is not None


_DAY = Limit(
    name="daily", scope=Scope.ACCOUNT, count=5, operations={Operation.CREATE},
    window=Window.UTC_DAY, cost=2,
)  # fmt: skip


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(steps=st.lists(st.tuples(st.integers(0, 2), st.integers(0, 23)), min_size=1, max_size=8))
def test_spend_in_window_spends_as_the_budget_rules_do(
    storage: Storage, steps: list[tuple[int, int]]
) -> None:
    """``spend_in_window`` (one statement on SQL) against ``budgets.spend`` (the rules):
    granted exactly when the rules grant, the stored usage what the rules make it, a new day
    starting afresh; a refusal changes nothing. Each example has an account of its own."""
    account = f"acct-{uuid.uuid4().hex}"
    key = ("daily", account)
    usage = Usage(T0 - timedelta(days=1), 5)
    with storage.unit_of_work() as uow:  # a stored usage (MariaDB spends only such a one)
        uow.jobs.budget_usages("zoom", [key], for_update=True)  # made, then spent
        uow.jobs.put_budget_usages("zoom", {key: usage})
        uow.commit()
    for day, hour in steps:
        now = T0.replace(hour=0) + timedelta(days=day, hours=hour)
        expected = spend([_DAY], {"daily": usage}, now)
        with storage.unit_of_work() as uow:
            start = window_start(Window.UTC_DAY, now)
            spent = uow.jobs.spend_in_window("zoom", key, start, _DAY.cost, _DAY.count)
            stored = uow.jobs.budget_usages("zoom", [key])
            uow.commit()
        assert spent is expected.granted, (steps, now)
        if expected.granted:
            usage = expected.usages["daily"]
        assert stored == {key: usage}


def test_spend_in_window_of_a_usage_not_stored_yet(storage: Storage) -> None:
    """A limit's first use: spent at once, or (MariaDB, no conditional upsert) refused with
    nothing changed, for ``budget_usages`` to make it."""
    key = ("daily", "acct-new")
    with storage.unit_of_work() as uow:
        spent = uow.jobs.spend_in_window("zoom", key, T0.replace(hour=0), 2, 5)
        stored = uow.jobs.budget_usages("zoom", [key])
        uow.commit()
    assert stored == ({key: Usage(T0.replace(hour=0), 2)} if spent else {})
    with storage.unit_of_work() as uow:  # over the count at once: never spent
        assert not uow.jobs.spend_in_window("zoom", ("daily", "acct-big"), T0, 6, 5)
        assert uow.jobs.budget_usages("zoom", [("daily", "acct-big")]) == {}
