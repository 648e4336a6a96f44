"""How single RRULE values are read (meetlink.domain.expansion): a BYDAY entry
(``weekday_of``: RFC 5545 §3.3.10 ``weekdaynum = [[plus / minus] ordwk] weekday``, ordwk 1 to
53) and UNTIL as a UTC instant (``until_utc``); anything else is refused naming
``recurrence``."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest

from meetlink.domain.expansion import until_utc, weekday_of
from meetlink.errors import InvalidEvent

BERLIN = ZoneInfo("Europe/Berlin")


@pytest.mark.parametrize(
    ("value", "read"),
    [
        ("MO", (None, "MO")),
        ("+MO", (None, "MO")),  # a sign without a number: every Monday
        ("fr", (None, "FR")),
        ("-1FR", (-1, "FR")),
        ("+2TU", (2, "TU")),
        ("53SU", (53, "SU")),
        ("-53SA", (-53, "SA")),
    ],
)
def test_a_byday_entry_is_its_position_and_weekday(
    value: str, read: tuple[int | None, str]
) -> None:
    assert weekday_of(value) == read


@pytest.mark.parametrize(
    ("value", "text"),
    [
        ("XX", "BYDAY names no weekday: XX"),
        ("1MONDAY", "BYDAY names no weekday: 1MONDAY"),
        ("0MO", "a BYDAY position must be from 1 to 53 (or -53 to -1)"),
        ("54MO", "a BYDAY position must be from 1 to 53 (or -53 to -1)"),
        ("-54MO", "a BYDAY position must be from 1 to 53 (or -53 to -1)"),
        ("AMO", "BYDAY must be whole numbers, not A"),
    ],
)
def test_a_byday_entry_that_names_no_weekday_is_refused(value: str, text: str) -> None:
    with pytest.raises(InvalidEvent) as info:
        weekday_of(value)
    assert info.value.field == "recurrence"
    assert str(info.value) == f"recurrence: {text}"


@pytest.mark.parametrize(
    ("value", "instant"),
    [
        (datetime(2027, 1, 15, 9, 0, tzinfo=UTC), datetime(2027, 1, 15, 9, 0, tzinfo=UTC)),
        (datetime(2027, 1, 15, 9, 0), datetime(2027, 1, 15, 8, 0, tzinfo=UTC)),  # CET
        (datetime(2027, 7, 15, 9, 0), datetime(2027, 7, 15, 7, 0, tzinfo=UTC)),  # CEST
        (date(2027, 1, 15), datetime(2027, 1, 15, 22, 59, 59, tzinfo=UTC)),  # the day's end
    ],
)
def test_until_is_an_instant_in_utc(value: date, instant: datetime) -> None:
    assert until_utc(value, BERLIN) == instant


@pytest.mark.parametrize(
    ("value", "text"),
    [
        ("20270115", "UNTIL is not a date or date-time"),
        (None, "UNTIL is not a date or date-time"),
        (datetime(9999, 12, 31, 23, 30), "UNTIL is out of range in UTC"),  # past 9999 in UTC
    ],
)
def test_an_until_that_is_no_instant_is_refused(value: object, text: str) -> None:
    with pytest.raises(InvalidEvent) as info:
        until_utc(value, ZoneInfo("America/New_York"))
    assert info.value.field == "recurrence"
    assert str(info.value) == f"recurrence: {text}"
