"""The iCalendar (iTIP REQUEST/CANCEL) object carried by invitation, update and cancellation
mail (RFC 5545, RFC 5546, iMIP RFC 6047, CONFERENCE from RFC 7986).

Built only with the ``icalendar`` package, which escapes ``\\ ; , newline`` in TEXT values and
folds lines at 75 octets with CRLF without splitting a UTF-8 character: never hand-written.
The caller (the composer) has already checked that every URI and address is a single line.
"""

from __future__ import annotations

import functools
import re
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import attrs
from icalendar import Calendar, Event, Parameters, vCalAddress, vText, vUri
from icalendar.parser import Contentlines

from meetlink.adapters.mail._when import all_day_dates
from meetlink.domain.series import calendar_rule
from meetlink.ports.mailer import MailContent

__all__ = ["PRODID", "build_calendar", "calendar_for", "forget_calendars"]

PRODID = "-//meetlink//meetlink//EN"

# Parameter values (CN, LABEL) may not hold control characters or DQUOTE (RFC 5545 §3.2).
_PARAM_UNSAFE = re.compile(r'[\x00-\x1f\x7f"]+')


# TEXT values may hold no control character but HTAB (newlines are escaped as \n).
_TEXT_UNSAFE = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


def _param(value: str) -> str:
    return _PARAM_UNSAFE.sub(" ", value).strip()


class _QuotedNames(Parameters):
    """Parameters whose names (CN, LABEL) are written in double quotes when they hold a
    backslash (icalendar quotes them already for ``: ; ,`` and, in CN, a space or ``'``).

    RFC 5545 gives parameter values no backslash escapes, but readers such as ``icalendar``
    take a backslash before ``:`` ``;`` ``,`` as one: an unquoted ``CN=Foo\\`` swallowed the
    ``:`` after it and ``ORGANIZER;CN=Foo\\:mailto:...`` read back as the name "Foo:mailto".
    Inside quotes the separators after a name stay separators."""

    quote_also = {  # noqa: RUF012 (icalendar's own class attribute)
        **Parameters.quote_also,
        "CN": Parameters.quote_also.get("CN", "") + "\\",
        "LABEL": "\\",
    }


def _address(email: str, **params: str) -> vCalAddress:
    address = vCalAddress(f"mailto:{email}")
    address.params = _QuotedNames(params)
    return address


def _attendee(email: str, name: str) -> vCalAddress:
    """An ATTENDEE (``name``: the recipient's own, written as CN; else empty)."""
    attendee = _address(email, ROLE="REQ-PARTICIPANT", PARTSTAT="NEEDS-ACTION", RSVP="FALSE")
    if _param(name):
        attendee.params["CN"] = _param(name)
    return attendee


def _text(value: str) -> vText:
    return vText(_TEXT_UNSAFE.sub("", value.replace("\r\n", "\n").replace("\r", "\n")))


def _description(content: MailContent) -> str:
    """The event description, then the join URL and passcode (clients without CONFERENCE
    support still show the way in)."""
    text = content.description.strip()
    if not content.join_url:  # withdrawn: the event stays without a way in
        return text
    label = "パスコード" if content.locale.lower().startswith("ja") else "Passcode"
    join = f"{content.provider_name}: {content.join_url}"
    if content.passcode:
        join += f"\n{label}: {content.passcode}"
    return f"{text}\n\n{join}" if text else join


def _zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


class _Times:
    """How times are written: UTC for a one-off timed event; local time with TZID (and a
    VTIMEZONE) for a series, so clients repeat it at the same local time across
    daylight-saving changes; DATE values for an all-day event (RFC 5545 §3.3.4, §3.8.2.4)."""

    def __init__(self, content: MailContent) -> None:
        self.zone = _zone(content.timezone)
        self.all_day = content.all_day
        self.series = content.recurrence is not None

    def value(self, moment: datetime) -> date | datetime:
        """``moment`` as a DTSTART-like value."""
        if self.all_day:
            return moment.astimezone(self.zone).date()
        return moment.astimezone(self.zone if self.series else UTC)

    def span(self, start: datetime, end: datetime) -> tuple[date | datetime, date | datetime]:
        """DTSTART and DTEND (an all-day DTEND is the day after the last, exclusive)."""
        if self.all_day:
            return all_day_dates(start, end, self.zone)
        return self.value(start), self.value(end)


def _vevent(
    content: MailContent, method: str, times: _Times, start: datetime, end: datetime
) -> Event:
    event = Event()
    event.add("uid", content.uid)
    event.add("sequence", content.sequence)
    event.add("dtstamp", content.created_at.astimezone(UTC))
    dtstart, dtend = times.span(start, end)
    event.add("dtstart", dtstart)
    event.add("dtend", dtend)
    event.add("summary", _text(content.title))
    description = _description(content)
    if description:
        event.add("description", _text(description))
    if content.join_url:  # none in a withdrawal: no LOCATION, URL or CONFERENCE left behind
        event.add("location", vText(content.join_url))
        event.add("url", vUri(content.join_url))
        conference = vUri(content.join_url)
        conference.params = _QuotedNames(
            {"VALUE": "URI", "FEATURE": "VIDEO", "LABEL": _param(content.provider_name)}
        )
        event.add("conference", conference)
    # The event's owner when the host names them (a person calendars show), else the
    # instance's organizer.
    name, email = (
        (content.owner_name, content.owner_email)
        if content.owner_email
        else (content.organizer_name, content.organizer_email)
    )
    organizer = _address(email)
    if _param(name):
        organizer.params["CN"] = _param(name)
    event.add("organizer", organizer)

    attendees = list(dict.fromkeys(content.attendee_emails))
    if content.to_email not in attendees:
        attendees.append(content.to_email)
    for email in attendees:
        event.add(
            "attendee", _attendee(email, content.to_name if email == content.to_email else "")
        )

    event.add("status", "CANCELLED" if method == "CANCEL" else "CONFIRMED")
    event.add("transp", "OPAQUE")
    return event


def build_calendar(content: MailContent, method: str) -> bytes:
    """The serialized VCALENDAR for ``content`` with ``METHOD:method`` (REQUEST or CANCEL).

    UID stays the event's; SEQUENCE is the application's (an update or cancel raises it); the
    recipient is always listed as an ATTENDEE, so a participant who was removed and gets a
    CANCEL finds themselves in it (RFC 5546 §3.2.5). A series carries its RRULE and EXDATE
    in the master VEVENT and one VEVENT per moved occurrence (same UID and SEQUENCE, with
    RECURRENCE-ID), as RFC 5545 §3.8.4.4 lays out; a CANCEL of the UID cancels them all."""
    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("method", method)

    times = _Times(content)
    master = _vevent(content, method, times, content.start, content.end)
    cal.add_component(master)
    if content.recurrence is not None:
        master.add("rrule", calendar_rule(content.recurrence, times.zone, all_day=content.all_day))
        if content.exdates:
            master.add("exdate", [times.value(d) for d in content.exdates])
        if method == "REQUEST":
            for moved in content.moved:
                override = _vevent(content, method, times, moved.start, moved.end)
                override.add("recurrence-id", times.value(moved.recurrence_id))
                cal.add_component(override)
    if times.series and not times.all_day:
        cal.add_missing_timezones()  # the VTIMEZONE the TZIDs name
    result: bytes = cal.to_ical()
    return result


# Who a shared calendar is built for (a reserved domain: no participant has this address).
_RECIPIENT = "recipient@meetlink.invalid"


def calendar_for(content: MailContent, method: str) -> bytes:
    """[`build_calendar`][meetlink.adapters.mail._ical.build_calendar]'s bytes for
    ``content``, with what its recipients share built once: the participants of one mailing get
    the same calendar but for the recipient's own ATTENDEE line (where it stands, and its CN),
    so the calendar is serialised once with a stand-in recipient and each copy gets its line
    put in place of the stand-in's (the same content line, folded by ``icalendar`` alike)."""
    attendees = tuple(dict.fromkeys(content.attendee_emails))
    if _RECIPIENT in attendees or content.to_email == _RECIPIENT:
        return build_calendar(content, method)
    if content.to_email not in attendees:
        attendees += (content.to_email,)
    shared = attrs.evolve(
        content,
        to_email=_RECIPIENT,
        to_name="",
        message_id="",
        attendee_emails=tuple(_RECIPIENT if e == content.to_email else e for e in attendees),
    )
    stand_in = _stand_in()
    ics = _shared_calendar(shared, method)
    if stand_in not in ics:  # pragma: no cover - every VEVENT lists the recipient
        return build_calendar(content, method)
    return ics.replace(stand_in, _attendee_line(content.to_email, content.to_name))


def forget_calendars() -> None:
    """Drop the calendars shared between a mailing's recipients."""
    _shared_calendar.cache_clear()


@functools.lru_cache(maxsize=16)
def _shared_calendar(content: MailContent, method: str) -> bytes:
    return build_calendar(content, method)


@functools.cache
def _stand_in() -> bytes:
    return _attendee_line(_RECIPIENT, "")


def _attendee_line(email: str, name: str) -> bytes:
    """The folded ATTENDEE content line (with its CRLF) as a calendar writes it: the
    component's own content line and folding, without serialising a component around it."""
    line = Event().content_line("ATTENDEE", _attendee(email, name))
    folded: bytes = Contentlines([line]).to_ical()  # type: ignore[no-untyped-call]
    return folded
