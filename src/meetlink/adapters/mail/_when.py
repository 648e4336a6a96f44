"""Human-readable meeting times for mail bodies, in the event's own timezone.

Weekday and month names come from fixed tables, never from ``strftime`` (whose ``%a``/``%b``
follow the process locale and would make the same mail differ between servers).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import attrs

__all__ = ["When", "all_day_dates", "day_text", "describe_when", "display_zone"]

_JA_WEEKDAYS = "月火水木金土日"
_EN_WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_EN_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


@attrs.frozen(kw_only=True)
class When:
    """The strings templates use: ``when`` is the full range, ``start_text`` the start only."""

    when: str
    start_text: str
    end_text: str
    timezone: str


def display_zone(name: str) -> tzinfo:
    """The zone times are shown in (UTC when ``name`` is unknown)."""
    return _zone(name)[0]


def _zone(name: str) -> tuple[tzinfo, str]:
    """The zone to display in; an unknown name falls back to UTC, labelled as such, so the
    printed time stays true even when the label is not the one asked for."""
    try:
        return ZoneInfo(name), name
    except (ZoneInfoNotFoundError, ValueError):
        return UTC, "UTC"


def day_text(day: date, locale: str) -> str:
    """``2026年12月1日(火)`` / ``Tue, 1 Dec 2026``."""
    if locale == "ja":
        return f"{day.year}年{day.month}月{day.day}日({_JA_WEEKDAYS[day.weekday()]})"
    weekday = _EN_WEEKDAYS[day.weekday()]
    return f"{weekday}, {day.day} {_EN_MONTHS[day.month - 1]} {day.year}"


def all_day_dates(start: datetime, end: datetime, zone: tzinfo) -> tuple[date, date]:
    """The first day and the day after the last of an all-day event (iCalendar's DTSTART
    and exclusive DTEND with VALUE=DATE): a local end at midnight closes the day before."""
    first = start.astimezone(zone).date()
    local_end = end.astimezone(zone)
    after = local_end.date() if local_end.time() == time(0) else local_end.date() + timedelta(1)
    return first, max(after, first + timedelta(1))


def describe_when(
    start: datetime,
    end: datetime,
    timezone: str,
    locale: str,
    *,
    range_sep: str,
    all_day: bool = False,
) -> When:
    """Format ``start``-``end`` (aware) in ``timezone`` for ``locale`` ("ja" or "en").

    ja: ``2026年12月1日(火) 10:00～11:00 (Asia/Tokyo)``;
    en: ``Tue, 1 Dec 2026 10:00 - 11:00 (Asia/Tokyo)``. A range that crosses midnight repeats
    the date. ``range_sep`` joins the two ends (the composer picks one its charset can carry).
    """
    zone, label = _zone(timezone)
    if all_day:
        first, after = all_day_dates(start, end, zone)
        last = after - timedelta(1)
        start_text = day_text(first, locale)
        end_text = day_text(last, locale)
        span = start_text if last == first else f"{start_text}{range_sep}{end_text}"
        marker = "終日" if locale == "ja" else "all day"
        return When(
            when=f"{span} ({marker})", start_text=start_text, end_text=end_text, timezone=label
        )
    local_start = start.astimezone(zone)
    local_end = end.astimezone(zone)
    start_text = f"{day_text(local_start.date(), locale)} {local_start:%H:%M}"
    if local_end.date() == local_start.date():
        end_text = f"{local_end:%H:%M}"
    else:
        end_text = f"{day_text(local_end.date(), locale)} {local_end:%H:%M}"
    return When(
        when=f"{start_text}{range_sep}{end_text} ({label})",
        start_text=start_text,
        end_text=end_text,
        timezone=label,
    )
