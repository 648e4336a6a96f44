"""The web demo's clock: the real time, moved forward when the operator asks (so a 14-day
trial can end, or a retry come due, without waiting)."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

__all__ = ["TravelClock"]


class TravelClock:
    """The system time plus an offset that only grows. Thread-safe; satisfies the Clock
    port, so meetlink, both emulators and the worker all read the same moved time."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._offset = timedelta(0)

    def now(self) -> datetime:
        """The real time plus the offset, in UTC."""
        with self._lock:
            return datetime.now(UTC) + self._offset

    @property
    def offset(self) -> timedelta:
        """How far the demo has travelled ahead of the real time."""
        with self._lock:
            return self._offset

    def advance(self, delta: timedelta) -> datetime:
        """Move forward by ``delta`` (never backwards: tokens, jobs and the trial would
        otherwise see time run back); returns the new time."""
        if delta < timedelta(0):
            raise ValueError("the demo clock does not go backwards")
        with self._lock:
            self._offset += delta
        return self.now()
