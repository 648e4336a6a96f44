"""Clocks: the system clock, and a manual one for tests and demos."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

__all__ = ["ManualClock", "SystemClock"]


class SystemClock:
    """The real time, in UTC."""

    def now(self) -> datetime:
        """The current time."""
        return datetime.now(UTC)


class ManualClock:
    """A clock that moves only when told. Thread-safe.

    ``ManualClock()`` starts at the current system time rounded down to the second, or at
    ``now`` when given (a naive value is read as UTC).
    """

    def __init__(self, now: datetime | None = None) -> None:
        self._lock = threading.Lock()
        self._now = _aware(now) if now is not None else datetime.now(UTC).replace(microsecond=0)

    def now(self) -> datetime:
        """The current manual time."""
        with self._lock:
            return self._now

    def advance(self, delta: timedelta) -> datetime:
        """Move forward by ``delta`` (which must not be negative); returns the new time."""
        if delta < timedelta(0):
            raise ValueError("a ManualClock does not go backwards; use set()")
        with self._lock:
            self._now = self._now + delta
            return self._now

    def set(self, when: datetime) -> None:
        """Jump to ``when`` (a naive value is read as UTC)."""
        with self._lock:
            self._now = _aware(when)

    def __repr__(self) -> str:
        return f"ManualClock({self.now().isoformat()})"


def _aware(value: datetime) -> datetime:
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)
