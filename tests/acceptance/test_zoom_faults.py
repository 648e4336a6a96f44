"""Zoom's failure modes through the public test kit: rate limits, outages on every kind of
call, token expiry, and "Remove App" then relinking."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import attrs
import pytest

from meetlink import ConferenceStatus, Event, Notice, Participant
from meetlink.testing import Sandbox
from tests.conferences import status

T0 = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


def _event(sb: Sandbox, event_id: str = "e1", **changes: Any) -> Event:
    start = sb.clock.now() + timedelta(days=2)
    event = Event(
        event_id,
        "t1",
        "alice",
        "Weekly sync",
        start,
        start + timedelta(minutes=30),
        participants=(Participant("bob@example.com"),),
        web_meeting="zoom",
    )
    return attrs.evolve(event, **changes) if changes else event


@pytest.fixture
def sb() -> Iterator[Sandbox]:
    with Sandbox(now=T0, seed=5) as sandbox:
        sandbox.meetlink.contract("t1")
        sandbox.link_user("t1", "alice")
        yield sandbox


def test_429_retry_after_is_honoured(sb: Sandbox) -> None:
    sb.zoom.fail_next(1, status=429, retry_after=120, path="/v2/users/me/meetings")
    result = sb.meetlink.save_event(_event(sb))
    assert result.conference is not None and result.conference.status is ConferenceStatus.PENDING
    assert Notice.PROVIDER_PENDING in result.notices
    sb.clock.advance(timedelta(seconds=119))
    sb.meetlink.run_pending()
    assert status(sb.meetlink.conference("e1", tenant_id="t1")) is ConferenceStatus.PENDING
    sb.clock.advance(timedelta(seconds=1))
    sb.meetlink.run_pending()
    assert status(sb.meetlink.conference("e1", tenant_id="t1")) is ConferenceStatus.ISSUED
    assert len(sb.zoom.meetings()) == 1


def test_daily_meeting_cap_waits_for_the_next_utc_day(sb: Sandbox) -> None:
    for i in range(100):
        saved = sb.meetlink.save_event(_event(sb, f"e{i}"))
        assert status(saved.conference) is ConferenceStatus.ISSUED
    over = sb.meetlink.save_event(_event(sb, "e100"))
    assert status(over.conference) is ConferenceStatus.PENDING
    job = next(j for j in sb.meetlink.pending_jobs(limit=500) if j.kind == "sync")
    assert job.run_at >= datetime(2026, 12, 2, tzinfo=UTC)  # after 00:00 UTC, not hammering
    sb.meetlink.run_pending()
    assert status(sb.meetlink.conference("e100", tenant_id="t1")) is ConferenceStatus.PENDING
    sb.clock.set(job.run_at)
    sb.meetlink.run_pending()
    assert status(sb.meetlink.conference("e100", tenant_id="t1")) is ConferenceStatus.ISSUED
    assert len(sb.zoom.meetings()) == 101


def test_update_outage_is_retried_and_the_meeting_follows(sb: Sandbox) -> None:
    event = _event(sb)
    sb.meetlink.save_event(event)
    sb.zoom.fail_next(1, status=503, method="PATCH")
    later = event.start + timedelta(hours=1)
    sb.meetlink.save_event(attrs.evolve(event, start=later, end=later + timedelta(minutes=30)))
    sb.clock.advance(timedelta(minutes=2))
    sb.meetlink.run_pending()
    [meeting] = sb.zoom.meetings()
    assert meeting["start_time"] == later.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def test_delete_outage_leaves_no_orphan(sb: Sandbox) -> None:
    sb.meetlink.save_event(_event(sb))
    sb.zoom.fail_next(1, status=500, method="DELETE")
    assert sb.meetlink.delete_event("e1", tenant_id="t1")
    assert len(sb.zoom.meetings()) == 1  # not yet
    assert sb.meetlink.conference("e1", tenant_id="t1") is None
    sb.clock.advance(timedelta(minutes=2))
    sb.meetlink.run_pending()
    assert sb.zoom.meetings() == []


def test_lost_delete_response_counts_as_done(sb: Sandbox) -> None:
    sb.meetlink.save_event(_event(sb))
    sb.zoom.fail_next(1, status=0, method="DELETE")
    sb.meetlink.delete_event("e1", tenant_id="t1")
    assert sb.zoom.meetings() == []
    sb.clock.advance(timedelta(minutes=2))
    sb.meetlink.run_pending()  # the retry meets 404 / 3001: done
    assert [j for j in sb.meetlink.pending_jobs() if j.kind == "delete"] == []
    assert sb.meetlink.failed_jobs() == []


def test_expired_access_token_is_refreshed(sb: Sandbox) -> None:
    sb.meetlink.save_event(_event(sb))
    sb.clock.advance(timedelta(hours=3))
    result = sb.meetlink.save_event(_event(sb, "e2"))
    assert status(result.conference) is ConferenceStatus.ISSUED
    assert sb.meetlink.start_url("e1", "alice", tenant_id="t1").startswith("https://")


def test_remove_app_then_relink_reattaches_meetings(sb: Sandbox) -> None:
    sb.meetlink.save_event(_event(sb))
    user = next(u for u in sb.zoom.users() if u.email == "alice@example.com")
    headers, body = sb.zoom.remove_app(user)
    assert sb.meetlink.handle_webhook("zoom", headers, body).status == 200
    assert status(sb.meetlink.conference("e1", tenant_id="t1")) is ConferenceStatus.DETACHED
    sb.clock.advance(timedelta(minutes=1))
    request = sb.meetlink.begin_link("t1", "alice")
    params = sb.zoom.consent(request.authorize_url, user)
    sb.meetlink.complete_link(params["state"], code=params["code"], user_id="alice", tenant_id="t1")
    assert status(sb.meetlink.conference("e1", tenant_id="t1")) is ConferenceStatus.ISSUED
    assert sb.meetlink.handle_webhook("zoom", headers, body).status == 200  # replay
    assert sb.meetlink.link("alice", tenant_id="t1") is not None
    assert sb.meetlink.delete_event("e1", tenant_id="t1")
    assert sb.zoom.meetings() == []


def test_unlink_revokes_the_grant_at_zoom(sb: Sandbox) -> None:
    sb.meetlink.save_event(_event(sb))
    assert sb.meetlink.unlink("alice", tenant_id="t1")
    assert any(path == "/oauth/revoke" for _, path in sb.zoom.requests)
    result = sb.meetlink.save_event(_event(sb, "e2"))
    assert result.conference is None


def test_saving_after_remove_app_without_its_webhook_explains_the_broken_link(sb: Sandbox) -> None:
    from meetlink import Refusal

    user = next(u for u in sb.zoom.users() if u.email == "alice@example.com")
    sb.zoom.remove_app(user)  # the webhook never arrives: Zoom refuses the tokens
    sb.clock.advance(timedelta(hours=2))
    result = sb.meetlink.save_event(_event(sb))
    assert result.conference is None
    assert result.refusals == (Refusal.LINK_BROKEN,)
    assert sb.meetlink.link("alice", tenant_id="t1") is None
    assert sb.zoom.meetings() == []


def test_a_lost_update_answer_then_the_event_moved_back_leaves_the_meeting_at_the_event(
    sb: Sandbox,
) -> None:
    """The update to the new time reached Zoom but its answer was lost; before a retry could
    go, the link was lost (the conference DETACHED) and the event was moved back to the
    time the meeting said before. When the account is linked again the meeting must say the
    event's time: what the conference last synced is not what the meeting says (the chaos
    suite saw a meeting left an hour off)."""
    event = _event(sb)
    sb.meetlink.save_event(event)
    later = event.start + timedelta(hours=1)
    sb.zoom.fail_next(1, status=0, method="PATCH")  # applied, the answer lost
    sb.meetlink.save_event(attrs.evolve(event, start=later, end=later + timedelta(minutes=30)))
    [meeting] = sb.zoom.meetings()
    assert meeting["start_time"] == later.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    user = next(u for u in sb.zoom.users() if u.email == "alice@example.com")
    headers, body = sb.zoom.remove_app(user)
    assert sb.meetlink.handle_webhook("zoom", headers, body).status == 200
    assert status(sb.meetlink.conference("e1", tenant_id="t1")) is ConferenceStatus.DETACHED
    sb.meetlink.save_event(event)  # back to the first time
    request = sb.meetlink.begin_link("t1", "alice")
    params = sb.zoom.consent(request.authorize_url, user)
    sb.meetlink.complete_link(params["state"], code=params["code"], user_id="alice", tenant_id="t1")
    for _ in range(5):
        sb.clock.advance(timedelta(minutes=5))
        sb.meetlink.run_pending()
    [meeting] = sb.zoom.meetings()
    assert meeting["start_time"] == event.start.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
