"""The web conference add-on's contract per tenant (S3-S5), as one transition table.

Stored states are NOT_STARTED, TRIAL, CONTRACTED and CANCELLED; TRIAL_ENDED is derived from
the clock (a TRIAL whose end has passed), so no job has to flip it.
"""

from __future__ import annotations

import enum
from datetime import datetime, timedelta

import attrs

from meetlink.errors import InvalidTransition, TrialUnavailable

__all__ = [
    "DEFAULT_TRIAL",
    "Action",
    "Subscription",
    "SubscriptionRecord",
    "SubscriptionState",
    "apply",
    "snapshot",
]

DEFAULT_TRIAL = timedelta(days=14)  # S4


class SubscriptionState(enum.Enum):
    """Where a tenant stands with the add-on."""

    NOT_STARTED = "not_started"
    TRIAL = "trial"
    TRIAL_ENDED = "trial_ended"
    CONTRACTED = "contracted"
    CANCELLED = "cancelled"


class Action(enum.Enum):
    """What a tenant admin can do to the subscription."""

    START_TRIAL = "start_trial"
    CONTRACT = "contract"
    CANCEL = "cancel"


@attrs.frozen(kw_only=True)
class SubscriptionRecord:
    """What storage keeps per tenant. ``state`` is never TRIAL_ENDED (that is derived)."""

    tenant_id: str
    state: SubscriptionState = SubscriptionState.NOT_STARTED
    trial_started_at: datetime | None = None
    trial_ends_at: datetime | None = None
    contracted_at: datetime | None = None
    cancelled_at: datetime | None = None


@attrs.frozen
class Subscription:
    """A snapshot of a tenant's add-on computed at one instant."""

    tenant_id: str
    state: SubscriptionState
    trial_started_at: datetime | None
    trial_ends_at: datetime | None
    active: bool


def effective_state(record: SubscriptionRecord, now: datetime) -> SubscriptionState:
    """The state at ``now``: a TRIAL past its end reads TRIAL_ENDED."""
    if record.state is SubscriptionState.TRIAL:
        assert record.trial_ends_at is not None
        if now >= record.trial_ends_at:
            return SubscriptionState.TRIAL_ENDED
    return record.state


def snapshot(record: SubscriptionRecord, now: datetime) -> Subscription:
    """The public view at ``now``. Active = TRIAL before its end, or CONTRACTED."""
    state = effective_state(record, now)
    return Subscription(
        tenant_id=record.tenant_id,
        state=state,
        trial_started_at=record.trial_started_at,
        trial_ends_at=record.trial_ends_at,
        active=state in (SubscriptionState.TRIAL, SubscriptionState.CONTRACTED),
    )


_S = SubscriptionState
# (effective state, action) -> new stored state. Anything absent is illegal.
TRANSITIONS: dict[tuple[SubscriptionState, Action], SubscriptionState] = {
    (_S.NOT_STARTED, Action.START_TRIAL): _S.TRIAL,
    (_S.NOT_STARTED, Action.CONTRACT): _S.CONTRACTED,
    (_S.TRIAL, Action.CONTRACT): _S.CONTRACTED,
    (_S.TRIAL_ENDED, Action.CONTRACT): _S.CONTRACTED,
    (_S.CONTRACTED, Action.CONTRACT): _S.CONTRACTED,  # idempotent
    (_S.CANCELLED, Action.CONTRACT): _S.CONTRACTED,
    (_S.CONTRACTED, Action.CANCEL): _S.CANCELLED,
}


def apply(
    record: SubscriptionRecord,
    action: Action,
    now: datetime,
    trial_length: timedelta = DEFAULT_TRIAL,
) -> SubscriptionRecord:
    """The record after ``action`` at ``now``; illegal moves raise.

    START_TRIAL anywhere but NOT_STARTED raises TrialUnavailable (one trial per tenant, S4);
    other illegal moves raise InvalidTransition.
    """
    state = effective_state(record, now)
    target = TRANSITIONS.get((state, action))
    if target is None:
        if action is Action.START_TRIAL:
            raise TrialUnavailable(
                f"tenant {record.tenant_id!r} cannot start a trial from {state.name}"
            )
        raise InvalidTransition(f"cannot {action.value} a subscription in state {state.name}")
    if action is Action.START_TRIAL:
        return attrs.evolve(
            record, state=target, trial_started_at=now, trial_ends_at=now + trial_length
        )
    if action is Action.CONTRACT:
        if state is SubscriptionState.CONTRACTED:
            return record
        return attrs.evolve(record, state=target, contracted_at=now, cancelled_at=None)
    return attrs.evolve(record, state=target, cancelled_at=now)
