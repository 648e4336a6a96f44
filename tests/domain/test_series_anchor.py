"""A long series is expanded from the last whole period before the window asked about
(`Series.anchor_before`), so the step budget covers the window, not the series' age.

Before: an hourly series stopped giving occurrences (and its participants reminders) about
200 days after its first start, a nine-times-a-day series after about six years, a daily one
after about 27 years: the expansion from the first start spent the whole budget on the past.
The property: from any moment, the anchored expansion gives exactly the starts the full
expansion from the first start gives (computed with a budget large enough never to cut)."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from meetlink import Event, IssuancePolicy, Participant
from meetlink.domain.expansion import expand
from meetlink.domain.series import Series, rule_parts
from meetlink.errors import InvalidEvent
from meetlink.testing import Sandbox
from tests.mailtext import plain

ZONES = ("UTC", "Asia/Tokyo", "America/New_York", "Europe/Berlin", "Australia/Lord_Howe")
DAYS = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")


@st.composite
def rules(draw: st.DrawFn) -> str:
    freq = draw(st.sampled_from(("YEARLY", "MONTHLY", "WEEKLY", "DAILY", "HOURLY")))
    parts = [f"FREQ={freq}", f"INTERVAL={draw(st.integers(1, 4))}"]
    if draw(st.booleans()):
        days = draw(st.lists(st.sampled_from(DAYS), min_size=1, max_size=3, unique=True))
        if freq in ("MONTHLY", "YEARLY") and draw(st.booleans()):
            days = [f"{draw(st.sampled_from((1, 2, -1)))}{d}" for d in days]
        parts.append("BYDAY=" + ",".join(days))
        if freq == "MONTHLY" and draw(st.booleans()):
            parts.append(f"BYSETPOS={draw(st.sampled_from((1, -1)))}")
    elif freq in ("MONTHLY", "YEARLY") and draw(st.booleans()):
        parts.append(f"BYMONTHDAY={draw(st.sampled_from((1, 15, 29, 30, 31, -1)))}")
    if freq == "YEARLY" and draw(st.booleans()):
        parts.append(f"BYMONTH={draw(st.integers(1, 12))}")
    if freq in ("DAILY", "HOURLY") and draw(st.booleans()):
        hours = draw(st.lists(st.integers(0, 23), min_size=1, max_size=4, unique=True))
        parts.append("BYHOUR=" + ",".join(map(str, sorted(hours))))
    if freq == "WEEKLY" and draw(st.booleans()):
        parts.append(f"WKST={draw(st.sampled_from(DAYS))}")
    return ";".join(parts)


def _event(start: datetime, zone: str, rule: str) -> Event:
    return Event(
        id="s1",
        tenant_id="t1",
        owner_id="alice",
        title="Series",
        start=start,
        end=start + timedelta(minutes=45),
        timezone=zone,
        recurrence=rule,
        participants=(Participant(email="bob@example.com", locale="en"),),
        web_meeting="zoom",
    )


@settings(max_examples=200)
@given(
    rule=rules(),
    zone=st.sampled_from(ZONES),
    first=st.datetimes(datetime(2001, 1, 1), datetime(2030, 12, 31)),
    age=st.integers(0, 1500),
    until=st.none() | st.integers(1, 2000),
)
def test_from_any_moment_the_anchored_expansion_gives_the_full_expansions_starts(
    rule: str, zone: str, first: datetime, age: int, until: int | None
) -> None:
    start = first.replace(second=0, microsecond=0, tzinfo=ZoneInfo(zone))
    if until is not None:
        end = (start + timedelta(days=until)).astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")
        rule += f";UNTIL={end}"
    try:
        series = Series.of_event(_event(start, zone, rule))
    except InvalidEvent:
        assume(False)
    hours = 6 if "HOURLY" in rule else 24  # an hourly walk from the start costs more
    since = (start + timedelta(hours=hours * age)).astimezone(UTC)
    try:
        full = expand(rule_parts(rule), series.start, budget=10**8)
    except InvalidEvent:  # a rule the facade refuses (e.g. a BYHOUR an INTERVAL never meets)
        assume(False)
    # RFC 5545 leaves a first start the rule does not give undefined; meetlink (like
    # calendar clients) counts it as one more occurrence.
    extra = [] if series.synchronised() else [series.start]
    expected = [
        s
        for s in itertools.takewhile(
            lambda s: s.astimezone(UTC) < since + timedelta(days=800),
            itertools.chain(extra, full),
        )
        if (s + timedelta(minutes=45)).astimezone(UTC) > since
    ][:12]
    assert not full.cut
    got = [o.start for o in itertools.islice(series.occurrences(since=since), 12)]
    expected = expected[: len(got)] if len(got) < len(expected) else expected
    assert [s.astimezone(UTC) for s in got[: len(expected)]] == [
        s.astimezone(UTC) for s in expected
    ]
    if expected:
        assert len(got) >= len(expected)


def test_the_anchor_keeps_the_starts_day_and_skips_months_without_it() -> None:
    start = datetime(2020, 1, 31, 9, 0, tzinfo=ZoneInfo("Asia/Tokyo"))
    series = Series.of_event(_event(start, "Asia/Tokyo", "FREQ=MONTHLY"))
    anchor = series.anchor_before(datetime(2026, 3, 15, tzinfo=UTC))
    assert anchor == datetime(2026, 1, 31, 9, 0, tzinfo=ZoneInfo("Asia/Tokyo"))
    leap = Series.of_event(
        _event(start.replace(year=2000, month=2, day=29), "Asia/Tokyo", "FREQ=YEARLY")
    )
    assert leap.anchor_before(datetime(2027, 6, 1, tzinfo=UTC)).date().isoformat() == ("2024-02-29")
    counted = Series.of_event(_event(start, "Asia/Tokyo", "FREQ=DAILY;COUNT=5000"))
    assert counted.anchor_before(datetime(2026, 3, 15, tzinfo=UTC)) == start  # COUNT: no anchor


def test_an_hourly_series_older_than_its_budget_still_reminds() -> None:
    now = datetime(2026, 12, 1, 8, 55, tzinfo=UTC)
    first = datetime(2026, 2, 4, 9, 0, tzinfo=UTC)  # 300 days of hourly occurrences
    with Sandbox(now=first - timedelta(days=1), policy=IssuancePolicy.roadmap()) as sb:
        sb.meetlink.contract("t1")
        sb.link_user("t1", "alice")
        event = _event(first, "UTC", "FREQ=HOURLY")
        conference = sb.meetlink.save_event(event).conference
        assert conference is not None and conference.join_url
        sb.clock.set(now)
        sb.meetlink.send_due_reminders()
        sb.meetlink.run_pending()
        reminded = [m for m in sb.outbox if "starts soon" in plain(m)]
        assert len(reminded) == 1  # the 09:00 occurrence, 5 minutes ahead (before: none)
        assert "09:00" in plain(reminded[0])


JAN_4 = datetime(2027, 1, 4, 9)  # a Monday, 09:00 (wall-clock, in the series' zone)
FEB_1 = datetime(2027, 2, 1, 9)


@pytest.mark.parametrize(
    ("start", "zone", "rule", "moment", "anchor"),
    [
        # Daily: asked about 1 February 09:00, the latest period start a day before.
        (JAN_4, "UTC", "FREQ=DAILY", FEB_1, datetime(2027, 1, 31, 9)),
        # Every 2 days: 4, 6, ..., 30 January (1 February is less than a day before).
        (JAN_4, "UTC", "FREQ=DAILY;INTERVAL=2", FEB_1, datetime(2027, 1, 30, 9)),
        # Every 2 weeks: 4 and 18 January, 1 February.
        (JAN_4, "UTC", "FREQ=WEEKLY;INTERVAL=2", FEB_1, datetime(2027, 1, 18, 9)),
        # Monthly on the 15th: 15 April is the latest before 30 April.
        (datetime(2027, 1, 15, 9), "UTC", "FREQ=MONTHLY", datetime(2027, 5, 1, 9),
         datetime(2027, 4, 15, 9)),
        # Asked about 16 May 09:00: 15 May 09:00 is a day before, exactly.
        (datetime(2027, 1, 15, 9), "UTC", "FREQ=MONTHLY", datetime(2027, 5, 16, 9),
         datetime(2027, 5, 15, 9)),
        # A monthly series 57 years old: still the latest 15th.
        (datetime(1970, 1, 15, 9), "UTC", "FREQ=MONTHLY", datetime(2027, 5, 1, 9),
         datetime(2027, 4, 15, 9)),
        # Yearly on 29 February 2024: 2028 is the latest leap year before June 2031.
        (datetime(2024, 2, 29, 9), "UTC", "FREQ=YEARLY", datetime(2031, 6, 1, 9),
         datetime(2028, 2, 29, 9)),
        # Within a day of the start: the start.
        (JAN_4, "UTC", "FREQ=DAILY", datetime(2027, 1, 5, 8), JAN_4),
        # COUNT is counted from the first occurrence: always the start.
        (JAN_4, "UTC", "FREQ=DAILY;COUNT=500", datetime(2027, 6, 1, 9), JAN_4),
        # Daily at 09:00 in Tokyo, asked about 1 February 00:30 UTC (09:30 in Tokyo).
        (JAN_4, "Asia/Tokyo", "FREQ=DAILY", datetime(2027, 2, 1, 0, 30, tzinfo=UTC),
         datetime(2027, 1, 31, 9)),
    ],
)  # fmt: skip
def test_the_anchor_is_the_latest_period_start_a_day_before_the_moment(
    start: datetime, zone: str, rule: str, moment: datetime, anchor: datetime
) -> None:
    tz = ZoneInfo(zone)
    series = Series(start.replace(tzinfo=tz), timedelta(minutes=30), tz, rule)
    at = moment if moment.tzinfo is not None else moment.replace(tzinfo=tz)
    found = series.anchor_before(at)
    assert found == anchor.replace(tzinfo=tz)
    assert found.replace(tzinfo=None) == anchor  # the wall-clock time in the series' zone
