"""Every id is the host's id inside one tenant (issue 20; replaces stage two's "an event id
belongs to the tenant that first saved it"), through the facade on every store: the in-memory
reference, SQLite, PostgreSQL and MariaDB. Tenants t1 and t2 both have user ``alice`` and
event ``e1``; neither sees nor touches the other's."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from meetlink import InvalidEvent, NoConference, Participant, UnknownEvent
from meetlink.ports.storage import Storage
from tests.app.conftest import World, make_world


@pytest.fixture
def two_tenants(storage: Storage) -> Iterator[World]:
    """alice of tenant t1 and alice of tenant t2, each linked to their own account; t1 has
    event e1 issued and its invitations delivered."""
    world = make_world(storage=storage)
    ml = world.meetlink
    ml.start_trial("t1")
    ml.start_trial("t2")
    world.link("alice", world.zoom.add_account("alice@corp.example"), "t1")
    world.link("alice", world.zoom.add_account("alice@evil.example"), "t2")
    ml.save_event(world.event("e1"))
    world.deliver()
    yield world
    ml.close()


def test_the_same_event_id_in_another_tenant_is_another_event(two_tenants: World) -> None:
    world, ml = two_tenants, two_tenants.meetlink
    conference = ml.conference("e1", tenant_id="t1")
    meetings = [dict(m) for m in world.zoom.live_meetings()]
    other = world.event(
        "e1",
        tenant_id="t2",
        title="Another company's e1",
        participants=(Participant("guest@evil.example"),),
    )
    saved = ml.save_event(other)
    assert saved.conference is not None and saved.conference.tenant_id == "t2"
    assert saved.conference.join_url != (conference.join_url if conference else None)
    # t1's e1 is untouched: the event, its conference, its meeting, its participants.
    stored = ml.event("e1", tenant_id="t1")
    assert stored is not None and (stored.tenant_id, stored.title) == ("t1", "Sales call")
    assert ml.conference("e1", tenant_id="t1") == conference
    assert [m for m in world.zoom.live_meetings() if m["id"] != saved.conference.meeting_id] == (
        meetings
    )
    delivered = world.deliver()
    assert [str(m["To"]) for m in delivered] == ["guest@evil.example"]
    assert ml.event("e1", tenant_id="t2") == other


def test_lookups_in_another_tenant_find_nothing(two_tenants: World) -> None:
    ml = two_tenants.meetlink
    assert ml.delete_event("e1", tenant_id="t2", actor_id="mallory") is False
    assert ml.conference("e1", tenant_id="t2") is None
    assert ml.event("e1", tenant_id="t2") is None
    with pytest.raises(UnknownEvent):
        ml.start_url("e1", "alice", tenant_id="t2")
    with pytest.raises(UnknownEvent):
        ml.retry("e1", tenant_id="t2")
    assert ml.conference("e1", tenant_id="t1") is not None  # still there
    # The right tenant sees it; an id nobody saved stays unknown.
    own = ml.conference("e1", tenant_id="t1")
    assert own is not None and own.join_url
    assert ml.start_url("e1", "alice", tenant_id="t1").startswith("https://")
    assert ml.conference("nope", tenant_id="t1") is None
    assert ml.delete_event("nope", tenant_id="t1") is False
    assert ml.delete_event("e1", tenant_id="t1") is True


def test_an_owner_of_another_tenant_cannot_start_the_meeting(two_tenants: World) -> None:
    """t2's alice has an event e1 without a meeting: asking for its start URL never gives
    t1's e1's meeting, although user and event ids are the same."""
    world, ml = two_tenants, two_tenants.meetlink
    ml.save_event(world.event("e1", tenant_id="t2", web_meeting=None))
    with pytest.raises(NoConference):
        ml.start_url("e1", "alice", tenant_id="t2")


def test_the_tenant_handle_refuses_another_tenants_event(two_tenants: World) -> None:
    world, ml = two_tenants, two_tenants.meetlink
    t2 = ml.tenant("t2")
    with pytest.raises(InvalidEvent) as info:
        t2.save_event(world.event("e1", title="Hijacked"))  # an event of t1
    assert info.value.field == "tenant_id"
    stored = ml.event("e1", tenant_id="t1")
    assert stored is not None and stored.title == "Sales call"
    assert ml.event("e1", tenant_id="t2") is None
    assert world.deliver() == []
