"""The job rules (meetlink.domain.jobs), each move against the table of its module docstring,
with every field of the job after it written out by hand: the stores persist exactly what
these functions return, so a field a move forgets or gets wrong is wrong everywhere."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from typing import Any

import attrs
import pytest

from meetlink.domain import jobs
from meetlink.domain.jobs import AccountWait, JobRequest, Move
from meetlink.domain.records import Job, JobStatus
from meetlink.domain.retry import RetryPolicy
from meetlink.errors import IllegalMove

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
MIN = timedelta(minutes=1)
P, R, F = JobStatus.PENDING, JobStatus.RUNNING, JobStatus.FAILED

# The module docstring's table, copied by hand: (status before, move).
LEGAL = {
    (None, "ask"),
    ("pending", "ask"),
    ("running", "ask"),
    ("failed", "ask"),
    ("pending", "claim"),
    ("running", "claim"),
    ("running", "finish"),
    ("pending", "finish"),
    ("running", "retry"),
    ("running", "give_up"),
    ("running", "wait"),
    ("running", "park"),
    ("pending", "defer"),
    ("running", "defer"),
    ("pending", "wake"),
}
NO_JITTER = RetryPolicy(first=timedelta(seconds=30), cap=timedelta(minutes=15), jitter=0.0)


def _job(**changes: Any) -> Job:
    fields: dict[str, Any] = {
        "id": "j1",
        "tenant_id": "acme",
        "kind": "sync",
        "key": "ev1",
        "payload": {"v": 1},
        "status": P,
        "run_at": NOW,
        "attempts": 2,
        "waits": 1,
        "generation": 3,
        "last_error": "earlier",
        "lease_until": None,
        "provider": "zoom",
        "account": "acc1",
        "created_at": NOW - timedelta(days=1),
    }
    fields.update(changes)
    return Job(**fields)


def _request(**changes: Any) -> JobRequest:
    fields: dict[str, Any] = {
        "tenant_id": "acme",
        "kind": "sync",
        "key": "ev1",
        "run_at": NOW + 5 * MIN,
        "payload": {"v": 2},
        "provider": "teams",
        "account": "acc2",
    }
    fields.update(changes)
    return JobRequest(**fields)


def _move(move: str, job: Job | None) -> object:
    later = NOW + 10 * MIN
    calls: dict[str, Any] = {
        "ask": lambda: jobs.ask(job, _request(), now=NOW, new_id="j9"),
        "claim": lambda: jobs.claim(job, NOW, later),  # type: ignore[arg-type]
        "finish": lambda: jobs.finish(job, 3),  # type: ignore[arg-type]
        "retry": lambda: jobs.retry(job, error="e", now=NOW, policy=NO_JITTER),  # type: ignore[arg-type]
        "give_up": lambda: jobs.give_up(job, "e"),  # type: ignore[arg-type]
        "wait": lambda: jobs.wait(job, error="e", until=later),  # type: ignore[arg-type]
        "park": lambda: jobs.park(job, reason="r", until=later),  # type: ignore[arg-type]
        "defer": lambda: jobs.defer(job, later),  # type: ignore[arg-type]
        "wake": lambda: jobs.wake(job, NOW),  # type: ignore[arg-type]
    }
    return calls[move]()


def test_the_code_s_table_is_the_documented_one() -> None:
    code = {(None if s is None else s.value, m.value) for s, m in jobs.TRANSITIONS}
    assert code == LEGAL
    assert {m.value for m in Move} == {m for _, m in LEGAL}


@pytest.mark.parametrize("status", [None, "pending", "running", "failed"])
@pytest.mark.parametrize("move", sorted({m for _, m in LEGAL}))
def test_a_move_outside_the_table_is_refused_and_named(status: str | None, move: str) -> None:
    job = None if status is None else _job(status=JobStatus(status), lease_until=NOW - MIN)
    if (status, move) in LEGAL:
        _move(move, job)  # due (run_at = now, lease expired): every legal move goes through
        return
    who = "no job" if status is None else f"a {status} job"
    with pytest.raises(IllegalMove, match=f"^{who} cannot take the move {move}$"):
        _move(move, job)


def test_asking_anew_makes_a_pending_job_of_the_request() -> None:
    job = jobs.ask(None, _request(), now=NOW, new_id="j9")
    assert job == Job(
        id="j9",
        tenant_id="acme",
        kind="sync",
        key="ev1",
        payload={"v": 2},
        status=P,
        run_at=NOW + 5 * MIN,
        attempts=0,
        waits=0,
        generation=0,
        last_error=None,
        lease_until=None,
        provider="teams",
        account="acc2",
        created_at=NOW,
    )


@pytest.mark.parametrize("status", [P, R])
@pytest.mark.parametrize("asked_at", [NOW - MIN, NOW + MIN])
def test_asking_again_merges_keeping_the_earlier_time(
    status: JobStatus, asked_at: datetime
) -> None:
    lease = NOW + MIN if status is R else None
    before = _job(status=status, lease_until=lease)
    after = jobs.ask(before, _request(run_at=asked_at), now=NOW + 2 * MIN, new_id="j9")
    assert after == _job(
        status=status,  # a running job stays running: its worker's finish sees generation 4
        lease_until=lease,
        payload={"v": 2},
        generation=4,
        run_at=min(NOW, asked_at),
        provider="teams",
        account="acc2",
    )


def test_asking_for_a_failed_job_starts_it_over_at_the_asked_time() -> None:
    before = _job(status=F, attempts=20, run_at=NOW - MIN)
    after = jobs.ask(before, _request(run_at=NOW + MIN), now=NOW, new_id="j9")
    assert after == _job(
        status=P,
        attempts=0,
        payload={"v": 2},
        generation=4,
        run_at=NOW + MIN,  # not the earlier failed time
        provider="teams",
        account="acc2",
    )


def test_due_means_pending_and_time_come_or_running_with_an_expired_lease() -> None:
    assert jobs.is_due(_job(run_at=NOW), NOW)
    assert not jobs.is_due(_job(run_at=NOW + timedelta(microseconds=1)), NOW)
    assert jobs.is_due(_job(status=R, lease_until=NOW, run_at=NOW + MIN), NOW)
    assert not jobs.is_due(_job(status=R, lease_until=NOW + timedelta(microseconds=1)), NOW)
    assert not jobs.is_due(_job(status=R, lease_until=None), NOW)
    assert not jobs.is_due(_job(status=F, run_at=NOW - MIN), NOW)


def test_a_claim_leases_a_due_job_and_refuses_one_not_due() -> None:
    claimed = jobs.claim(_job(), NOW, NOW + 5 * MIN)
    assert claimed == _job(status=R, lease_until=NOW + 5 * MIN)
    retaken = jobs.claim(_job(status=R, lease_until=NOW), NOW, NOW + 5 * MIN)
    assert retaken == claimed
    with pytest.raises(
        IllegalMove, match=r"^job sync/ev1 is not due at 2026-03-02T08:59:00\+00:00$"
    ):
        jobs.claim(_job(), NOW - MIN, NOW + 5 * MIN)
    with pytest.raises(IllegalMove, match=r"^job sync/ev1 is not due at "):
        jobs.claim(_job(status=R, lease_until=NOW + MIN), NOW, NOW + 5 * MIN)


def test_finishing_the_latest_generation_ends_the_job_an_older_one_runs_it_again() -> None:
    running = _job(status=R, lease_until=NOW + MIN)
    assert jobs.finish(running, 3) is None
    assert jobs.finish(_job(), 3) is None  # a worker whose lease ran out finished after all
    again = jobs.finish(running, 2)
    assert again == _job(status=P, lease_until=None, attempts=0)


def test_a_retry_backs_off_counts_the_attempt_and_keeps_the_error() -> None:
    running = _job(status=R, lease_until=NOW + MIN, attempts=2)
    after = jobs.retry(running, error="x" * 1500, now=NOW, policy=NO_JITTER)
    # the third failure: 30 s doubled twice
    assert after == _job(status=P, run_at=NOW + 2 * MIN, attempts=3, last_error="x" * 1000)
    at = jobs.retry(running, error="e", now=NOW, policy=NO_JITTER, retry_at=NOW + 7 * MIN)
    assert at == _job(status=P, run_at=NOW + 7 * MIN, attempts=3, last_error="e")


def test_a_retry_draws_its_jitter_from_the_given_random() -> None:
    policy = RetryPolicy(first=timedelta(seconds=30), jitter=0.5)
    running = _job(status=R, lease_until=NOW + MIN, attempts=2)
    after = jobs.retry(running, error="e", now=NOW, policy=policy, rng=random.Random(7))
    assert after.run_at == NOW + policy.delay(3, random.Random(7))
    assert after.run_at != NOW + 2 * MIN  # the seed's jitter moved it off the plain backoff


def test_a_retry_with_the_attempts_spent_fails_the_job() -> None:
    running = _job(status=R, lease_until=NOW + MIN, attempts=19)
    after = jobs.retry(running, error="y" * 1001, now=NOW, policy=NO_JITTER)
    assert after == _job(status=F, attempts=20, last_error="y" * 1000, lease_until=None)
    assert jobs.retry(attrs.evolve(running, attempts=18), error="e", now=NOW, policy=NO_JITTER) == (
        _job(status=P, attempts=19, last_error="e", run_at=NOW + 15 * MIN)  # capped
    )


def test_giving_up_fails_the_job_as_one_more_attempt() -> None:
    after = jobs.give_up(_job(status=R, lease_until=NOW + MIN), "z" * 1200)
    assert after == _job(status=F, attempts=3, last_error="z" * 1000, lease_until=None)


def test_a_wait_is_not_an_attempt() -> None:
    after = jobs.wait(_job(status=R, lease_until=NOW + MIN), error="w" * 1100, until=NOW + 9 * MIN)
    assert after == _job(status=P, run_at=NOW + 9 * MIN, waits=2, last_error="w" * 1000)


def test_a_parked_job_waits_with_its_reason() -> None:
    after = jobs.park(_job(status=R, lease_until=NOW + MIN), reason="relink", until=NOW + 9 * MIN)
    assert after == _job(status=P, run_at=NOW + 9 * MIN, waits=2, last_error="parked: relink")
    assert jobs.parked_reason(after) == "relink"
    assert jobs.parked_reason(_job(last_error="timeout (parked: no)")) is None
    assert jobs.parked_reason(_job(last_error=None)) is None
    assert jobs.parked_reason(_job(last_error="parked: ")) == ""


@pytest.mark.parametrize("status", [P, R])
def test_a_deferred_job_keeps_its_error_and_waits(status: JobStatus) -> None:
    after = jobs.defer(_job(status=status, lease_until=NOW - MIN), NOW + 4 * MIN)
    assert after == _job(status=P, run_at=NOW + 4 * MIN, last_error="earlier", lease_until=None)
    no_error = jobs.defer(_job(status=status, last_error=None), NOW + 4 * MIN)
    assert no_error.last_error is None


def test_waking_runs_a_job_now_never_later_than_it_was() -> None:
    assert jobs.wake(_job(run_at=NOW + 9 * MIN), NOW) == _job(run_at=NOW)
    assert jobs.wake(_job(run_at=NOW - MIN), NOW) == _job(run_at=NOW - MIN)
    # Woken, a parked job is no longer parked; a retry's error stays.
    parked = _job(run_at=NOW + 9 * MIN, last_error="parked: no link holds the account")
    assert jobs.wake(parked, NOW) == _job(run_at=NOW, last_error=None)
    assert jobs.parked_reason(jobs.wake(parked, NOW)) is None
    retrying = _job(run_at=NOW + 9 * MIN, last_error="ProviderUnavailable: 503")
    assert jobs.wake(retrying, NOW).last_error == "ProviderUnavailable: 503"


def test_an_account_wait_holds_until_its_time_and_hands_out_spaced_turns() -> None:
    held = jobs.hold(None, "zoom", "acc1", NOW + 5 * MIN)
    assert held == AccountWait(
        provider="zoom", account="acc1", until=NOW + 5 * MIN, next_slot=NOW + 5 * MIN
    )
    assert held.holds(NOW + 5 * MIN - timedelta(microseconds=1))
    assert not held.holds(NOW + 5 * MIN)
    assert jobs.hold(held, "zoom", "acc1", NOW + 5 * MIN) is held  # not later: kept
    assert jobs.hold(held, "zoom", "acc1", NOW + MIN) is held
    later = jobs.hold(held, "zoom", "acc1", NOW + 8 * MIN)
    assert later == AccountWait(
        provider="zoom", account="acc1", until=NOW + 8 * MIN, next_slot=NOW + 8 * MIN
    )
    turn, after = jobs.take_slot(held, timedelta(seconds=2))
    assert (turn, after.next_slot) == (NOW + 5 * MIN, NOW + 5 * MIN + timedelta(seconds=2))
    turn2, after2 = jobs.take_slot(after, timedelta(seconds=2))
    assert (turn2, after2.next_slot) == (after.next_slot, after.next_slot + timedelta(seconds=2))
    behind = attrs.evolve(held, next_slot=NOW)  # slots handed out before a later wait
    assert jobs.take_slot(behind, MIN)[0] == NOW + 5 * MIN
