"""Zoom's less common answers through the public test kit: an event deleted while its
meeting is running, unlinking (the access token revoked, and a revoke Zoom did not accept),
and the account passcode policy on an issued meeting."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from meetlink import ConferenceStatus, Event, Participant
from meetlink.testing import Sandbox
from tests.mailtext import plain

T0 = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


def _event(sb: Sandbox, event_id: str = "e1", minutes: int = 60) -> Event:
    start = sb.clock.now() + timedelta(hours=1)
    return Event(
        event_id,
        "t1",
        "alice",
        "Weekly sync",
        start,
        start + timedelta(minutes=minutes),
        participants=(Participant("bob@example.com"),),
        web_meeting="zoom",
    )


@pytest.fixture
def sb() -> Iterator[Sandbox]:
    with Sandbox(now=T0, seed=5) as sandbox:
        sandbox.meetlink.contract("t1")
        yield sandbox


def test_event_deleted_during_its_meeting_is_deleted_after_it_ends(sb: Sandbox) -> None:
    sb.link_user("t1", "alice")
    conference = sb.meetlink.save_event(_event(sb)).conference
    assert conference is not None and conference.status is ConferenceStatus.ISSUED
    assert conference.meeting_id is not None
    sb.clock.advance(timedelta(hours=1, minutes=5))  # the meeting has begun
    sb.zoom.start_meeting(conference.meeting_id)
    assert sb.meetlink.delete_event("e1", tenant_id="t1")
    sb.meetlink.run_pending()
    assert len(sb.zoom.meetings()) == 1  # Zoom said 3002: in progress
    assert sb.meetlink.failed_jobs() == []  # a wait, not a failure
    subjects = [m["Subject"] for m in sb.outbox]
    assert len(subjects) == 2  # the invitation, and the cancellation at once
    sb.clock.advance(timedelta(minutes=30))
    sb.meetlink.run_pending()
    assert len(sb.zoom.meetings()) == 1  # not asked again before its scheduled end
    sb.zoom.end_meeting(conference.meeting_id)
    sb.clock.advance(timedelta(minutes=30))
    sb.meetlink.run_pending()
    assert sb.zoom.meetings() == [] and sb.meetlink.failed_jobs() == []


def test_unlink_revokes_the_access_token(sb: Sandbox, caplog: pytest.LogCaptureFixture) -> None:
    sb.link_user("t1", "alice")
    sb.clock.advance(timedelta(hours=3))  # the stored access token has expired
    with caplog.at_level(logging.WARNING, logger="meetlink.linking"):
        assert sb.meetlink.unlink("alice", tenant_id="t1")
    # A live access token is revoked (refreshed first); Zoom confirmed, so nothing is logged.
    assert sb.zoom.requests[-2:] == [("POST", "/oauth/token"), ("POST", "/oauth/revoke")]
    assert caplog.text == "" and sb.meetlink.link("alice", tenant_id="t1") is None


def test_revoke_zoom_did_not_accept_is_logged(
    sb: Sandbox, caplog: pytest.LogCaptureFixture
) -> None:
    _, user = sb.link_user("t1", "alice")
    sb.zoom.remove_app(user)  # Zoom forgot the tokens; its webhook never reached the host
    sb.clock.advance(timedelta(minutes=5))
    with caplog.at_level(logging.WARNING, logger="meetlink.linking"):
        assert sb.meetlink.unlink("alice", tenant_id="t1")
    assert "may still be authorised" in caplog.text
    assert sb.meetlink.link("alice", tenant_id="t1") is None


def test_passcode_follows_the_account_policy(sb: Sandbox) -> None:
    user = sb.zoom.add_user("alice@example.com")
    sb.zoom.set_passcode_policy(user.account_id, length=8, only_allow_numeric=True)
    request = sb.meetlink.begin_link("t1", "alice")
    params = sb.zoom.consent(request.authorize_url, user)
    sb.meetlink.complete_link(params["state"], code=params["code"], user_id="alice", tenant_id="t1")
    conference = sb.meetlink.save_event(_event(sb)).conference
    assert conference is not None and conference.status is ConferenceStatus.ISSUED
    assert conference.passcode is not None and conference.passcode.isdigit()
    sb.meetlink.run_pending()
    [invitation] = sb.outbox
    assert conference.passcode in plain(invitation)
