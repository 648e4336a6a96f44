"""R2: an event's RRULE <-> Zoom's ``recurrence`` (type 8), or type 3 with a notice.

Property: every rule Zoom can express round-trips into Zoom's fields and back (read as Zoom
reads them) to the same occurrence instants, and the body passes Zoom's OpenAPI schema; every
rule it cannot express becomes a type 3 meeting (no fixed time) with
``Notice.RECURRENCE_NOT_EXPRESSIBLE``. Expansion is python-dateutil's on both sides.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

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


def _utc(moment: datetime) -> datetime:
    return moment.astimezone(UTC)


# Each makes a rule (from the local start) that Zoom cannot express.
BREAKERS = {
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
