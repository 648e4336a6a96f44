"""R2 and R3 end to end in the Sandbox, on Zoom and Teams: a tenant opts in with its own
policy and gets one working URL for a weekly meeting, an all-day event and a poll-confirmed
event, with correct invitations; tenants that did not opt in keep S17/S18."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from typing import Any
from zoneinfo import ZoneInfo

import attrs
import pytest
from icalendar import Calendar

from meetlink import (
    ConferenceStatus,
    Event,
    InvalidInput,
    IssuancePolicy,
    MovedOccurrence,
    Notice,
    Participant,
    Refusal,
    Source,
    Span,
)
from meetlink.testing import Sandbox
from tests.ical import calendar_of, integer
from tests.mailtext import plain
from tests.zoom.schemas import check

T0 = datetime(2026, 11, 30, 0, 0, tzinfo=UTC)
TOKYO = ZoneInfo("Asia/Tokyo")
MONDAY = datetime(2026, 12, 7, 10, 0, tzinfo=TOKYO)
WEEK = timedelta(days=7)
PEOPLE = (
    Participant("bob@example.com", "Bob", "en"),
    Participant("hanako@example.com", "花子", "ja"),
)


def _event(event_id: str, owner: str = "alice", **fields: Any) -> Event:
    base = Event(
        event_id,
        "t1",
        owner,
        "Weekly sync",
        MONDAY,
        MONDAY + timedelta(minutes=30),
        participants=PEOPLE,
        web_meeting="zoom",
    )
    return attrs.evolve(base, **fields)


def _opted_in(sb: Sandbox) -> None:
    sb.meetlink.contract("t1")
    sb.meetlink.set_policy("t1", IssuancePolicy.roadmap())
    sb.link_user("t1", "alice")


def _calendars(sb: Sandbox, to: str) -> list[Calendar]:
    found = []
    for message in sb.outbox:
        if message["To"].addresses[0].addr_spec != to:
            continue
        for part in message.walk():
            if part.get_content_type() == "text/calendar":
                found.append(calendar_of(part))
    return found


def test_policy_is_stored_per_tenant_and_none_returns_to_the_setting(sandbox: Sandbox) -> None:
    ml = sandbox.meetlink
    assert ml.policy("t1") == IssuancePolicy.seed()
    ml.set_policy("t1", IssuancePolicy.roadmap())
    assert ml.policy("t1") == IssuancePolicy.roadmap()
    assert ml.policy("t2") == IssuancePolicy.seed()
    ml.set_policy("t1", None)
    assert ml.policy("t1") == IssuancePolicy.seed()
    with pytest.raises(InvalidInput):
        ml.set_policy("t1", "roadmap")  # type: ignore[arg-type]


def test_the_setting_is_the_default_and_a_tenant_policy_wins() -> None:
    with Sandbox(now=T0, policy=IssuancePolicy.roadmap()) as sb:
        assert sb.meetlink.policy("t1") == IssuancePolicy.roadmap()
        sb.meetlink.set_policy("t2", IssuancePolicy.seed())
        assert sb.meetlink.policy("t2") == IssuancePolicy.seed()


def test_seed_policy_still_refuses_s17_s18_for_tenants_that_did_not_opt_in() -> None:
    with Sandbox(now=T0) as sb:
        _opted_in(sb)
        sb.meetlink.contract("t2")
        sb.link_user("t2", "dave")
        cases: dict[str, tuple[dict[str, Any], Refusal]] = {
            "recurring": ({"recurrence": "FREQ=WEEKLY;COUNT=4"}, Refusal.RECURRING),
            "all-day": (
                {"span": Span.ALL_DAY, "end": MONDAY + timedelta(days=1)},
                Refusal.ALL_DAY,
            ),
            "period": ({"span": Span.PERIOD, "end": MONDAY + timedelta(days=3)}, Refusal.PERIOD),
            "poll": ({"source": Source.SCHEDULING_POLL}, Refusal.SOURCE_NOT_ALLOWED),
        }
        for name, (fields, refusal) in cases.items():
            other = _event(f"t2-{name}", "dave", tenant_id="t2", **fields)
            result = sb.meetlink.save_event(other)
            assert result.refusals == (refusal,) and result.conference is None, name
            assert not sb.meetlink.web_meeting_available("t2", "dave", event=other)
            mine = _event(f"t1-{name}", **fields)
            assert sb.meetlink.web_meeting_available("t1", "alice", event=mine)
            assert sb.meetlink.save_event(mine).conference is not None, name
        # The roadmap never issues for imports or workflows (S18 stays).
        for source in (Source.IMPORT, Source.WORKFLOW):
            result = sb.meetlink.save_event(_event(f"t1-{source.value}", source=source))
            assert result.refusals == (Refusal.SOURCE_NOT_ALLOWED,)
        assert sb.meetlink.web_meeting_available("t2", "dave")  # the section itself shows


def test_weekly_meeting_on_zoom_is_one_type_8_meeting_following_the_series() -> None:
    with Sandbox(now=T0, seed=3) as sb:
        _opted_in(sb)
        result = sb.meetlink.save_event(_event("w1", recurrence="FREQ=WEEKLY;BYDAY=MO;COUNT=10"))
        conf = result.conference
        assert conf is not None and conf.status is ConferenceStatus.ISSUED
        assert result.notices == ()
        (meeting,) = sb.zoom.meetings()  # never one meeting per occurrence
        check("meeting_get_response", meeting)
        assert meeting["type"] == 8 and meeting["timezone"] == "Asia/Tokyo"
        assert meeting["recurrence"] == {
            "type": 2,
            "repeat_interval": 1,
            "weekly_days": "2",
            "end_times": 10,
        }
        starts = [o["start_time"] for o in meeting["occurrences"]]
        assert starts == [
            f"{(MONDAY + n * WEEK).astimezone(UTC):%Y-%m-%dT%H:%M:%SZ}" for n in range(10)
        ]

        # Editing the series updates that meeting: same id, same URL, new recurrence.
        edited = _event(
            "w1", title="Weekly sync (Mon+Wed)", recurrence="FREQ=WEEKLY;BYDAY=MO,WE;COUNT=8"
        )
        again = sb.meetlink.save_event(edited).conference
        assert again is not None and again.join_url == conf.join_url
        (meeting,) = sb.zoom.meetings()
        assert meeting["id"] == int(conf.meeting_id or 0) and meeting["topic"] == edited.title
        assert meeting["recurrence"]["weekly_days"] == "2,4" and len(meeting["occurrences"]) == 8

        # A skipped and a moved occurrence become Zoom occurrence changes.
        second, third = MONDAY + timedelta(days=2), MONDAY + WEEK
        moved = MovedOccurrence(
            third, third + timedelta(hours=3), third + timedelta(hours=3, minutes=30)
        )
        sb.meetlink.save_event(attrs.evolve(edited, exdates=(second,), moved=(moved,)))
        (meeting,) = sb.zoom.meetings()
        check("meeting_get_response", meeting)
        by_id = {o["occurrence_id"]: o for o in meeting["occurrences"]}
        assert str(int(second.timestamp()) * 1000) not in by_id
        shifted = by_id[str(int(third.timestamp()) * 1000)]
        assert shifted["start_time"] == f"{moved.start.astimezone(UTC):%Y-%m-%dT%H:%M:%SZ}"
        assert len(by_id) == 7

        sb.meetlink.run_pending()
        sequences = [
            integer(c.walk("VEVENT")[0], "SEQUENCE") for c in _calendars(sb, "bob@example.com")
        ]
        assert sequences == [0, 1, 2]  # invitation, then one update per series change

        assert sb.meetlink.delete_event("w1", tenant_id="t1")
        assert sb.zoom.meetings() == []


def test_an_open_ended_weekly_meeting_on_zoom_is_type_3_with_a_notice() -> None:
    with Sandbox(now=T0) as sb:
        _opted_in(sb)
        result = sb.meetlink.save_event(_event("w2", recurrence="FREQ=WEEKLY;BYDAY=MO"))
        assert result.conference is not None and result.conference.join_url
        assert result.notices == (Notice.RECURRENCE_NOT_EXPRESSIBLE,)
        (meeting,) = sb.zoom.meetings()
        check("meeting_get_response", meeting)
        assert meeting["type"] == 3 and "start_time" not in meeting
        assert "occurrences" not in meeting


def test_all_day_and_period_events_get_one_zoom_meeting_covering_the_span() -> None:
    with Sandbox(now=T0) as sb:
        _opted_in(sb)
        day = datetime(2026, 12, 10, tzinfo=TOKYO)
        all_day = _event("d1", span=Span.ALL_DAY, start=day, end=day + timedelta(days=1))
        period = _event("p1", span=Span.PERIOD, start=day, end=day + timedelta(days=3, hours=18))
        for event in (all_day, period):
            assert sb.meetlink.save_event(event).conference is not None
        found = sorted(sb.zoom.meetings(), key=lambda m: m["duration"])
        # Type 2 (scheduled): the dates stay visible in Zoom, and its URL opens at any time
        # of the span; type 3 would drop the dates, type 8 would make one occurrence per day.
        assert [(m["type"], m["start_time"], m["duration"]) for m in found] == [
            (2, "2026-12-09T15:00:00Z", 24 * 60),
            (2, "2026-12-09T15:00:00Z", (3 * 24 + 18) * 60),
        ]
        sb.meetlink.run_pending()
        day_form, timed = (c.walk("VEVENT")[0] for c in _calendars(sb, "bob@example.com"))
        assert day_form["DTSTART"].to_ical() == b"20261210"  # DTSTART;VALUE=DATE
        assert day_form["DTEND"].to_ical() == b"20261211"  # the day after, exclusive
        assert timed["DTSTART"].to_ical() == b"20261209T150000Z"  # a period keeps its times
        assert timed["DTEND"].to_ical() == b"20261213T090000Z"


def test_a_poll_confirmed_event_issues_and_mails_every_participant() -> None:
    with Sandbox(now=T0) as sb:
        _opted_in(sb)
        people = (*PEOPLE, Participant("carol@example.com", "Carol", "en"))
        poll = _event("poll1", source=Source.SCHEDULING_POLL, participants=people)
        result = sb.meetlink.save_event(poll)
        conf = result.conference
        assert conf is not None and conf.status is ConferenceStatus.ISSUED and not result.refusals
        assert conf.join_url is not None
        sb.meetlink.run_pending()
        for person in people:
            mails = [m for m in sb.outbox if m["To"].addresses[0].addr_spec == person.email]
            assert len(mails) == 1
            assert conf.join_url in plain(mails[0])


def _link_teams(sb: Sandbox, user: str) -> None:
    assert sb.teams is not None
    account = sb.teams.add_user(f"{user}@contoso.example")
    request = sb.meetlink.begin_link("t1", user, provider="teams")
    params = sb.teams.consent(request.authorize_url, account)
    sb.meetlink.complete_link(params["state"], code=params["code"], user_id=user, tenant_id="t1")


def test_teams_gets_one_online_meeting_for_the_series() -> None:
    with Sandbox(now=T0, with_teams=True) as sb:
        assert sb.teams is not None
        _opted_in(sb)
        _link_teams(sb, "carol")
        weekly = _event("tw1", "carol", web_meeting="teams", recurrence="FREQ=WEEKLY;COUNT=4")
        result = sb.meetlink.save_event(weekly)
        conf = result.conference
        assert conf is not None and conf.status is ConferenceStatus.ISSUED
        assert result.notices == ()
        (meeting,) = sb.teams.meetings()
        last_end = MONDAY + 3 * WEEK + timedelta(minutes=30)
        assert meeting["startDateTime"].startswith(f"{MONDAY.astimezone(UTC):%Y-%m-%dT%H:%M:%S}")
        assert meeting["endDateTime"].startswith(f"{last_end.astimezone(UTC):%Y-%m-%dT%H:%M:%S}")

        longer = sb.meetlink.save_event(attrs.evolve(weekly, recurrence="FREQ=WEEKLY;COUNT=6"))
        assert longer.conference is not None and longer.conference.join_url == conf.join_url
        (meeting,) = sb.teams.meetings()
        assert meeting["id"] == conf.meeting_id
        assert meeting["endDateTime"].startswith(
            f"{(last_end + 2 * WEEK).astimezone(UTC):%Y-%m-%d}"
        )

        all_day = datetime(2026, 12, 10, tzinfo=TOKYO)
        day = _event(
            "td1",
            "carol",
            web_meeting="teams",
            span=Span.ALL_DAY,
            start=all_day,
            end=all_day + timedelta(days=1),
        )
        assert sb.meetlink.save_event(day).conference is not None
        assert len(sb.teams.meetings()) == 2

        assert sb.meetlink.delete_event("tw1", tenant_id="t1") and sb.meetlink.delete_event(
            "td1", tenant_id="t1"
        )
        assert sb.teams.meetings() == []


def _has_calendar(message: EmailMessage) -> bool:
    return any(part.get_content_type() == "text/calendar" for part in message.walk())


def test_on_teams_a_weekly_meeting_is_invited_and_reminded_and_a_poll_issues() -> None:
    """R2/R3 on Teams as on Zoom: the series' invitation carries the RRULE and the one join
    URL, every occurrence is reminded once per participant, a poll-confirmed event issues and
    mails every participant."""
    with Sandbox(now=T0, with_teams=True) as sb:
        assert sb.teams is not None
        _opted_in(sb)
        _link_teams(sb, "carol")
        weekly = _event("tw2", "carol", web_meeting="teams", recurrence="FREQ=WEEKLY;COUNT=3")
        conf = sb.meetlink.save_event(weekly).conference
        assert conf is not None and conf.status is ConferenceStatus.ISSUED and conf.join_url
        sb.meetlink.run_pending()
        for person in PEOPLE:
            (calendar,) = _calendars(sb, person.email)
            (vevent,) = calendar.walk("VEVENT")
            assert vevent["RRULE"].to_ical() == b"FREQ=WEEKLY;COUNT=3"
            assert str(vevent["CONFERENCE"]) == conf.join_url

        reminded: dict[str, int] = {p.email: 0 for p in PEOPLE}
        for n in range(3):
            sb.clock.set((MONDAY + n * WEEK).astimezone(UTC) - timedelta(minutes=5))
            assert sb.meetlink.send_due_reminders() == len(PEOPLE)
            sb.meetlink.run_pending()
            reminders = [m for m in sb.outbox if not _has_calendar(m)]  # S14: no iCalendar
            assert len(reminders) == len(PEOPLE) * (n + 1)  # once per participant and occurrence
        for message in reminders:
            assert conf.join_url in plain(message)
            reminded[message["To"].addresses[0].addr_spec] += 1
        assert reminded == {p.email: 3 for p in PEOPLE}
        assert len(sb.teams.meetings()) == 1

        sb.clock.set(T0)
        poll = _event("tp1", "carol", web_meeting="teams", source=Source.SCHEDULING_POLL)
        result = sb.meetlink.save_event(poll)
        assert result.conference is not None and not result.refusals
        assert result.conference.status is ConferenceStatus.ISSUED
        join_url = result.conference.join_url
        assert join_url is not None
        sb.meetlink.run_pending()
        for person in PEOPLE:
            mails = [m for m in sb.outbox if m["To"].addresses[0].addr_spec == person.email]
            assert any(join_url in plain(m) for m in mails)
        assert len(sb.teams.meetings()) == 2
