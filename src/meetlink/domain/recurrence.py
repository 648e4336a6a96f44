"""Recurring events (R2): occurrences, what a provider's fixed-time series can express, and
when each occurrence's reminder falls due (S14).

Pure: the expansion of an RRULE into occurrences is done by a library outside the domain
([`meetlink.domain.series`][meetlink.domain.series], python-dateutil) and handed in as an
iterable, so the rules here never depend on how dates are computed.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime, timedelta

import attrs

__all__ = ["Occurrence", "RecurrenceLimits", "ReminderPlan", "plan_reminders"]


@attrs.frozen
class Occurrence:
    """One occurrence of an event. ``recurrence_id`` is the start its rule gives it (for a
    one-off event: the event's start); ``start``/``end`` are when it takes place (they differ
    from the rule's for a moved occurrence)."""

    recurrence_id: datetime
    start: datetime
    end: datetime

    @property
    def moved(self) -> bool:
        """True when the occurrence was moved away from the time its rule gives it."""
        return self.start != self.recurrence_id


@attrs.frozen(kw_only=True)
class RecurrenceLimits:
    """What a provider's recurring meeting with fixed times can express (capability data).

    A rule is expressible when its frequency has a maximum interval here, its interval is
    within it, it uses only FREQ, INTERVAL, COUNT, UNTIL, BYDAY, BYMONTHDAY and WKST, its
    start is one of its occurrences, it ends (``requires_end``) after at most
    ``max_occurrences``, a monthly rule names one day of the month (at most
    ``max_month_day``) or one weekday of one week (ordinal in ``monthly_week_ordinals``), and
    a weekly rule with several days and an interval over 1 groups its days into the same
    weeks as the provider does (its weeks start on ``week_start``).
    """

    daily_interval: int | None = None
    weekly_interval: int | None = None
    monthly_interval: int | None = None
    max_occurrences: int | None = None
    requires_end: bool = False
    max_month_day: int = 31
    monthly_week_ordinals: frozenset[int] = frozenset({1, 2, 3, 4, 5, -1})
    week_start: str = "MO"

    def max_interval(self, freq: str) -> int | None:
        """The largest interval the provider takes for ``freq``; None: not expressible."""
        return {
            "DAILY": self.daily_interval,
            "WEEKLY": self.weekly_interval,
            "MONTHLY": self.monthly_interval,
        }.get(freq)


@attrs.frozen
class ReminderPlan:
    """What a reminder pass does for one event: remind of ``due`` occurrences now, and look
    again at ``next_at`` (None: no occurrence is left to remind of)."""

    due: tuple[Occurrence, ...]
    next_at: datetime | None


def plan_reminders(
    occurrences: Iterable[Occurrence], now: datetime, lead: timedelta
) -> ReminderPlan:
    """S14 for every occurrence: each occurrence that is not over and starts within ``lead``
    of ``now`` is due; the next look is when the first later occurrence enters its lead.

    ``occurrences`` are in start order and need only begin with those not over yet (a
    caller expands a bounded window, never the whole series); the plan stops reading at the
    first occurrence whose reminder lies ahead, so ``next_at`` is always after ``now``."""
    due: list[Occurrence] = []
    for occurrence in occurrences:
        if occurrence.end.astimezone(UTC) <= now:
            continue  # over: its reminder is no use any more
        # In UTC: aware arithmetic in a zone is wall-clock arithmetic, which is wrong by an
        # hour when a daylight-saving change falls inside the lead.
        remind_at = occurrence.start.astimezone(UTC) - lead
        if remind_at > now:
            return ReminderPlan(tuple(due), remind_at)
        due.append(occurrence)
    return ReminderPlan(tuple(due), None)
