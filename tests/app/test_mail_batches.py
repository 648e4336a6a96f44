"""A mailing's mail jobs are claimed in batches and finished together (issue 25): each mail
still goes exactly once when nothing fails, a failure stays the failing mail's own, a batch
that runs past half its lease gives the rest back instead of sending them on an expired lease,
and a worker that dies mid-batch loses no finish of what it sent (at least once)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from email.message import EmailMessage
from typing import Any

import pytest

from meetlink import Participant
from meetlink.app.runner import BATCH
from meetlink.domain.records import JobStatus
from meetlink.errors import MailDeliveryFailed

from .conftest import World, make_world

N = 2 * BATCH + 5  # the first mail alone, two full batches, a partial one


class _Mailer:
    """Records (recipient, time) of each delivery; ``on_send`` may act before recording."""

    def __init__(self, world: World) -> None:
        self.world = world
        self.sent: list[tuple[str, datetime]] = []
        self.on_send: Callable[[str, int], object] = lambda to, count: None

    def send(self, message: EmailMessage) -> None:
        to = message["To"].addresses[0].addr_spec
        self.on_send(to, len(self.sent))
        self.sent.append((to, self.world.clock.now()))


def _mailing(**settings: Any) -> tuple[World, _Mailer, list[str]]:
    world = make_world(**settings)
    mailer = _Mailer(world)
    world.mailer.send = mailer.send  # type: ignore[method-assign]  # every delivery here
    world.meetlink.start_trial("t1")
    world.link("alice", world.zoom.add_account("alice@corp.example"))
    people = [f"p{i}@example.com" for i in range(N)]
    world.meetlink.save_event(world.event(participants=tuple(Participant(p) for p in people)))
    return world, mailer, people


def _left(world: World) -> list[tuple[str, JobStatus, int]]:
    jobs = world.meetlink.pending_jobs(limit=1000) + world.meetlink.failed_jobs(limit=1000)
    return sorted((job.payload["to_email"], job.status, job.attempts) for job in jobs)


def test_each_mail_of_a_mailing_goes_once() -> None:
    world, mailer, people = _mailing()
    assert world.meetlink.run_pending() == N
    assert sorted(to for to, _ in mailer.sent) == sorted(people)
    assert _left(world) == []


def test_a_failing_mail_in_a_batch_is_its_own() -> None:
    world, mailer, people = _mailing()

    def fail(to: str, count: int) -> None:
        if to == people[BATCH + 3]:
            raise MailDeliveryFailed("mailbox unavailable", permanent=True)
        if to == people[BATCH + 4]:
            raise MailDeliveryFailed("try again", permanent=False)

    mailer.on_send = fail
    assert world.meetlink.run_pending() == N - 2
    assert _left(world) == sorted(
        [(people[BATCH + 3], JobStatus.FAILED, 1), (people[BATCH + 4], JobStatus.PENDING, 1)]
    )


def test_a_batch_past_half_its_lease_gives_the_rest_back() -> None:
    world, mailer, people = _mailing()
    lease = world.meetlink.settings.job_lease
    slow = BATCH // 2  # a mail in the first full batch takes longer than half the lease
    starts_with: list[timedelta] = []

    def stall(to: str, count: int) -> None:
        (job,) = [j for j in world.meetlink.pending_jobs(limit=1000) if j.payload["to_email"] == to]
        assert job.status is JobStatus.RUNNING and job.lease_until is not None
        starts_with.append(job.lease_until - world.clock.now())
        if count == slow:
            world.clock.advance(lease / 2 + timedelta(seconds=1))

    mailer.on_send = stall
    assert world.meetlink.run_pending() == N  # the rest given back, claimed again, sent
    assert sorted(to for to, _ in mailer.sent) == sorted(people)  # each once
    # No mail started on a lease less than half left: the stalled batch's rest was given
    # back (due at once, not an attempt) and claimed again.
    assert min(starts_with) > lease / 2
    assert _left(world) == []


def test_a_worker_dying_mid_batch_keeps_what_it_finished() -> None:
    world, mailer, people = _mailing()
    dies = BATCH // 2

    def die(to: str, count: int) -> None:
        if count == dies:
            raise KeyboardInterrupt  # not an error a job records: the worker stops

    mailer.on_send = die
    with pytest.raises(KeyboardInterrupt):
        world.meetlink.run_pending()
    sent = [to for to, _ in mailer.sent]
    assert len(sent) == dies
    mailer.on_send = lambda to, count: None
    # The mails sent before it are finished; the rest of its batch waits out its lease.
    assert world.meetlink.run_pending() == N - BATCH - 1
    world.clock.advance(world.meetlink.settings.job_lease + timedelta(seconds=1))
    assert world.meetlink.run_pending() == BATCH + 1 - dies
    assert sorted(to for to, _ in mailer.sent) == sorted(people)  # each once after all
    assert _left(world) == []
