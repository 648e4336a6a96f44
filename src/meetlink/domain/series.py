"""An event's occurrences, computed with python-dateutil (RFC 5545 RRULE expansion) and the
``icalendar`` package (RRULE parsing): never by hand.

Occurrences are expanded in the event's own timezone, so a weekly 10:00 meeting stays at
10:00 local time across daylight-saving changes (its UTC time moves). A local time that a
clock change skips is read with the offset before the change, as RFC 5545 §3.3.5 says.

Every expansion here is bounded in work, not only in results
([`meetlink.domain.expansion`][meetlink.domain.expansion]): each one ends when its step budget
is spent, and a series meetlink cannot follow further counts as ending there. Callers also ask for
the occurrences from a moment on and stop reading when they have what they need; counting stops
at a cap.
"""

from __future__ import annotations

import heapq
import itertools
from collections.abc import Iterator, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import attrs
from icalendar import vRecur

from meetlink.domain.conference import MeetingTerms
from meetlink.domain.event import Event, MovedOccurrence
from meetlink.domain.expansion import (
    HORIZON,
    STEP_BUDGET,
    WEEKDAYS,
    Expansion,
    check_parts,
    expand,
    until_utc,
    weekday_of,
)
from meetlink.domain.recurrence import Occurrence, RecurrenceLimits
from meetlink.errors import InvalidEvent

__all__ = ["COUNT_CAP", "WEEKDAYS", "Series", "calendar_rule", "check_recurrence", "rule_parts"]

#: Counting occurrences stops here: a longer series counts as open-ended.
COUNT_CAP = 5000
_KNOWN = {
    "FREQ", "UNTIL", "COUNT", "INTERVAL", "BYSECOND", "BYMINUTE", "BYHOUR", "BYDAY",
    "BYMONTHDAY", "BYYEARDAY", "BYWEEKNO", "BYMONTH", "BYSETPOS", "WKST",
}  # fmt: skip
# Rules that repeat within minutes would make every reminder pass expand thousands of
# occurrences; no calendar event repeats that often.
_FREQS = ("YEARLY", "MONTHLY", "WEEKLY", "DAILY", "HOURLY")
# The periods of fixed wall-clock length (months and years are counted in months).
_FIXED_PERIODS = {
    "WEEKLY": timedelta(weeks=1),
    "DAILY": timedelta(days=1),
    "HOURLY": timedelta(hours=1),
}
_SIMPLE = {"FREQ", "INTERVAL", "COUNT", "UNTIL", "BYDAY", "BYMONTHDAY", "WKST"}


def rule_parts(text: str) -> Mapping[str, list[Any]]:
    """The parts of an RRULE (``FREQ`` -> ``["WEEKLY"]``...), parsed by ``icalendar``.
    Raises InvalidEvent naming ``recurrence``."""
    body = text.strip()
    if body.upper().startswith("RRULE:"):
        body = body[6:]
    try:
        parts = vRecur.from_ical(body)
    except (ValueError, TypeError, KeyError, IndexError) as exc:
        raise InvalidEvent("recurrence", f"not an RFC 5545 RRULE: {exc}") from exc
    keys = {k.upper() for k in parts}
    if "FREQ" not in keys or len(parts["FREQ"]) != 1:
        raise InvalidEvent("recurrence", "an RRULE needs exactly one FREQ")
    if keys - _KNOWN:
        raise InvalidEvent(
            "recurrence", f"unknown RRULE part(s): {', '.join(sorted(keys - _KNOWN))}"
        )
    if {"COUNT", "UNTIL"} <= keys:
        raise InvalidEvent("recurrence", "COUNT and UNTIL cannot both be given (RFC 5545)")
    if str(parts["FREQ"][0]).upper() not in _FREQS:
        raise InvalidEvent("recurrence", f"FREQ must be one of {', '.join(_FREQS)}")
    checked = {str(k).upper(): list(v) for k, v in parts.items()}
    check_parts(checked)
    return checked


def calendar_rule(text: str, zone: ZoneInfo, *, all_day: bool) -> dict[str, list[Any]]:
    """The RRULE parts to write into an invitation: UNTIL in UTC for timed events (RFC 5545
    §3.3.10: DTSTART has a TZID), a DATE for all-day ones (DTSTART is a DATE)."""
    parts = dict(rule_parts(text))
    if "UNTIL" in parts:
        until = until_utc(parts["UNTIL"][0], zone)
        parts["UNTIL"] = [until.astimezone(zone).date() if all_day else until]
    return parts


def _utc(moment: datetime) -> datetime:
    return moment.astimezone(UTC)


@attrs.frozen
class Series:
    """The occurrences of one event (or of the meeting terms derived from it)."""

    start: datetime  # local, in ``zone``
    wall: timedelta  # wall-clock length of one occurrence
    zone: ZoneInfo
    recurrence: str | None
    exdates: tuple[datetime, ...] = ()
    moved: tuple[MovedOccurrence, ...] = ()

    @classmethod
    def of_event(cls, event: Event) -> Series:
        """The series of ``event``."""
        zone = ZoneInfo(event.timezone)
        start, end = event.start.astimezone(zone), event.end.astimezone(zone)
        return cls(
            start,
            end.replace(tzinfo=None) - start.replace(tzinfo=None),
            zone,
            event.recurrence,
            event.exdates,
            event.moved,
        )

    @classmethod
    def of_terms(cls, terms: MeetingTerms) -> Series:
        """The series a provider meeting with ``terms`` must follow."""
        zone = ZoneInfo(terms.timezone)
        return cls(
            terms.start.astimezone(zone),
            timedelta(minutes=terms.duration_minutes),
            zone,
            terms.recurrence,
            terms.exdates,
            terms.moved,
        )

    # -- the rule ----------------------------------------------------------------------------

    def starts(self) -> Expansion | None:
        """A new expansion of the rule from the event's start (None for a one-off event):
        the starts it gives, within the step budget."""
        return None if self.recurrence is None else expand(rule_parts(self.recurrence), self.start)

    def parts(self) -> Mapping[str, list[Any]]:
        """The parsed RRULE parts (empty for a one-off event)."""
        return {} if self.recurrence is None else rule_parts(self.recurrence)

    def anchor_before(self, moment: datetime) -> datetime:
        """The latest start of one of the rule's periods (``INTERVAL`` x ``FREQ``, counted
        from the event's start in wall-clock time) at least a day before ``moment``, or the
        event's start. Expanding the rule from it gives the same starts from ``moment`` on as
        expanding from the event's start: every part of a rule either repeats with its period
        or takes its value from the start's weekday, day, month, hour and minute, which a
        whole number of periods keeps (a month or year that lacks the start's day, the 31st
        or 29 February, is never an anchor). Not for a rule with ``COUNT``, counted from
        the first occurrence: that one has the event's start."""
        parts = {str(k).upper(): v for k, v in self.parts().items()}
        if not parts or "COUNT" in parts:
            return self.start
        freq = str(parts["FREQ"][0]).upper()
        interval = int(parts.get("INTERVAL", [1])[0])
        first = self.start.replace(tzinfo=None)
        target = moment.astimezone(self.zone).replace(tzinfo=None) - timedelta(days=1)
        if target <= first:
            return self.start
        if freq in _FIXED_PERIODS:
            period = _FIXED_PERIODS[freq] * interval
            return (first + period * ((target - first) // period)).replace(tzinfo=self.zone)
        months = interval * (12 if freq == "YEARLY" else 1)
        periods = ((target.year - first.year) * 12 + target.month - first.month) // months
        for n in range(periods, max(periods - 48, 0), -1):  # 29 Feb: every 4th year at most
            month = first.month - 1 + n * months
            try:
                candidate = first.replace(year=first.year + month // 12, month=month % 12 + 1)
            except ValueError:  # the start's day is not in that month
                continue
            if candidate <= target:
                return candidate.replace(tzinfo=self.zone)
        return self.start

    def _end_of(self, start: datetime) -> datetime:
        local = start.astimezone(self.zone).replace(tzinfo=None) + self.wall
        return local.replace(tzinfo=self.zone)

    # -- occurrences ------------------------------------------------------------------------

    def _ruled(self, since: datetime | None) -> Iterator[Occurrence]:
        """Occurrences the rule gives (skipped and moved ones left out), from ``since`` on."""
        starts = self.starts()
        if starts is None:
            yield Occurrence(self.start, self.start, self._end_of(self.start))
            return
        skipped = {_utc(d) for d in self.exdates} | {_utc(m.recurrence_id) for m in self.moved}
        # Anything starting more than one occurrence length (plus a DST hour) before
        # ``since`` is over by then: skip it (each skipped start still costs a step).
        after = None if since is None else since - self.wall - timedelta(hours=2)
        found: Iterator[datetime] = starts
        if after is not None and after >= self.start:
            # A long series is expanded from the last whole period before ``after``, not from
            # its first start: the step budget is for the window asked about, whatever the
            # series' age (an hourly series would otherwise end after about 200 days).
            anchor = self.anchor_before(after)
            if anchor != self.start:
                found = expand(rule_parts(self.recurrence or ""), anchor)
            found = itertools.dropwhile(lambda start: start < after, found)
        elif not self.synchronised():
            # RFC 5545 leaves a start the rule does not give undefined; calendar clients
            # (and meetlink) take it as one more occurrence.
            found = itertools.chain([self.start], found)
        for start in found:
            if _utc(start) not in skipped:
                yield Occurrence(start, start, self._end_of(start))

    def _moved(self) -> list[Occurrence]:
        return sorted(
            (Occurrence(m.recurrence_id, m.start, m.end) for m in self.moved),
            key=lambda o: _utc(o.start),
        )

    def occurrences(self, since: datetime | None = None) -> Iterator[Occurrence]:
        """Occurrences in start order; with ``since``, only those not over by then."""
        merged = heapq.merge(self._ruled(since), self._moved(), key=lambda o: _utc(o.start))
        for occurrence in merged:
            if since is None or _utc(occurrence.end) > since:
                yield occurrence

    def count(self, cap: int = COUNT_CAP) -> int | None:
        """How many occurrences the rule gives (skips not subtracted); None when it never
        ends, gives more than ``cap`` or more than one expansion can follow."""
        starts = self.starts()
        if starts is None:
            return 1
        parts = self.parts()
        if "COUNT" not in parts and "UNTIL" not in parts:
            return None
        counted = sum(1 for _ in itertools.islice(starts, cap + 1))
        return None if counted > cap or starts.cut else counted

    def last(self) -> Occurrence | None:
        """The last occurrence of a series that ends (None when open-ended or longer than
        [`COUNT_CAP`][meetlink.domain.series.COUNT_CAP])."""
        if self.count() is None:
            return None
        latest: Occurrence | None = None
        for occurrence in self.occurrences():
            if latest is None or _utc(occurrence.end) > _utc(latest.end):
                latest = occurrence
        return latest

    def synchronised(self) -> bool:
        """True when the event's start is the rule's first occurrence (RFC 5545 wants it)."""
        starts = self.starts()
        first = next(starts, None) if starts is not None else self.start
        return first is not None and _utc(first) == _utc(self.start)

    def ruled_starts(self, limit: int = COUNT_CAP) -> list[datetime]:
        """The starts the rule gives (skips and moves not applied), at most ``limit``."""
        starts = self.starts()
        return [self.start] if starts is None else list(itertools.islice(starts, limit))

    # -- what a provider can express ---------------------------------------------------------

    def fits(self, limits: RecurrenceLimits) -> bool:
        """Whether a provider with ``limits`` can carry this rule as a fixed-time series."""
        parts = {k.upper(): v for k, v in self.parts().items()}
        if not parts:
            return True
        freq = str(parts["FREQ"][0]).upper()
        most = limits.max_interval(freq)
        interval = int(parts.get("INTERVAL", [1])[0])
        if most is None or not 1 <= interval <= most or set(parts) - _SIMPLE:
            return False
        if not self.synchronised():
            return False
        if "COUNT" in parts or "UNTIL" in parts:
            if self.count(cap=limits.max_occurrences or COUNT_CAP) is None:
                return False  # more occurrences than the provider schedules
        elif limits.requires_end:
            return False
        days = [weekday_of(d) for d in parts.get("BYDAY", [])]
        month_days = [int(d) for d in parts.get("BYMONTHDAY", [])]
        if freq == "DAILY":
            return not days and not month_days
        if freq == "WEEKLY":
            if month_days or any(n is not None for n, _ in days):
                return False
            names = [d for _, d in days] or [WEEKDAYS[self.start.weekday()]]
            wkst = str(parts.get("WKST", ["MO"])[0]).upper()
            return interval == 1 or _same_weeks(names, wkst, limits.week_start)
        # MONTHLY: one day of the month, or one weekday of one week.
        if month_days and days:
            return False
        if days:
            ordinal = days[0][0]
            return len(days) == 1 and ordinal in limits.monthly_week_ordinals
        day = month_days[0] if month_days else self.start.day
        return len(month_days) <= 1 and 1 <= day <= limits.max_month_day


def _same_weeks(days: Sequence[str], wkst: str, provider_start: str) -> bool:
    """True when weeks starting on ``wkst`` and on ``provider_start`` put ``days`` into the
    same groups: the days all lie on one side of the two week boundaries."""
    a, b = WEEKDAYS.index(wkst), WEEKDAYS.index(provider_start)
    if a == b:
        return True
    arc = {(a + i) % 7 for i in range((b - a) % 7)}
    chosen = {WEEKDAYS.index(d) for d in days}
    return chosen <= arc or not (chosen & arc)


def check_recurrence(event: Event) -> None:
    """Raise InvalidEvent (naming ``recurrence``) when the event's RRULE is not one meetlink
    can expand: numbers out of range ([`check_parts`][meetlink.domain.expansion.check_parts]), or
    no occurrence within [`HORIZON`][meetlink.domain.expansion.HORIZON] of the start found within
    one expansion's step budget (a rule that never happens)."""
    if event.recurrence is None:
        return
    series = Series.of_event(event)
    starts = series.starts()
    assert starts is not None
    first = list(itertools.islice(starts, 1))
    if starts.failed is not None:  # dateutil on values it cannot take
        why = f"not an RRULE meetlink can expand: {starts.failed}"
        raise InvalidEvent("recurrence", why) from starts.failed
    if not first or _utc(first[0]) - _utc(series.start) > HORIZON:
        years = HORIZON.days // 365
        raise InvalidEvent(
            "recurrence",
            f"the rule gives no occurrence within {years} years of the start "
            f"(looked for within {STEP_BUDGET:,} expansion steps)",
        )
