"""The add-on subscription per tenant (S3-S5): one trial, contract any time, cancel."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule

from meetlink.domain.subscription import (
    DEFAULT_TRIAL,
    TRANSITIONS,
    Action,
    SubscriptionRecord,
    SubscriptionState,
    apply,
    effective_state,
    snapshot,
)
from meetlink.errors import InvalidTransition, SubscriptionError, TrialUnavailable

T0 = datetime(2024, 4, 1, 9, 0, tzinfo=UTC)
S = SubscriptionState


class SubscriptionMachine(RuleBasedStateMachine):
    """Drives apply() with arbitrary actions and clock moves, checked against a tiny model."""

    def __init__(self) -> None:
        super().__init__()
        self.record = SubscriptionRecord(tenant_id="tenant-1")
        self.now = T0
        self.trial_length = DEFAULT_TRIAL
        # The model: what has happened, not which state the code thinks it is in.
        self.trial_end: datetime | None = None
        self.contracted = False
        self.cancelled = False

    def model_state(self) -> SubscriptionState:
        if self.contracted:
            return S.CONTRACTED
        if self.cancelled:
            return S.CANCELLED
        if self.trial_end is not None:
            return S.TRIAL if self.now < self.trial_end else S.TRIAL_ENDED
        return S.NOT_STARTED

    @initialize(
        trial_length=st.one_of(
            st.just(DEFAULT_TRIAL),
            st.timedeltas(min_value=timedelta(seconds=1), max_value=timedelta(days=60)),
        )
    )
    def choose_trial_length(self, trial_length: timedelta) -> None:
        self.trial_length = trial_length

    @rule()
    def start_trial(self) -> None:
        if self.model_state() is S.NOT_STARTED:
            self.record = apply(self.record, Action.START_TRIAL, self.now, self.trial_length)
            self.trial_end = self.now + self.trial_length
            assert self.record.trial_started_at == self.now
            assert self.record.trial_ends_at == self.trial_end
        else:
            before = self.record
            with pytest.raises(TrialUnavailable):
                apply(self.record, Action.START_TRIAL, self.now, self.trial_length)
            assert self.record == before

    @rule()
    def contract(self) -> None:
        was_contracted = self.contracted
        before = self.record
        self.record = apply(self.record, Action.CONTRACT, self.now, self.trial_length)
        self.contracted, self.cancelled = True, False
        if was_contracted:
            assert self.record == before  # idempotent: nothing changes, not even the date
        else:
            assert self.record.contracted_at == self.now
            assert self.record.cancelled_at is None

    @rule()
    def cancel(self) -> None:
        if self.model_state() is S.CONTRACTED:
            self.record = apply(self.record, Action.CANCEL, self.now, self.trial_length)
            self.contracted, self.cancelled = False, True
            assert self.record.cancelled_at == self.now
        else:
            with pytest.raises(InvalidTransition):
                apply(self.record, Action.CANCEL, self.now, self.trial_length)

    @rule(
        move=st.timedeltas(min_value=timedelta(days=-30), max_value=timedelta(days=30)),
    )
    def move_clock(self, move: timedelta) -> None:
        self.now += move

    @rule(
        offset=st.sampled_from(
            [timedelta(0), timedelta(microseconds=-1), timedelta(microseconds=1)]
        )
    )
    def move_clock_to_trial_end(self, offset: timedelta) -> None:
        if self.trial_end is not None:
            self.now = self.trial_end + offset

    @invariant()
    def state_matches_model(self) -> None:
        expected = self.model_state()
        assert effective_state(self.record, self.now) is expected
        view = snapshot(self.record, self.now)
        assert view.state is expected
        assert view.tenant_id == "tenant-1"
        # S3-S5: usable in a running trial or under contract, nowhere else.
        assert view.active == (expected in (S.TRIAL, S.CONTRACTED))

    @invariant()
    def stored_state_is_never_derived_and_trial_lasts_exactly(self) -> None:
        assert self.record.state is not S.TRIAL_ENDED
        if self.record.trial_started_at is not None:
            assert self.record.trial_ends_at is not None
            assert self.record.trial_ends_at - self.record.trial_started_at == self.trial_length


TestSubscriptionMachine = SubscriptionMachine.TestCase
TestSubscriptionMachine.settings = settings(max_examples=150, stateful_step_count=25, deadline=None)


# --- examples -----------------------------------------------------------------------------


def fresh() -> SubscriptionRecord:
    return SubscriptionRecord(tenant_id="tenant-1")


def test_s3_new_tenant_is_not_started_and_inactive() -> None:
    view = snapshot(fresh(), T0)
    assert view.state is S.NOT_STARTED
    assert not view.active


def test_s4_trial_lasts_14_days_by_default() -> None:
    record = apply(fresh(), Action.START_TRIAL, T0)
    assert record.trial_ends_at == T0 + timedelta(days=14)
    last_moment = T0 + timedelta(days=14) - timedelta(microseconds=1)
    assert snapshot(record, last_moment).state is S.TRIAL
    assert snapshot(record, last_moment).active
    ended = snapshot(record, T0 + timedelta(days=14))
    assert ended.state is S.TRIAL_ENDED
    assert not ended.active
    assert (ended.trial_started_at, ended.trial_ends_at) == (T0, T0 + timedelta(days=14))


def test_s4_one_trial_per_tenant() -> None:
    record = apply(fresh(), Action.START_TRIAL, T0)
    with pytest.raises(
        TrialUnavailable, match=r"^tenant 'tenant-1' cannot start a trial from TRIAL$"
    ):
        apply(record, Action.START_TRIAL, T0 + timedelta(days=1))
    with pytest.raises(TrialUnavailable):
        apply(record, Action.START_TRIAL, T0 + timedelta(days=30))


def test_s4_no_trial_after_a_contract_was_cancelled() -> None:
    record = apply(fresh(), Action.CONTRACT, T0)
    record = apply(record, Action.CANCEL, T0 + timedelta(days=1))
    with pytest.raises(TrialUnavailable):
        apply(record, Action.START_TRIAL, T0 + timedelta(days=2))


def test_s5_contract_after_the_trial_ended_reactivates() -> None:
    record = apply(fresh(), Action.START_TRIAL, T0)
    later = T0 + timedelta(days=20)
    record = apply(record, Action.CONTRACT, later)
    view = snapshot(record, later)
    assert view.state is S.CONTRACTED
    assert view.active
    assert record.contracted_at == later


def test_s5_contract_during_trial_stays_active_past_the_trial_end() -> None:
    record = apply(fresh(), Action.START_TRIAL, T0)
    record = apply(record, Action.CONTRACT, T0 + timedelta(days=3))
    assert snapshot(record, T0 + timedelta(days=100)).active


def test_contract_is_idempotent() -> None:
    record = apply(fresh(), Action.CONTRACT, T0)
    assert apply(record, Action.CONTRACT, T0 + timedelta(days=5)) == record


def test_cancel_ends_the_contract_and_contract_again_restores_it() -> None:
    record = apply(fresh(), Action.CONTRACT, T0)
    record = apply(record, Action.CANCEL, T0 + timedelta(days=1))
    assert snapshot(record, T0 + timedelta(days=1)).state is S.CANCELLED
    assert not snapshot(record, T0 + timedelta(days=1)).active
    record = apply(record, Action.CONTRACT, T0 + timedelta(days=2))
    assert record.cancelled_at is None
    assert snapshot(record, T0 + timedelta(days=2)).active


@pytest.mark.parametrize("when", [timedelta(days=1), timedelta(days=15)])
def test_cancel_without_contract_is_an_invalid_transition(when: timedelta) -> None:
    with pytest.raises(
        InvalidTransition, match=r"^cannot cancel a subscription in state NOT_STARTED$"
    ):
        apply(fresh(), Action.CANCEL, T0)
    trial = apply(fresh(), Action.START_TRIAL, T0)
    with pytest.raises(InvalidTransition):
        apply(trial, Action.CANCEL, T0 + when)


def test_subscription_errors_share_a_root() -> None:
    assert issubclass(TrialUnavailable, SubscriptionError)
    assert issubclass(InvalidTransition, SubscriptionError)


def test_transition_table_never_targets_derived_states() -> None:
    assert all(target not in (S.TRIAL_ENDED, S.NOT_STARTED) for target in TRANSITIONS.values())
    assert {state for state, action in TRANSITIONS if action is Action.CONTRACT} == set(S)
