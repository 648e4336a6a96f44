"""What every provider emulator offers a test alike: its request log, its clock, a settable
latency and a settable idle lifetime for refresh tokens (one place for Zoom and Teams)."""

from __future__ import annotations

import threading
from datetime import timedelta
from typing import Protocol

from meetlink.ports.clock import Clock

__all__ = ["EmulatorFront", "SharedState"]


class SharedState(Protocol):
    """**Protocol:** the part of an emulator's state every emulator has."""

    lock: threading.RLock
    requests: list[tuple[str, str]]
    clock: Clock
    latency: float
    refresh_idle: timedelta


class EmulatorFront:
    """The common controls of ``ZoomEmulator`` and ``TeamsEmulator``."""

    _state: SharedState

    @property
    def requests(self) -> list[tuple[str, str]]:
        """Every request received so far, in order, as ``(method, path)``."""
        return self._state.requests

    @property
    def clock(self) -> Clock:
        """The clock the emulator follows (codes, tokens, limits, timestamps)."""
        return self._state.clock

    @property
    def latency(self) -> float:
        """Seconds slept per request before it is answered (outside the lock, so concurrent
        requests overlap, as at a slow provider); settable at any time."""
        return self._state.latency

    @latency.setter
    def latency(self, seconds: float) -> None:
        self._state.latency = max(0.0, float(seconds))

    @property
    def refresh_token_idle(self) -> timedelta:
        """A refresh token left unused this long is dead, as at Zoom and Microsoft (default
        90 days); settable at any time."""
        return self._state.refresh_idle

    @refresh_token_idle.setter
    def refresh_token_idle(self, idle: timedelta) -> None:
        with self._state.lock:
            self._state.refresh_idle = idle
