"""Human-readable meeting times for mail bodies, in the event's own timezone.

Weekday and month names come from fixed tables, never from ``strftime`` (whose ``%a``/``%b``
follow the process locale and would make the same mail differ between servers).
"""

from __future__ import annotations

from datetime import UTC, datetime, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import attrs

__all__ = ["When", "describe_when"]

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


def _zone(name: str) -> tuple[tzinfo, str]:
    """The zone to display in; an unknown name falls back to UTC, labelled as such, so the
    printed time stays true even when the label is not the one asked for."""
    try:
        return ZoneInfo(name), name
    except (ZoneInfoNotFoundError, ValueError):
        return UTC, "UTC"


def _date(moment: datetime, locale: str) -> str:
    if locale == "ja":
        return f"{moment.year}年{moment.month}月{moment.day}日({_JA_WEEKDAYS[moment.weekday()]})"
    weekday = _EN_WEEKDAYS[moment.weekday()]
    return f"{weekday}, {moment.day} {_EN_MONTHS[moment.month - 1]} {moment.year}"


def describe_when(
    start: datetime, end: datetime, timezone: str, locale: str, *, range_sep: str
) -> When:
    """Format ``start``-``end`` (aware) in ``timezone`` for ``locale`` ("ja" or "en").

    ja: ``2026年12月1日(火) 10:00～11:00 (Asia/Tokyo)``;
    en: ``Tue, 1 Dec 2026 10:00 - 11:00 (Asia/Tokyo)``. A range that crosses midnight repeats
    the date. ``range_sep`` joins the two ends (the composer picks one its charset can carry).
    """
    zone, label = _zone(timezone)
    local_start = start.astimezone(zone)
    local_end = end.astimezone(zone)
    start_text = f"{_date(local_start, locale)} {local_start:%H:%M}"
    if local_end.date() == local_start.date():
        end_text = f"{local_end:%H:%M}"
    else:
        end_text = f"{_date(local_end, locale)} {local_end:%H:%M}"
    return When(
        when=f"{start_text}{range_sep}{end_text} ({label})",
        start_text=start_text,
        end_text=end_text,
        timezone=label,
    )
