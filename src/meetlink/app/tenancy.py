"""Event ids belong to the tenant that first saved them.

An event id is the host's, and one namespace for every tenant of a MeetLink instance: the
first ``save_event`` of an id binds it to that event's ``tenant_id`` until the event is
deleted. Another tenant can neither overwrite it (``InvalidEvent`` naming ``tenant_id``,
nothing changed) nor, when the host passes ``tenant_id`` to a lookup, see, start, retry or
delete it (``UnknownEvent``).
"""

from __future__ import annotations

from meetlink.domain.event import Event
from meetlink.domain.records import EventRecord
from meetlink.errors import InvalidEvent, UnknownEvent
from meetlink.ports.storage import UnitOfWork

__all__ = ["check_event_owner", "event_of_tenant"]


def check_event_owner(stored: EventRecord | None, event: Event) -> None:
    """Refuse saving ``event`` over a stored event of another tenant."""
    if stored is not None and stored.event.tenant_id != event.tenant_id:
        raise InvalidEvent("tenant_id", "this event id already belongs to another tenant")


def event_of_tenant(uow: UnitOfWork, event_id: str, tenant_id: str | None) -> EventRecord | None:
    """The stored event; with ``tenant_id`` given, an event of another tenant is
    [`UnknownEvent`][meetlink.errors.UnknownEvent] (an unknown id stays None)."""
    record = uow.events.get(event_id)
    if tenant_id is not None and record is not None and record.event.tenant_id != tenant_id:
        raise UnknownEvent(f"no event {event_id!r} in tenant {tenant_id!r}")
    return record
