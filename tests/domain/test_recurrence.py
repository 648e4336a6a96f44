"""The pure reminder rule for occurrences (S14, R2)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from meetlink.domain.recurrence import Occurrence, ReminderPlan, plan_reminders

LEAD = timedelta(minutes=10)
BERLIN = ZoneInfo("Europe/Berlin")


def _occ(start: datetime, minutes: int = 30) -> Occurrence:
    return Occurrence(start, start, start + timedelta(minutes=minutes))


def test_due_occurrences_are_those_within_the_lead_and_not_over() -> None:
    base = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
    occurrences = [
        _occ(base - timedelta(hours=1)),
        _occ(base + timedelta(minutes=5)),
        _occ(base + timedelta(days=1)),
    ]
    plan = plan_reminders(occurrences, base, LEAD)
    assert plan.due == (occurrences[1],)
    assert plan.next_at == base + timedelta(days=1) - LEAD


def test_next_is_none_when_nothing_is_left_and_always_after_now() -> None:
    now = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
    assert plan_reminders([], now, LEAD).next_at is None
    plan = plan_reminders([_occ(now + timedelta(minutes=11))], now, LEAD)
    assert plan.due == () and plan.next_at is not None and plan.next_at > now


def test_the_lead_is_real_time_across_a_clock_change() -> None:
    # 03:00 CEST on the day clocks jump from 02:00 to 03:00: ten minutes earlier is 01:50 CET
    # (00:50 UTC), not the 02:50 that wall-clock arithmetic would give (a time that never was).
    start = datetime(2027, 3, 28, 3, 0, tzinfo=BERLIN)
    plan = plan_reminders([_occ(start)], datetime(2027, 3, 27, tzinfo=UTC), LEAD)
    assert plan.next_at == datetime(2027, 3, 28, 0, 50, tzinfo=UTC)
    assert plan_reminders([_occ(start)], datetime(2027, 3, 28, 0, 50, tzinfo=UTC), LEAD).due


def test_a_moved_occurrence_knows_it() -> None:
    start = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
    assert not _occ(start).moved
    assert Occurrence(start, start + timedelta(hours=1), start + timedelta(hours=2)).moved


def test_an_occurrence_that_ends_now_is_over_and_one_reminded_of_now_is_due() -> None:
    now = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
    ending = _occ(now - timedelta(minutes=30))  # 08:30-09:00: over at 09:00
    assert plan_reminders([ending], now, LEAD) == ReminderPlan((), None)
    starting = _occ(now + LEAD)  # its reminder is due at 09:00 exactly
    assert plan_reminders([starting], now, LEAD) == ReminderPlan((starting,), None)
