"""The occurrences of a series (``Series.occurrences``): each with the start its rule gives it
(``recurrence_id``), in start order with moved ones merged in, from a moment on only those
not over by then, and a start the rule does not give taken as one more occurrence. Worked
out by hand on a daily 09:00-12:00 series in UTC from Monday 4 January 2027."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from meetlink.domain.event import Event, MovedOccurrence
from meetlink.domain.recurrence import Occurrence
from meetlink.domain.series import Series

ZONE = ZoneInfo("UTC")
DAY = timedelta(days=1)
LENGTH = timedelta(hours=3)
HOUR = timedelta(hours=1)
MON = datetime(2027, 1, 4, 9, 0, tzinfo=ZONE)


def _day(n: int) -> datetime:
    """09:00 on the n-th day of the series (0: Monday 4 January)."""
    return MON + n * DAY


def _ruled(n: int) -> Occurrence:
    return Occurrence(_day(n), _day(n), _day(n) + LENGTH)


def _series(rule: str, moved: tuple[MovedOccurrence, ...] = ()) -> Series:
    return Series(MON, LENGTH, ZONE, rule, (), moved)


def test_each_occurrence_carries_the_start_its_rule_gives_it() -> None:
    assert list(_series("FREQ=DAILY;COUNT=3").occurrences()) == [_ruled(0), _ruled(1), _ruled(2)]
    one_off = Series(MON, LENGTH, ZONE, None)
    assert list(one_off.occurrences()) == [_ruled(0)]


def test_moved_occurrences_are_merged_in_by_where_they_take_place() -> None:
    # The 2nd moved to day 9, the 3rd to 08:00 on day 5: given in their rules' order.
    late = MovedOccurrence(_day(1), _day(9), _day(9) + LENGTH)
    early = MovedOccurrence(_day(2), _day(5) - HOUR, _day(5) + HOUR)
    series = _series("FREQ=DAILY;COUNT=7", moved=(late, early))
    assert [(o.recurrence_id, o.start) for o in series.occurrences()] == [
        (_day(0), _day(0)),
        (_day(3), _day(3)),
        (_day(4), _day(4)),
        (_day(2), _day(5) - HOUR),  # moved
        (_day(5), _day(5)),
        (_day(6), _day(6)),
        (_day(1), _day(9)),  # moved
    ]


def test_from_a_moment_on_only_what_is_not_over_by_then() -> None:
    series = _series("FREQ=DAILY")
    # Day 30 at 11:00: its 09:00-12:00 occurrence is still on.
    since = _day(30) + timedelta(hours=2)
    assert next(series.occurrences(since=since)) == _ruled(30)
    # Day 30 at 12:00: that one is over (it ends then); day 31's is next.
    assert next(series.occurrences(since=_day(30) + LENGTH)) == _ruled(31)


def test_a_start_the_rule_does_not_give_is_one_more_occurrence() -> None:
    # From a Monday, a rule of Tuesdays and Thursdays: the Monday, then the rule's days.
    series = _series("FREQ=WEEKLY;BYDAY=TU,TH;COUNT=3")
    assert [o.start for o in series.occurrences()] == [_day(0), _day(1), _day(3), _day(8)]


def test_the_series_of_an_event_keeps_its_skipped_and_moved_occurrences() -> None:
    moved = MovedOccurrence(_day(2), _day(2) + LENGTH, _day(2) + 2 * LENGTH)
    event = Event(
        "e1", "t1", "alice", "Standup", MON, MON + LENGTH, timezone="UTC",
        recurrence="FREQ=DAILY;COUNT=3", exdates=(_day(1),), moved=(moved,),
    )  # fmt: skip
    series = Series.of_event(event)
    assert (series.exdates, series.moved) == ((_day(1),), (moved,))
    assert [o.start.astimezone(UTC) for o in series.occurrences()] == [
        _day(0),
        _day(2) + LENGTH,
    ]
