"""The captured mail of the demo (``DirectoryMailer`` writes one .eml per message), read
back for the inbox page: headers, the text and HTML parts, and the invitation's iCalendar
details (method, UID, sequence, time, location, conference)."""

from __future__ import annotations

import re
from datetime import datetime
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any

import attrs
from icalendar import Calendar

__all__ = ["Mail", "MailBox", "MailDetail"]

_NAME = re.compile(r"^[A-Za-z0-9._@+=-]{1,220}$")
#: The iCalendar properties the inbox shows, in order.
_FIELDS = (
    "METHOD",
    "UID",
    "SEQUENCE",
    "STATUS",
    "SUMMARY",
    "DTSTART",
    "DTEND",
    "RRULE",
    "LOCATION",
    "URL",
    "CONFERENCE",
)


@attrs.frozen
class Mail:
    """One captured message, as the inbox lists it."""

    name: str  # the file's stem: the page's id for it
    sent: datetime | None
    recipients: tuple[str, ...]
    subject: str
    method: str | None  # REQUEST (invitation or update), CANCEL, or None (a reminder)


@attrs.frozen
class MailDetail:
    """One message in full: its text and HTML bodies and its calendar details."""

    mail: Mail
    headers: tuple[tuple[str, str], ...]
    text: str
    html: str
    calendar: tuple[tuple[str, str], ...]


class MailBox:
    """The .eml files of one directory, newest first."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory

    def _files(self) -> list[Path]:
        if not self.directory.is_dir():
            return []
        found = [p for p in self.directory.glob("*.eml") if _NAME.match(p.stem)]
        return sorted(found, key=lambda p: (p.stat().st_mtime_ns, p.name), reverse=True)

    def mails(self, recipient: str | None = None) -> list[Mail]:
        """Every message (or those sent to ``recipient``), newest first."""
        listed = [_summary(path.stem, _read(path)) for path in self._files()]
        if recipient:
            wanted = recipient.lower()
            listed = [m for m in listed if wanted in (r.lower() for r in m.recipients)]
        return listed

    def recipients(self) -> list[str]:
        """Everyone who received mail, sorted."""
        return sorted({r for m in self.mails() for r in m.recipients}, key=str.lower)

    def detail(self, name: str) -> MailDetail | None:
        """The message with this id, or None (only names listed in the directory are
        opened: an id is never used as a path)."""
        path = next((p for p in self._files() if p.stem == name), None)
        if path is None:
            return None
        message = _read(path)
        text = message.get_body(preferencelist=("plain",))
        html = message.get_body(preferencelist=("html",))
        return MailDetail(
            mail=_summary(name, message),
            headers=tuple(
                (key, str(message[key]))
                for key in ("From", "To", "Reply-To", "Date", "Subject")
                if message[key] is not None
            ),
            text=_content(text),
            html=_content(html),
            calendar=_calendar_fields(message),
        )


def _read(path: Path) -> EmailMessage:
    with path.open("rb") as handle:
        return BytesParser(policy=policy.default).parse(handle)


def _content(part: Any) -> str:
    return str(part.get_content()) if part is not None else ""


def _summary(name: str, message: EmailMessage) -> Mail:
    try:
        sent: datetime | None = parsedate_to_datetime(str(message["Date"]))
    except (TypeError, ValueError):
        sent = None
    # The parsed header's addresses: a display name with a comma ("Yamada, Taro") is no
    # second recipient (getaddresses on the decoded text split it in two).
    header = message["To"]
    recipients = tuple(a.addr_spec for a in header.addresses) if header is not None else ()
    return Mail(name, sent, recipients, str(message["Subject"] or ""), _method(message))


def _calendar_part(message: EmailMessage) -> Calendar | None:
    for part in message.walk():
        if part.get_content_type() == "text/calendar":
            data = part.get_payload(decode=True)
            if isinstance(data, bytes):
                return Calendar.from_ical(data)
    return None


def _method(message: EmailMessage) -> str | None:
    found = _calendar_part(message)
    return str(found.get("METHOD")) if found is not None and found.get("METHOD") else None


def _calendar_fields(message: EmailMessage) -> tuple[tuple[str, str], ...]:
    found = _calendar_part(message)
    if found is None:
        return ()
    fields = [("METHOD", str(found.get("METHOD", "")))]
    for component in found.walk("VEVENT"):
        for key in _FIELDS[1:]:
            value = component.get(key)
            if value is None:
                continue
            if hasattr(value, "dt"):  # a date-time: shown as ISO 8601
                shown = value.dt.isoformat()
            elif hasattr(value, "to_ical"):
                shown = value.to_ical().decode()
            else:
                shown = str(value)
            fields.append((key, shown))
    return tuple(fields)
