"""Typed reads of the iCalendar properties the tests check: icalendar types a property as any
of its value types, and a property given once is a value, given twice a list of them."""

from __future__ import annotations

from datetime import datetime
from email.message import Message

from icalendar import Calendar, Component, vCalAddress


def calendar_of(part: Message) -> Calendar:
    """The calendar a text/calendar part of a mail carries."""
    payload = part.get_payload(decode=True)
    assert isinstance(payload, bytes), f"a {part.get_content_type()} part of {payload!r}"
    return Calendar.from_ical(payload)


def integer(component: Component, name: str) -> int:
    """An integer property (``SEQUENCE``); KeyError when the component has none."""
    value = component[name]
    assert isinstance(value, int), f"{name} is {value!r}"
    return value


def moment(component: Component, name: str) -> datetime:
    """A date-time property (``DTSTART``, ``RECURRENCE-ID``) as a datetime; KeyError when the
    component has none, AssertionError when it is a date."""
    value = component.decoded(name)
    assert isinstance(value, datetime), f"{name} is {value!r}"
    return value


def addresses(component: Component, name: str = "ATTENDEE") -> list[vCalAddress]:
    """Every value of an address property (``ATTENDEE``), one or many; [] when none."""
    value = component.get(name, [])
    values = value if isinstance(value, list) else [value]
    assert all(isinstance(v, vCalAddress) for v in values), f"{name} is {value!r}"
    return values
