"""Bounded RRULE expansion: python-dateutil's rule, with the work of every expansion counted
and capped. Pure (no I/O): [`expand`][meetlink.domain.expansion.expand] takes checked rule parts
and a start, and gives the starts the rule gives, in order, until the rule ends or its step budget
is spent.

Why a budget in steps and not only in results: dateutil looks for occurrences period by
period and compares with UNTIL (or counts COUNT) only when a period gives a candidate, so a
rule whose BY parts never match (February 30th, ``FREQ=DAILY;INTERVAL=7;BYDAY=MO`` from a
Tuesday) walks every day towards year 9999 before it gives up (dateutil issues 1094, 1393,
1441), whatever UNTIL or COUNT says. So every expansion here counts its work in steps:

- each occurrence it gives is one step;
- each hour an HOURLY rule looks at is [`HOUR_STEPS`][meetlink.domain.expansion.HOUR_STEPS] steps;
- each month (for a YEARLY rule: each year) it enters is
  [`MONTH_STEPS`][meetlink.domain.expansion.MONTH_STEPS] steps, for the days dateutil examines
  there;

and ends when [`STEP_BUDGET`][meetlink.domain.expansion.STEP_BUDGET] steps are spent
(``Expansion.cut``). The count is kept from what dateutil reads once per month or year it enters
(the rule's ``_byeaster``, read by its ``_iterinfo.rebuild``) and once per hour of an HOURLY rule
(``_byminute``, read by ``htimeset``): [`_CountedRule`][meetlink.domain.expansion._CountedRule] is
a dateutil ``rrule`` whose two fields charge a step when read. tests/security/dateutil_work.py
counts those dateutil calls from outside, so a dateutil release that stops reading them fails the
tests instead of unbounding meetlink.

What a rule may hold ([`check_parts`][meetlink.domain.expansion.check_parts]): COUNT >= 1,
INTERVAL from 1 to [`MAX_INTERVAL`][meetlink.domain.expansion.MAX_INTERVAL], every BY value within
its RFC 5545 range, and at most [`MAX_TIMES_A_DAY`][meetlink.domain.expansion.MAX_TIMES_A_DAY]
times of day (an HOURLY rule: one minute and second of each hour).
"""

from __future__ import annotations

import sys
from collections.abc import Iterator, Mapping
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from dateutil.rrule import (
    DAILY,
    FR,
    HOURLY,
    MO,
    MONTHLY,
    SA,
    SU,
    TH,
    TU,
    WE,
    WEEKLY,
    YEARLY,
    rrule,
    weekday,
)

from meetlink.errors import InvalidEvent

__all__ = [
    "HORIZON",
    "HOUR_STEPS",
    "MAX_INTERVAL",
    "MAX_TIMES_A_DAY",
    "MONTH_STEPS",
    "STEP_BUDGET",
    "WEEKDAYS",
    "Expansion",
    "check_parts",
    "expand",
    "until_utc",
    "weekday_of",
]

#: The steps one expansion may take (see the module docstring): about 27 years of a daily
#: rule, 47 of a weekly one, 52 of a monthly one, 600 of a yearly one, 7 months of an hourly
#: one (docs/recurrence.md; the CPU time it stands for: docs/performance.md).
STEP_BUDGET = 20_000
#: What entering a month (a year, for a YEARLY rule) costs: the days dateutil examines there.
MONTH_STEPS = 31
#: What looking at one hour of an HOURLY rule costs (dateutil's hourly step costs about three
#: times a day's).
HOUR_STEPS = 3
#: A rule must give its first occurrence within 10 years of the event's start.
HORIZON = timedelta(days=3653)
#: The largest INTERVAL (every 1,000 periods).
MAX_INTERVAL = 1_000
#: The most times of day a rule may name (BYHOUR x BYMINUTE x BYSECOND).
MAX_TIMES_A_DAY = 24
WEEKDAYS = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")

_FREQ = {"YEARLY": YEARLY, "MONTHLY": MONTHLY, "WEEKLY": WEEKLY, "DAILY": DAILY, "HOURLY": HOURLY}
_DAY = dict(zip(WEEKDAYS, (MO, TU, WE, TH, FR, SA, SU), strict=True))
# RFC 5545 §3.3.10: the values each BY part may take (0 is never a position).
_RANGES = {
    "BYSECOND": (0, 59),  # 60 (a leap second) has no Python time
    "BYMINUTE": (0, 59),
    "BYHOUR": (0, 23),
    "BYMONTHDAY": (-31, 31),
    "BYYEARDAY": (-366, 366),
    "BYWEEKNO": (-53, 53),
    "BYMONTH": (1, 12),
    "BYSETPOS": (-366, 366),
}
_SIGNED = {"BYMONTHDAY", "BYYEARDAY", "BYWEEKNO", "BYSETPOS"}


def _whole(name: str, value: object) -> int:
    try:
        return int(str(value))
    except ValueError:
        raise InvalidEvent(
            "recurrence", f"{name} must be whole numbers, not {value!s:.20}"
        ) from None


def weekday_of(value: object) -> tuple[int | None, str]:
    """``"-1FR"`` -> ``(-1, "FR")``; ``"MO"`` -> ``(None, "MO")``."""
    text = str(value).upper()
    name, number = text[-2:], text[:-2]
    if name not in _DAY:
        raise InvalidEvent("recurrence", f"BYDAY names no weekday: {text:.20}")
    if number in ("", "+"):
        return None, name
    ordinal = _whole("BYDAY", number)
    if not 1 <= abs(ordinal) <= 53:
        raise InvalidEvent("recurrence", "a BYDAY position must be from 1 to 53 (or -53 to -1)")
    return ordinal, name


def check_parts(parts: Mapping[str, list[Any]]) -> None:
    """Raise InvalidEvent naming ``recurrence`` unless every number of ``parts`` is one
    [`expand`][meetlink.domain.expansion.expand] takes (see the module docstring)."""
    if "COUNT" in parts and _whole("COUNT", parts["COUNT"][0]) < 1:
        raise InvalidEvent("recurrence", "COUNT must be at least 1")
    if not 1 <= _whole("INTERVAL", parts.get("INTERVAL", [1])[0]) <= MAX_INTERVAL:
        raise InvalidEvent("recurrence", f"INTERVAL must be from 1 to {MAX_INTERVAL:,}")
    for name, (low, high) in _RANGES.items():
        for value in parts.get(name, []):
            number = _whole(name, value)
            if not low <= number <= high or (name in _SIGNED and number == 0):
                raise InvalidEvent("recurrence", f"{name} values must lie in {low}..{high}")
    freq = str(parts["FREQ"][0]).upper()
    _check_weekdays(freq, parts)
    minutes = len(set(parts.get("BYMINUTE", [0]))) * len(set(parts.get("BYSECOND", [0])))
    if len(set(parts.get("BYHOUR", [0]))) * minutes > MAX_TIMES_A_DAY:
        raise InvalidEvent("recurrence", f"at most {MAX_TIMES_A_DAY} times of day")
    if freq == "HOURLY" and minutes > 1:
        raise InvalidEvent("recurrence", "an hourly rule repeats at most once an hour")


def _check_weekdays(freq: str, parts: Mapping[str, list[Any]]) -> None:
    """RFC 5545 §3.3.10: a numbered BYDAY (``-1FR``) only in a MONTHLY rule (a position in
    the month, 1-5) or a YEARLY one without BYWEEKNO (in the year, 1-53; in the month with
    BYMONTH); WKST names one plain weekday."""
    if any(weekday_of(w)[0] is not None for w in parts.get("WKST", [])):
        raise InvalidEvent("recurrence", "WKST names one weekday")
    numbered = [n for n, _ in map(weekday_of, parts.get("BYDAY", [])) if n is not None]
    if not numbered:
        return
    if freq not in ("MONTHLY", "YEARLY") or (freq == "YEARLY" and "BYWEEKNO" in parts):
        raise InvalidEvent("recurrence", "a numbered BYDAY needs a MONTHLY or YEARLY rule")
    if (freq == "MONTHLY" or "BYMONTH" in parts) and any(abs(n) > 5 for n in numbered):
        raise InvalidEvent("recurrence", "a BYDAY position in a month must be from 1 to 5")


def until_utc(value: object, zone: ZoneInfo) -> datetime:
    """UNTIL as an aware UTC instant: a date means the end of that day and a floating time
    the event's timezone (RFC 5545 wants UTC here; hosts do not always send it)."""
    try:
        if isinstance(value, datetime):
            local = value if value.tzinfo is not None else value.replace(tzinfo=zone)
            return local.astimezone(UTC)
        if isinstance(value, date):
            return datetime.combine(value, time(23, 59, 59), zone).astimezone(UTC)
    except OverflowError:
        raise InvalidEvent("recurrence", "UNTIL is out of range in UTC") from None
    raise InvalidEvent("recurrence", "UNTIL is not a date or date-time")


class _Spent(Exception):
    """The expansion spent its step budget."""


class _CountedRule(rrule):
    """A dateutil rule whose expansion charges steps (see the module docstring)."""

    def __init__(self, budget: int, **options: Any) -> None:
        self.__dict__["_meetlink_left"] = sys.maxsize  # dateutil reads its fields while built
        super().__init__(**options)
        self.__dict__["_meetlink_left"] = budget

    def charge(self, steps: int) -> None:
        """Spend ``steps``; raises _Spent when the budget is gone."""
        left = self.__dict__["_meetlink_left"] - steps
        self.__dict__["_meetlink_left"] = left
        if left < 0:
            raise _Spent

    @property
    def left(self) -> int:
        """The steps not spent yet."""
        return max(0, int(self.__dict__["_meetlink_left"]))

    @property
    def _byeaster(self) -> Any:  # read by dateutil once per month or year it enters
        self.charge(MONTH_STEPS)
        return self.__dict__["_byeaster"]

    @_byeaster.setter
    def _byeaster(self, value: Any) -> None:
        self.__dict__["_byeaster"] = value

    @property
    def _byminute(self) -> Any:  # read once per hour an HOURLY rule looks at
        self.charge(HOUR_STEPS)
        return self.__dict__["_byminute"]

    @_byminute.setter
    def _byminute(self, value: Any) -> None:
        self.__dict__["_byminute"] = value


class Expansion(Iterator[datetime]):
    """The starts a rule gives, in order; ends early (``cut``) when the budget is spent, or
    when dateutil fails on the rule (``failed`` holds its error: never a rule the facade
    accepted, but perhaps one an older version stored)."""

    def __init__(self, rule: _CountedRule, budget: int) -> None:
        self._rule = rule
        self._budget = budget
        self._found: Iterator[datetime] = iter(rule)
        self.cut = False
        self.failed: Exception | None = None

    def __iter__(self) -> Expansion:
        return self

    def __next__(self) -> datetime:
        if self.cut:
            raise StopIteration
        try:
            self._rule.charge(1)  # the occurrence asked for
            found = next(self._found)
        except _Spent:
            self.cut = True
            raise StopIteration from None
        except (ValueError, IndexError, OverflowError) as exc:
            self.cut, self.failed = True, exc
            raise StopIteration from None
        return found

    @property
    def steps(self) -> int:
        """The steps spent so far."""
        return self._budget - self._rule.left


def expand(parts: Mapping[str, list[Any]], start: datetime, budget: int = STEP_BUDGET) -> Expansion:
    """The starts the rule ``parts`` (checked by
    [`check_parts`][meetlink.domain.expansion.check_parts]) gives from ``start`` (an aware local
    time in a ZoneInfo zone), within ``budget`` steps."""
    zone = start.tzinfo
    assert isinstance(zone, ZoneInfo)
    options: dict[str, Any] = {
        "freq": _FREQ[str(parts["FREQ"][0]).upper()],
        "dtstart": start,
        "interval": _whole("INTERVAL", parts.get("INTERVAL", [1])[0]),
        "cache": False,
    }
    if "COUNT" in parts:
        options["count"] = _whole("COUNT", parts["COUNT"][0])
    if "UNTIL" in parts:
        options["until"] = until_utc(parts["UNTIL"][0], zone)
    if "WKST" in parts:
        options["wkst"] = _DAY[weekday_of(parts["WKST"][0])[1]]
    for name in _RANGES:
        if name in parts:
            options[name.lower()] = [_whole(name, v) for v in parts[name]]
    if "BYDAY" in parts:
        options["byweekday"] = [_dateutil_day(v) for v in parts["BYDAY"]]
    try:
        rule = _CountedRule(budget, **options)
    except (ValueError, TypeError, OverflowError) as exc:
        raise InvalidEvent("recurrence", f"not an RRULE meetlink can expand: {exc}") from exc
    return Expansion(rule, budget)


def _dateutil_day(value: object) -> weekday:
    ordinal, name = weekday_of(value)
    day: weekday = _DAY[name]
    return day if ordinal is None else day(ordinal)
