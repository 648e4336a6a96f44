"""RRULE <-> Zoom's ``recurrence`` object (FACTS.md §3.2), both ways, and occurrence ids.

A recurring event becomes ONE Zoom meeting (never one per occurrence, PEERS.md):

- type 8 (recurring, fixed time) when
  [`ZOOM_RECURRENCE`][meetlink.adapters.zoom.recurrence.ZOOM_RECURRENCE] says Zoom can express the
  rule: DAILY (interval <= 90), WEEKLY (<= 12 weeks, any weekdays), MONTHLY (<= 3 months, one day
  1-28 or one weekday of week 1-4 or the last week), ending after COUNT <= 60 occurrences or at
  UNTIL (again at most 60). Spec-2023b caps ``end_times`` at 60 (Spec-2023a said 365: the stricter
  wins). Days 29-31 are left out because Zoom does not say what it does in shorter months (RFC 5545
  skips them). ``weekly_days`` counts Sunday as 1, so Zoom's weeks are taken to start on Sunday
  (UNCONFIRMED; it matters only for INTERVAL > 1 with several days).
- type 3 (recurring, no fixed time) for everything else (open-ended rules: Zoom's
  ``end_times`` defaults to 1; YEARLY; BYSETPOS...). The join URL works for every
  occurrence; Zoom just shows no dates. meetlink returns ``Notice.RECURRENCE_NOT_EXPRESSIBLE``.

Occurrence ids are the occurrence's start in epoch milliseconds (the spec's example).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from dateutil.rrule import DAILY, MONTHLY, WEEKLY, rrule, weekday
from dateutil.rrule import weekdays as dateutil_weekdays

from meetlink.domain.conference import MeetingTerms
from meetlink.domain.recurrence import RecurrenceLimits
from meetlink.domain.series import WEEKDAYS, Series

__all__ = [
    "ZOOM_RECURRENCE",
    "occurrence_id",
    "recurrence_object",
    "rule_of",
    "zoom_time",
]

ZOOM_RECURRENCE = RecurrenceLimits(
    daily_interval=90,
    weekly_interval=12,
    monthly_interval=3,
    max_occurrences=60,
    requires_end=True,
    max_month_day=28,
    monthly_week_ordinals=frozenset({1, 2, 3, 4, -1}),
    week_start="SU",
)

# Zoom numbers weekdays from Sunday = 1 (FACTS.md §3.2).
_ZOOM_DAY = {"SU": 1, "MO": 2, "TU": 3, "WE": 4, "TH": 5, "FR": 6, "SA": 7}
_DAY_OF_ZOOM = {number: name for name, number in _ZOOM_DAY.items()}
_TYPES = {"DAILY": 1, "WEEKLY": 2, "MONTHLY": 3}


def zoom_time(when: datetime) -> str:
    """A UTC time as Zoom writes it: ``2022-03-25T07:29:29Z``."""
    return when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def occurrence_id(start: datetime) -> str:
    """Zoom's id of the occurrence that starts at ``start`` (epoch milliseconds)."""
    return str(int(start.astimezone(UTC).timestamp()) * 1000)


def recurrence_object(terms: MeetingTerms) -> dict[str, Any] | None:
    """Zoom's ``recurrence`` for a type 8 meeting following ``terms``; None when Zoom cannot
    express the rule (the meeting then becomes type 3)."""
    series = Series.of_terms(terms)
    if terms.recurrence is None or not series.fits(ZOOM_RECURRENCE):
        return None
    parts = {k.upper(): v for k, v in series.parts().items()}
    freq = str(parts["FREQ"][0]).upper()
    body: dict[str, Any] = {
        "type": _TYPES[freq],
        "repeat_interval": int(parts.get("INTERVAL", [1])[0]),
    }
    days = [str(d).upper() for d in parts.get("BYDAY", [])]
    if freq == "WEEKLY":
        names = [d[-2:] for d in days] or [WEEKDAYS[series.start.weekday()]]
        body["weekly_days"] = ",".join(str(n) for n in sorted({_ZOOM_DAY[d] for d in names}))
    elif freq == "MONTHLY" and days:
        body["monthly_week"] = int(days[0][:-2])
        body["monthly_week_day"] = _ZOOM_DAY[days[0][-2:]]
    elif freq == "MONTHLY":
        month_days = parts.get("BYMONTHDAY", [series.start.day])
        body["monthly_day"] = int(month_days[0])
    if "COUNT" in parts:
        body["end_times"] = int(parts["COUNT"][0])
    else:
        # The last occurrence's own start: the same series whether Zoom reads the value as
        # an instant or as "the final date" (at most one occurrence a day here).
        body["end_date_time"] = zoom_time(series.ruled_starts()[-1])
    return body


def _weekday_list(value: object) -> list[weekday]:
    if isinstance(value, int):
        value = str(value)
    if not isinstance(value, str) or not value:
        raise ValueError("weekly_days must name days 1-7")
    days = [int(part) for part in value.split(",")]
    if any(d not in _DAY_OF_ZOOM for d in days):
        raise ValueError("weekly_days must name days 1-7")
    return [dateutil_weekdays[WEEKDAYS.index(_DAY_OF_ZOOM[d])] for d in days]


def rule_of(recurrence: Mapping[str, Any], start: datetime, timezone: str) -> rrule:
    """The occurrences a type 8 meeting has, as a dateutil rule: Zoom's reading of
    ``recurrence`` from ``start`` (UTC) in ``timezone``, weeks starting on Sunday.
    ValueError when the object is not one Zoom takes."""
    zone = ZoneInfo(timezone)
    local = start.astimezone(zone)
    kind = recurrence.get("type")
    interval = int(recurrence.get("repeat_interval") or 1)
    options: dict[str, Any] = {"dtstart": local, "interval": interval, "wkst": 6}
    if "end_date_time" in recurrence and "end_times" in recurrence:
        raise ValueError("end_times and end_date_time cannot both be used")
    if "end_date_time" in recurrence:
        until = datetime.fromisoformat(str(recurrence["end_date_time"]).replace("Z", "+00:00"))
        options["until"] = until.astimezone(UTC)
    else:
        options["count"] = int(recurrence.get("end_times") or 1)
    if kind == 1:
        return rrule(DAILY, **options)
    if kind == 2:
        return rrule(WEEKLY, byweekday=_weekday_list(recurrence.get("weekly_days", "1")), **options)
    if kind != 3:
        raise ValueError("recurrence type must be 1, 2 or 3")
    if "monthly_week" in recurrence:
        day = dateutil_weekdays[WEEKDAYS.index(_DAY_OF_ZOOM[int(recurrence["monthly_week_day"])])]
        return rrule(MONTHLY, byweekday=day(int(recurrence["monthly_week"])), **options)
    return rrule(MONTHLY, bymonthday=int(recurrence.get("monthly_day") or 1), **options)
