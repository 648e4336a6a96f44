"""The event form of the demo's host: what the user typed, kept as text until it makes an
[`Event`][meetlink.domain.event.Event] (so a refused form comes back with the user's input)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime, timedelta
from email.utils import parseaddr
from typing import Any
from zoneinfo import ZoneInfo

import attrs

from meetlink import Event, InvalidEvent, Participant, Span

__all__ = ["TIMEZONE", "EventForm", "FormError"]

#: Every event of the demo is in Japan's time zone, as in the seed's product.
TIMEZONE = "Asia/Tokyo"
_ZONE = ZoneInfo(TIMEZONE)
_WEEKLY = "FREQ=WEEKLY"
_UTC = ZoneInfo("UTC")


#: The latest start the form takes (meetlink takes events up to 9000-01-01 UTC).
LATEST_START = "8999-12-31T23:59"


class FormError(ValueError):
    """The form cannot make an event: ``key`` is the English message (with ``params``), or
    a code of meetlink's catalogue; ``items``: one ``(entry, key, params)`` per participant
    entry that could not be read, each with its reason."""

    def __init__(
        self, key: str, *, items: tuple[tuple[str, str, dict[str, Any]], ...] = (), **params: Any
    ) -> None:
        super().__init__(key)
        self.key = key
        self.params = params
        self.items = items


@attrs.frozen
class EventForm:
    """The fields of the event form, as the browser sent them."""

    title: str = ""
    start: str = ""  # <input type=datetime-local>: 2026-12-01T10:00, in TIMEZONE
    minutes: str = "30"
    participants: str = ""
    mail_language: str = "ja"
    repeat: str = ""  # "" or "weekly"
    description: str = ""
    issue_url: bool = False
    provider: str = "zoom"
    span: str = "timed"  # "timed", "all_day" (from the start's day) or "period" (from its time)
    days: str = "1"  # how many days an all-day or multi-day event lasts

    @classmethod
    def blank(cls, now: datetime) -> EventForm:
        """A new event: tomorrow, on the next full hour."""
        local = (now.astimezone(_ZONE) + timedelta(days=1)).replace(
            minute=0, second=0, microsecond=0
        ) + timedelta(hours=1)
        return cls(start=local.strftime("%Y-%m-%dT%H:%M"))

    @classmethod
    def of(cls, event: Event) -> EventForm:
        """The form showing ``event``."""
        locales = {p.locale for p in event.participants}
        return cls(
            title=event.title,
            start=event.start.astimezone(_ZONE).strftime("%Y-%m-%dT%H:%M"),
            minutes=str(int((event.end - event.start).total_seconds() // 60)),
            participants="\n".join(_shown(p) for p in event.participants),
            mail_language="en" if locales == {"en"} else "ja",
            repeat="weekly" if event.recurrence else "",
            description=event.description,
            issue_url=event.web_meeting is not None,
            provider=event.web_meeting or "zoom",
            span=event.span.value,
            days=str(max(1, (event.end - event.start).days))
            if event.span.value != "timed"
            else "1",
        )

    @classmethod
    def read(cls, form: Mapping[str, str]) -> EventForm:
        """The form from the request's fields."""
        return cls(
            title=form.get("title", "").strip(),
            start=form.get("start", "").strip(),
            minutes=form.get("minutes", "").strip(),
            participants=form.get("participants", ""),
            mail_language="en" if form.get("mail_language") == "en" else "ja",
            repeat="weekly" if form.get("repeat") == "weekly" else "",
            description=form.get("description", ""),
            issue_url=form.get("issue_url") == "yes",
            provider=form.get("provider", "zoom"),
            span=form.get("span", "timed") if form.get("span") in _SPANS else "timed",
            days=form.get("days", "1").strip(),
        )

    def event(self, event_id: str, tenant_id: str, owner_id: str, web_meeting: str | None) -> Event:
        """The event this form describes. Raises [`FormError`][meetlink.webdemo.forms.FormError] for
        what the browser should have caught; meetlink's own checks raise ``InvalidEvent``."""
        if not self.title:
            raise FormError("Enter a title.")
        try:
            start = datetime.fromisoformat(self.start).replace(tzinfo=_ZONE)
            start.astimezone(_UTC)  # a time near the end of year 9999 has no UTC
        except (ValueError, OverflowError):
            raise FormError("Enter the start as a date and a time.") from None
        if self.start[:16] > LATEST_START or not self.start[:4] >= "1900":
            raise FormError("The start must be between 1900 and 8999.")
        span = Span(self.span)
        if span is Span.TIMED:
            try:
                minutes = int(self.minutes)
            except ValueError:
                raise FormError("Enter the length in minutes.") from None
            if not 5 <= minutes <= 24 * 60:
                raise FormError("The length must be from 5 to 1440 minutes.")
            end = start + timedelta(minutes=minutes)
        else:
            try:
                days = int(self.days)
            except ValueError:
                raise FormError("Enter how many days it lasts.") from None
            if not 1 <= days <= _MAX_DAYS:
                raise FormError("It can last from 1 to {limit} days.", limit=_MAX_DAYS)
            if span is Span.ALL_DAY:  # whole days in Japan time, from the start's day
                start = start.replace(hour=0, minute=0)
            end = start + timedelta(days=days)
        participants = participants_of(self.participants, self.mail_language)
        return Event(
            id=event_id,
            tenant_id=tenant_id,
            owner_id=owner_id,
            title=self.title,
            start=start,
            end=end,
            timezone=TIMEZONE,
            span=span,
            recurrence=_WEEKLY if self.repeat == "weekly" else None,
            participants=participants,
            web_meeting=web_meeting,
            description=self.description,
        )


#: The form's spans, and the longest all-day or multi-day event it makes.
_SPANS = ("timed", "all_day", "period")
_MAX_DAYS = 31

# A separator between entries: a line break, a comma or a semicolon outside a quoted name
# and outside <...>.
_PIECES = re.compile(r'"(?:[^"\\]|\\.)*"|<[^>]*>|[^",;<\n]+|[<"]|([,;\n])')
# What a display name needs quoting for (RFC 5322 specials).
_SPECIALS = re.compile(r'[()<>\[\]:;@\\,."]')


def split_entries(text: str) -> list[str]:
    """The participant entries of ``text``: one per line, or separated by commas or
    semicolons (``"Yamada, Taro" <t@example.jp>`` stays one entry)."""
    entries: list[str] = []
    current: list[str] = []
    for match in _PIECES.finditer(text.replace("\r", "\n")):
        if match.group(1):
            entries.append("".join(current))
            current = []
        else:
            current.append(match.group(0))
    entries.append("".join(current))
    return [e.strip() for e in entries if e.strip()]


def participants_of(text: str, locale: str) -> tuple[Participant, ...]:
    """Each entry of ``text`` as a participant; entries that are no address are an error
    listing every one of them with its reason (never silently dropped: its person would
    get no mail)."""
    found: list[Participant] = []
    problems: list[tuple[str, str, dict[str, Any]]] = []
    for entry in split_entries(text):
        name, address = parseaddr(entry)
        if "@" not in address or (not name and address != entry.strip("<> ")):
            problems.append((entry, "This is not an email address.", {}))
            continue
        try:
            found.append(Participant(email=address, name=name, locale=locale))
        except InvalidEvent as exc:
            problems.append((entry, exc.code, exc.params))
    if problems:
        raise FormError("Some participants could not be read:", items=tuple(problems))
    return tuple(found)


def _shown(participant: Participant) -> str:
    """``Name <address>`` as the form shows it (any address, ASCII or not)."""
    name = participant.name
    if not name:
        return participant.email
    if _SPECIALS.search(name):
        name = '"' + name.replace("\\", "\\\\").replace('"', '\\"') + '"'
    return f"{name} <{participant.email}>"
