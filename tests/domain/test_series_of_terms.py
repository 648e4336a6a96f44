"""The series a provider meeting must follow (``Series.of_terms``): the terms' start read in
their time zone, occurrences of ``duration_minutes`` at the same local time across a clock
change, the skipped and moved occurrences the terms carry. Expected instants by hand:
Berlin is UTC+1 until 28 March 2027, 02:00 (the last Sunday of March), UTC+2 after."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from meetlink.domain.conference import MeetingTerms
from meetlink.domain.event import MovedOccurrence
from meetlink.domain.series import Series

BERLIN = ZoneInfo("Europe/Berlin")
FIRST = datetime(2027, 3, 27, 8, 0, tzinfo=UTC)  # 09:00 in Berlin (CET)
SECOND = datetime(2027, 3, 28, 7, 0, tzinfo=UTC)  # 09:00 in Berlin (CEST)
THIRD = datetime(2027, 3, 29, 7, 0, tzinfo=UTC)
LENGTH = timedelta(minutes=45)


def _terms(**fields: object) -> MeetingTerms:
    given: dict[str, object] = {"recurrence": "FREQ=DAILY;COUNT=3", **fields}
    return MeetingTerms(
        topic="Standup",
        start=FIRST,
        duration_minutes=45,
        timezone="Europe/Berlin",
        **given,  # type: ignore[arg-type]
    )


def _utc(series: Series) -> list[tuple[datetime, datetime]]:
    return [(o.start.astimezone(UTC), o.end.astimezone(UTC)) for o in series.occurrences()]


def test_the_series_starts_at_the_terms_start_in_their_zone() -> None:
    series = Series.of_terms(_terms())
    assert series.start == FIRST
    assert series.start.tzinfo == BERLIN and series.start.hour == 9
    assert series.zone == BERLIN
    assert series.wall == LENGTH
    assert series.recurrence == "FREQ=DAILY;COUNT=3"


def test_occurrences_keep_the_local_time_across_the_clock_change() -> None:
    series = Series.of_terms(_terms())
    assert _utc(series) == [(t, t + LENGTH) for t in (FIRST, SECOND, THIRD)]
    assert series.count() == 3


def test_skipped_and_moved_occurrences_are_the_terms() -> None:
    moved = MovedOccurrence(THIRD, THIRD + timedelta(hours=5), THIRD + timedelta(hours=6))
    series = Series.of_terms(_terms(exdates=(SECOND,), moved=(moved,)))
    assert series.exdates == (SECOND,) and series.moved == (moved,)
    assert _utc(series) == [
        (FIRST, FIRST + LENGTH),
        (THIRD + timedelta(hours=5), THIRD + timedelta(hours=6)),  # its own length
    ]


def test_one_meeting_without_a_rule_is_one_occurrence() -> None:
    series = Series.of_terms(_terms(recurrence=None))
    assert _utc(series) == [(FIRST, FIRST + LENGTH)]
    assert series.count() == 1
