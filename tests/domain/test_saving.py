"""The save decision (domain/saving.py): every row of its table, and that it agrees with the
lifecycle (each happening it returns is a legal move from the stage it starts at)."""

from __future__ import annotations

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

from meetlink.domain import lifecycle as lc
from meetlink.domain.issuance import Notice
from meetlink.domain.saving import Owner, SaveFacts, SaveMoves, on_save

OWNER = Owner(provider="zoom", external_account_id="acct-2")
BASE = SaveFacts(tenant_id="t1", event_id="e1")
S = lc.Stage


def _kinds(facts: SaveFacts) -> list[str]:
    return [type(h).__name__ for h in on_save(facts, marker="m-new").happenings]


@pytest.mark.parametrize(
    ("facts", "expected"),
    [
        (attrs.evolve(BASE, requested=True, issue=True, owner=OWNER), ["Requested"]),
        (attrs.evolve(BASE, requested=True, issue=False, owner=OWNER), []),
        (attrs.evolve(BASE, requested=True, issue=True), []),  # not linked
        (attrs.evolve(BASE, stage=S.ISSUED, withdraw=True), ["Withdrawn"]),
        (
            attrs.evolve(
                BASE, stage=S.ISSUED, withdraw=True, requested=True, issue=True, owner=OWNER
            ),
            ["Withdrawn", "Requested"],  # another provider: withdraw, then ask anew
        ),
        (attrs.evolve(BASE, stage=S.FAILED, issue=True, owner=OWNER), ["Requested"]),
        (attrs.evolve(BASE, stage=S.FAILED), []),
        (attrs.evolve(BASE, stage=S.DETACHED, held=True), ["AccountRegained"]),
        (attrs.evolve(BASE, stage=S.ISSUED, held=True, in_sync=True), []),
        (attrs.evolve(BASE, stage=S.ISSUED, held=True, in_sync=False), ["Changed"]),
        (attrs.evolve(BASE, stage=S.PENDING, held=True), ["Changed"]),
        (attrs.evolve(BASE, stage=S.REISSUING, held=True), ["Changed"]),
        (attrs.evolve(BASE, stage=S.DETACHED, issue=True, owner=OWNER), ["Reissue"]),
        (attrs.evolve(BASE, stage=S.PENDING), ["AccountLost"]),
        (attrs.evolve(BASE, stage=S.REISSUING), ["AccountLost"]),
        (attrs.evolve(BASE, stage=S.ISSUED), ["AccountLost"]),
        (attrs.evolve(BASE, stage=S.DETACHED), []),
    ],
)
def test_every_row(facts: SaveFacts, expected: list[str]) -> None:
    assert _kinds(facts) == expected


def test_a_new_conference_goes_to_the_owners_account_under_the_fresh_marker() -> None:
    [asked] = on_save(attrs.evolve(BASE, requested=True, issue=True, owner=OWNER),
                      marker="m-new").happenings  # fmt: skip
    assert asked == lc.Requested(tenant_id="t1", event_id="e1", provider="zoom",
                                 external_account_id="acct-2", marker="m-new")  # fmt: skip
    [again] = on_save(attrs.evolve(BASE, stage=S.DETACHED, issue=True, owner=OWNER),
                      marker="m-2").happenings  # fmt: skip
    assert again == lc.Reissue(provider="zoom", external_account_id="acct-2", marker="m-2")


def test_a_failed_conference_saved_again_is_asked_for_afresh_under_the_new_marker() -> None:
    moves = on_save(attrs.evolve(BASE, stage=S.FAILED, issue=True, owner=OWNER), marker="m-3")
    assert moves == SaveMoves(
        (
            lc.Requested(
                tenant_id="t1",
                event_id="e1",
                provider="zoom",
                external_account_id="acct-2",
                marker="m-3",
            ),
        ),
        (),
    )


def test_a_detached_conference_nobody_can_manage_says_so() -> None:
    assert on_save(attrs.evolve(BASE, stage=S.DETACHED), marker="m").notices == (
        Notice.CONFERENCE_DETACHED,
    )
    out_of_sync = on_save(attrs.evolve(BASE, stage=S.DETACHED, in_sync=False), marker="m")
    assert out_of_sync.notices == (Notice.CONFERENCE_DETACHED, Notice.LINK_REQUIRED_TO_UPDATE)


@given(
    stage=st.sampled_from(list(S)),
    withdraw=st.booleans(),
    requested=st.booleans(),
    issue=st.booleans(),
    owner=st.sampled_from([None, OWNER]),
    held=st.booleans(),
    in_sync=st.booleans(),
)
def test_every_decision_is_a_legal_path_through_the_lifecycle(
    stage: lc.Stage, withdraw: bool, requested: bool, issue: bool, owner: Owner | None,
    held: bool, in_sync: bool,
) -> None:  # fmt: skip
    facts = SaveFacts(tenant_id="t1", event_id="e1", stage=stage, withdraw=withdraw,
                      requested=requested, issue=issue, owner=owner, held=held,
                      in_sync=in_sync)  # fmt: skip
    current = stage
    for happening in on_save(facts, marker="m").happenings:
        assert (current, type(happening)) in lc.TRANSITIONS, (current, happening)
        current = lc.TRANSITIONS[(current, type(happening))][0]
