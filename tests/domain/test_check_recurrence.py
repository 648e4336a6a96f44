"""Which RRULEs an event may carry (meetlink.domain.series.check_recurrence, R2): one whose
first occurrence falls within ten years (3,653 days) of the event's start, found within one
expansion's step budget. A rule that never happens, or happens only later, is refused naming
``recurrence`` (the same rules tests/security/test_bounded_recurrence.py refuses through the
facade); so are numbers out of their RFC 5545 ranges. Weekdays of 29 February from the
calendar: a Monday in 2016 and 2044, never between."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from meetlink.domain.event import Event
from meetlink.domain.series import check_recurrence
from meetlink.errors import InvalidEvent

BERLIN = ZoneInfo("Europe/Berlin")
MONDAY = datetime(2027, 1, 4, 9, 0, tzinfo=BERLIN)
TUESDAY = datetime(2027, 1, 5, 9, 0, tzinfo=BERLIN)
NEVER_TEXT = (
    "recurrence: the rule gives no occurrence within 10 years of the start "
    "(looked for within 20,000 expansion steps)"
)
LEAP_MONDAY = "FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=29;BYDAY=MO"


def _event(rule: str | None, start: datetime = MONDAY, zone: str = "Europe/Berlin") -> Event:
    return Event(
        id="s1",
        tenant_id="t1",
        owner_id="alice",
        title="Standup",
        start=start,
        end=start + timedelta(minutes=30),
        timezone=zone,
        recurrence=rule,
    )


def _refusal(event: Event) -> InvalidEvent:
    with pytest.raises(InvalidEvent) as info:
        check_recurrence(event)
    assert info.value.field == "recurrence"
    return info.value


@pytest.mark.parametrize(
    "rule",
    [
        "FREQ=DAILY;BYMONTH=2;BYMONTHDAY=30",  # 30 February
        "FREQ=HOURLY;BYMONTH=2;BYMONTHDAY=30",
        "FREQ=HOURLY;BYMONTH=2;BYMONTHDAY=30;COUNT=5",
        "FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=30",
        "FREQ=MONTHLY;BYMONTH=4;BYMONTHDAY=31",  # 31 April
        "FREQ=WEEKLY;BYMONTH=2;BYMONTHDAY=30",
        "FREQ=YEARLY;BYWEEKNO=1;BYMONTH=6",  # week 1 never lies in June
        "FREQ=YEARLY;BYYEARDAY=1;BYMONTHDAY=2",  # the year's first day is never a 2nd
        "FREQ=MONTHLY;BYDAY=1MO;BYMONTHDAY=15",  # a first Monday is never the 15th
        "FREQ=HOURLY;BYSETPOS=2",  # one candidate per hour: no second
        "FREQ=DAILY;BYSETPOS=2",
        "FREQ=YEARLY;BYMONTH=5;BYMONTHDAY=3;BYSETPOS=3",
        "FREQ=DAILY;UNTIL=20261231T000000Z",  # over before the start
        "FREQ=WEEKLY;UNTIL=20270103",  # until the day before the start
    ],
)
def test_a_rule_that_never_happens_is_refused(rule: str) -> None:
    assert str(_refusal(_event(rule))) == NEVER_TEXT


@pytest.mark.parametrize(
    "rule", ["FREQ=DAILY;INTERVAL=7;BYDAY=MO", "FREQ=HOURLY;INTERVAL=168;BYDAY=MO"]
)
def test_a_rule_whose_interval_never_meets_its_days_is_refused(rule: str) -> None:
    # From a Tuesday, every 7th day (every 168th hour) is a Tuesday: never a Monday.
    assert str(_refusal(_event(rule, TUESDAY))) == NEVER_TEXT


@pytest.mark.parametrize(
    ("rule", "why"),
    [
        ("FREQ=WEEKLY;COUNT=0", "COUNT must be at least 1"),
        ("FREQ=DAILY;INTERVAL=0", "INTERVAL must be from 1 to 1,000"),
        ("FREQ=DAILY;INTERVAL=1001", "INTERVAL must be from 1 to 1,000"),
        ("FREQ=DAILY;BYMONTH=13", "BYMONTH values must lie in 1..12"),
        ("FREQ=DAILY;BYMONTHDAY=0", "BYMONTHDAY values must lie in -31..31"),
        ("FREQ=DAILY;BYHOUR=24", "BYHOUR values must lie in 0..23"),
        ("FREQ=YEARLY;BYWEEKNO=54", "BYWEEKNO values must lie in -53..53"),
        ("FREQ=MONTHLY;BYDAY=6MO", "a BYDAY position in a month must be from 1 to 5"),
        ("FREQ=WEEKLY;BYDAY=1MO", "a numbered BYDAY needs a MONTHLY or YEARLY rule"),
        ("FREQ=MINUTELY", "FREQ must be one of YEARLY, MONTHLY, WEEKLY, DAILY, HOURLY"),
        ("FREQ=DAILY;COUNT=2;UNTIL=20271231", "COUNT and UNTIL cannot both be given (RFC 5545)"),
    ],
)
def test_numbers_out_of_range_are_refused_saying_which(rule: str, why: str) -> None:
    assert str(_refusal(_event(rule))) == f"recurrence: {why}"


@pytest.mark.parametrize(
    "rule",
    [
        None,  # a one-off event
        "FREQ=WEEKLY;BYDAY=MO",
        "FREQ=DAILY;COUNT=1",
        "FREQ=MONTHLY;BYDAY=-1FR",
        "FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=29;COUNT=3",  # 29 February 2028: within the ten years
        "FREQ=DAILY;UNTIL=20270104T080000Z",  # ends with the start: one occurrence
    ],
)
def test_a_rule_with_an_occurrence_soon_is_accepted(rule: str | None) -> None:
    check_recurrence(_event(rule))  # accepted: no InvalidEvent


def test_the_first_occurrence_may_fall_exactly_ten_years_after_the_start() -> None:
    # 28 February 2034 to 29 February 2044 (a Monday): 3,653 days.
    check_recurrence(_event(LEAP_MONDAY, datetime(2034, 2, 28, 9, 0, tzinfo=UTC), "UTC"))
    # One day earlier it is 3,654 days away.
    late = _event(LEAP_MONDAY, datetime(2034, 2, 27, 9, 0, tzinfo=UTC), "UTC")
    assert str(_refusal(late)) == NEVER_TEXT


def test_a_rule_that_runs_past_the_last_year_python_counts_is_refused_saying_so() -> None:
    # 27 December 9999 is a Monday: the next Sunday, 2 January 10000, has no datetime.
    event = _event("FREQ=WEEKLY;BYDAY=SU", datetime(9999, 12, 27, 9, 0, tzinfo=UTC), "UTC")
    assert str(_refusal(event)) == (
        "recurrence: not an RRULE meetlink can expand: year 10000 is out of range"
    )


def test_a_rule_is_judged_by_its_first_occurrence_even_if_it_runs_out_of_years_later() -> None:
    # Sunday 26 December 9999, then weekly: the second Sunday would be in year 10000. The
    # series counts as ending there (meetlink.domain.series); its first occurrence stands.
    last_sundays = _event("FREQ=WEEKLY;BYDAY=SU", datetime(9999, 12, 26, 9, 0, tzinfo=UTC), "UTC")
    check_recurrence(last_sundays)  # accepted: no InvalidEvent
