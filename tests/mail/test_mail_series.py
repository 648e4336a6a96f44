"""R2 invitations: RRULE, EXDATE, RECURRENCE-ID (with TZID and VTIMEZONE) and all-day dates,
parsed back with ``icalendar`` and expanded as a client would: the dates match the
occurrences meetlink computes, across daylight-saving changes. meetlink's series and the
clients' expansion both use python-dateutil, so the expected dates come from elsewhere:
RFC 5545's own examples (``RFC_5545``) and, for the property, plain date arithmetic
(``_by_hand``)."""

from __future__ import annotations

import itertools
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import attrs
import pytest
from dateutil.rrule import rrulestr
from hypothesis import given, settings
from hypothesis import strategies as st
from icalendar import Calendar, vRecur

from meetlink import Event, MovedOccurrence, Span
from meetlink.adapters.mail import JinjaMailComposer
from meetlink.domain.notification import MailKind
from meetlink.domain.series import Series
from meetlink.ports.mailer import MailContent
from tests.ical import integer, moment
from tests.mail.mail_support import body, build_content, reparse

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
    start: date = master.decoded("DTSTART")  # a datetime, or a date all day
    rrule = master["RRULE"].to_ical()
    assert isinstance(rrule, bytes)
    rule = rrulestr(rrule.decode(), dtstart=start)
    skipped: set[datetime] = set()
    for exdate in (
        master.get("EXDATE", [])
        if isinstance(master.get("EXDATE"), list)
        else [master.get("EXDATE")]
    ):
        if exdate is not None:
            skipped |= {d.dt for d in exdate.dts}
    moved = {o.decoded("RECURRENCE-ID"): o.decoded("DTSTART") for o in overrides}
    starts = list(rule)
    # all-day: dateutil counts in midnights
    ruled: list[date] = list(starts) if isinstance(start, datetime) else [d.date() for d in starts]
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
    assert master["UID"] == override["UID"] and integer(override, "SEQUENCE") == 3
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
    by_hand = _by_hand(start, rule)
    event = attrs.evolve(plain, exdates=(by_hand[skip],))
    expected = [m.astimezone(UTC) for m in by_hand if m != by_hand[skip]]
    assert [o.start.astimezone(UTC) for o in Series.of_event(event).occurrences()] == expected
    assert [m.astimezone(UTC) for m in _expand(_ics(_content(event)))] == expected


def _by_hand(start: datetime, rule: str) -> list[datetime]:
    """The occurrences of the simple rules above without a recurrence engine: the start's
    local time on every INTERVAL-th day, week or month (a month without the day is skipped,
    RFC 5545 section 3.3.10), in its zone; a local time the clock skips is read with the
    offset before the gap (section 3.3.5: ``fold=0``)."""
    parts = dict(part.split("=") for part in rule.split(";"))
    step = int(parts.get("INTERVAL", "1"))
    count = int(parts["COUNT"]) if "COUNT" in parts else None
    until = (
        datetime.strptime(parts["UNTIL"], "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
        if "UNTIL" in parts
        else None
    )
    first, wall, zone = start.date(), start.time(), start.tzinfo
    found: list[datetime] = []
    for k in itertools.count():
        if parts["FREQ"] == "MONTHLY":
            years, month = divmod(first.month - 1 + step * k, 12)
            try:
                day = date(first.year + years, month + 1, first.day)
            except ValueError:
                continue  # no such day this month
        else:
            days = step * k * (7 if parts["FREQ"] == "WEEKLY" else 1)
            day = first + timedelta(days=days)
        moment = datetime.combine(day, wall, zone)
        if (until is not None and moment > until) or (count is not None and len(found) == count):
            return found
        found.append(moment)
    raise AssertionError("unreachable")


# -- RFC 5545's own examples (section 3.8.5.3) ---------------------------------------------
# DTSTART;TZID=America/New_York at 09:00, the RRULE (and EXDATE) as the RFC prints them, and
# the dates the RFC lists (all at 9:00 AM local, EDT or EST). Ranges ("September 2-30") are
# written as (first, last) and mean every day between. For rules without an end the first
# dates listed are compared.
NEW_YORK = ZoneInfo("America/New_York")
RFC_5545: list[tuple[str, str, str, bool, list[str | tuple[str, str]]]] = [
    ("daily for 10 occurrences", "1997-09-02", "FREQ=DAILY;COUNT=10", False,
     [("1997-09-02", "1997-09-11")]),
    ("daily until December 24, 1997", "1997-09-02", "FREQ=DAILY;UNTIL=19971224T000000Z", False,
     [("1997-09-02", "1997-12-23")]),
    ("every 10 days, 5 occurrences", "1997-09-02", "FREQ=DAILY;INTERVAL=10;COUNT=5", False,
     ["1997-09-02", "1997-09-12", "1997-09-22", "1997-10-02", "1997-10-12"]),
    ("weekly for 10 occurrences", "1997-09-02", "FREQ=WEEKLY;COUNT=10", False,
     ["1997-09-02", "1997-09-09", "1997-09-16", "1997-09-23", "1997-09-30", "1997-10-07",
      "1997-10-14", "1997-10-21", "1997-10-28", "1997-11-04"]),
    ("every other week on Monday, Wednesday, and Friday until December 24, 1997",
     "1997-09-01", "FREQ=WEEKLY;INTERVAL=2;UNTIL=19971224T000000Z;WKST=SU;BYDAY=MO,WE,FR",
     False,
     ["1997-09-01", "1997-09-03", "1997-09-05", "1997-09-15", "1997-09-17", "1997-09-19",
      "1997-09-29", "1997-10-01", "1997-10-03", "1997-10-13", "1997-10-15", "1997-10-17",
      "1997-10-27", "1997-10-29", "1997-10-31", "1997-11-10", "1997-11-12", "1997-11-14",
      "1997-11-24", "1997-11-26", "1997-11-28", "1997-12-08", "1997-12-10", "1997-12-12",
      "1997-12-22"]),
    ("weekly on Tuesday and Thursday for five weeks", "1997-09-02",
     "FREQ=WEEKLY;COUNT=10;WKST=SU;BYDAY=TU,TH", False,
     ["1997-09-02", "1997-09-04", "1997-09-09", "1997-09-11", "1997-09-16", "1997-09-18",
      "1997-09-23", "1997-09-25", "1997-09-30", "1997-10-02"]),
    ("monthly on the first Friday for 10 occurrences", "1997-09-05",
     "FREQ=MONTHLY;COUNT=10;BYDAY=1FR", False,
     ["1997-09-05", "1997-10-03", "1997-11-07", "1997-12-05", "1998-01-02", "1998-02-06",
      "1998-03-06", "1998-04-03", "1998-05-01", "1998-06-05"]),
    ("every other month on the first and last Sunday for 10 occurrences", "1997-09-07",
     "FREQ=MONTHLY;INTERVAL=2;COUNT=10;BYDAY=1SU,-1SU", False,
     ["1997-09-07", "1997-09-28", "1997-11-02", "1997-11-30", "1998-01-04", "1998-01-25",
      "1998-03-01", "1998-03-29", "1998-05-03", "1998-05-31"]),
    ("monthly on the second-to-last Monday for 6 months", "1997-09-22",
     "FREQ=MONTHLY;COUNT=6;BYDAY=-2MO", False,
     ["1997-09-22", "1997-10-20", "1997-11-17", "1997-12-22", "1998-01-19", "1998-02-16"]),
    ("monthly on the 2nd and 15th for 10 occurrences", "1997-09-02",
     "FREQ=MONTHLY;COUNT=10;BYMONTHDAY=2,15", False,
     ["1997-09-02", "1997-09-15", "1997-10-02", "1997-10-15", "1997-11-02", "1997-11-15",
      "1997-12-02", "1997-12-15", "1998-01-02", "1998-01-15"]),
    ("every Friday the 13th (DTSTART excluded)", "1997-09-02",
     "FREQ=MONTHLY;BYDAY=FR;BYMONTHDAY=13", True,
     ["1998-02-13", "1998-03-13", "1998-11-13", "1999-08-13", "2000-10-13"]),
    ("the 3rd of Tuesday, Wednesday or Thursday, for the next 3 months", "1997-09-04",
     "FREQ=MONTHLY;COUNT=3;BYDAY=TU,WE,TH;BYSETPOS=3", False,
     ["1997-09-04", "1997-10-07", "1997-11-06"]),
    ("WKST=MO", "1997-08-05", "FREQ=WEEKLY;INTERVAL=2;COUNT=4;BYDAY=TU,SU;WKST=MO", False,
     ["1997-08-05", "1997-08-10", "1997-08-19", "1997-08-24"]),
    ("WKST=SU", "1997-08-05", "FREQ=WEEKLY;INTERVAL=2;COUNT=4;BYDAY=TU,SU;WKST=SU", False,
     ["1997-08-05", "1997-08-17", "1997-08-19", "1997-08-31"]),
]  # fmt: skip


def _listed(dates: list[str | tuple[str, str]]) -> list[datetime]:
    """The RFC's listing as 09:00 New York times."""
    days: list[date] = []
    for item in dates:
        if isinstance(item, tuple):
            first, last = date.fromisoformat(item[0]), date.fromisoformat(item[1])
            days += [first + timedelta(days=n) for n in range((last - first).days + 1)]
        else:
            days.append(date.fromisoformat(item))
    return [datetime(d.year, d.month, d.day, 9, 0, tzinfo=NEW_YORK) for d in days]


@pytest.mark.parametrize(("what", "day", "rule", "exclude_start", "dates"), RFC_5545,
                         ids=[row[0] for row in RFC_5545])  # fmt: skip
def test_rfc_5545_examples(
    what: str, day: str, rule: str, exclude_start: bool, dates: list[str | tuple[str, str]]
) -> None:
    start = datetime.combine(date.fromisoformat(day), time(9, 0), NEW_YORK)
    event = Event(
        "rfc",
        "t1",
        "alice",
        what,
        start,
        start + timedelta(hours=1),
        timezone="America/New_York",
        recurrence=rule,
        exdates=(start,) if exclude_start else (),
    )
    expected = [d.astimezone(UTC) for d in _listed(dates)]
    ours = itertools.islice(Series.of_event(event).occurrences(), len(expected))
    assert [o.start.astimezone(UTC) for o in ours] == expected
    # The invitation says the same, read with icalendar: DTSTART in New York time, the RFC's
    # rule, the excluded start.
    master = Calendar.from_ical(_ics(_content(event))).walk("VEVENT")[0]
    assert moment(master, "DTSTART") == start
    assert master["DTSTART"].params["TZID"] == "America/New_York"
    assert master["RRULE"] == vRecur.from_ical(rule)
    exdates = master.get("EXDATE")
    assert ([] if exdates is None else [d.dt for d in exdates.dts]) == list(event.exdates)
