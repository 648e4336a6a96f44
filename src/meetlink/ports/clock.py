"""**Protocol:** the source of the current time."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

__all__ = ["Clock"]


class Clock(Protocol):
    """**Protocol:** tells the time as an aware UTC datetime."""

    def now(self) -> datetime:
        """The current time, timezone-aware (UTC)."""
        ...
