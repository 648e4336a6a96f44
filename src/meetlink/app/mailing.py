"""Participant mail: deciding, composing and queueing it (S13, S14).

Mail is decided inside the same unit of work as the change that owes it and queued as a job
holding its content; ``run_pending()`` composes and delivers it. A resend keeps the Message-ID.

Work per event is its participants times a bounded mail: each participant gets one mail, and
each mail lists a bounded set of attendees in its iCalendar part (every participant when the
event has at most [`MAX_LISTED_ATTENDEES`][meetlink.app.mailing.MAX_LISTED_ATTENDEES], else
only the recipient; the organizer is always there) and the event's exceptions, which are
bounded too (`MAX_EXDATES`, `MAX_MOVED` in `meetlink.app.validation`). So a mail job holds at
most that many addresses; the full list is stored once, with the event.

Addresses with an internationalised domain go out with its IDNA (A-label, ``xn--``) form, which
every mail server takes; a UTF-8 local part (RFC 6531) needs a server with SMTPUTF8.
"""

from __future__ import annotations

import logging
import re
import uuid
from datetime import datetime
from typing import Any

import attrs

from meetlink.app.context import AppContext
from meetlink.app.queue import new_job_id
from meetlink.domain.conference import ConferenceRecord, MailedState
from meetlink.domain.event import Event, MovedOccurrence, Participant, Span
from meetlink.domain.jobs import JobRequest, ask
from meetlink.domain.notification import MailKind, PlannedMail, plan_mails
from meetlink.domain.records import EventRecord, Job
from meetlink.ports.mailer import MailContent
from meetlink.ports.provider import VideoProvider
from meetlink.ports.storage import UnitOfWork

__all__ = [
    "MAIL_JOB",
    "MAX_LISTED_ATTENDEES",
    "Mailing",
    "content_from_payload",
    "content_to_payload",
    "listed_attendees",
    "mail_address",
]

MAIL_JOB = "mail"
#: When a mailing is made and who owns its event: (now, (owner name, owner address) or None).
MailingOf = tuple[datetime, tuple[str, str] | None]
#: Events with more participants list only the recipient as attendee in each invitation.
MAX_LISTED_ATTENDEES = 50
log = logging.getLogger("meetlink.mail")


class Mailing:
    """Decides which mails a change owes and queues them."""

    def __init__(self, ctx: AppContext) -> None:
        self._ctx = ctx

    def mailed_state(self, event: Event, conf: ConferenceRecord | None) -> MailedState | None:
        """What participants should know now: the conference's public URL (a kept one while
        its replacement is pending); None when there is no URL to tell."""
        view = None if conf is None else conf.public()
        if view is None or view.join_url is None:
            return None
        return _state(event, view.join_url, view.passcode)

    def settle(
        self,
        uow: UnitOfWork,
        record: EventRecord,
        conf: ConferenceRecord | None,
        *,
        before: MailedState | None,
        after: MailedState | None,
        old_event: Event | None = None,
        retitled: bool = False,
    ) -> EventRecord:
        """Queue the mails that move participants from ``before`` to ``after``; returns the
        event record with its new SEQUENCE (the caller stores it). ``retitled``: the
        meeting's title changed (known to the caller when no ``old_event`` is)."""
        return self._queue_mails(
            uow, record, conf, plan_mails(before, after), before, after, old_event, retitled
        )

    def withdraw(
        self,
        uow: UnitOfWork,
        record: EventRecord,
        before: MailedState | None,
        provider: str | None,
        old_event: Event | None = None,
    ) -> EventRecord:
        """Participants were told ``before`` (a URL of ``provider``, or an earlier update
        without one) and the event, which stays, now has no URL: queue an update of the event
        without it to those still invited when anything changed (METHOD:REQUEST, a higher
        SEQUENCE: never a cancellation of an event that takes place), a cancellation to those
        no longer invited. Returns the event record with its new SEQUENCE and what
        participants now hold (``told``); the caller stores it."""
        if before is None:
            return record
        after = _state(record.event, "", None, provider)
        record = self._queue_mails(
            uow, record, None, plan_mails(before, after), before, after, old_event
        )
        told = {e.lower() for e in before.emails}
        holding = tuple(e for e in after.emails if e.lower() in told)
        return attrs.evolve(record, told=attrs.evolve(after, emails=holding) if holding else None)

    def _queue_mails(
        self,
        uow: UnitOfWork,
        record: EventRecord,
        conf: ConferenceRecord | None,
        planned: list[PlannedMail],
        before: MailedState | None,
        after: MailedState | None,
        old_event: Event | None,
        retitled: bool = False,
    ) -> EventRecord:
        if not planned:
            return record
        # The first mailing of an event's calendar entry is SEQUENCE 0; every later one is
        # higher than the last (an invitation after a cancellation must supersede it). With
        # nothing mailed before and SEQUENCE still 0, nothing was ever mailed: any mailing
        # after the first has a ``before`` (its conference remembers it) or raised SEQUENCE.
        first = before is None and record.sequence == 0
        sequence = 0 if first else record.sequence + 1
        record = attrs.evolve(record, sequence=sequence)
        by_email = {p.email: p for p in record.event.participants}
        if old_event is not None:
            for p in old_event.participants:
                by_email.setdefault(p.email, p)
        changes = _changes(before, after, old_event, record.event, retitled)
        # One mailing: one time and one owner for all its mails, so their content differs only
        # by recipient and the composer shares the rest between them.
        mailing = self.mailing_of(record.event)
        jobs = []
        for mail in planned:
            state = before if mail.kind is MailKind.CANCELLATION else after
            assert state is not None
            participant = by_email.get(mail.email, Participant(mail.email))
            told = changes if mail.kind in (MailKind.UPDATE, MailKind.WITHDRAWAL) else ()
            jobs.append(
                self.mail_job(
                    record.event,
                    conf,
                    mail.kind,
                    participant,
                    state,
                    sequence,
                    told,
                    mailing=mailing,
                )
            )
        uow.jobs.add_all(jobs)  # one statement for every participant's mail
        return record

    def mail_job(
        self,
        event: Event,
        conf: ConferenceRecord | None,
        kind: MailKind,
        participant: Participant,
        state: MailedState,
        sequence: int,
        changes: tuple[str, ...] = (),
        *,
        mailing: MailingOf | None = None,
    ) -> Job:
        """The job that delivers one mail (its content fixed now), to be added. ``mailing``:
        the time and owner of the mailing this mail is one of
        ([`mailing_of`][meetlink.app.mailing.Mailing.mailing_of]; default: asked now)."""
        ctx = self._ctx
        now, owner = mailing if mailing is not None else self.mailing_of(event)
        owner_name, owner_email = owner if owner is not None else ("", "")
        provider = ctx.providers.find(conf.provider if conf else state.provider)
        message_id = f"<{uuid.uuid4().hex}@meetlink>"
        content = MailContent(
            kind=kind,
            to_email=mail_address(participant.email),
            to_name=participant.name,
            locale=participant.locale,
            event_id=event.id,
            uid=f"{event.id}@{event.tenant_id}.meetlink",
            sequence=sequence,
            title=event.title,
            start=state.start,
            end=state.end,
            recurrence=state.recurrence,
            exdates=state.exdates,
            moved=state.moved,
            all_day=state.all_day,
            timezone=event.timezone,
            description=event.description,
            provider_name=_provider_name(provider, state.provider),
            join_url=state.join_url,
            passcode=state.passcode,
            organizer_email=ctx.settings.organizer_email,
            organizer_name=ctx.settings.organizer_name,
            mail_from=ctx.settings.mail_from,
            reply_to=ctx.settings.reply_to or (_address(owner) if owner is not None else None),
            owner_name=owner_name,
            owner_email=owner_email,
            changes=changes,
            attendee_emails=listed_attendees(event, participant),
            message_id=message_id,
            created_at=now,
        )
        # A fresh Message-ID is a fresh key: a plain insert, no merge to look for.
        request = JobRequest(
            tenant_id=event.tenant_id,  # the mail of one tenant's event is that tenant's
            kind=MAIL_JOB,
            key=message_id,
            run_at=now,
            payload=content_to_payload(content),
        )
        return ask(None, request, now=now, new_id=new_job_id())

    def mailing_of(self, event: Event) -> MailingOf:
        """The time of a mailing about ``event`` and the event's owner (``owner_of``), the
        same for each of its mails."""
        return self._ctx.clock.now(), self.owner_of(event)

    def owner_of(self, event: Event) -> tuple[str, str] | None:
        """The event owner's (name, address) from the host's ``organizer`` callable, when
        it gives a usable one (anything else is logged and ignored: the mail still goes)."""
        find = self._ctx.organizer_of
        if find is None:
            return None
        try:
            found = find(event.tenant_id, event.owner_id)
        except Exception:
            log.exception("the host's organizer callable failed for %s", event.owner_id)
            return None
        if found is None:
            return None
        if (
            not isinstance(found, tuple)
            or len(found) != 2
            or not all(isinstance(v, str) for v in found)
            or not _ONE_ADDRESS.fullmatch(found[1])
            or _CONTROL.search(found[0])
        ):
            log.warning(
                "the host's organizer for %s is no (name, address): ignored", event.owner_id
            )
            return None
        return found[0][:200], found[1]

    def deliver(self, payload: dict[str, Any]) -> None:
        """Compose the queued mail and hand it to the mailer (a job handler). Content no mail
        can carry fails the job for good (recorded), never the change that owed it."""
        message = self._ctx.composer.compose(content_from_payload(payload))
        self._ctx.mailer.send(message)


def _state(
    event: Event, join_url: str, passcode: str | None, provider: str | None = None
) -> MailedState:
    """What participants are told of ``event`` with this URL ("": none)."""
    return MailedState(
        join_url=join_url,
        passcode=passcode,
        start=event.start,
        end=event.end,
        emails=tuple(p.email for p in event.participants),
        recurrence=event.recurrence,
        exdates=event.exdates,
        moved=event.moved,
        all_day=event.span is Span.ALL_DAY,
        provider=provider,
    )


def _provider_name(provider: VideoProvider | None, key: str | None) -> str:
    """How mail names the meeting's provider: its display name ("Zoom"); a provider no
    longer registered by its key, capitalised; none known: "Web"."""
    if provider is not None:
        return provider.capabilities.display_name
    return key.replace("_", " ").title() if key else "Web"


_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")
# One address: no white space, controls or separators, one @ with text on both sides.
_ONE_ADDRESS = re.compile(r"[^\s<>,;\"@\x00-\x1f\x7f]+@[^\s<>,;\"@\x00-\x1f\x7f]+")


def _address(owner: tuple[str, str]) -> str:
    name, email = owner
    if not name:
        return email
    quoted = name.replace("\\", "\\\\").replace('"', '\\"')
    return f'"{quoted}" <{email}>'


def _changes(
    before: MailedState | None,
    after: MailedState | None,
    old: Event | None,
    event: Event,
    retitled: bool,
) -> tuple[str, ...]:
    """What an update tells participants changed: the time, the title, the URL, who is
    invited (in that order)."""
    if before is None or after is None:
        return ()
    found = []
    if before.schedule != after.schedule:
        found.append("time")
    if retitled or (old is not None and old.title != event.title):
        found.append("title")
    if (before.join_url, before.passcode) != (after.join_url, after.passcode):
        found.append("url")
    if {e.lower() for e in before.emails} != {e.lower() for e in after.emails}:
        found.append("participants")
    return tuple(found)


def listed_attendees(event: Event, recipient: Participant) -> tuple[str, ...]:
    """The attendees one participant's mail lists: everyone when the event has at most
    [`MAX_LISTED_ATTENDEES`][meetlink.app.mailing.MAX_LISTED_ATTENDEES] participants, else the
    recipient alone (bounded work and storage per mail; a calendar needs the recipient's own
    ATTENDEE line)."""
    if 0 < len(event.participants) <= MAX_LISTED_ATTENDEES:
        return tuple(mail_address(p.email) for p in event.participants)
    return (mail_address(recipient.email),)


def mail_address(email: str) -> str:
    """``email`` with its domain in IDNA (A-label) form, as mail servers take it."""
    local, _, domain = email.rpartition("@")
    if domain.isascii():
        return email
    return f"{local}@{domain.encode('idna').decode('ascii')}"


_DATES = ("start", "end", "created_at")


def content_to_payload(content: MailContent) -> dict[str, Any]:
    """A queued mail as JSON-compatible data (composed only when it is delivered, so the
    request that caused it does not pay for templates; the Message-ID is fixed here)."""
    data = attrs.asdict(content, recurse=False)
    data["kind"] = content.kind.value
    data["attendee_emails"] = list(content.attendee_emails)
    data["changes"] = list(content.changes)
    for name in _DATES:
        data[name] = getattr(content, name).isoformat()
    data["exdates"] = [d.isoformat() for d in content.exdates]
    data["moved"] = [
        [m.recurrence_id.isoformat(), m.start.isoformat(), m.end.isoformat()] for m in content.moved
    ]
    return data


def content_from_payload(payload: dict[str, Any]) -> MailContent:
    """The queued mail, back as MailContent."""
    data = dict(payload)
    data["kind"] = MailKind(data["kind"])
    data["attendee_emails"] = tuple(data["attendee_emails"])
    data["changes"] = tuple(data.get("changes", ()))
    for name in _DATES:
        data[name] = datetime.fromisoformat(data[name])
    data["exdates"] = tuple(datetime.fromisoformat(d) for d in data.get("exdates", ()))
    data["moved"] = tuple(
        MovedOccurrence(*(datetime.fromisoformat(t) for t in m)) for m in data.get("moved", ())
    )
    return MailContent(**data)
