"""Recurrences are bounded in work, not only in results (issue 21, findings 1 and 5).

A rule that never happens (February 30th, a Monday rule that only visits Tuesdays) is refused
where the event is saved, the same whichever provider the event asks for; a rule stored
before the bound existed is expanded within the step budget by every later expansion
(reminders, the Teams span, Zoom's series end); COUNT and INTERVAL are at least 1. The work is
counted from outside by :mod:`tests.security.dateutil_work`, never timed.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import attrs
import pytest

from meetlink import Event, InvalidEvent, IssuancePolicy, Participant
from meetlink.adapters.memory.provider import FakeVideoProvider
from meetlink.adapters.teams.sansio import meeting_span
from meetlink.adapters.zoom.recurrence import recurrence_object
from meetlink.domain.conference import MeetingTerms
from meetlink.domain.expansion import HORIZON, HOUR_STEPS, STEP_BUDGET
from meetlink.domain.records import EventRecord
from meetlink.domain.series import Series
from meetlink.ports.provider import Capabilities
from meetlink.testing import Sandbox
from tests.security.dateutil_work import Work, dateutil_work

T0 = datetime(2027, 1, 4, 9, 0, tzinfo=UTC)  # a Monday
TUESDAY = datetime(2027, 1, 5, 9, 0, tzinfo=UTC)

#: Rules that never give an occurrence (the issue's, and their cousins).
NEVER = [
    "FREQ=DAILY;BYMONTH=2;BYMONTHDAY=30",
    "FREQ=HOURLY;BYMONTH=2;BYMONTHDAY=30",
    "FREQ=HOURLY;BYMONTH=2;BYMONTHDAY=30;COUNT=5",
    "FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=30",
    "FREQ=MONTHLY;BYMONTH=4;BYMONTHDAY=31",
    "FREQ=WEEKLY;BYMONTH=2;BYMONTHDAY=30",
    "FREQ=YEARLY;BYWEEKNO=1;BYMONTH=6",
    "FREQ=YEARLY;BYYEARDAY=1;BYMONTHDAY=2",
    "FREQ=MONTHLY;BYDAY=1MO;BYMONTHDAY=15",
    "FREQ=HOURLY;BYSETPOS=2",
    "FREQ=DAILY;BYSETPOS=2",
    "FREQ=YEARLY;BYMONTH=5;BYMONTHDAY=3;BYSETPOS=3",
]
#: Rules that never give an occurrence from a Tuesday start (phase and interval).
NEVER_FROM_TUESDAY = [
    "FREQ=DAILY;INTERVAL=7;BYDAY=MO",
    "FREQ=HOURLY;INTERVAL=168;BYDAY=MO",
]
#: Invalid numbers: refused before anything is mailed.
INVALID = [
    "FREQ=WEEKLY;COUNT=0",
    "FREQ=WEEKLY;COUNT=-1",
    "FREQ=DAILY;INTERVAL=0",
    "FREQ=DAILY;INTERVAL=-3",
    "FREQ=MONTHLY;INTERVAL=0;BYHOUR=0;BYDAY=MO;BYMONTHDAY=1;UNTIL=20301231T200000Z",
    "FREQ=DAILY;BYMONTH=13",
    "FREQ=DAILY;BYMONTHDAY=0",
    "FREQ=DAILY;BYHOUR=24",
    "FREQ=YEARLY;BYWEEKNO=54",
    "FREQ=MONTHLY;BYDAY=0MO",
    "FREQ=MONTHLY;BYDAY=53MO",
    "FREQ=YEARLY;BYMONTH=2;BYDAY=6MO",
    "FREQ=WEEKLY;BYDAY=1MO",
    "FREQ=DAILY;UNTIL=20260101T000000Z",  # before the start: no occurrence at all
]
PEOPLE = (Participant("bob@example.com", "Bob", "en"),)


def _event(rule: str, start: datetime = T0, provider: str = "zoom", **fields: object) -> Event:
    return Event(
        "s1",
        "t1",
        "alice",
        "Standup",
        start,
        start + timedelta(minutes=30),
        timezone="Europe/Berlin",
        recurrence=rule,
        participants=PEOPLE,
        web_meeting=provider,
        **fields,  # type: ignore[arg-type]
    )


@pytest.fixture
def sb() -> Iterator[Sandbox]:
    fake = FakeVideoProvider(
        clock=None,  # type: ignore[arg-type]  # set below: the sandbox's own clock
        key="host",
        capabilities=Capabilities(display_name="Host", free_plan_minutes=None),
    )
    with Sandbox(
        now=T0 - timedelta(days=1),
        with_teams=True,
        providers=[fake],
        policy=IssuancePolicy.roadmap(),  # recurrences allowed: the setting
    ) as sandbox:
        fake.clock = sandbox.clock
        sandbox.meetlink.contract("t1")
        sandbox.link_user("t1", "alice")
        yield sandbox


def _refused(sb: Sandbox, event: Event) -> tuple[InvalidEvent, Work]:
    with dateutil_work() as work, pytest.raises(InvalidEvent) as info:
        sb.meetlink.save_event(event)
    assert info.value.field == "recurrence", info.value
    assert sb.meetlink.event("s1", tenant_id="t1") is None  # nothing stored
    sb.meetlink.run_pending()
    assert sb.outbox == []  # nothing mailed
    return info.value, work


@pytest.mark.parametrize("provider", ["zoom", "teams", "host"])
@pytest.mark.parametrize("rule", NEVER)
def test_a_rule_that_never_happens_is_refused_within_one_expansion_budget(
    sb: Sandbox, rule: str, provider: str
) -> None:
    error, work = _refused(sb, _event(rule, provider=provider))
    assert "no occurrence" in str(error)
    assert work.expansions() <= 1, work


@pytest.mark.parametrize("provider", ["zoom", "teams", "host"])
@pytest.mark.parametrize("rule", NEVER_FROM_TUESDAY)
def test_a_rule_whose_interval_never_meets_its_days_is_refused(
    sb: Sandbox, rule: str, provider: str
) -> None:
    _, work = _refused(sb, _event(rule, TUESDAY, provider=provider))
    assert work.expansions() <= 1, work


@pytest.mark.parametrize("rule", INVALID)
def test_invalid_numbers_are_refused_before_anything_is_mailed(sb: Sandbox, rule: str) -> None:
    _refused(sb, _event(rule))


def test_the_first_occurrence_must_fall_within_the_horizon(sb: Sandbox) -> None:
    # February 29th on a Monday: 2044 is the next one after 2027 (17 years).
    leap_monday = "FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=29;BYDAY=MO"
    error, _ = _refused(sb, _event(leap_monday))
    assert f"{HORIZON.days // 365} years" in str(error)
    # Every fourth year on February 29th: the first (2028) is within the horizon.
    leap_day = _event("FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=29;COUNT=3")
    assert sb.meetlink.save_event(leap_day).conference is not None


def _stored(sb: Sandbox, event: Event) -> None:
    """``event`` as an older version stored it, before its rule was bounded: its reminders
    due now."""
    now = sb.clock.now()
    with sb.storage.unit_of_work() as uow:
        uow.events.put(EventRecord(event=event, remind_at=now, updated_at=now))
        uow.commit()


@pytest.mark.parametrize("rule", NEVER)
def test_reminders_of_a_stored_rule_that_never_happens_stay_within_the_budget(
    sb: Sandbox, rule: str
) -> None:
    _stored(sb, attrs.evolve(_event(rule), web_meeting=None))
    with dateutil_work() as work:
        assert sb.meetlink.send_due_reminders() == 0
    with sb.storage.unit_of_work(read_only=True) as uow:
        record = uow.events.get("t1", "s1")
    assert record is not None and record.remind_at is None  # nothing left to remind of
    assert work.expansions() <= 2, work  # the occurrences from now, and the synchronised check


@pytest.mark.parametrize("rule", NEVER + NEVER_FROM_TUESDAY)
def test_provider_expansions_of_such_a_rule_stay_within_the_budget(rule: str) -> None:
    start = TUESDAY if rule in NEVER_FROM_TUESDAY else T0
    terms = MeetingTerms(
        topic="Standup",
        start=start,
        duration_minutes=30,
        timezone="Europe/Berlin",
        recurrence=rule,
    )
    with dateutil_work() as work:
        assert meeting_span(terms) == (start, start + timedelta(minutes=30))  # Teams
    assert work.expansions() <= 3, work
    with dateutil_work() as work:
        recurrence_object(terms)  # Zoom: type 8 or 3
    assert work.expansions() <= 3, work
    with dateutil_work() as work:
        assert Series.of_terms(terms).count() in (None, 0)
        assert Series.of_terms(terms).last() is None
    assert work.expansions() <= 4, work


def test_the_budget_is_spent_on_the_window_not_on_the_series_age() -> None:
    """An hourly series three years on (26,000 hours, more than one budget of steps from its
    start) still gives its next occurrences, and finding them costs a few days' work: the
    expansion starts at the last whole period before the window (Series.anchor_before),
    never a scan of every hour since the series' start."""
    series = Series.of_event(_event("FREQ=HOURLY"))
    far = T0 + timedelta(days=3 * 365)
    assert STEP_BUDGET < (HOUR_STEPS + 1) * 3 * 365 * 24  # from the start: over budget
    with dateutil_work() as work:
        found = list(itertools.islice(series.occurrences(since=far), 3))
    assert [o.start for o in found] == [far + timedelta(hours=h) for h in range(3)]
    assert work.steps <= HOUR_STEPS * 3 * 24 + 2 * 31, work  # about the day before the window


@pytest.mark.parametrize(
    ("rule", "followed", "not_followed"),
    [
        ("FREQ=DAILY;COUNT=100000", timedelta(days=26 * 365), timedelta(days=29 * 365)),
        ("FREQ=WEEKLY;COUNT=100000", timedelta(days=46 * 365), timedelta(days=49 * 365)),
        ("FREQ=MONTHLY;COUNT=100000", timedelta(days=51 * 365), timedelta(days=54 * 365)),
        ("FREQ=HOURLY;COUNT=100000", timedelta(days=6 * 30), timedelta(days=8 * 30)),
    ],
)
def test_how_far_a_counted_series_is_followed_is_what_the_docs_say(
    rule: str, followed: timedelta, not_followed: timedelta
) -> None:
    """docs/recurrence.md: a rule with COUNT is counted from its first occurrence, so one
    expansion follows it about 27 years (daily), 47 (weekly), 52 (monthly), 7 months
    (hourly)."""
    series = Series.of_event(_event(rule))
    assert next(series.occurrences(since=T0 + followed), None) is not None
    assert next(series.occurrences(since=T0 + not_followed), None) is None


@pytest.mark.parametrize(
    ("rule", "age"),
    [
        ("FREQ=DAILY", timedelta(days=100 * 365)),
        ("FREQ=WEEKLY;BYDAY=MO,TH", timedelta(days=100 * 365)),
        ("FREQ=MONTHLY;BYDAY=-1FR", timedelta(days=200 * 365)),
        ("FREQ=YEARLY", timedelta(days=900 * 365)),
        ("FREQ=HOURLY;INTERVAL=5", timedelta(days=30 * 365)),
    ],
)
def test_a_series_without_count_is_followed_at_any_age(rule: str, age: timedelta) -> None:
    """docs/recurrence.md: without COUNT, each expansion starts near the moment asked about,
    so a series is followed as long as it lasts (before: 27 years of a daily rule, 7 months
    of an hourly one, then no occurrence and no reminder)."""
    series = Series.of_event(_event(rule))
    since = T0 + age
    following = next(series.occurrences(since=since), None)
    assert following is not None
    assert since < following.end.astimezone(UTC) <= since + timedelta(days=400)
