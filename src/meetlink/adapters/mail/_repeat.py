"""How a recurring event repeats, in words, for mail bodies (R2).

The rule is read with [`meetlink.domain.series.rule_parts`][meetlink.domain.series.rule_parts]
(the ``icalendar`` parser); words come from fixed tables per locale, never from the process locale.
Rules with parts these words do not cover (BYSETPOS, BYMONTH...) are still described by their
frequency, followed by the RRULE itself, so the text never claims less than the rule says.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, tzinfo
from typing import Any

from meetlink.domain.event import MovedOccurrence
from meetlink.domain.series import WEEKDAYS, rule_parts

from ._when import day_text

__all__ = ["describe_repeat"]

_EN_DAY = dict(zip(WEEKDAYS, ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"), strict=True))
_JA_DAY = dict(zip(WEEKDAYS, "月火水木金土日", strict=True))
_EN_UNIT = {
    "HOURLY": "hour",
    "DAILY": "day",
    "WEEKLY": "week",
    "MONTHLY": "month",
    "YEARLY": "year",
}
_JA_UNIT = {"HOURLY": "時間", "DAILY": "日", "WEEKLY": "週", "MONTHLY": "か月", "YEARLY": "年"}
_JA_EVERY = {
    "HOURLY": "毎時",
    "DAILY": "毎日",
    "WEEKLY": "毎週",
    "MONTHLY": "毎月",
    "YEARLY": "毎年",
}
_COVERED = {"FREQ", "INTERVAL", "COUNT", "UNTIL", "BYDAY", "BYMONTHDAY", "WKST"}
_EN_ORDINAL = {1: "first", 2: "second", 3: "third", 4: "fourth", 5: "fifth", -1: "last"}


def _days(values: Sequence[Any], locale: str) -> str:
    words: list[str] = []
    for value in values:
        text = str(value).upper()
        name, number = text[-2:], text[:-2]
        if locale == "ja":
            day = f"{_JA_DAY[name]}曜日"
            words.append(f"第{number}{day}" if number not in ("", "-1") else day)
            if number == "-1":
                words[-1] = f"最終{day}"
        else:
            day = _EN_DAY[name]
            ordinal = _EN_ORDINAL.get(int(number)) if number not in ("", "+") else None
            words.append(f"the {ordinal} {day}" if ordinal else day)
    return "・".join(words) if locale == "ja" else ", ".join(words)


def _until(value: object, zone: tzinfo, locale: str) -> str:
    day = value.astimezone(zone).date() if isinstance(value, datetime) else value
    assert isinstance(day, date)
    return day_text(day, locale)


def describe_repeat(
    recurrence: str | None,
    exdates: Sequence[datetime],
    moved: Sequence[MovedOccurrence],
    zone: tzinfo,
    locale: str,
) -> str:
    """``"Every week on Mon, Wed; 10 times"`` / ``"毎週 月曜日・水曜日（10回）"``, then the
    skipped and moved occurrences; "" for a one-off event."""
    if recurrence is None:
        return ""
    parts = rule_parts(recurrence)
    freq = str(parts["FREQ"][0]).upper()
    interval = int(parts.get("INTERVAL", [1])[0])
    on = _days(parts.get("BYDAY", []), locale)
    month_days = [str(d) for d in parts.get("BYMONTHDAY", [])]
    if locale == "ja":
        text = _JA_EVERY[freq] if interval == 1 else f"{interval}{_JA_UNIT[freq]}ごと"
        if on:
            text += f" {on}"
        if month_days:
            text += " " + "・".join(f"{d}日" for d in month_days)
        if "COUNT" in parts:
            text += f"（{parts['COUNT'][0]}回）"
        elif "UNTIL" in parts:
            text += f"（{_until(parts['UNTIL'][0], zone, locale)}まで）"
    else:
        unit = _EN_UNIT[freq]
        text = f"Every {unit}" if interval == 1 else f"Every {interval} {unit}s"
        if on:
            text += f" on {on}"
        if month_days:
            text += " on day " + ", ".join(month_days)
        if "COUNT" in parts:
            text += f"; {parts['COUNT'][0]} times"
        elif "UNTIL" in parts:
            text += f"; until {_until(parts['UNTIL'][0], zone, locale)}"
    if set(parts) - _COVERED:
        text += f" ({recurrence.strip()})"
    if exdates:
        days = ", ".join(day_text(d.astimezone(zone).date(), locale) for d in exdates)
        text += f"（{days} は休み）" if locale == "ja" else f"; not on {days}"
    for change in moved:
        old = day_text(change.recurrence_id.astimezone(zone).date(), locale)
        new = change.start.astimezone(zone)
        when = f"{day_text(new.date(), locale)} {new:%H:%M}"
        text += f"（{old} の回は {when} に変更）" if locale == "ja" else f"; {old} moved to {when}"
    return text
