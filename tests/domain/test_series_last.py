"""Where a series ends (``Series.last``: the occurrence that ends last, moved ones counted,
skipped ones not; None for a series without end) and the starts its rule gives
(``Series.ruled_starts``: skips and moves not applied). Occurrences worked out by hand from
a daily 09:00-09:30 series in UTC starting Monday 1 March 2027."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from meetlink.domain.event import MovedOccurrence
from meetlink.domain.series import Series

DAY = timedelta(days=1)
HALF_HOUR = timedelta(minutes=30)
D1 = datetime(2027, 3, 1, 9, 0, tzinfo=ZoneInfo("UTC"))
D2, D3, D5 = D1 + DAY, D1 + 2 * DAY, D1 + 4 * DAY


def _series(
    rule: str | None,
    exdates: tuple[datetime, ...] = (),
    moved: tuple[MovedOccurrence, ...] = (),
) -> Series:
    return Series(D1, HALF_HOUR, ZoneInfo("UTC"), rule, exdates, moved)


def _span(series: Series) -> tuple[datetime, datetime] | None:
    last = series.last()
    return None if last is None else (last.start.astimezone(UTC), last.end.astimezone(UTC))


@pytest.mark.parametrize(
    ("series", "span"),
    [
        (_series(None), (D1, D1 + HALF_HOUR)),
        (_series("FREQ=DAILY;COUNT=3"), (D3, D3 + HALF_HOUR)),
        (_series("FREQ=DAILY;UNTIL=20270303T090000Z"), (D3, D3 + HALF_HOUR)),
        (_series("FREQ=DAILY;COUNT=3", exdates=(D3,)), (D2, D2 + HALF_HOUR)),
        # The first moved past the third: it ends last.
        (
            _series("FREQ=DAILY;COUNT=3", moved=(MovedOccurrence(D1, D5, D5 + HALF_HOUR),)),
            (D5, D5 + HALF_HOUR),
        ),
        # The third moved before the second: the second ends last.
        (
            _series(
                "FREQ=DAILY;COUNT=3",
                moved=(MovedOccurrence(D3, D2 - 2 * HALF_HOUR, D2 - HALF_HOUR),),
            ),
            (D2, D2 + HALF_HOUR),
        ),
        # The second moved to start earlier on its day and end after the third ends.
        (
            _series(
                "FREQ=DAILY;COUNT=3",
                moved=(MovedOccurrence(D2, D3 - HALF_HOUR, D3 + 4 * HALF_HOUR),),
            ),
            (D3 - HALF_HOUR, D3 + 4 * HALF_HOUR),
        ),
        (_series("FREQ=DAILY"), None),  # no end
        (_series("FREQ=DAILY;COUNT=5001"), None),  # longer than meetlink counts
    ],
)
def test_the_last_occurrence_is_the_one_that_ends_last(
    series: Series, span: tuple[datetime, datetime] | None
) -> None:
    assert _span(series) == span


def test_the_rules_starts_ignore_skips_and_moves() -> None:
    moved = MovedOccurrence(D2, D5, D5 + HALF_HOUR)
    series = _series("FREQ=DAILY;COUNT=3", exdates=(D3,), moved=(moved,))
    assert series.ruled_starts() == [D1, D2, D3]


def test_a_one_off_event_starts_once() -> None:
    assert _series(None).ruled_starts() == [D1]
    assert _series(None).synchronised()  # its start is its only occurrence


def test_the_rules_starts_stop_at_the_limit() -> None:
    assert _series("FREQ=DAILY").ruled_starts(limit=4) == [D1, D2, D3, D1 + 3 * DAY]
    assert len(_series("FREQ=DAILY;COUNT=6000").ruled_starts()) == 5000
