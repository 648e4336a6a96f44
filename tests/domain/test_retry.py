"""Backoff for failed jobs: capped, starting small, honouring the provider's retry time."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from meetlink.domain.retry import RetryPolicy

NOW = datetime(2024, 5, 1, 9, 0, tzinfo=UTC)
# Attempts a policy may really see (the default max_attempts is 20).
ATTEMPTS = st.integers(min_value=0, max_value=30)
SEEDS = st.integers(min_value=0, max_value=2**32 - 1)


@st.composite
def policies(draw: st.DrawFn) -> RetryPolicy:
    first = draw(st.timedeltas(min_value=timedelta(seconds=1), max_value=timedelta(minutes=5)))
    cap = draw(st.timedeltas(min_value=first, max_value=timedelta(hours=2)))
    return RetryPolicy(
        first=first,
        cap=cap,
        jitter=draw(st.floats(min_value=0.0, max_value=0.9)),
        provider_cap=draw(
            st.timedeltas(min_value=timedelta(minutes=1), max_value=timedelta(days=2))
        ),
    )


@settings(max_examples=300)
@given(policy=policies(), attempts=ATTEMPTS, seed=SEEDS)
def test_delay_never_exceeds_the_cap_and_is_positive(
    policy: RetryPolicy, attempts: int, seed: int
) -> None:
    delay = policy.delay(attempts, random.Random(seed))
    assert delay <= policy.cap
    assert delay >= timedelta(seconds=1)


@settings(max_examples=200)
@given(attempts=ATTEMPTS, seed=SEEDS)
def test_default_delays_never_exceed_15_minutes(attempts: int, seed: int) -> None:
    assert RetryPolicy().delay(attempts, random.Random(seed)) <= timedelta(minutes=15)


@settings(max_examples=200)
@given(seed=SEEDS)
def test_default_first_delay_is_at_most_one_minute(seed: int) -> None:
    assert RetryPolicy().delay(1, random.Random(seed)) <= timedelta(minutes=1)


def test_first_delay_without_rng_uses_the_module_random_and_stays_small() -> None:
    assert timedelta(seconds=1) <= RetryPolicy().delay(1) <= timedelta(minutes=1)


@settings(max_examples=200)
@given(policy=policies(), attempts=st.integers(min_value=1, max_value=30))
def test_without_jitter_delays_double_until_the_cap(policy: RetryPolicy, attempts: int) -> None:
    steady = RetryPolicy(first=policy.first, cap=policy.cap, jitter=0.0)
    now, then = steady.delay(attempts), steady.delay(attempts + 1)
    assert now == min(steady.cap, steady.first * 2 ** (attempts - 1))
    assert then >= now
    if now < steady.cap:
        assert then == min(steady.cap, now * 2)


def test_default_schedule_without_jitter() -> None:
    policy = RetryPolicy(jitter=0.0)
    got = [policy.delay(n) for n in range(1, 8)]
    assert got == [timedelta(seconds=s) for s in (30, 60, 120, 240, 480, 900, 900)]
    assert policy.delay(0) == timedelta(seconds=30)


@settings(max_examples=100)
@given(seed=SEEDS, attempts=st.integers(min_value=1, max_value=5))
def test_jitter_stays_within_its_fraction(seed: int, attempts: int) -> None:
    policy = RetryPolicy(jitter=0.2)
    base = RetryPolicy(jitter=0.0).delay(attempts)
    delay = policy.delay(attempts, random.Random(seed))
    assert base * 0.8 <= delay <= min(policy.cap, base * 1.2)


def test_delay_is_capped_for_any_attempt_count() -> None:
    policy = RetryPolicy(max_attempts=100, jitter=0.0)
    assert policy.delay(100) == policy.cap


# --- next_run ------------------------------------------------------------------------------

offsets = st.timedeltas(min_value=timedelta(days=-3), max_value=timedelta(days=3))


@settings(max_examples=300)
@given(policy=policies(), attempts=ATTEMPTS, offset=offsets, seed=SEEDS)
def test_provider_retry_at_is_honoured_clamped_and_never_in_the_past(
    policy: RetryPolicy, attempts: int, offset: timedelta, seed: int
) -> None:
    retry_at = NOW + offset
    when = policy.next_run(NOW, attempts, retry_at=retry_at, rng=random.Random(seed))
    assert when > NOW
    assert when <= NOW + policy.provider_cap
    if NOW + timedelta(seconds=1) <= retry_at <= NOW + policy.provider_cap:
        assert when == retry_at
    elif retry_at > NOW + policy.provider_cap:
        assert when == NOW + policy.provider_cap
    else:
        assert when == NOW + timedelta(seconds=1)


@settings(max_examples=200)
@given(policy=policies(), attempts=ATTEMPTS, seed=SEEDS)
def test_without_provider_time_next_run_is_now_plus_backoff(
    policy: RetryPolicy, attempts: int, seed: int
) -> None:
    when = policy.next_run(NOW, attempts, rng=random.Random(seed))
    assert when == NOW + policy.delay(attempts, random.Random(seed))
    assert NOW < when <= NOW + policy.cap


def test_rate_limit_reset_tomorrow_is_honoured_by_default() -> None:
    # A daily quota resets at the next UTC midnight: well under the 25 h default clamp.
    reset = datetime(2024, 5, 2, 0, 0, tzinfo=UTC)
    assert RetryPolicy().next_run(NOW, 1, retry_at=reset) == reset


def test_provider_retry_time_in_another_zone_is_compared_as_an_instant() -> None:
    from zoneinfo import ZoneInfo

    retry_at = (NOW + timedelta(minutes=5)).astimezone(ZoneInfo("Asia/Tokyo"))
    assert RetryPolicy().next_run(NOW, 1, retry_at=retry_at) == NOW + timedelta(minutes=5)


def test_absurd_provider_retry_time_is_clamped() -> None:
    far = NOW + timedelta(days=400)
    assert RetryPolicy().next_run(NOW, 1, retry_at=far) == NOW + timedelta(hours=25)


def test_exhausted_at_max_attempts() -> None:
    policy = RetryPolicy(max_attempts=3)
    assert [policy.exhausted(n) for n in range(5)] == [False, False, False, True, True]


class _Drawing(random.Random):
    """A random whose ``uniform`` always gives one end of its range (``low`` or not)."""

    def __init__(self, *, low: bool) -> None:
        super().__init__(0)
        self.low = low

    def uniform(self, a: float, b: float) -> float:
        return a if self.low else b


def test_jitter_shortens_or_lengthens_a_delay_by_up_to_its_fraction() -> None:
    policy = RetryPolicy(first=timedelta(seconds=10), jitter=0.2)
    assert policy.delay(1, _Drawing(low=True)) == timedelta(seconds=8)
    assert policy.delay(1, _Drawing(low=False)) == timedelta(seconds=12)
    assert policy.delay(2, _Drawing(low=True)) == timedelta(seconds=16)


def test_a_delay_is_never_under_one_second() -> None:
    policy = RetryPolicy(first=timedelta(seconds=1), jitter=0.5)
    assert policy.delay(1, _Drawing(low=True)) == timedelta(seconds=1)  # not 0.5 s
    assert policy.delay(1, _Drawing(low=False)) == timedelta(seconds=1.5)
