"""Provider rate budgets: how many calls an account, an organisation or the whole app may make
in a window, spent when a job is claimed (pure rules; stores persist
[`Usage`][meetlink.domain.budgets.Usage]).

A provider adapter declares its limits ([`RateBudget`][meetlink.domain.budgets.RateBudget] in its
``Capabilities``). Before a worker takes a job that calls the provider, the job spends one unit of
every limit that counts its operation, all or nothing ([`spend`][meetlink.domain.budgets.spend]).
When a limit has nothing left, the job is not attempted: it is deferred to the moment the budget
returns (not an attempt, not a wait the provider asked for), and the worker takes other accounts'
jobs instead.

Two kinds of window:

- ``Window.ROLLING``: at most ``count`` calls in *any* window of length ``per``, whatever the
  provider's phase (a generic cell rate: calls are paced ``per / (count - burst + 1)`` apart
  after a burst of ``burst``). Zoom's per-second categories, Graph's per-10-seconds limits.
- ``Window.UTC_DAY`` / ``Window.UTC_MONTH``: at most ``count`` calls per calendar day or month
  in UTC, reset at 00:00 UTC (Zoom's 100 meeting creates and updates per user per day;
  Graph's 2,000 meetings per user per month).

Times are meetlink's clock (the one the provider's emulator follows in tests).
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime, timedelta

import attrs

__all__ = [
    "Limit",
    "Operation",
    "RateBudget",
    "Scope",
    "Spent",
    "Usage",
    "Window",
    "spend",
    "window_start",
]

_MICRO = timedelta(microseconds=1)


class Operation(enum.Enum):
    """What a job asks of the provider."""

    CREATE = "create"
    UPDATE = "update"
    DELETE = "delete"
    READ = "read"


class Scope(enum.Enum):
    """Whose calls a limit counts together."""

    ACCOUNT = "account"  # one provider user (the account a link holds)
    ORGANIZATION = "organization"  # the user's organisation (Zoom account, Entra tenant)
    APP = "app"  # every call the app makes to the provider


class Window(enum.Enum):
    """How a limit's window moves."""

    ROLLING = "rolling"
    UTC_DAY = "utc_day"
    UTC_MONTH = "utc_month"


def _operations(value: Iterable[Operation]) -> frozenset[Operation]:
    return frozenset(value)


def _limits(value: Iterable[Limit]) -> tuple[Limit, ...]:
    return tuple(value)


def _positive(instance: object, attribute: attrs.Attribute[int], value: int) -> None:
    if value < 1:
        raise ValueError(f"{attribute.name} must be at least 1")


@attrs.frozen(kw_only=True)
class Limit:
    """At most ``count`` calls of ``operations`` per window, counted per ``scope``.

    ``name`` is stored with the usage (at most 32 characters; unique within a provider).
    ``per`` is the length of a ROLLING window; ``burst`` (ROLLING only) how many calls may go
    at once before pacing starts (1: evenly paced). ``cost``: the calls one job makes that
    this limit counts (e.g. a Zoom create reads the user's settings first: two Medium calls);
    a job spends all of them when it is claimed."""

    name: str
    scope: Scope
    count: int = attrs.field(validator=attrs.validators.ge(0))
    operations: frozenset[Operation] = attrs.field(converter=_operations)
    window: Window = Window.ROLLING
    per: timedelta | None = None
    burst: int = attrs.field(default=1, validator=_positive)
    cost: int = attrs.field(default=1, validator=_positive)

    def __attrs_post_init__(self) -> None:
        if not self.name or len(self.name) > 32:
            raise ValueError("a limit's name must have 1 to 32 characters")
        if not self.operations:
            raise ValueError(f"limit {self.name!r} counts no operation")
        if self.window is Window.ROLLING:
            if self.count < 1:
                raise ValueError(f"rolling limit {self.name!r} needs a count of at least 1")
            if self.per is None or self.per <= timedelta(0):
                raise ValueError(f"rolling limit {self.name!r} needs a positive per")
            if self.burst > self.count:
                raise ValueError(f"limit {self.name!r}: burst exceeds count")
            if self.cost > self.burst:
                raise ValueError(f"limit {self.name!r}: a job's cost exceeds the burst")
        elif self.per is not None or self.burst != 1:
            raise ValueError(f"calendar limit {self.name!r} takes no per or burst")
        elif 0 < self.count < self.cost:  # (a count of 0 allows nothing: a provider's cap at 0)
            raise ValueError(f"limit {self.name!r}: a job's cost exceeds the count")

    @property
    def interval(self) -> timedelta:
        """ROLLING: the pace after a burst (whole microseconds, rounded up)."""
        assert self.per is not None
        slots = self.count - self.burst + 1
        return _MICRO * -(-(self.per // _MICRO) // slots)

    def applies_to(self, operations: frozenset[Operation]) -> bool:
        """Whether a job doing any of ``operations`` spends from this limit."""
        return not self.operations.isdisjoint(operations)


@attrs.frozen
class RateBudget:
    """A provider's limits (declared by its adapter in ``Capabilities.rate_budget``)."""

    limits: tuple[Limit, ...] = attrs.field(converter=_limits)

    def __attrs_post_init__(self) -> None:
        names = [limit.name for limit in self.limits]
        if len(set(names)) != len(names):
            raise ValueError("limit names must be unique within a budget")

    def applying(self, operations: frozenset[Operation]) -> tuple[Limit, ...]:
        """The limits a job doing ``operations`` spends from."""
        return tuple(limit for limit in self.limits if limit.applies_to(operations))


@attrs.frozen
class Usage:
    """What a limit has spent, per scope key: ROLLING: ``mark`` is when the next call is due
    on the evenly paced schedule (``used`` unused); calendar windows: ``mark`` is the start of
    the current window and ``used`` the calls in it."""

    mark: datetime
    used: int = 0


def window_start(window: Window, now: datetime) -> datetime:
    """The start of the calendar window holding ``now`` (UTC)."""
    utc = now.astimezone(UTC)
    day = utc.replace(hour=0, minute=0, second=0, microsecond=0)
    if window is Window.UTC_DAY:
        return day
    if window is Window.UTC_MONTH:
        return day.replace(day=1)
    raise ValueError("rolling windows have no calendar start")


def _next_window(window: Window, start: datetime) -> datetime:
    if window is Window.UTC_DAY:
        return start + timedelta(days=1)
    if start.month == 12:
        return start.replace(year=start.year + 1, month=1)
    return start.replace(month=start.month + 1)


def _one(limit: Limit, usage: Usage | None, now: datetime) -> Usage | datetime:
    """The usage after one job's ``cost`` calls at ``now``, or when the limit allows them."""
    if limit.window is Window.ROLLING:
        # ``cost`` calls at once: the last of them must conform to the paced schedule.
        interval = limit.interval
        tolerance = interval * (limit.burst - 1)
        due = now if usage is None else usage.mark  # the paced schedule's next call
        last = max(due, now) + interval * (limit.cost - 1)
        if now < last - tolerance:  # only when due > now (cost <= burst): last - due fixed
            return last - tolerance
        return Usage(last + interval)
    start = window_start(limit.window, now)
    used = 0 if usage is None or usage.mark != start else usage.used
    if used + limit.cost > limit.count:
        return _next_window(limit.window, start)
    return Usage(start, used + limit.cost)


@attrs.frozen
class Spent:
    """The outcome of [`spend`][meetlink.domain.budgets.spend]: ``granted`` with every limit's usage
    after the call, or refused with ``retry_at``, the earliest time every refusing limit allows a
    call again (nothing is spent then)."""

    granted: bool
    usages: Mapping[str, Usage] = attrs.field(factory=dict)
    retry_at: datetime | None = None


def spend(limits: Sequence[Limit], usages: Mapping[str, Usage], now: datetime) -> Spent:
    """One call at ``now`` against every limit in ``limits`` (their usages by limit name):
    granted by all, or by none."""
    after: dict[str, Usage] = {}
    refused: list[datetime] = []
    for limit in limits:
        outcome = _one(limit, usages.get(limit.name), now)
        if isinstance(outcome, Usage):
            after[limit.name] = outcome
        else:
            refused.append(outcome)
    if refused:
        return Spent(False, retry_at=max(refused))
    return Spent(True, after)
