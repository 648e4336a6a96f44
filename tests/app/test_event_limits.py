"""An event over meetlink's own limits is refused as InvalidEvent naming the field, the
reason and the limit, so that a host can show it on the event form. Each test kills a
survivor of the app/ mutation run (docs/testing.md, "Mutation testing")."""

from __future__ import annotations

import pytest

from meetlink import InvalidEvent, Participant
from meetlink.app.validation import MAX_ID, MAX_PARTICIPANTS

from .conftest import World


def test_an_event_id_over_the_limit_is_an_invalid_event(linked: World) -> None:
    with pytest.raises(InvalidEvent) as info:
        linked.meetlink.save_event(linked.event("e" * (MAX_ID + 1)))
    assert (info.value.field, info.value.params["reason"], info.value.params["limit"]) == (
        "id",
        "too_long",
        MAX_ID,
    )


def test_too_many_participants_is_an_invalid_event_naming_the_limit(linked: World) -> None:
    people = tuple(Participant(f"p{n}@example.com") for n in range(MAX_PARTICIPANTS + 1))
    with pytest.raises(InvalidEvent) as info:
        linked.meetlink.save_event(linked.event(participants=people))
    assert (info.value.field, info.value.params["reason"], info.value.params["limit"]) == (
        "participants",
        "too_many",
        MAX_PARTICIPANTS,
    )
