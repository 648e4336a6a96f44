"""The event form of the demo's host: what the user typed, kept as text until it makes an
[`Event`][meetlink.domain.event.Event] (so a refused form comes back with the user's input)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from email.utils import formataddr, parseaddr
from zoneinfo import ZoneInfo

import attrs

from meetlink import Event, Participant

__all__ = ["TIMEZONE", "EventForm", "FormError"]

#: Every event of the demo is in Japan's time zone, as in the seed's product.
TIMEZONE = "Asia/Tokyo"
_ZONE = ZoneInfo(TIMEZONE)
_WEEKLY = "FREQ=WEEKLY"


class FormError(ValueError):
    """The form cannot make an event: ``key`` is the English message (with ``params``)."""

    def __init__(self, key: str, **params: str) -> None:
        super().__init__(key)
        self.key = key
        self.params = params


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
            participants="\n".join(formataddr((p.name, p.email)) for p in event.participants),
            mail_language="en" if locales == {"en"} else "ja",
            repeat="weekly" if event.recurrence else "",
            description=event.description,
            issue_url=event.web_meeting is not None,
            provider=event.web_meeting or "zoom",
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
        )

    def event(self, event_id: str, tenant_id: str, owner_id: str, web_meeting: str | None) -> Event:
        """The event this form describes. Raises [`FormError`][meetlink.webdemo.forms.FormError] for
        what the browser should have caught; meetlink's own checks raise ``InvalidEvent``."""
        if not self.title:
            raise FormError("Enter a title.")
        try:
            start = datetime.fromisoformat(self.start).replace(tzinfo=_ZONE)
        except ValueError:
            raise FormError("Enter the start as a date and a time.") from None
        try:
            minutes = int(self.minutes)
        except ValueError:
            raise FormError("Enter the length in minutes.") from None
        if not 5 <= minutes <= 24 * 60:
            raise FormError("The length must be from 5 to 1440 minutes.")
        participants = tuple(
            Participant(email=address, name=name, locale=self.mail_language)
            for name, address in _addresses(self.participants)
        )
        return Event(
            id=event_id,
            tenant_id=tenant_id,
            owner_id=owner_id,
            title=self.title,
            start=start,
            end=start + timedelta(minutes=minutes),
            timezone=TIMEZONE,
            recurrence=_WEEKLY if self.repeat == "weekly" else None,
            participants=participants,
            web_meeting=web_meeting,
            description=self.description,
        )


def _addresses(text: str) -> list[tuple[str, str]]:
    """One ``Name <address>`` or ``address`` per line; a line that is no address is an
    error (never silently dropped: its person would get no mail)."""
    found = []
    for line in text.splitlines():
        if not line.strip():
            continue
        name, address = parseaddr(line.strip())
        if "@" not in address:
            raise FormError("Not an email address: {line}", line=line.strip())
        found.append((name, address))
    return found
