"""Two saves of one event at the same moment (a double click, two editors), on every
database: the mailed state is read and updated under the event's row lock, so each
participant is invited once, and whoever loses a different edit is cancelled."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Iterator

import pytest

from meetlink import Participant
from meetlink.adapters.sqlalchemy import SqlStorage
from tests.app.conftest import World, make_world
from tests.ical import calendar_of, integer

TRIALS = 10


@pytest.fixture
def world(database_url: str, encryption_key: str) -> Iterator[World]:
    storage = SqlStorage(database_url, encryption_keys=[encryption_key], create_schema=True)
    w = make_world(storage=storage)
    w.meetlink.contract("t1")
    w.link("alice", w.zoom.add_account("alice@corp.example"))
    yield w
    w.meetlink.close()


def _race(world: World, *events: object) -> None:
    barrier = threading.Barrier(len(events))
    errors: list[BaseException] = []

    def save(event: object) -> None:
        barrier.wait()
        try:
            world.meetlink.save_event(event)  # type: ignore[arg-type]
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=save, args=(e,)) for e in events]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []


def _methods(world: World, event_id: str) -> dict[str, list[str]]:
    """Per recipient, the calendar METHODs mailed for ``event_id``, in SEQUENCE order."""
    seen: dict[str, list[tuple[int, str]]] = {}
    for mail in world.mailer.outbox:
        for part in mail.walk():
            if part.get_content_type() != "text/calendar":
                continue
            calendar = calendar_of(part)
            vevent = next(iter(calendar.walk("VEVENT")))
            if not str(vevent["UID"]).startswith(f"{event_id}@"):
                continue
            who = mail["To"].addresses[0].addr_spec
            seen.setdefault(who, []).append((integer(vevent, "SEQUENCE"), str(calendar["METHOD"])))
    return {who: [m for _, m in sorted(items)] for who, items in seen.items()}


def test_a_double_click_invites_each_new_participant_once(world: World) -> None:
    for trial in range(TRIALS):
        event_id = f"e{trial}"
        base = world.event(event_id)
        world.meetlink.save_event(base)
        added = world.event(
            event_id, participants=(*base.participants, Participant("dave@x.example"))
        )
        _race(world, added, added)
        world.deliver()
        invitations = Counter(
            who
            for who, methods in _methods(world, event_id).items()
            for m in methods
            if m == "REQUEST"
        )
        assert invitations["dave@x.example"] == 1, (trial, invitations)


def test_two_different_edits_leave_every_calendar_matching_the_stored_event(
    world: World,
) -> None:
    for trial in range(TRIALS):
        event_id = f"d{trial}"
        base = world.event(event_id)
        world.meetlink.save_event(base)
        dave = world.event(event_id, participants=(Participant("dave@x.example"),))
        erin = world.event(event_id, participants=(Participant("erin@x.example"),))
        _race(world, dave, erin)
        world.deliver()
        stored_event = world.meetlink.event(event_id, tenant_id="t1")
        assert stored_event is not None
        stored = {p.email for p in stored_event.participants}
        calendars = _methods(world, event_id)
        assert stored in ({"dave@x.example"}, {"erin@x.example"}), (trial, stored)
        # The one the kept edit added is invited: a calendar that got no mail fails too.
        assert stored <= set(calendars), (trial, stored, calendars)
        for who, methods in calendars.items():
            expected = "REQUEST" if who in stored else "CANCEL"
            assert methods[-1] == expected, (trial, who, methods, stored)
