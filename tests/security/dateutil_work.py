"""A witness of the work python-dateutil does while it expands a rule, counted from outside
meetlink: every month or year its expansion enters (``_iterinfo.rebuild``) and every hour an
hourly rule looks at (``_iterinfo.htimeset``).

The tests compare these counts with meetlink's documented step budget, so a bound that
meetlink only claims (or one that a dateutil upgrade quietly stops enforcing) fails here.
A runaway expansion is stopped at :data:`HARD_STOP` calls instead of running to year 9999.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import attrs
from dateutil import rrule as dateutil_rrule

from meetlink.domain.expansion import HOUR_STEPS, MONTH_STEPS, STEP_BUDGET

__all__ = ["HARD_STOP", "Work", "dateutil_work"]

#: Far more than any bounded expansion needs; reached only by one that runs away.
HARD_STOP = 50 * STEP_BUDGET


class Runaway(Exception):
    """dateutil kept expanding far past any budget."""


@attrs.define
class Work:
    """What dateutil did: months or years entered, hours looked at."""

    months: int = 0
    hours: int = 0

    @property
    def steps(self) -> int:
        """The work in meetlink's steps (results left out: dateutil does not show them)."""
        return self.months * MONTH_STEPS + self.hours * HOUR_STEPS

    def expansions(self) -> float:
        """The work as a multiple of one expansion's budget."""
        return self.steps / STEP_BUDGET

    def reset(self) -> None:
        self.months = self.hours = 0


@contextmanager
def dateutil_work() -> Iterator[Work]:
    """Count dateutil's expansion work while the block runs."""
    work = Work()
    info = dateutil_rrule._iterinfo
    rebuild, htimeset = info.rebuild, info.htimeset

    def counted(original: Callable[..., Any], field: str) -> Callable[..., Any]:
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            setattr(work, field, getattr(work, field) + 1)
            if work.months + work.hours > HARD_STOP:
                raise Runaway(f"dateutil ran away: {work}")
            return original(*args, **kwargs)

        return wrapper

    # Counting wrappers over dateutil's own methods, put back below.
    info.rebuild = counted(rebuild, "months")  # type: ignore[method-assign]
    info.htimeset = counted(htimeset, "hours")  # type: ignore[method-assign]
    try:
        yield work
    finally:
        info.rebuild, info.htimeset = rebuild, htimeset  # type: ignore[method-assign]
