"""The OAuth state is bound to the user and tenant that began the link (issue 14, item 1),
through the facade on every store (in-memory reference, SQLite, PostgreSQL, MariaDB): a
completion in anyone else's session is InvalidLinkState and changes nothing, so the state
still completes for its own user afterwards (the refused attempt consumed nothing)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from meetlink import InvalidInput, InvalidLinkState
from meetlink.ports.storage import Storage
from tests.app.conftest import World, make_world


@pytest.fixture
def world(storage: Storage) -> Iterator[World]:
    w = make_world(storage=storage)
    w.meetlink.start_trial("t1")
    w.meetlink.start_trial("t2")
    yield w
    w.meetlink.close()


def test_a_link_url_sent_to_another_session_is_refused_and_changes_nothing(world: World) -> None:
    ml = world.meetlink
    victor = world.zoom.add_account("victor@victim.example")
    world.link("victor", victor, "t2")
    lure = ml.begin_link("t1", "mallory")  # mallory sends victor her authorize URL
    params = world.zoom.authorize(lure.authorize_url, victor)  # victor presses Allow
    for user_id, tenant_id in (("victor", "t2"), ("victor", "t1"), ("mallory", "t2")):
        with pytest.raises(InvalidLinkState):
            ml.complete_link(
                params["state"], code=params["code"], user_id=user_id, tenant_id=tenant_id
            )
    with pytest.raises(InvalidInput):  # a session must say its tenant: no "any tenant"
        ml.complete_link(params["state"], code=params["code"], user_id="mallory", tenant_id=None)  # type: ignore[arg-type]
    assert ml.link("mallory", tenant_id="t1") is None
    assert ml.link("victor", tenant_id="t1") is None
    held = ml.link("victor", tenant_id="t2")
    assert held is not None and held.external_account_id == victor.id
    assert ml.pending_jobs() == []


def test_a_refused_completion_leaves_the_state_usable_by_its_own_user(world: World) -> None:
    ml = world.meetlink
    alice = world.zoom.add_account("alice@corp.example")
    params = world.zoom.authorize(ml.begin_link("t1", "alice").authorize_url, alice)
    with pytest.raises(InvalidLinkState):
        ml.complete_link(params["state"], code=params["code"], user_id="bob", tenant_id="t1")
    link = ml.complete_link(params["state"], code=params["code"], user_id="alice", tenant_id="t1")
    assert (link.user_id, link.external_account_id) == ("alice", alice.id)
    with pytest.raises(InvalidLinkState):  # and once used, it is gone
        ml.complete_link(params["state"], code=params["code"], user_id="alice", tenant_id="t1")
