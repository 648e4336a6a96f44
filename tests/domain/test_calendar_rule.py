"""The RRULE written into an invitation (meetlink.domain.series.calendar_rule): RFC 5545
§3.3.10 wants UNTIL in UTC when DTSTART has a TZID, and a DATE when DTSTART is a DATE; hosts
send UNTIL as a floating time (meant in the event's zone), a date (the end of that day) or
in UTC. Expected instants worked out by hand from the zones' offsets (New York: UTC-5 in
winter, UTC-4 in summer; Tokyo: UTC+9), after RFC 5545's own example
``DTSTART;TZID=America/New_York:19970902T090000 RRULE:FREQ=DAILY;UNTIL=19971224T000000Z``."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from meetlink.domain.series import calendar_rule
from meetlink.errors import InvalidEvent

NEW_YORK = ZoneInfo("America/New_York")
TOKYO = ZoneInfo("Asia/Tokyo")


def test_a_rule_without_until_is_written_as_given() -> None:
    assert calendar_rule("RRULE:FREQ=WEEKLY;BYDAY=MO,WE;COUNT=5", NEW_YORK, all_day=False) == {
        "FREQ": ["WEEKLY"],
        "BYDAY": ["MO", "WE"],
        "COUNT": [5],
    }


@pytest.mark.parametrize(
    ("until", "zone", "expected"),
    [
        ("19971224T000000Z", NEW_YORK, datetime(1997, 12, 24, 0, 0, tzinfo=UTC)),  # RFC 5545
        ("19971224T000000", NEW_YORK, datetime(1997, 12, 24, 5, 0, tzinfo=UTC)),  # EST
        ("19970902T090000", NEW_YORK, datetime(1997, 9, 2, 13, 0, tzinfo=UTC)),  # EDT
        ("19971224", NEW_YORK, datetime(1997, 12, 25, 4, 59, 59, tzinfo=UTC)),  # day's end
        ("19971224T000000", TOKYO, datetime(1997, 12, 23, 15, 0, tzinfo=UTC)),
    ],
)
def test_a_timed_events_until_is_written_in_utc(
    until: str, zone: ZoneInfo, expected: datetime
) -> None:
    parts = calendar_rule(f"FREQ=DAILY;UNTIL={until}", zone, all_day=False)
    [written] = parts["UNTIL"]
    assert written == expected
    assert written.utcoffset() == timedelta(0)  # a "Z" time, not the zone's
    assert parts["FREQ"] == ["DAILY"]


@pytest.mark.parametrize(
    ("until", "zone", "expected"),
    [
        ("19971224", NEW_YORK, date(1997, 12, 24)),
        ("19971224T090000", TOKYO, date(1997, 12, 24)),  # floating: the zone's own day
        ("19971224T040000Z", NEW_YORK, date(1997, 12, 23)),  # 23:00 on the 23rd there
        ("19971224T200000Z", TOKYO, date(1997, 12, 25)),  # 05:00 on the 25th there
    ],
)
def test_an_all_day_events_until_is_the_date_in_its_zone(
    until: str, zone: ZoneInfo, expected: date
) -> None:
    parts = calendar_rule(f"FREQ=WEEKLY;UNTIL={until}", zone, all_day=True)
    assert parts == {"FREQ": ["WEEKLY"], "UNTIL": [expected]}
    assert type(parts["UNTIL"][0]) is date  # a DATE, never a DATE-TIME


def test_a_rule_meetlink_cannot_read_is_refused_naming_recurrence() -> None:
    with pytest.raises(InvalidEvent) as info:
        calendar_rule("FREQ=SECONDLY;UNTIL=19971224", NEW_YORK, all_day=True)
    assert info.value.field == "recurrence"


@pytest.mark.parametrize(
    ("until", "zone"),
    [("00010101T000000", TOKYO), ("99991231T230000", NEW_YORK)],  # before year 1, past 9999
)
def test_an_until_with_no_utc_time_is_refused_naming_recurrence(until: str, zone: ZoneInfo) -> None:
    with pytest.raises(InvalidEvent) as info:
        calendar_rule(f"FREQ=DAILY;UNTIL={until}", zone, all_day=False)
    assert info.value.field == "recurrence"
    assert str(info.value) == "recurrence: UNTIL is out of range in UTC"
