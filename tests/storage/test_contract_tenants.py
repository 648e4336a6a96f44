"""Event ids belong to the tenant that first saved them (issue 14, item 2), through the facade
on every store: the in-memory reference, SQLite, PostgreSQL and MariaDB."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from meetlink import InvalidEvent, Participant, UnknownEvent
from meetlink.ports.storage import Storage
from tests.app.conftest import World, make_world


@pytest.fixture
def two_tenants(storage: Storage) -> Iterator[World]:
    """alice (tenant t1) and mallory (tenant t2), both linked; t1 has event e1 issued and
    its invitations delivered."""
    world = make_world(storage=storage)
    ml = world.meetlink
    ml.start_trial("t1")
    ml.start_trial("t2")
    world.link("alice", world.zoom.add_account("alice@corp.example"), "t1")
    world.link("mallory", world.zoom.add_account("mallory@evil.example"), "t2")
    ml.save_event(world.event("e1"))
    world.deliver()
    yield world
    ml.close()


def test_saving_another_tenants_event_id_is_refused_and_changes_nothing(
    two_tenants: World,
) -> None:
    world, ml = two_tenants, two_tenants.meetlink
    conference = ml.conference("e1")
    meetings = [dict(m) for m in world.zoom.live_meetings()]
    mailed = len(world.mailer.outbox)
    hijack = world.event(
        "e1",
        tenant_id="t2",
        owner_id="mallory",
        title="Hijacked",
        participants=(Participant("spy@evil.example"),),
    )
    with pytest.raises(InvalidEvent) as info:
        ml.save_event(hijack)
    assert info.value.field == "tenant_id"
    stored = ml.event("e1")
    assert stored is not None and (stored.tenant_id, stored.title) == ("t1", "Sales call")
    assert ml.conference("e1") == conference
    assert [dict(m) for m in world.zoom.live_meetings()] == meetings  # not renamed
    assert world.deliver() == [] and len(world.mailer.outbox) == mailed  # nobody mailed
    assert ml.pending_jobs() == []


def test_lookups_with_another_tenant_see_an_unknown_event(two_tenants: World) -> None:
    ml = two_tenants.meetlink
    with pytest.raises(UnknownEvent):
        ml.delete_event("e1", tenant_id="t2", actor_id="mallory")
    with pytest.raises(UnknownEvent):
        ml.conference("e1", tenant_id="t2")
    with pytest.raises(UnknownEvent):
        ml.start_url("e1", "alice", tenant_id="t2")
    with pytest.raises(UnknownEvent):
        ml.event("e1", tenant_id="t2")
    assert ml.conference("e1") is not None  # still there
    # The right tenant sees it; an id nobody saved stays "unknown" as before.
    own = ml.conference("e1", tenant_id="t1")
    assert own is not None and own.join_url
    assert ml.start_url("e1", "alice", tenant_id="t1").startswith("https://")
    assert ml.conference("nope", tenant_id="t1") is None
    assert ml.delete_event("nope", tenant_id="t1") is False
    assert ml.delete_event("e1", tenant_id="t1") is True


def test_the_same_tenant_updates_its_event_and_a_deleted_id_is_free_again(
    two_tenants: World,
) -> None:
    world, ml = two_tenants, two_tenants.meetlink
    assert ml.save_event(world.event("e1", title="Renamed")).conference is not None
    assert ml.delete_event("e1") is True
    reused = world.event("e1", tenant_id="t2", owner_id="mallory")
    result = ml.save_event(reused)
    assert result.conference is not None
    stored = ml.event("e1", tenant_id="t2")
    assert stored is not None and stored.owner_id == "mallory"
