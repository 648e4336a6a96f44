"""A save that lands while the provider works on an earlier save of the same event.

The sync job of save A carries A's terms to the provider with no transaction open; save B
may commit meanwhile. When B brings the event back to what the meeting said before A (a
double click, an editor undoing a change), B asks for no provider work: the conference
still says the old terms. A's answer must then not be the last word: the meeting must end
up saying what the event says now (the chaos suite saw a meeting left at A's time while the
stored event said B's). The same holds for a create whose event changed while it was made.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import attrs

from meetlink.adapters.memory.provider import FakeVideoProvider
from meetlink.ports.provider import Meeting, MeetingRequest
from tests.app.conftest import World
from tests.conferences import terms_of


class _During(FakeVideoProvider):
    """The fake provider, running ``during[method]`` once while that call is in flight (the
    call reaches the provider first, as a request on the wire would)."""

    during: dict[str, Callable[[], None]]

    def _once(self, method: str) -> None:
        hook = self.during.pop(method, None)
        if hook is not None:
            hook()

    def update_meeting(self, access_token: str, meeting_id: str, request: MeetingRequest) -> None:
        super().update_meeting(access_token, meeting_id, request)
        self._once("update")

    def create_meeting(self, access_token: str, request: MeetingRequest) -> Meeting:
        made = super().create_meeting(access_token, request)
        self._once("create")
        return made


def _world(linked: World) -> World:
    linked.zoom.__class__ = _During
    linked.zoom.during = {}  # type: ignore[attr-defined]
    return linked


def _meeting_start(world: World) -> Any:
    (meeting,) = world.zoom.live_meetings()
    return terms_of(meeting).start


def test_a_save_undone_while_its_update_is_in_flight_leaves_the_meeting_at_the_event(
    linked: World,
) -> None:
    world = _world(linked)
    ml = world.meetlink
    original = world.event("e1")
    assert ml.save_event(original).conference is not None
    moved = attrs.evolve(
        original, start=original.start + timedelta(minutes=15),
        end=original.end + timedelta(minutes=15),
    )  # fmt: skip
    # While A's update (to the moved time) is at the provider, B saves the original back.
    world.zoom.during["update"] = lambda: ml.save_event(original)  # type: ignore[attr-defined]
    ml.save_event(moved)
    ml.run_pending()
    stored = ml.event("e1", tenant_id="t1")
    assert stored == original
    assert _meeting_start(world) == original.start


def test_a_save_moved_while_its_create_is_in_flight_leaves_the_meeting_at_the_event(
    linked: World,
) -> None:
    world = _world(linked)
    ml = world.meetlink
    first = world.event("e1")
    moved = attrs.evolve(
        first, start=first.start + timedelta(hours=2), end=first.end + timedelta(hours=2)
    )
    world.zoom.during["create"] = lambda: ml.save_event(moved)  # type: ignore[attr-defined]
    ml.save_event(first)
    ml.run_pending()
    assert ml.event("e1", tenant_id="t1") == moved
    assert _meeting_start(world) == moved.start
