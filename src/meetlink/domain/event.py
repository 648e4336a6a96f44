"""The host's calendar event, as meetlink needs it, validated at construction."""

from __future__ import annotations

import enum
import functools
import math
import re
import zoneinfo
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from typing import TypeVar

import attrs

from meetlink.errors import InvalidEvent

__all__ = [
    "DEFAULT_LOCALE",
    "DEFAULT_TIMEZONE",
    "LOCALES",
    "Event",
    "MovedOccurrence",
    "Participant",
    "Source",
    "Span",
    "is_iana_timezone",
]

LOCALES = ("ja", "en")


class InstanceDefault(str):
    """A field's default that the host's instance settings replace when the event is saved
    (``Settings.default_timezone``, ``Settings.default_locale``): it reads as the contract's
    default (``"Asia/Tokyo"``, ``"ja"``) until then, and is told apart by identity."""

    __slots__ = ()


#: ``Event.timezone`` when the host gives none: Asia/Tokyo, or the instance's
#: ``default_timezone`` once saved.
DEFAULT_TIMEZONE: str = InstanceDefault("Asia/Tokyo")
#: ``Participant.locale`` when the host gives none: ja, or the instance's ``default_locale``
#: once saved.
DEFAULT_LOCALE: str = InstanceDefault("ja")

# Deliberately strict and header-safe: no whitespace, no CR/LF, one "@", a dotted domain.
# RFC 6531/6532 (SMTPUTF8) adds UTF-8 to the local part, and IDNA (RFC 5890) to the domain:
# printable non-ASCII characters are accepted there (never spaces, controls, format
# characters such as U+202E, or lone surrogates), and each domain label must have an IDNA
# (A-label) form of at most 63 octets.
_LOCAL_ASCII = re.compile(r"[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]")
_LABEL_ASCII = re.compile(r"[A-Za-z0-9-]+")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
#: An address is at most 254 octets (RFC 5321 path limit, UTF-8 octets under RFC 6531).
MAX_EMAIL_OCTETS = 254
# Names the zoneinfo search path holds that are not IANA zones a user can live in: the
# system's own "localtime" link, tzcode's "posixrules", and "Factory" ("local time zone must
# be set"), plus the "posix/" and "right/" copies of the database.
_NOT_ZONES = frozenset({"Factory", "localtime", "posixrules"})


@functools.cache
def _iana_names() -> frozenset[str]:
    return frozenset(
        name
        for name in zoneinfo.available_timezones()
        if name not in _NOT_ZONES and not name.startswith(("posix/", "right/"))
    )


def is_iana_timezone(name: object) -> bool:
    """Whether ``name`` is a time zone of the IANA database (``"Asia/Tokyo"``, ``"UTC"``),
    not a file that merely sits beside them (``"localtime"``, ``"Factory"``, ``"posix/..."``)."""
    return isinstance(name, str) and name in _iana_names()


def _is_email(value: str) -> bool:
    if len(value.encode("utf-8", "surrogatepass")) > MAX_EMAIL_OCTETS or value.count("@") != 1:
        return False
    local, domain = value.split("@")
    if not local or not all(_LOCAL_ASCII.match(c) or _unicode_char(c) for c in local):
        return False
    labels = domain.split(".")
    return len(labels) >= 2 and all(_is_label(label) for label in labels)


def _unicode_char(char: str) -> bool:
    # str.isprintable() is False for controls, format characters, separators, surrogates,
    # private-use and unassigned code points.
    return ord(char) > 0x7F and char.isprintable()


def _is_label(label: str) -> bool:
    if _LABEL_ASCII.fullmatch(label):
        return len(label) <= 63
    if not label or not all(c == "-" or c.isalnum() or _unicode_char(c) for c in label):
        return False
    try:
        encoded = label.encode("idna")
    except UnicodeError:
        return False
    return 0 < len(encoded) <= 63


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
    if not isinstance(value, str) or not _is_email(value):
        raise InvalidEvent(
            "participants.email",
            f"not a valid email address: {value!r:.80}",
            reason="email",
            value=f"{value!s:.80}",
        )


def _check_locale(instance: object, attribute: attrs.Attribute[str], value: str) -> None:
    if value not in LOCALES:
        raise InvalidEvent("participants.locale", f"must be one of {LOCALES}, not {value!r}")


def _check_name(instance: object, attribute: attrs.Attribute[str], value: str) -> None:
    if not isinstance(value, str) or _CONTROL.search(value):
        raise InvalidEvent("participants.name", "must be text without control characters")


@attrs.frozen
class Participant:
    """Someone who receives the meeting URL by mail (S13) and the reminder (S14).

    Build it by keyword: ``Participant(email="ann@example.com", name="Ann", locale="en")``.
    Invalid input raises [`InvalidEvent`][meetlink.errors.InvalidEvent] naming
    ``participants.<field>``."""

    email: str = attrs.field(validator=_check_email)
    """The address mail goes to: one address, no display name, at most 254 octets; a
    non-ASCII local part (RFC 6531) or domain (IDNA) is accepted. Unique within an event,
    ignoring case."""
    name: str = attrs.field(default="", validator=_check_name)
    """How mail greets them and names them in the invitation (any text without control
    characters; empty: the address alone)."""
    locale: str = attrs.field(default=DEFAULT_LOCALE, validator=_check_locale)
    """The language of their mail: ``"ja"`` or ``"en"``. Left out, the instance's
    ``default_locale`` setting (itself ``"ja"`` unless the host sets it) applies when the
    event is saved."""


_T = TypeVar("_T")


def _sequence_of(kind: type[_T], field: str, value: object) -> tuple[_T, ...]:
    """``value`` (one item or an iterable of them) as a tuple of ``kind``."""
    if isinstance(value, kind):
        return (value,)
    if not isinstance(value, Iterable) or isinstance(value, str):
        raise InvalidEvent(field, f"must be a sequence of {kind.__name__}")
    items = tuple(value)
    for item in items:
        if not isinstance(item, kind):
            raise InvalidEvent(field, f"not a {kind.__name__}: {item!r}")
    return items


def _participants(value: object) -> tuple[Participant, ...]:
    return _sequence_of(Participant, "participants", value)


def _aware(field: str, value: object) -> datetime:
    """``value`` if it is an aware datetime that has a UTC time (its offset does not carry
    it before year 1 or past year 9999)."""
    if not isinstance(value, datetime):
        raise InvalidEvent(field, "must be a datetime")
    if value.tzinfo is None or value.utcoffset() is None:
        raise InvalidEvent(field, "must be timezone-aware")
    try:
        value.astimezone(UTC)
    except OverflowError:
        why = "is out of range in UTC (before year 1 or past year 9999)"
        raise InvalidEvent(field, why) from None
    return value


@attrs.frozen
class MovedOccurrence:
    """One occurrence of a recurring event moved to another time (an iCalendar override
    with ``RECURRENCE-ID``): ``recurrence_id`` is the start the rule gives that occurrence,
    ``start``/``end`` where it takes place instead."""

    recurrence_id: datetime
    start: datetime
    end: datetime

    def __attrs_post_init__(self) -> None:
        for name in ("recurrence_id", "start", "end"):
            _aware(f"moved.{name}", getattr(self, name))
        if self.end.astimezone(UTC) <= self.start.astimezone(UTC):
            raise InvalidEvent("moved.end", "must be after start", reason="end_before_start")


def _exdates(value: object) -> tuple[datetime, ...]:
    if isinstance(value, datetime):
        value = (value,)
    if not isinstance(value, Iterable) or isinstance(value, str):
        raise InvalidEvent("exdates", "must be a sequence of datetimes")
    items = [_aware("exdates", item) for item in value]
    # One entry per instant, in time order: equal sets of skipped dates compare equal.
    unique = {item.astimezone(UTC): item for item in items}
    return tuple(unique[key] for key in sorted(unique))


def _moved(value: object) -> tuple[MovedOccurrence, ...]:
    items = _sequence_of(MovedOccurrence, "moved", value)
    return tuple(sorted(items, key=lambda m: m.recurrence_id.astimezone(UTC)))


@attrs.frozen(kw_only=False)
class Event:
    """A calendar event of the host product.

    Build it by keyword (the first six fields may also be given in order, ``id, tenant_id,
    owner_id, title, start, end``, but six strings and datetimes in a row are easy to
    swap)::

        Event(id="ev-1", tenant_id="acme", owner_id="alice", title="Weekly sync",
              start=start, end=start + timedelta(hours=1), web_meeting="zoom",
              participants=(Participant(email="bob@example.com", locale="en"),))

    ``web_meeting`` is the provider key when the "Issue URL" box is ticked (S11), else None.
    A recurring event (``recurrence``, an RFC 5545 RRULE) may skip occurrences (``exdates``:
    the starts the rule gives them, iCalendar EXDATE) and move single ones (``moved``, each an
    iCalendar RECURRENCE-ID override). Invalid input raises
    [`InvalidEvent`][meetlink.errors.InvalidEvent] naming the field.
    """

    id: str
    """The host's id of the event (a non-empty string without control characters, at most
    191 characters): unique within its tenant."""
    tenant_id: str
    """The host's company or workspace the event belongs to."""
    owner_id: str
    """The host user who owns the event: the meeting is hosted on the video account this
    user linked, and only this user gets the host start URL (S2)."""
    title: str
    """The event's title, the meeting's topic (at most 1,000 characters; providers cut it
    to their own limit, Zoom 200)."""
    start: datetime
    """When it starts: a timezone-aware datetime."""
    end: datetime
    """When it ends: a timezone-aware datetime after ``start``."""
    timezone: str = attrs.field(default=DEFAULT_TIMEZONE, kw_only=True)
    """The IANA time zone the event is shown in and sent to the provider (a series repeats
    in its local time). Left out, the instance's ``default_timezone`` setting (itself
    ``"Asia/Tokyo"`` unless the host sets it) applies when the event is saved."""
    span: Span = attrs.field(default=Span.TIMED, kw_only=True)
    """How the event occupies the calendar: TIMED, ALL_DAY or PERIOD (S17)."""
    recurrence: str | None = attrs.field(default=None, kw_only=True)
    """An RFC 5545 RRULE (``"FREQ=WEEKLY;BYDAY=MO"``) for a recurring event, else None."""
    source: Source = attrs.field(default=Source.MANUAL, kw_only=True)
    """How the event came to exist: MANUAL, WORKFLOW, IMPORT, SCHEDULING_POLL or
    ATTENDANCE_CHECK (S18)."""
    participants: tuple[Participant, ...] = attrs.field(
        default=(), converter=_participants, kw_only=True
    )
    """Who is mailed the URL and reminded (one [`Participant`][meetlink.Participant] or a
    sequence of them; an email at most once)."""
    web_meeting: str | None = attrs.field(default=None, kw_only=True)
    """The provider key (``"zoom"``, ``"teams"``) when the "Issue URL" box is ticked (S11),
    else None."""
    description: str = attrs.field(default="", kw_only=True)
    """Free text shown in mail and sent to the provider as the meeting's agenda."""
    exdates: tuple[datetime, ...] = attrs.field(default=(), converter=_exdates, kw_only=True)
    """Occurrences of a recurring event that do not take place: the starts the rule gives
    them (iCalendar EXDATE)."""
    moved: tuple[MovedOccurrence, ...] = attrs.field(default=(), converter=_moved, kw_only=True)
    """Occurrences of a recurring event moved to another time (RECURRENCE-ID overrides)."""

    def __attrs_post_init__(self) -> None:
        for name in ("id", "tenant_id", "owner_id", "title"):
            value = getattr(self, name)
            if not isinstance(value, str) or not value.strip():
                raise InvalidEvent(name, "must be a non-empty string", reason="empty")
            if name != "title" and _CONTROL.search(value):
                raise InvalidEvent(name, "must not contain control characters")
        if _CONTROL.search(self.title):
            raise InvalidEvent(
                "title",
                "must not contain control characters (CR/LF...)",
                reason="control_characters",
            )
        for name in ("start", "end"):
            _aware(name, getattr(self, name))
        if self.end.astimezone(UTC) <= self.start.astimezone(UTC):
            raise InvalidEvent("end", "must be after start", reason="end_before_start")
        if not isinstance(self.timezone, str) or not self.timezone:
            raise InvalidEvent("timezone", "must be an IANA timezone name")
        if not is_iana_timezone(self.timezone):
            raise InvalidEvent("timezone", f"unknown IANA timezone {self.timezone!r:.80}")
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
        self._check_exceptions()
        emails = [p.email.lower() for p in self.participants]
        if len(set(emails)) != len(emails):
            raise InvalidEvent(
                "participants", "the same email appears twice", reason="duplicate_email"
            )

    def _check_exceptions(self) -> None:
        if (self.exdates or self.moved) and self.recurrence is None:
            raise InvalidEvent("exdates" if self.exdates else "moved", "only for a recurring event")
        skipped = {d.astimezone(UTC) for d in self.exdates}
        ids = [m.recurrence_id.astimezone(UTC) for m in self.moved]
        if len(set(ids)) != len(ids):
            raise InvalidEvent("moved", "the same occurrence is moved twice")
        if skipped & set(ids):
            raise InvalidEvent("moved", "an occurrence cannot be both skipped and moved")

    def with_defaults(self, *, timezone: str, locale: str) -> Event:
        """This event with the instance's defaults where the host gave none: ``timezone``
        for a left-out ``timezone``, ``locale`` for each participant's left-out ``locale``
        (what was given, even if equal to a default, stays)."""
        participants = tuple(
            attrs.evolve(p, locale=locale) if p.locale is DEFAULT_LOCALE else p
            for p in self.participants
        )
        zone = timezone if self.timezone is DEFAULT_TIMEZONE else self.timezone
        if zone is self.timezone and all(
            a is b for a, b in zip(participants, self.participants, strict=True)
        ):
            return self
        return attrs.evolve(self, timezone=zone, participants=participants)

    @property
    def recurring(self) -> bool:
        """True for a recurring event (it has an RRULE)."""
        return self.recurrence is not None

    @property
    def duration(self) -> timedelta:
        """How long the event lasts (in real time: computed in UTC, so a daylight-saving
        change inside the event counts)."""
        return self.end.astimezone(UTC) - self.start.astimezone(UTC)

    @property
    def duration_minutes(self) -> int:
        """The duration rounded up to whole minutes (what providers take)."""
        return max(1, math.ceil(self.duration / timedelta(minutes=1)))
