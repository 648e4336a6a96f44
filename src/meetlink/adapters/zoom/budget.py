"""Zoom's rate limits as a meetlink rate budget (FACTS: Zoom rate limits).

- Per-second limits by category, per Zoom account (the organisation: "shared by users for all
  apps installed on the account"): create meeting is Medium; get, update and delete meeting
  are Light. Free: Light 4/s, Medium 2/s; Pro: 30/s, 20/s; Business and up: 80/s, 60/s.
- 100 meeting creates and updates per user per UTC day (reset at 00:00 UTC).

The budget keeps ``headroom`` (default 80%) of each per-second limit, because other apps of the
account spend from the same limits and a request reaches Zoom a little after its job was
claimed; calls are paced after a burst of a quarter of that (``Limit.burst``), so any
one-second window holds at most the budgeted count, whatever Zoom's phase.
"""

from __future__ import annotations

from datetime import timedelta

from meetlink.domain.budgets import Limit, Operation, RateBudget, Scope, Window

__all__ = [
    "ZOOM_BUSINESS_PER_SECOND",
    "ZOOM_FREE_PER_SECOND",
    "ZOOM_PRO_PER_SECOND",
    "zoom_rate_budget",
]

#: Requests per second per Zoom account, by rate-limit label, for each plan.
ZOOM_FREE_PER_SECOND = {"Light": 4, "Medium": 2}
ZOOM_PRO_PER_SECOND = {"Light": 30, "Medium": 20}
ZOOM_BUSINESS_PER_SECOND = {"Light": 80, "Medium": 60}

_SECOND = timedelta(seconds=1)
#: label -> (what a job of these operations asks, calls per job in the label). A create is
#: one POST (Medium; the user's passcode settings, also Medium, are read once per access
#: token for ten minutes: the headroom covers that extra call); an update is one PATCH, a
#: delete one DELETE (Light).
_CATEGORIES = {
    "Medium": (frozenset({Operation.CREATE}), 1),
    "Light": (frozenset({Operation.UPDATE, Operation.DELETE, Operation.READ}), 1),
}


def zoom_rate_budget(
    per_second: dict[str, int] | None = None,
    *,
    daily_meeting_cap: int | None = 100,
    headroom: float = 0.8,
) -> RateBudget:
    """Zoom's limits for a plan (``per_second``: requests per second by label, default
    [`ZOOM_PRO_PER_SECOND`][meetlink.adapters.zoom.budget.ZOOM_PRO_PER_SECOND]; ``{}`` or an absent
    label: no per-second limit) and the per-user daily create/update cap (None: none)."""
    if not 0 < headroom <= 1:
        raise ValueError("headroom must be in (0, 1]")
    rates = ZOOM_PRO_PER_SECOND if per_second is None else per_second
    limits: list[Limit] = []
    for label, (operations, cost) in _CATEGORIES.items():
        rate = rates.get(label)
        if rate is None:
            continue
        count = max(cost, int(rate * headroom))
        limits.append(
            Limit(
                name=f"{label.lower()}-per-second",
                scope=Scope.ORGANIZATION,
                count=count,
                per=_SECOND,
                burst=max(cost, count // 4),
                cost=cost,
                operations=operations,
            )
        )
    if daily_meeting_cap is not None:
        limits.append(
            Limit(
                name="meetings-per-day",
                scope=Scope.ACCOUNT,
                count=daily_meeting_cap,
                window=Window.UTC_DAY,
                operations=frozenset({Operation.CREATE, Operation.UPDATE}),
            )
        )
    return RateBudget(tuple(limits))
