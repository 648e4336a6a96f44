"""When to try a failed job again: exponential backoff with jitter, capped, honouring the
provider's own retry time (429 Retry-After / daily limit reset)."""

from __future__ import annotations

import random
from datetime import datetime, timedelta

import attrs

__all__ = ["RetryPolicy"]


@attrs.frozen(kw_only=True)
class RetryPolicy:
    """Backoff from ``first`` (at most 1 minute) doubling up to ``cap`` (at most 15 minutes)
    by default; ``max_attempts`` then the job is recorded as failed, never dropped.

    A wait the provider asks for (429, a daily cap) is not an attempt: the job runs at the
    provider's time, and the jobs of one waiting account run ``release_spacing`` apart."""

    first: timedelta = timedelta(seconds=30)
    cap: timedelta = timedelta(minutes=15)
    max_attempts: int = 20
    jitter: float = 0.2  # +/- fraction of the delay
    provider_cap: timedelta = timedelta(hours=25)  # a provider retry time beyond this is clamped
    release_spacing: timedelta = timedelta(seconds=1)  # between one waiting account's jobs

    def delay(self, attempts: int, rng: random.Random | None = None) -> timedelta:
        """The pause after ``attempts`` failed tries (1 = the first failure)."""
        base = min(self.cap, self.first * (2 ** min(max(0, attempts - 1), 32)))
        spread: float = (rng or random).uniform(-self.jitter, self.jitter)
        delay: timedelta = base * (1 + spread)
        return min(self.cap, max(timedelta(seconds=1), delay))

    def next_run(
        self,
        now: datetime,
        attempts: int,
        retry_at: datetime | None = None,
        rng: random.Random | None = None,
    ) -> datetime:
        """When to run again: the provider's ``retry_at`` if it gave one (clamped), else
        backoff."""
        if retry_at is not None:
            return min(max(retry_at, now + timedelta(seconds=1)), now + self.provider_cap)
        return now + self.delay(attempts, rng)

    def exhausted(self, attempts: int) -> bool:
        """True when no further attempt should be made."""
        return attempts >= self.max_attempts
