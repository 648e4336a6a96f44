"""Input limits are the facade's, the same on every store (issue 14, item 5): what one database
refuses no other accepts, and everything within the limits is stored on all of them (in-memory
reference, SQLite, PostgreSQL, MariaDB)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from meetlink import InvalidEvent, InvalidInput, Participant
from meetlink.app import validation as v
from meetlink.ports.storage import Storage
from tests.app.conftest import World, make_world


@pytest.fixture
def world(storage: Storage) -> Iterator[World]:
    w = make_world(storage=storage)
    w.meetlink.start_trial("t1")
    yield w
    w.meetlink.close()


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"event_id": "e" * (v.MAX_ID + 1)}, "id"),
        ({"tenant_id": "t" * (v.MAX_ID + 1)}, "tenant_id"),
        ({"owner_id": "o" * (v.MAX_ID + 1)}, "owner_id"),
        ({"title": "x" * (v.MAX_TITLE + 1)}, "title"),
        ({"web_meeting": "z" * (v.MAX_PROVIDER_KEY + 1)}, "web_meeting"),
        ({"description": "a\x00b"}, "description"),
        ({"description": "d" * (v.MAX_DESCRIPTION + 1)}, "description"),
        ({"title": "lone \ud800 surrogate"}, "title"),
        ({"description": "lone \udfff"}, "description"),
        (
            {"participants": (Participant("a@example.com", "n" * (v.MAX_NAME + 1)),)},
            "participants.name",
        ),
        ({"participants": (Participant("a@example.com", "\ud83d"),)}, "participants.name"),
    ],
)
def test_beyond_the_limits_is_invalid_on_every_store(
    world: World, changes: dict[str, Any], field: str
) -> None:
    changes = dict(changes)  # the parameter is shared by every store
    event_id = changes.pop("event_id", "e1")
    with pytest.raises(InvalidEvent) as info:
        world.meetlink.save_event(world.event(event_id, **changes))
    assert info.value.field == field
    assert world.meetlink.event(event_id[: v.MAX_ID], tenant_id="t1") is None


def test_within_the_limits_everything_is_stored_on_every_store(world: World) -> None:
    """The largest event the limits allow, in 4-byte and Japanese characters (MariaDB's TEXT
    stopped at 64 KB: about 1,000 named participants)."""
    people = tuple(
        Participant(f"p{i}@example.com", "山" * v.MAX_NAME) for i in range(v.MAX_PARTICIPANTS)
    )
    event = world.event(
        "i" * v.MAX_ID,
        tenant_id="t" * v.MAX_ID,
        owner_id="o" * v.MAX_ID,
        title="😀" * v.MAX_TITLE,
        description="説明\n" * (v.MAX_DESCRIPTION // 3),
        web_meeting=None,
        participants=people,
    )
    world.meetlink.start_trial("t" * v.MAX_ID)
    world.meetlink.save_event(event)
    assert world.meetlink.event(event.id, tenant_id=event.tenant_id) == event


@pytest.mark.parametrize(
    ("call", "argument"),
    [
        (lambda ml: ml.start_trial("t" * (v.MAX_ID + 1)), "tenant_id"),
        (lambda ml: ml.subscription("t\x00"), "tenant_id"),
        (lambda ml: ml.begin_link("t1", "u" * (v.MAX_ID + 1)), "user_id"),
        (lambda ml: ml.link("u\ud800", tenant_id="t1"), "user_id"),
        (lambda ml: ml.delete_event("e\x00", tenant_id="t1"), "event_id"),
        (lambda ml: ml.conference("e" * (v.MAX_ID + 1), tenant_id="t1"), "event_id"),
        (lambda ml: ml.start_url("e1", "\x00", tenant_id="t1"), "user_id"),
        (lambda ml: ml.web_meeting_available("t1", "u1", "p" * 33), "provider"),
    ],
)
def test_bad_ids_name_the_argument_on_every_store(world: World, call: Any, argument: str) -> None:
    with pytest.raises(InvalidInput) as info:
        call(world.meetlink)
    assert str(info.value).startswith(f"{argument}: ")
