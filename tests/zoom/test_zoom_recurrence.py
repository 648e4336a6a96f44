"""R2: an event's RRULE <-> Zoom's ``recurrence`` (type 8), or type 3 with a notice.

Property: every rule Zoom can express round-trips into Zoom's fields and back (read as Zoom
reads them) to the same occurrence instants, and the body passes Zoom's OpenAPI schema; every
rule it cannot express becomes a type 3 meeting (no fixed time) with
``Notice.RECURRENCE_NOT_EXPRESSIBLE``. The round trip expands with python-dateutil on both
sides, so it is also held to a table written from Zoom's documentation
(``ZOOM_TABLE``: the fields Zoom asks for and the dates they give, worked out by hand).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from meetlink import Event, Notice
from meetlink.adapters.zoom import ZOOM_CAPABILITIES, sansio
from meetlink.adapters.zoom.recurrence import rule_of
from meetlink.app.policies import recurrence_expressible
from meetlink.domain.conference import terms_for
from meetlink.domain.issuance import IssuancePolicy, ProviderTraits, decide
from meetlink.domain.series import Series
from meetlink.ports.provider import MeetingRequest

from .schemas import check

ZONES = ["Asia/Tokyo", "Europe/Berlin", "America/New_York", "Australia/Lord_Howe", "UTC"]
DAYS = ["MO", "TU", "WE", "TH", "FR", "SA", "SU"]
MAX_INTERVAL = {"DAILY": 90, "WEEKLY": 12, "MONTHLY": 3}


@st.composite
def starts(draw: st.DrawFn) -> tuple[datetime, str]:
    """A real local start (drawn as an instant, so never inside a DST gap) and its zone."""
    zone = draw(st.sampled_from(ZONES))
    instant = draw(
        st.datetimes(
            min_value=datetime(2026, 1, 1), max_value=datetime(2028, 12, 31), timezones=st.just(UTC)
        )
    ).replace(second=0, microsecond=0)
    return instant.astimezone(ZoneInfo(zone)), zone


def _event(start: datetime, zone: str, rule: str) -> Event:
    return Event(
        "e1",
        "t1",
        "alice",
        "Series",
        start,
        start + timedelta(minutes=45),
        timezone=zone,
        recurrence=rule,
        web_meeting="zoom",
    )


def _body(event: Event) -> dict[str, object]:
    return sansio.meeting_body(MeetingRequest(terms=terms_for(event), marker="mk"))


def _ordinal(start: datetime) -> int:
    """Which weekday of its month ``start`` is (1..5)."""
    return (start.day - 1) // 7 + 1


@st.composite
def expressible(draw: st.DrawFn) -> Event:
    """A rule inside Zoom's limits (FACTS.md §3.2), synchronised with its start."""
    start, zone = draw(starts())
    freq = draw(st.sampled_from(sorted(MAX_INTERVAL)))
    interval = draw(st.integers(1, MAX_INTERVAL[freq]))
    parts = [f"FREQ={freq}"]
    if interval > 1 or draw(st.booleans()):
        parts.append(f"INTERVAL={interval}")
    weekday = DAYS[start.weekday()]
    if freq == "WEEKLY" and draw(st.booleans()):
        # Zoom's weeks start on Sunday: several days with an interval group the same way
        # when they all fall on Monday..Saturday (RFC's default WKST=MO), or WKST=SU.
        sunday_weeks = draw(st.booleans())
        pool = DAYS if sunday_weeks or interval == 1 else DAYS[:6]
        if weekday in pool:
            others = draw(st.lists(st.sampled_from(pool), max_size=4))
            # The start must be the first occurrence: no chosen day before it in its week.
            parts.append("BYDAY=" + ",".join(sorted({weekday, *others}, key=DAYS.index)))
            if sunday_weeks:
                parts.append("WKST=SU")
    if freq == "MONTHLY":
        style = draw(st.sampled_from(["none", "monthday", "weekday", "last"]))
        last_week = (start + timedelta(days=7)).month != start.month
        if style == "monthday" or (style == "none" and start.day > 28):
            if start.day > 28:
                start = start.replace(day=28)
            parts.append(f"BYMONTHDAY={start.day}")
        elif style == "weekday" and _ordinal(start) <= 4:
            parts.append(f"BYDAY={_ordinal(start)}{weekday}")
        elif style == "last" and last_week:
            parts.append(f"BYDAY=-1{weekday}")
        elif start.day > 28:
            start = start.replace(day=28)
    if draw(st.booleans()):
        parts.append(f"COUNT={draw(st.integers(1, 60))}")
    else:
        event = _event(start, zone, ";".join(parts) + ";COUNT=60")
        ruled = Series.of_event(event).ruled_starts()
        last = ruled[draw(st.integers(0, len(ruled) - 1))]
        # UNTIL anywhere between that occurrence and the next one.
        until = last.astimezone(UTC) + timedelta(minutes=draw(st.integers(0, 60 * 20)))
        parts.append(f"UNTIL={until:%Y%m%dT%H%M%SZ}")
    event = _event(start, zone, ";".join(parts))
    if Series.of_event(event).count() is None or not Series.of_event(event).synchronised():
        # The clamp to day 28 moved the start: build a start the rule gives.
        first = Series.of_event(_event(start, zone, parts[0] + ";COUNT=1")).ruled_starts()[0]
        event = _event(first, zone, ";".join(parts))
    return event


@settings(max_examples=150)
@given(expressible())
def test_every_expressible_rule_round_trips_through_zoom_fields(event: Event) -> None:
    series = Series.of_event(event)
    if not series.synchronised() or (series.count() or 61) > 60:
        return  # the generator's rare repair case: not a rule of the expressible class
    body = _body(event)
    assert body["type"] == 8, event.recurrence
    check("meeting_create_request", body)
    recurrence = body["recurrence"]
    assert isinstance(recurrence, dict)
    start = datetime.fromisoformat(str(body["start_time"]).replace("Z", "+00:00"))
    zoom = [o.astimezone(UTC) for o in rule_of(recurrence, start, str(body["timezone"]))]
    ours = [o.astimezone(UTC) for o in series.ruled_starts()]
    assert zoom == ours, (event.recurrence, recurrence)
    assert recurrence_expressible(event, ZOOM_CAPABILITIES)


# -- Zoom's fields by hand ----------------------------------------------------------------
# Each row: a start, its zone, an RRULE; the ``recurrence`` object Zoom's documentation asks
# for (meeting create, ``recurrence``: type 1 daily, 2 weekly, 3 monthly; ``weekly_days`` and
# ``monthly_week_day`` count Sunday as 1; ``monthly_week`` -1 is the last week; ``end_times``
# or ``end_date_time`` in UTC), and the occurrences Zoom then holds, in UTC, worked out on a
# calendar (not by meetlink or dateutil). A shared misreading of the fields by the adapter and
# the emulator (which reads them with ``rule_of``) fails here.
TOKYO, BERLIN_, NEW_YORK = "Asia/Tokyo", "Europe/Berlin", "America/New_York"
ZOOM_TABLE: list[tuple[datetime, str, str, dict[str, object], list[str]]] = [
    (  # Mon 1 Mar 2027, 09:00 JST = 00:00Z; every 2 days, 3 times
        datetime(2027, 3, 1, 9, 0), TOKYO, "FREQ=DAILY;INTERVAL=2;COUNT=3",
        {"type": 1, "repeat_interval": 2, "end_times": 3},
        ["2027-03-01T00:00", "2027-03-03T00:00", "2027-03-05T00:00"],
    ),
    (  # Tue 2 Mar 2027, 10:00 JST; Tuesdays and Thursdays (3 and 5), 4 times
        datetime(2027, 3, 2, 10, 0), TOKYO, "FREQ=WEEKLY;BYDAY=TU,TH;COUNT=4",
        {"type": 2, "repeat_interval": 1, "weekly_days": "3,5", "end_times": 4},
        ["2027-03-02T01:00", "2027-03-04T01:00", "2027-03-09T01:00", "2027-03-11T01:00"],
    ),
    (  # Sun 7 Mar 2027, 09:00 JST; every other week on its weekday, Sunday = 1
        datetime(2027, 3, 7, 9, 0), TOKYO, "FREQ=WEEKLY;INTERVAL=2;COUNT=3",
        {"type": 2, "repeat_interval": 2, "weekly_days": "1", "end_times": 3},
        ["2027-03-07T00:00", "2027-03-21T00:00", "2027-04-04T00:00"],
    ),
    (  # the 15th, 09:00 in Berlin: CET (UTC+1) until 28 Mar 2027, then CEST (UTC+2)
        datetime(2027, 1, 15, 9, 0), BERLIN_, "FREQ=MONTHLY;BYMONTHDAY=15;COUNT=4",
        {"type": 3, "repeat_interval": 1, "monthly_day": 15, "end_times": 4},
        ["2027-01-15T08:00", "2027-02-15T08:00", "2027-03-15T08:00", "2027-04-15T07:00"],
    ),
    (  # second Tuesday, 18:00 in New York (EST, UTC-5; DST from 14 Mar 2027); Tuesday = 3
        datetime(2027, 1, 12, 18, 0), NEW_YORK, "FREQ=MONTHLY;BYDAY=2TU;COUNT=3",
        {"type": 3, "repeat_interval": 1, "monthly_week": 2, "monthly_week_day": 3,
         "end_times": 3},
        ["2027-01-12T23:00", "2027-02-09T23:00", "2027-03-09T23:00"],
    ),
    (  # last Friday (6) every 3 months, 09:00 JST, until its third occurrence
        datetime(2027, 1, 29, 9, 0), TOKYO,
        "FREQ=MONTHLY;INTERVAL=3;BYDAY=-1FR;UNTIL=20270730T000000Z",
        {"type": 3, "repeat_interval": 3, "monthly_week": -1, "monthly_week_day": 6,
         "end_date_time": "2027-07-30T00:00:00Z"},
        ["2027-01-29T00:00", "2027-04-30T00:00", "2027-07-30T00:00"],
    ),
    (  # daily at 09:00 in Berlin across the change to summer time (28 Mar 2027)
        datetime(2027, 3, 27, 9, 0), BERLIN_, "FREQ=DAILY;UNTIL=20270329T235959Z",
        {"type": 1, "repeat_interval": 1, "end_date_time": "2027-03-29T07:00:00Z"},
        ["2027-03-27T08:00", "2027-03-28T07:00", "2027-03-29T07:00"],
    ),
]  # fmt: skip


@pytest.mark.parametrize(("local", "zone", "rule", "fields", "utc"), ZOOM_TABLE)
def test_zoom_fields_and_occurrences_match_zooms_documentation(
    local: datetime, zone: str, rule: str, fields: dict[str, object], utc: list[str]
) -> None:
    start = local.replace(tzinfo=ZoneInfo(zone))
    expected = [datetime.fromisoformat(u).replace(tzinfo=UTC) for u in utc]
    body = _body(_event(start, zone, rule))
    assert body["type"] == 8
    assert body["recurrence"] == fields  # what the adapter sends
    assert body["start_time"] == f"{expected[0]:%Y-%m-%dT%H:%M:%SZ}"
    assert body["timezone"] == zone
    check("meeting_create_request", body)
    # What the emulator (and so every sandbox test) reads from those fields.
    assert [o.astimezone(UTC) for o in rule_of(fields, expected[0], zone)] == expected
    # What meetlink itself says the series holds.
    ours = Series.of_event(_event(start, zone, rule)).ruled_starts()
    assert [o.astimezone(UTC) for o in ours] == expected


def _utc(moment: datetime) -> datetime:
    return moment.astimezone(UTC)


# Each makes a rule (from the local start) that Zoom cannot express.
BREAKERS: dict[str, Callable[[datetime], str]] = {
    "open-ended": lambda s: "FREQ=WEEKLY",
    "yearly": lambda s: "FREQ=YEARLY;COUNT=3",
    "hourly": lambda s: "FREQ=HOURLY;COUNT=3",
    "daily interval 91": lambda s: "FREQ=DAILY;INTERVAL=91;COUNT=2",
    "weekly interval 13": lambda s: "FREQ=WEEKLY;INTERVAL=13;COUNT=2",
    "monthly interval 4": lambda s: "FREQ=MONTHLY;INTERVAL=4;COUNT=2",
    "count 61": lambda s: "FREQ=DAILY;COUNT=61",
    "until after 61": lambda s: f"FREQ=DAILY;UNTIL={_utc(s + timedelta(days=61)):%Y%m%dT%H%M%SZ}",
    "bysetpos": lambda s: f"FREQ=MONTHLY;BYDAY={DAYS[s.weekday()]};BYSETPOS=1;COUNT=3",
    "bymonth": lambda s: f"FREQ=WEEKLY;BYMONTH={s.month};COUNT=3",
    "daily byday": lambda s: f"FREQ=DAILY;BYDAY={DAYS[s.weekday()]};COUNT=3",
    "monthly every weekday": lambda s: f"FREQ=MONTHLY;BYDAY={DAYS[s.weekday()]};COUNT=3",
    "monthly two days": lambda s: f"FREQ=MONTHLY;BYMONTHDAY={s.day},{s.day % 28 + 1};COUNT=3",
    "not synchronised": lambda s: f"FREQ=WEEKLY;BYDAY={DAYS[(s.weekday() + 1) % 7]};COUNT=3",
    "sunday and monday every 2 weeks": lambda s: "FREQ=WEEKLY;INTERVAL=2;BYDAY=SU,MO;COUNT=4",
}


@settings(max_examples=120)
@given(starts(), st.sampled_from(sorted(BREAKERS)))
def test_every_inexpressible_rule_becomes_type_3_with_a_notice(
    start_zone: tuple[datetime, str], breaker: str
) -> None:
    start, zone = start_zone
    if breaker == "sunday and monday every 2 weeks" and start.weekday() != 6:
        start += timedelta(days=6 - start.weekday())  # start on a Sunday: synchronised
    event = _event(start, zone, BREAKERS[breaker](start))
    body = _body(event)
    assert body["type"] == 3, breaker
    assert "recurrence" not in body and "start_time" not in body  # no fixed time
    check("meeting_create_request", body)
    caps = ZOOM_CAPABILITIES
    decision = decide(
        event,
        addon_active=True,
        linked=True,
        provider_known=True,
        traits=ProviderTraits(recurrence_expressible=recurrence_expressible(event, caps)),
        policy=IssuancePolicy.roadmap(),
    )
    assert decision.issue and decision.notices == (Notice.RECURRENCE_NOT_EXPRESSIBLE,)


def test_month_days_29_to_31_fall_back_because_zoom_does_not_say_what_short_months_do() -> None:
    start = datetime(2026, 1, 31, 10, 0, tzinfo=ZoneInfo("Asia/Tokyo"))
    assert _body(_event(start, "Asia/Tokyo", "FREQ=MONTHLY;COUNT=6"))["type"] == 3
    assert _body(_event(start.replace(day=28), "Asia/Tokyo", "FREQ=MONTHLY;COUNT=6"))["type"] == 8


def test_a_weekly_series_maps_to_zoom_fields_as_the_spec_writes_them() -> None:
    start = datetime(2026, 12, 7, 10, 0, tzinfo=ZoneInfo("Asia/Tokyo"))  # a Monday
    body = _body(_event(start, "Asia/Tokyo", "FREQ=WEEKLY;BYDAY=MO,WE;COUNT=10"))
    assert body["start_time"] == "2026-12-07T01:00:00Z" and body["timezone"] == "Asia/Tokyo"
    assert body["recurrence"] == {
        "type": 2,
        "repeat_interval": 1,
        "weekly_days": "2,4",  # Sunday = 1
        "end_times": 10,
    }
    until = _body(_event(start, "Asia/Tokyo", "FREQ=MONTHLY;BYDAY=1MO;UNTIL=20270301"))
    assert until["recurrence"] == {
        "type": 3,
        "repeat_interval": 1,
        "monthly_week": 1,
        "monthly_week_day": 2,
        "end_date_time": "2027-03-01T01:00:00Z",  # the last occurrence's own start
    }
