"""R2 invitations: RRULE, EXDATE, RECURRENCE-ID (with TZID and VTIMEZONE) and all-day dates,
parsed back with ``icalendar`` and expanded with python-dateutil: the dates match the
occurrences meetlink computes, across daylight-saving changes."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import attrs
from dateutil.rrule import rrulestr
from hypothesis import given, settings
from hypothesis import strategies as st
from icalendar import Calendar
from mail_support import body, build_content, reparse

from meetlink import Event, MovedOccurrence, Span
from meetlink.adapters.mail import JinjaMailComposer
from meetlink.domain.notification import MailKind
from meetlink.domain.series import Series
from meetlink.ports.mailer import MailContent

BERLIN = ZoneInfo("Europe/Berlin")


def _ics(content: MailContent) -> bytes:
    message = reparse(JinjaMailComposer().compose(content))
    (part,) = [p for p in message.walk() if p.get_content_type() == "text/calendar"]
    raw = part.get_payload(decode=True)
    assert isinstance(raw, bytes)
    return raw


def _content(event: Event, **overrides: object) -> MailContent:
    fields: dict[str, object] = {
        "start": event.start,
        "end": event.end,
        "timezone": event.timezone,
        "recurrence": event.recurrence,
        "exdates": event.exdates,
        "moved": event.moved,
        "all_day": event.span is Span.ALL_DAY,
    }
    fields.update(overrides)
    return build_content(**fields)


def _expand(ics: bytes) -> list[datetime]:
    """The occurrence starts a calendar client derives from the invitation: RRULE from
    DTSTART, minus EXDATE, overrides (RECURRENCE-ID) moved to their DTSTART."""
    cal = Calendar.from_ical(ics)
    master, *overrides = cal.walk("VEVENT")
    start = master["DTSTART"].dt
    rule = rrulestr(master["RRULE"].to_ical().decode(), dtstart=start)
    skipped: set[datetime] = set()
    for exdate in (
        master.get("EXDATE", [])
        if isinstance(master.get("EXDATE"), list)
        else [master.get("EXDATE")]
    ):
        if exdate is not None:
            skipped |= {d.dt for d in exdate.dts}
    moved = {o["RECURRENCE-ID"].dt: o["DTSTART"].dt for o in overrides}
    ruled = list(rule)
    if not isinstance(start, datetime):  # all-day: dateutil counts in midnights
        ruled = [d.date() for d in ruled]
    found = [moved.get(d, d) for d in ruled if d not in skipped]
    return sorted(found, key=lambda d: d.astimezone(UTC) if isinstance(d, datetime) else d)


def _weekly_over_dst() -> Event:
    start = datetime(2027, 3, 8, 9, 30, tzinfo=BERLIN)  # DST starts 28 Mar 2027
    return Event(
        "s1",
        "t1",
        "alice",
        "Standup",
        start,
        start + timedelta(minutes=15),
        timezone="Europe/Berlin",
        recurrence="FREQ=WEEKLY;BYDAY=MO;COUNT=6",
        exdates=(start + timedelta(days=14),),
        moved=(
            MovedOccurrence(
                start + timedelta(days=21),
                start + timedelta(days=22),
                start + timedelta(days=22, minutes=15),
            ),
        ),
    )


def test_a_weekly_invitation_carries_rrule_exdate_and_an_override_in_local_time() -> None:
    event = _weekly_over_dst()
    ics = _ics(_content(event, sequence=3))
    text = ics.decode()
    assert "DTSTART;TZID=Europe/Berlin:20270308T093000" in text
    assert "RRULE:FREQ=WEEKLY;COUNT=6;BYDAY=MO" in text
    assert "EXDATE;TZID=Europe/Berlin:20270322T093000" in text
    assert "RECURRENCE-ID;TZID=Europe/Berlin:20270329T093000" in text
    assert "BEGIN:VTIMEZONE" in text and "TZID:Europe/Berlin" in text
    cal = Calendar.from_ical(ics)
    master, override = cal.walk("VEVENT")
    assert master["UID"] == override["UID"] and int(override["SEQUENCE"]) == 3
    expected = [o.start for o in Series.of_event(event).occurrences()]
    assert _expand(ics) == expected
    # Across the DST change the local time stays 09:30; the UTC time moves by an hour.
    assert {d.astimezone(BERLIN).strftime("%H:%M") for d in expected[:2] + expected[-1:]} == {
        "09:30"
    }
    assert expected[0].astimezone(UTC).hour == 8 and expected[-1].astimezone(UTC).hour == 7


def test_a_cancellation_cancels_the_whole_series() -> None:
    ics = _ics(_content(_weekly_over_dst(), kind=MailKind.CANCELLATION, sequence=4))
    cal = Calendar.from_ical(ics)
    (only,) = cal.walk("VEVENT")  # no override: the UID's cancellation covers every one
    assert str(cal["METHOD"]) == "CANCEL" and "RRULE" in only and "RECURRENCE-ID" not in only


def test_all_day_invitations_use_dates() -> None:
    day = datetime(2026, 12, 10, tzinfo=ZoneInfo("Asia/Tokyo"))
    event = Event(
        "d1",
        "t1",
        "alice",
        "Offsite",
        day,
        day + timedelta(days=2),
        span=Span.ALL_DAY,
        recurrence="FREQ=MONTHLY;UNTIL=20270310",
    )
    ics = _ics(_content(event))
    text = ics.decode()
    assert "DTSTART;VALUE=DATE:20261210" in text and "DTEND;VALUE=DATE:20261212" in text
    assert "RRULE:FREQ=MONTHLY;UNTIL=20270310" in text and "VTIMEZONE" not in text
    assert _expand(ics) == [
        date(2026, 12, 10),
        date(2027, 1, 10),
        date(2027, 2, 10),
        date(2027, 3, 10),
    ]
    assert len(list(Series.of_event(event).occurrences())) == 4


def test_mail_bodies_say_how_the_event_repeats() -> None:
    event = _weekly_over_dst()
    en = reparse(JinjaMailComposer().compose(_content(event, locale="en")))
    ja = reparse(JinjaMailComposer().compose(_content(event, locale="ja")))
    assert (
        "Repeats:  Every week on Mon; 6 times; not on Mon, 22 Mar 2027; "
        "Mon, 29 Mar 2027 moved to Tue, 30 Mar 2027 09:30" in body(en, "plain")
    )
    assert "繰り返し: 毎週 月曜日（6回）（2027年3月22日(月) は休み）" in body(ja, "plain")
    assert "Repeats" in body(en, "html")
    day = datetime(2026, 12, 10, tzinfo=ZoneInfo("Asia/Tokyo"))
    all_day = build_content(locale="en", start=day, end=day + timedelta(days=1), all_day=True)
    assert "Thu, 10 Dec 2026 (all day)" in body(
        reparse(JinjaMailComposer().compose(all_day)), "plain"
    )


ZONES = ["Europe/Berlin", "America/New_York", "Asia/Tokyo", "Australia/Sydney"]


@settings(max_examples=40)
@given(
    zone=st.sampled_from(ZONES),
    day=st.dates(min_value=date(2026, 1, 1), max_value=date(2027, 12, 31)),
    hour=st.integers(0, 23),
    rule=st.sampled_from(
        [
            "FREQ=DAILY;INTERVAL=3;COUNT=40",
            "FREQ=WEEKLY;COUNT=30",
            "FREQ=WEEKLY;INTERVAL=2;COUNT=20",
            "FREQ=MONTHLY;COUNT=14",
            "FREQ=WEEKLY;UNTIL=20281231T000000Z",
        ]
    ),
    skip=st.integers(1, 9),
)
def test_expanded_invitation_dates_match_meetlinks_occurrences(
    zone: str, day: date, hour: int, rule: str, skip: int
) -> None:
    start = datetime(day.year, day.month, day.day, hour, tzinfo=UTC).astimezone(ZoneInfo(zone))
    plain = Event(
        "p",
        "t1",
        "alice",
        "Series",
        start,
        start + timedelta(hours=1),
        timezone=zone,
        recurrence=rule,
    )
    ruled = Series.of_event(plain).ruled_starts()
    event = attrs.evolve(plain, exdates=(ruled[skip],))
    assert _expand(_ics(_content(event))) == [o.start for o in Series.of_event(event).occurrences()]
