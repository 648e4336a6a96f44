"""Rate budget rules (domain/budgets.py): what a limit grants, whatever the call times."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from meetlink.domain.budgets import (
    Limit,
    Operation,
    RateBudget,
    Scope,
    Spent,
    Usage,
    Window,
    spend,
    window_start,
)

T0 = datetime(2026, 11, 26, 23, 59, 58, tzinfo=UTC)
CREATE = frozenset({Operation.CREATE})


def rolling(count: int, per_ms: int, burst: int = 1, cost: int = 1) -> Limit:
    return Limit(
        name="qps",
        scope=Scope.ORGANIZATION,
        count=count,
        per=timedelta(milliseconds=per_ms),
        burst=burst,
        cost=cost,
        operations=CREATE,
    )


def calendar(count: int, window: Window, cost: int = 1) -> Limit:
    return Limit(
        name="cap", scope=Scope.ACCOUNT, count=count, window=window, cost=cost, operations=CREATE
    )


def _run(limit: Limit, times: list[datetime]) -> tuple[list[datetime], list[datetime | None]]:
    """Try one call at each time (sorted); the granted times and each refusal's retry_at."""
    usage: Usage | None = None
    granted: list[datetime] = []
    refusals: list[datetime | None] = []
    for now in times:
        spent = spend([limit], {} if usage is None else {limit.name: usage}, now)
        if spent.granted:
            usage = spent.usages[limit.name]
            granted.append(now)
        else:
            assert spent.usages == {}  # nothing spent on a refusal
            assert spent.retry_at is not None and spent.retry_at > now
            refusals.append(spent.retry_at)
    return granted, refusals


offsets = st.lists(st.integers(min_value=0, max_value=5_000_000), min_size=1, max_size=120)


@st.composite
def rolling_limits(draw: st.DrawFn) -> Limit:
    count = draw(st.integers(min_value=1, max_value=25))
    burst = draw(st.integers(min_value=1, max_value=count))
    cost = draw(st.integers(min_value=1, max_value=burst))
    return rolling(count, draw(st.integers(min_value=1, max_value=2000)), burst, cost)


@settings(max_examples=300, deadline=None)
@given(limit=rolling_limits(), micros=offsets)
def test_rolling_never_grants_more_than_count_in_any_window(
    limit: Limit, micros: list[int]
) -> None:
    times = [T0 + timedelta(microseconds=m) for m in sorted(micros)]
    granted, _ = _run(limit, times)
    assert limit.per is not None
    for i, start in enumerate(granted):  # the fullest half-open window starts at a grant
        inside = [t for t in granted[i:] if t < start + limit.per]
        assert len(inside) * limit.cost <= limit.count  # each job makes ``cost`` calls


@settings(max_examples=200, deadline=None)
@given(limit=rolling_limits())
def test_rolling_grants_a_burst_at_once_then_paces(limit: Limit) -> None:
    granted, _ = _run(limit, [T0] * (limit.count + 1))
    assert len(granted) == limit.burst // limit.cost
    assert limit.per is not None
    # Called as often as allowed for 20 windows: close to the paced rate (nobody idles).
    now, usage, calls = T0, None, 0
    end = T0 + limit.per * 20
    while now < end:
        spent = spend([limit], {} if usage is None else {"qps": usage}, now)
        if spent.granted:
            usage, calls = spent.usages["qps"], calls + 1
        else:
            assert spent.retry_at is not None
            now = spent.retry_at
    # Each job spends ``cost`` paced slots; a job waits for its last one at most.
    slots = 20 * (limit.count - limit.burst + 1)
    assert calls * limit.cost >= slots * 0.99 - 2 * limit.cost


@settings(max_examples=200, deadline=None)
@given(limit=rolling_limits(), micros=offsets)
def test_a_call_at_the_retry_time_is_granted(limit: Limit, micros: list[int]) -> None:
    """A refusal's ``retry_at`` is the earliest time a call goes through: granted at it,
    refused a microsecond before. Every example ends in a burst at its last time, so every
    example is refused at least once and checked."""
    usage: Usage | None = None
    ordered = sorted(micros)
    refusals = 0
    for m in ordered + [ordered[-1]] * (limit.burst + 1):
        now = T0 + timedelta(microseconds=m)
        spent = spend([limit], {} if usage is None else {"qps": usage}, now)
        if not spent.granted:
            refusals += 1
            assert spent.retry_at is not None
            before = spend([limit], {"qps": usage} if usage else {}, spent.retry_at - _MICRO)
            assert not before.granted, (spent.retry_at, "is not the earliest time")
            again = spend([limit], {"qps": usage} if usage else {}, spent.retry_at)
            assert again.granted
        else:
            usage = spent.usages["qps"]
    assert refusals >= 1


_MICRO = timedelta(microseconds=1)


@settings(max_examples=200, deadline=None)
@given(
    count=st.integers(min_value=1, max_value=30),
    window=st.sampled_from([Window.UTC_DAY, Window.UTC_MONTH]),
    minutes=st.lists(st.integers(min_value=0, max_value=90 * 24 * 60), min_size=1, max_size=200),
)
def test_calendar_windows_hold_count_per_utc_day_or_month(
    count: int, window: Window, minutes: list[int]
) -> None:
    limit = calendar(count, window)  # (cost 1: a create or update is one call)
    times = [T0 + timedelta(minutes=m) for m in sorted(minutes)]
    granted, refusals = _run(limit, times)
    per_window: dict[datetime, int] = {}
    for t in granted:
        per_window[window_start(window, t)] = per_window.get(window_start(window, t), 0) + 1
    assert max(per_window.values()) <= count
    for retry_at in refusals:  # a refusal waits for the next window's 00:00 UTC
        assert retry_at is not None and retry_at == window_start(window, retry_at)
    # Each window grants up to count: a window with a refusal granted exactly count.
    for t in times:
        if t not in granted:
            assert per_window[window_start(window, t)] == count


def test_calendar_resets_at_midnight_utc() -> None:
    limit = calendar(2, Window.UTC_DAY)
    granted, refusals = _run(limit, [T0, T0, T0])
    assert (len(granted), refusals) == (2, [datetime(2026, 11, 27, tzinfo=UTC)])
    month = calendar(1, Window.UTC_MONTH)
    _, refusals = _run(month, [datetime(2026, 12, 31, 23, tzinfo=UTC)] * 2)
    assert refusals == [datetime(2027, 1, 1, tzinfo=UTC)]


@settings(max_examples=200, deadline=None)
@given(
    daily=st.integers(min_value=1, max_value=5),
    limit=rolling_limits(),
    micros=offsets,
)
def test_spend_is_all_or_nothing_across_limits(daily: int, limit: Limit, micros: list[int]) -> None:
    cap = calendar(daily, Window.UTC_DAY)
    usages: dict[str, Usage] = {}
    granted = 0
    noon = datetime(2026, 11, 26, 12, tzinfo=UTC)
    for m in sorted(micros):
        now = noon + timedelta(microseconds=m)
        spent = spend([limit, cap], usages, now)
        if spent.granted:
            assert set(spent.usages) == {"qps", "cap"}
            usages = dict(spent.usages)
            granted += 1
        else:
            assert spent.usages == {}
    # The daily cap counted exactly the granted calls (noon + 5 s: one UTC day).
    assert usages.get("cap", Usage(noon, 0)).used == granted <= daily


def test_budget_picks_the_limits_of_an_operation() -> None:
    light = Limit(
        name="light",
        scope=Scope.ORGANIZATION,
        count=4,
        per=timedelta(seconds=1),
        operations={Operation.DELETE, Operation.UPDATE},
    )
    medium = rolling(2, 1000)
    budget = RateBudget((medium, light))
    assert budget.applying(frozenset({Operation.DELETE})) == (light,)
    assert budget.applying(frozenset({Operation.CREATE, Operation.UPDATE})) == (medium, light)
    assert budget.applying(frozenset({Operation.READ})) == ()


PER = timedelta(seconds=1)
DAY = Window.UTC_DAY
NO_PER = "calendar limit 'x' takes no per or burst"


@pytest.mark.parametrize(
    ("kwargs", "said"),
    [
        ({"count": 0, "per": PER}, "rolling limit 'x' needs a count of at least 1"),
        ({"count": 2, "per": None}, "rolling limit 'x' needs a positive per"),
        ({"count": 2, "per": timedelta(0)}, "rolling limit 'x' needs a positive per"),
        ({"count": 2, "per": PER, "burst": 3}, "limit 'x': burst exceeds count"),
        ({"count": 2, "per": PER, "cost": 2}, "limit 'x': a job's cost exceeds the burst"),
        ({"count": 2, "per": PER, "burst": 0}, "burst must be at least 1"),
        ({"count": 2, "per": PER, "cost": 0}, "cost must be at least 1"),
        ({"count": 2, "per": PER, "window": DAY}, NO_PER),
        ({"count": 2, "burst": 2, "window": DAY}, NO_PER),
        ({"count": 1, "cost": 2, "window": DAY}, "limit 'x': a job's cost exceeds the count"),
        ({"count": 2, "per": PER, "operations": frozenset()}, "limit 'x' counts no operation"),
        ({"count": 2, "per": PER, "name": ""}, "a limit's name must have 1 to 32 characters"),
        ({"count": 2, "per": PER, "name": "n" * 33}, "a limit's name must have 1 to 32 characters"),
    ],
)  # fmt: skip
def test_malformed_limits_are_refused(kwargs: dict[str, object], said: str) -> None:
    fields: dict[str, object] = {"name": "x", "scope": Scope.APP, "operations": CREATE}
    with pytest.raises(ValueError) as refused:
        Limit(**{**fields, **kwargs})  # type: ignore[arg-type]
    assert str(refused.value) == said


def test_limits_at_the_edges_are_taken() -> None:
    assert Limit(name="n" * 32, scope=Scope.APP, count=1, per=PER, operations=CREATE).name
    # A provider's cap at 0 allows nothing, whatever a job costs.
    cap = Limit(name="x", scope=Scope.APP, count=0, cost=2, window=Window.UTC_DAY,
                operations=CREATE)  # fmt: skip
    assert spend([cap], {}, T0) == Spent(False, retry_at=datetime(2026, 11, 27, tzinfo=UTC))


def test_duplicate_limit_names_are_refused() -> None:
    with pytest.raises(ValueError, match=r"^limit names must be unique within a budget$"):
        RateBudget((rolling(1, 1000), rolling(2, 1000)))


def test_a_rolling_window_has_no_calendar_start() -> None:
    with pytest.raises(ValueError, match=r"^rolling windows have no calendar start$"):
        window_start(Window.ROLLING, T0)
