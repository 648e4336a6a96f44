"""Drift repair against the emulators: a meeting deleted on the provider's own site is made
anew before the event starts and participants get the new URL; a meeting moved there is put
back to the event's time. Zoom tells by webhook; Teams tells nothing, so the meeting check
finds it."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from typing import Any

import pytest

from meetlink import ConferenceStatus, Event, HostEventKind, Participant
from meetlink.app.drift import moved_away
from meetlink.domain.conference import terms_for
from meetlink.testing import Sandbox

T0 = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
START = T0 + timedelta(hours=6)
K = HostEventKind


def _event(owner: str, provider: str, start: datetime = START, event_id: str = "e1") -> Event:
    return Event(
        id=event_id,
        tenant_id="t1",
        owner_id=owner,
        title="Kick-off",
        start=start,
        end=start + timedelta(hours=1),
        participants=(Participant(email="bob@example.com"),),
        web_meeting=provider,
    )


def _body(mail: EmailMessage) -> str:
    parts = [p.get_payload(decode=True) for p in mail.walk() if not p.is_multipart()]
    return "".join(p.decode("utf-8", "replace") for p in parts if isinstance(p, bytes)).replace(
        "\r\n ", ""
    )


@pytest.fixture
def zoom() -> Iterator[Sandbox]:
    with Sandbox(now=T0, seed=5) as sb:
        sb.meetlink.contract("t1")
        sb.link_user("t1", "alice")
        sb.meetlink.save_event(_event("alice", "zoom"))
        sb.meetlink.run_pending()  # the invitation
        yield sb


def _kinds(sb: Sandbox, after: str | None = None) -> list[HostEventKind]:
    return [e.kind for e in sb.meetlink.events(tenant_id="t1", after=after)]


def test_zoom_meeting_deleted_on_the_site_is_made_anew_and_participants_told(
    zoom: Sandbox,
) -> None:
    sb = zoom
    before = sb.meetlink.conference("e1", tenant_id="t1")
    assert before is not None and before.meeting_id is not None and before.join_url
    seen = sb.meetlink.events(tenant_id="t1")[-1].id
    mailed = len(sb.outbox)
    headers, body = sb.zoom.delete_meeting_on_site(before.meeting_id)
    assert sb.zoom.meetings() == []
    assert sb.meetlink.handle_webhook("zoom", headers, body).status == 200
    assert sb.meetlink.handle_webhook("zoom", headers, body).status == 200  # a replay
    sb.meetlink.run_pending()
    after = sb.meetlink.conference("e1", tenant_id="t1")
    assert after is not None and after.status is ConferenceStatus.ISSUED
    assert after.join_url and after.join_url != before.join_url
    [meeting] = sb.zoom.meetings()
    assert str(meeting["id"]) == after.meeting_id and meeting["join_url"] == after.join_url
    told = sb.outbox[mailed:]
    assert [m["To"].addresses[0].addr_spec for m in told] == ["bob@example.com"]
    assert after.join_url in _body(told[0]) and before.join_url not in _body(told[0])
    assert _kinds(sb, seen) == [K.MEETING_REPAIRED, K.CONFERENCE_ISSUED]  # replay: no more
    repaired = sb.meetlink.events(tenant_id="t1", after=seen)[0]
    assert (repaired.event_id, repaired.user_id, repaired.at) == ("e1", "alice", sb.clock.now())
    assert repaired.detail == (
        "the meeting was deleted at zoom; a new one is being made and participants get its URL"
    )


def test_zoom_meeting_moved_on_the_site_is_put_back(zoom: Sandbox) -> None:
    sb = zoom
    conf = sb.meetlink.conference("e1", tenant_id="t1")
    assert conf is not None and conf.meeting_id is not None
    seen = sb.meetlink.events(tenant_id="t1")[-1].id
    headers, body = sb.zoom.change_meeting_on_site(
        conf.meeting_id, start=START + timedelta(hours=3), duration=15
    )
    assert sb.meetlink.handle_webhook("zoom", headers, body).status == 200
    sb.meetlink.run_pending()  # the check reads the meeting; then the sync job puts it back
    sb.meetlink.run_pending()
    [meeting] = sb.zoom.meetings()
    assert meeting["start_time"] == START.strftime("%Y-%m-%dT%H:%M:%SZ")
    assert meeting["duration"] == 60
    again = sb.meetlink.conference("e1", tenant_id="t1")
    assert again is not None and again.join_url == conf.join_url  # the same meeting
    assert _kinds(sb, seen) == [K.MEETING_REPAIRED]


def test_zoom_telling_of_meetlinks_own_change_is_no_drift(zoom: Sandbox) -> None:
    sb = zoom
    conf = sb.meetlink.conference("e1", tenant_id="t1")
    assert conf is not None and conf.meeting_id is not None
    later = START + timedelta(hours=1)
    sb.meetlink.save_event(_event("alice", "zoom", later))  # meetlink moves the meeting
    seen = sb.meetlink.events(tenant_id="t1")[-1].id
    [meeting] = sb.zoom.meetings()
    for start in (later, START):  # this change, and the one before (a late delivery)
        headers, body = sb.zoom.webhook(
            "meeting.updated",
            {
                "account_id": "acc",
                "operator_id": meeting["host_id"],
                "object": {"id": meeting["id"], "start_time": start.strftime("%Y-%m-%dT%H:%M:%SZ")},
            },
        )
        assert sb.meetlink.handle_webhook("zoom", headers, body).status == 200
    sb.meetlink.run_pending()  # the late one asked for a look: the meeting is where it should be
    sb.meetlink.run_pending()
    assert _kinds(sb, seen) == []
    assert sb.zoom.meetings()[0]["start_time"] == later.strftime("%Y-%m-%dT%H:%M:%SZ")
    other, body = sb.zoom.webhook(
        "meeting.deleted", {"object": {"id": 12345, "host_id": meeting["host_id"]}}
    )
    assert sb.meetlink.handle_webhook("zoom", other, body).status == 200  # not ours
    assert _kinds(sb, seen) == [] and len(sb.zoom.meetings()) == 1


def _link(sb: Sandbox, emulator: Any, user_id: str, email: str, provider: str) -> None:
    """A user of ``emulator`` (Teams or Google Meet) linked to t1's ``user_id``."""
    user = emulator.add_user(email)
    request = sb.meetlink.begin_link("t1", user_id, provider=provider)
    params = emulator.consent(request.authorize_url, user)
    sb.meetlink.complete_link(params["state"], code=params["code"], user_id=user_id,
                              tenant_id="t1")  # fmt: skip


@pytest.fixture
def teams() -> Iterator[Sandbox]:
    with Sandbox(now=T0, seed=5, with_teams=True) as sb:
        assert sb.teams is not None
        sb.meetlink.contract("t1")
        _link(sb, sb.teams, "carol", "carol@contoso.example", "teams")
        sb.meetlink.save_event(_event("carol", "teams"))
        sb.meetlink.run_pending()  # the invitation, and the first meeting check
        yield sb


def test_teams_meeting_deleted_is_found_by_the_check_and_made_anew(teams: Sandbox) -> None:
    sb = teams
    assert sb.teams is not None
    before = sb.meetlink.conference("e1", tenant_id="t1")
    assert before is not None and before.meeting_id is not None
    seen = sb.meetlink.events(tenant_id="t1")[-1].id
    mailed = len(sb.outbox)
    sb.teams.delete_meeting_on_site(before.meeting_id)
    sb.clock.advance(timedelta(hours=1))  # the next check is due; the event starts in 5 h
    sb.meetlink.run_pending()
    sb.meetlink.run_pending()
    after = sb.meetlink.conference("e1", tenant_id="t1")
    assert after is not None and after.status is ConferenceStatus.ISSUED
    assert after.meeting_id != before.meeting_id and after.join_url != before.join_url
    assert [m["id"] for m in sb.teams.meetings()] == [after.meeting_id]
    told = sb.outbox[mailed:]
    assert [m["To"].addresses[0].addr_spec for m in told] == ["bob@example.com"]
    assert after.join_url is not None and after.join_url in _body(told[0])
    assert _kinds(sb, seen) == [K.MEETING_REPAIRED, K.CONFERENCE_ISSUED]


def test_teams_meeting_moved_is_put_back_by_the_check(teams: Sandbox) -> None:
    sb = teams
    assert sb.teams is not None
    conf = sb.meetlink.conference("e1", tenant_id="t1")
    assert conf is not None and conf.meeting_id is not None
    seen = sb.meetlink.events(tenant_id="t1")[-1].id
    moved = START + timedelta(hours=2)
    sb.teams.change_meeting_on_site(conf.meeting_id, start=moved, end=moved + timedelta(hours=1))
    assert sb.meetlink.check_meetings() == 1  # at once, without waiting for the hour
    sb.meetlink.run_pending()
    sb.meetlink.run_pending()
    [meeting] = sb.teams.meetings()
    assert meeting["startDateTime"].startswith(START.strftime("%Y-%m-%dT%H:%M:%S"))
    assert _kinds(sb, seen) == [K.MEETING_REPAIRED]


def test_the_check_looks_only_within_its_window(teams: Sandbox) -> None:
    sb = teams
    assert sb.teams is not None
    sb.meetlink.save_event(_event("carol", "teams", T0 + timedelta(days=3), "far"))
    assert sb.meetlink.check_meetings() == 1  # e1 (in 6 hours), not the event in 3 days
    # The check is the meeting's account's work: its rate budget and waits apply to it.
    conf = sb.meetlink.conference("e1", tenant_id="t1")
    assert conf is not None
    [check] = [job for job in sb.meetlink.pending_jobs() if job.kind == "check"]
    assert (check.key, check.provider, check.account) == ("e1", "teams", conf.external_account_id)
    assert sb.meetlink.check_meetings() == 0  # its check is still waiting to run
    sb.meetlink.run_pending()
    assert len(sb.teams.meetings()) == 2  # both meetings are where they were


def test_google_meet_spaces_are_never_checked() -> None:
    """A Meet space has no time and cannot be deleted at Google: the check reads none of them
    (no GET of a space, no Meet quota spent), while a Teams meeting beside it is checked."""
    with Sandbox(now=T0, seed=6, with_teams=True, with_meet=True) as sb:
        assert sb.teams is not None and sb.meet is not None
        sb.meetlink.contract("t1")
        _link(sb, sb.teams, "carol", "carol@contoso.example", "teams")
        _link(sb, sb.meet, "dora", "dora@example.org", "google_meet")
        sb.meetlink.save_event(_event("dora", "google_meet", event_id="meet"))
        sb.meetlink.save_event(_event("carol", "teams", event_id="teams"))
        space = sb.meetlink.conference("meet", tenant_id="t1")
        assert space is not None and space.status is ConferenceStatus.ISSUED
        sb.meetlink.run_pending()
        seen = len(sb.meet.requests)
        assert sb.meetlink.check_meetings() == 1  # the Teams meeting only
        sb.clock.advance(timedelta(hours=1))
        sb.meetlink.run_pending()
        sb.meetlink.run_pending()
        assert [r for r in sb.meet.requests[seen:] if r[1].startswith("/v2/spaces")] == []
        assert sb.meetlink.conference("meet", tenant_id="t1") == space


def test_a_meeting_that_reports_no_time_is_never_moved_away() -> None:
    """What a Meet space reads as (no start, no length) is no "moved" drift."""
    terms = terms_for(_event("dora", "google_meet"))
    assert not moved_away(terms, terms, None, None)
    assert moved_away(terms, terms, START + timedelta(hours=1), None)  # a time that differs
