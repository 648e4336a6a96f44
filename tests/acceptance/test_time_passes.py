"""Retries that run long after the meeting's time (issue: time passes between a lost answer
and the retry). Zoom's ``upcoming`` listing leaves out meetings whose time has passed, so a
lost create must be looked for in a listing that includes them (``scheduled``)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from meetlink import ConferenceStatus, Event, Participant
from meetlink.testing import Sandbox

T0 = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
CREATE = "/v2/users/me/meetings"


@pytest.fixture
def sb() -> Iterator[Sandbox]:
    with Sandbox(now=T0, seed=8) as sandbox:
        sandbox.meetlink.contract("t1")
        sandbox.link_user("t1", "alice")
        yield sandbox


def _soon(sb: Sandbox) -> Event:
    start = sb.clock.now() + timedelta(minutes=15)
    return Event(
        "e1",
        "t1",
        "alice",
        "Stand-up",
        start,
        start + timedelta(minutes=15),
        participants=(Participant("bob@example.com"),),
        web_meeting="zoom",
    )


def test_lost_create_retried_after_the_meeting_ended_is_adopted_not_duplicated(
    sb: Sandbox,
) -> None:
    sb.zoom.fail_next(status=0, method="POST", path=CREATE)  # applied, answer lost
    sb.meetlink.save_event(_soon(sb))
    assert len(sb.zoom.meetings()) == 1
    sb.clock.advance(timedelta(hours=1))  # the meeting's time is over when the retry runs
    sb.meetlink.run_pending()
    [meeting] = sb.zoom.meetings()
    conf = sb.meetlink.conference("e1", tenant_id="t1")
    assert conf is not None and conf.status is ConferenceStatus.ISSUED
    assert conf.meeting_id == str(meeting["id"])


def test_delete_after_a_lost_create_runs_after_the_meeting_ended_and_leaves_no_orphan(
    sb: Sandbox,
) -> None:
    sb.zoom.fail_next(status=0, method="POST", path=CREATE)
    sb.meetlink.save_event(_soon(sb))
    sb.zoom.fail_next(40, status=503)  # Zoom is down while the event is deleted
    sb.meetlink.delete_event("e1", tenant_id="t1")
    sb.clock.advance(timedelta(minutes=1))
    sb.meetlink.run_pending()
    assert len(sb.zoom.meetings()) == 1  # not deleted yet: Zoom is down
    sb.zoom.clear_faults()
    sb.clock.advance(timedelta(hours=2))  # the meeting's time has passed
    sb.meetlink.run_pending()
    assert sb.zoom.meetings() == []
    sb.clock.advance(timedelta(minutes=5))  # the look again by the marker
    sb.meetlink.run_pending()
    assert sb.meetlink.pending_jobs() == []
    assert sb.meetlink.failed_jobs() == []
