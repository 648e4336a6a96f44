"""A MeetLink over the in-memory fakes: the fastest way to test the rules end to end."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from typing import Any

import attrs
import pytest

from meetlink import Event, MeetLink, Participant
from meetlink.adapters.clock import ManualClock
from meetlink.adapters.mail import JinjaMailComposer, RecordingMailer
from meetlink.adapters.memory.provider import FakeAccount, FakeVideoProvider
from meetlink.adapters.memory.storage import InMemoryStorage
from meetlink.ports.provider import Capabilities
from meetlink.ports.storage import Storage

T0 = datetime(2026, 12, 1, 0, 0, tzinfo=UTC)


@attrs.define
class World:
    """Everything a facade test touches."""

    meetlink: MeetLink
    zoom: FakeVideoProvider
    clock: ManualClock
    mailer: RecordingMailer

    def link(self, user_id: str, account: FakeAccount, tenant_id: str = "t1") -> Any:
        request = self.meetlink.begin_link(tenant_id, user_id)
        params = self.zoom.authorize(request.authorize_url, account)
        return self.meetlink.complete_link(
            params["state"], code=params.get("code"), user_id=user_id, tenant_id=tenant_id
        )

    def account_id(self, user_id: str, tenant_id: str = "t1") -> str:
        """The provider account id of ``user_id``'s link; AssertionError when unlinked."""
        link = self.meetlink.link(user_id, tenant_id=tenant_id)
        assert link is not None, f"{user_id} of {tenant_id} is not linked"
        return link.external_account_id

    def event(self, event_id: str = "e1", **changes: Any) -> Event:
        start = changes.pop("start", self.clock.now() + timedelta(days=1))
        fields: dict[str, Any] = {
            "id": event_id,
            "tenant_id": "t1",
            "owner_id": "alice",
            "title": "Sales call",
            "start": start,
            "end": changes.pop("end", start + timedelta(minutes=30)),
            "participants": (Participant("bob@example.com"), Participant("carol@example.com")),
            "web_meeting": "zoom",
        }
        fields.update(changes)
        ident = (fields.pop("id"), fields.pop("tenant_id"), fields.pop("owner_id"))
        return Event(*ident, fields.pop("title"), fields.pop("start"), fields.pop("end"), **fields)

    def deliver(self) -> list[EmailMessage]:
        before = len(self.mailer.outbox)
        self.meetlink.run_pending()
        return self.mailer.outbox[before:]


def make_world(
    *, storage: Storage | None = None, capabilities: Capabilities | None = None, **settings: Any
) -> World:
    """A MeetLink on the fakes (in-memory storage unless ``storage`` is given)."""
    clock = ManualClock(T0)
    zoom = FakeVideoProvider(
        clock,
        key="zoom",
        capabilities=capabilities or Capabilities(display_name="Zoom", free_plan_minutes=40),
    )
    mailer = RecordingMailer()
    ml = MeetLink(
        storage=storage if storage is not None else InMemoryStorage(),
        providers=[zoom],
        mailer=mailer,
        composer=JinjaMailComposer(),
        clock=clock,
        **settings,
    )
    return World(ml, zoom, clock, mailer)


@pytest.fixture
def world() -> Iterator[World]:
    w = make_world()
    yield w
    w.meetlink.close()


@pytest.fixture
def linked(world: World) -> World:
    """Tenant t1 in trial, alice linked to a licensed account."""
    world.meetlink.start_trial("t1")
    alice = world.zoom.add_account("alice@corp.example")
    world.link("alice", alice)
    return world
