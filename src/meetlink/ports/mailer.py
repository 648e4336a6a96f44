"""**Protocol:** composing and sending participant mail (S13, S14)."""

from __future__ import annotations

from datetime import datetime
from email.message import EmailMessage
from typing import Protocol

import attrs

from meetlink.domain.event import MovedOccurrence
from meetlink.domain.notification import MailKind

__all__ = ["MailComposer", "MailContent", "Mailer"]


@attrs.frozen(kw_only=True)
class MailContent:
    """Everything one participant mail says. Built by the application, rendered by a
    [`MailComposer`][meetlink.ports.mailer.MailComposer]. Never carries the host start URL."""

    kind: MailKind
    to_email: str
    to_name: str
    locale: str  # "ja" | "en"
    event_id: str
    uid: str  # iCalendar UID, stable for the event
    sequence: int  # iCalendar SEQUENCE, rising with each change
    title: str
    start: datetime  # aware
    end: datetime  # aware
    timezone: str  # IANA, for display
    description: str
    provider_name: str  # e.g. "Zoom"
    join_url: str
    passcode: str | None
    organizer_email: str
    organizer_name: str
    attendee_emails: tuple[str, ...]  # every participant, for the iCalendar ATTENDEE lines
    message_id: str  # stable per mail: a resend keeps it
    created_at: datetime  # DTSTAMP
    mail_from: str | None = None  # From, "Name <address>"; None: the composer's own sender
    reply_to: str | None = None  # Reply-To, when replies should go elsewhere
    # R2: a series (RRULE, skipped and moved occurrences) and all-day dates (VALUE=DATE).
    recurrence: str | None = None
    exdates: tuple[datetime, ...] = ()
    moved: tuple[MovedOccurrence, ...] = ()
    all_day: bool = False
    # The event's owner, when the host names them (the ``organizer`` callable of MeetLink):
    # the iCalendar ORGANIZER and the mail's organizer line; the From stays the sender's.
    owner_name: str = ""
    owner_email: str = ""
    # What an update or withdrawal changed: "time", "title", "url", "participants".
    changes: tuple[str, ...] = ()


class MailComposer(Protocol):
    """**Protocol:** turns [`MailContent`][meetlink.ports.mailer.MailContent] into a complete
    message (text + HTML parts, plus an iCalendar part for invitations, updates and
    cancellations)."""

    def compose(self, content: MailContent) -> EmailMessage:
        """The message, ready to send."""
        ...


class Mailer(Protocol):
    """**Protocol:** hands a message to a mail server (or a capture).

    Raises [`MailDeliveryFailed`][meetlink.errors.MailDeliveryFailed]; ``permanent=False`` means
    retry."""

    def send(self, message: EmailMessage) -> None:
        """Deliver ``message`` to the addresses in its To header."""
        ...
