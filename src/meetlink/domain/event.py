"""The host's calendar event, as meetlink needs it, validated at construction."""

from __future__ import annotations

import enum
import math
import re
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import attrs

from meetlink.errors import InvalidEvent

__all__ = ["LOCALES", "Event", "Participant", "Source", "Span"]

LOCALES = ("ja", "en")

# Deliberately strict and header-safe: no whitespace, no CR/LF, one "@", a dotted domain.
_EMAIL = re.compile(r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+$")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


class Span(enum.Enum):
    """How the event occupies the calendar (S17)."""

    TIMED = "timed"
    ALL_DAY = "all_day"
    PERIOD = "period"  # a multi-day span event


class Source(enum.Enum):
    """How the event came to exist (S18)."""

    MANUAL = "manual"
    WORKFLOW = "workflow"
    IMPORT = "import"
    SCHEDULING_POLL = "scheduling_poll"
    ATTENDANCE_CHECK = "attendance_check"


def _check_email(instance: object, attribute: attrs.Attribute[str], value: str) -> None:
    if not isinstance(value, str) or len(value) > 254 or not _EMAIL.fullmatch(value):
        raise InvalidEvent("participants.email", f"not a valid email address: {value!r}")


def _check_locale(instance: object, attribute: attrs.Attribute[str], value: str) -> None:
    if value not in LOCALES:
        raise InvalidEvent("participants.locale", f"must be one of {LOCALES}, not {value!r}")


def _check_name(instance: object, attribute: attrs.Attribute[str], value: str) -> None:
    if not isinstance(value, str) or _CONTROL.search(value):
        raise InvalidEvent("participants.name", "must be text without control characters")


@attrs.frozen
class Participant:
    """Someone who receives the meeting URL by mail (S13) and the reminder (S14)."""

    email: str = attrs.field(validator=_check_email)
    name: str = attrs.field(default="", validator=_check_name)
    locale: str = attrs.field(default="ja", validator=_check_locale)


def _participants(value: object) -> tuple[Participant, ...]:
    if isinstance(value, Participant):
        return (value,)
    if not isinstance(value, Iterable) or isinstance(value, str):
        raise InvalidEvent("participants", "must be a sequence of Participant")
    items = tuple(value)
    for item in items:
        if not isinstance(item, Participant):
            raise InvalidEvent("participants", f"not a Participant: {item!r}")
    return items


@attrs.frozen(kw_only=False)
class Event:
    """A calendar event of the host product.

    ``web_meeting`` is the provider key when the "Issue URL" box is ticked (S11), else None.
    Invalid input raises :class:`InvalidEvent` naming the field.
    """

    id: str
    tenant_id: str
    owner_id: str
    title: str
    start: datetime
    end: datetime
    timezone: str = attrs.field(default="Asia/Tokyo", kw_only=True)
    span: Span = attrs.field(default=Span.TIMED, kw_only=True)
    recurrence: str | None = attrs.field(default=None, kw_only=True)
    source: Source = attrs.field(default=Source.MANUAL, kw_only=True)
    participants: tuple[Participant, ...] = attrs.field(
        default=(), converter=_participants, kw_only=True
    )
    web_meeting: str | None = attrs.field(default=None, kw_only=True)
    description: str = attrs.field(default="", kw_only=True)

    def __attrs_post_init__(self) -> None:
        for name in ("id", "tenant_id", "owner_id", "title"):
            value = getattr(self, name)
            if not isinstance(value, str) or not value.strip():
                raise InvalidEvent(name, "must be a non-empty string")
            if name != "title" and _CONTROL.search(value):
                raise InvalidEvent(name, "must not contain control characters")
        if _CONTROL.search(self.title):
            raise InvalidEvent("title", "must not contain control characters (CR/LF...)")
        for name in ("start", "end"):
            value = getattr(self, name)
            if not isinstance(value, datetime):
                raise InvalidEvent(name, "must be a datetime")
            if value.tzinfo is None or value.utcoffset() is None:
                raise InvalidEvent(name, "must be timezone-aware")
        if self.end.astimezone(UTC) <= self.start.astimezone(UTC):
            raise InvalidEvent("end", "must be after start")
        if not isinstance(self.timezone, str) or not self.timezone:
            raise InvalidEvent("timezone", "must be an IANA timezone name")
        try:
            ZoneInfo(self.timezone)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise InvalidEvent("timezone", f"unknown IANA timezone {self.timezone!r}") from exc
        if not isinstance(self.span, Span):
            raise InvalidEvent("span", "must be a Span")
        if not isinstance(self.source, Source):
            raise InvalidEvent("source", "must be a Source")
        if self.recurrence is not None and (
            not isinstance(self.recurrence, str) or not self.recurrence.strip()
        ):
            raise InvalidEvent("recurrence", "must be an RRULE string or None")
        if self.web_meeting is not None and (
            not isinstance(self.web_meeting, str) or not self.web_meeting
        ):
            raise InvalidEvent("web_meeting", "must be a provider key or None")
        if not isinstance(self.description, str):
            raise InvalidEvent("description", "must be a string")
        emails = [p.email.lower() for p in self.participants]
        if len(set(emails)) != len(emails):
            raise InvalidEvent("participants", "the same email appears twice")

    @property
    def duration(self) -> timedelta:
        """How long the event lasts (in real time: computed in UTC, so a daylight-saving
        change inside the event counts)."""
        return self.end.astimezone(UTC) - self.start.astimezone(UTC)

    @property
    def duration_minutes(self) -> int:
        """The duration rounded up to whole minutes (what providers take)."""
        return max(1, math.ceil(self.duration / timedelta(minutes=1)))
