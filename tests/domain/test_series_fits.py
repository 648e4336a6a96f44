"""Series.fits: whether a provider can carry an event's rule as its own recurring meeting
(else meetlink gives the series one meeting per occurrence, or refuses it). Each case is read
off RecurrenceLimits' docstring by hand, one condition at a time, on both sides of it."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import attrs
import pytest

from meetlink.domain.recurrence import RecurrenceLimits
from meetlink.domain.series import Series

BERLIN = ZoneInfo("Europe/Berlin")
MONDAY = datetime(2026, 3, 2, 10, 0, tzinfo=BERLIN)  # the first Monday of March 2026
LIMITS = RecurrenceLimits(
    daily_interval=90,
    weekly_interval=12,
    monthly_interval=3,
    max_occurrences=50,
    requires_end=False,
    max_month_day=31,
    monthly_week_ordinals=frozenset({1, 2, 3, 4}),
    week_start="SU",
)

CASES = [
    # (rule, limits changed, fits)
    (None, {}, True),  # a one-off event
    ("FREQ=DAILY;COUNT=10", {}, True),
    ("FREQ=DAILY;INTERVAL=90;COUNT=3", {}, True),
    ("FREQ=DAILY;INTERVAL=91;COUNT=3", {}, False),  # over the provider's interval
    ("FREQ=DAILY;INTERVAL=2;COUNT=3", {"daily_interval": 1}, False),
    ("FREQ=DAILY;COUNT=3", {"daily_interval": None}, False),  # no daily meetings at all
    ("FREQ=YEARLY;COUNT=3", {}, False),  # no yearly meetings
    ("FREQ=DAILY;COUNT=3;BYMONTH=3", {}, False),  # a part outside the simple ones
    ("FREQ=WEEKLY;BYDAY=TU;COUNT=3", {}, False),  # the start (Monday) is no occurrence
    ("FREQ=DAILY;COUNT=50", {}, True),  # as many as the provider schedules
    ("FREQ=DAILY;COUNT=51", {}, False),
    ("FREQ=DAILY;UNTIL=20260310T090000Z", {}, True),
    ("FREQ=DAILY;UNTIL=20260601T090000Z", {}, False),  # 91 occurrences
    ("FREQ=DAILY;COUNT=51", {"max_occurrences": None}, True),
    ("FREQ=DAILY", {}, True),  # open-ended, where the provider allows it
    ("FREQ=DAILY", {"requires_end": True}, False),
    ("FREQ=DAILY;COUNT=4;BYDAY=MO,TU", {}, False),  # a daily rule names no days
    ("FREQ=DAILY;COUNT=4;BYMONTHDAY=2,3", {}, False),
    ("FREQ=WEEKLY;COUNT=4", {}, True),
    ("FREQ=WEEKLY;COUNT=4;BYDAY=MO,WE", {}, True),
    ("FREQ=WEEKLY;COUNT=4;BYDAY=MO;BYMONTHDAY=2", {}, False),
    # Every other week on two days: the provider's weeks start on Sunday, the rule's on
    # Monday. Monday and Wednesday fall into the same week either way; Sunday and Monday
    # do not.
    ("FREQ=WEEKLY;INTERVAL=2;COUNT=4;BYDAY=MO,WE;WKST=MO", {}, True),
    ("FREQ=WEEKLY;INTERVAL=2;COUNT=4;BYDAY=SU,MO;WKST=MO", {}, False),
    ("FREQ=WEEKLY;INTERVAL=2;COUNT=4;BYDAY=SU,MO;WKST=MO", {"week_start": "MO"}, True),
    ("FREQ=WEEKLY;INTERVAL=2;COUNT=4;BYDAY=SU,MO", {}, False),  # WKST defaults to MO
    ("FREQ=WEEKLY;INTERVAL=2;COUNT=4;BYDAY=SU,MO;WKST=SU", {}, True),
    ("FREQ=WEEKLY;COUNT=4;BYDAY=SU,MO;WKST=MO", {}, True),  # every week: no grouping
    # Sunday and Monday weeks both hold Monday and the Wednesday after it.
    ("FREQ=WEEKLY;INTERVAL=2;COUNT=4;BYDAY=MO,WE;WKST=SU", {"week_start": "MO"}, True),
    # Saturday weeks hold Monday and the Wednesday after it; Tuesday weeks a Wednesday
    # and the Monday after it.
    ("FREQ=WEEKLY;INTERVAL=2;COUNT=4;BYDAY=MO,WE;WKST=SA", {"week_start": "TU"}, False),
    # Saturday weeks hold Monday and the Tuesday after it; Tuesday weeks a Tuesday and the
    # Monday after it.
    ("FREQ=WEEKLY;INTERVAL=2;COUNT=4;BYDAY=MO,TU;WKST=SA", {"week_start": "TU"}, False),
    ("FREQ=WEEKLY;INTERVAL=2;COUNT=4", {}, True),  # the start's weekday only
    ("FREQ=WEEKLY;INTERVAL=13;COUNT=2", {}, False),
    ("FREQ=MONTHLY;COUNT=3", {}, True),  # the start's day of the month
    ("FREQ=MONTHLY;COUNT=3", {"max_month_day": 1}, False),
    ("FREQ=MONTHLY;COUNT=3;BYMONTHDAY=2", {}, True),
    ("FREQ=MONTHLY;COUNT=3;BYMONTHDAY=2", {"max_month_day": 2}, True),
    ("FREQ=MONTHLY;COUNT=3;BYMONTHDAY=2", {"max_month_day": 1}, False),
    ("FREQ=MONTHLY;COUNT=3;BYMONTHDAY=2,3", {}, False),  # one day of the month only
    ("FREQ=MONTHLY;COUNT=3;BYDAY=1MO", {}, True),
    ("FREQ=MONTHLY;COUNT=3;BYDAY=1MO", {"monthly_week_ordinals": frozenset({2})}, False),
    ("FREQ=MONTHLY;COUNT=3;BYDAY=MO", {}, False),  # every Monday of the month
    ("FREQ=MONTHLY;COUNT=4;BYDAY=1MO,3MO", {}, False),  # one weekday of one week only
    ("FREQ=MONTHLY;COUNT=2;BYDAY=1MO;BYMONTHDAY=2", {}, False),
    ("FREQ=MONTHLY;INTERVAL=3;COUNT=2", {}, True),
    ("FREQ=MONTHLY;INTERVAL=4;COUNT=2", {}, False),
    ("FREQ=DAILY;COUNT=3", {"max_month_day": 1}, True),  # a month day limits monthly only
]

# Rules whose start is not MONDAY: (start, rule, fits).
OTHER_STARTS = [
    (datetime(2026, 3, 1, 10, 0, tzinfo=BERLIN), "FREQ=MONTHLY;COUNT=3", True),  # the 1st
    (datetime(2026, 3, 1, 10, 0, tzinfo=BERLIN), "FREQ=MONTHLY;COUNT=3;BYMONTHDAY=1", True),
    # the last day of the month is no day number a provider takes
    (datetime(2026, 3, 31, 10, 0, tzinfo=BERLIN), "FREQ=MONTHLY;COUNT=3;BYMONTHDAY=-1", False),
    # One day a week, every other week: the same weeks whichever day they start on.
    (datetime(2026, 3, 1, 10, 0, tzinfo=BERLIN), "FREQ=WEEKLY;INTERVAL=2;COUNT=3;WKST=MO", True),
    (datetime(2026, 3, 7, 10, 0, tzinfo=BERLIN), "FREQ=WEEKLY;INTERVAL=2;COUNT=3;WKST=SA", True),
]


@pytest.mark.parametrize(("rule", "changes", "fits"), CASES)
def test_fits(rule: str | None, changes: dict[str, Any], fits: bool) -> None:
    series = Series(MONDAY, timedelta(hours=1), BERLIN, rule)
    assert series.fits(attrs.evolve(LIMITS, **changes)) is fits


@pytest.mark.parametrize(("start", "rule", "fits"), OTHER_STARTS)
def test_fits_from_other_starts(start: datetime, rule: str, fits: bool) -> None:
    assert Series(start, timedelta(hours=1), BERLIN, rule).fits(LIMITS) is fits
