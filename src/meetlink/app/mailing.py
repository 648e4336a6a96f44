"""Participant mail: deciding, composing and queueing it (S13, S14).

Mail is decided inside the same unit of work as the change that owes it and queued as a job
holding its content; ``run_pending()`` composes and delivers it. A resend keeps the Message-ID.
"""

from __future__ import annotations

import logging
import uuid
from datetime import datetime
from typing import Any

import attrs

from meetlink.app.context import AppContext
from meetlink.domain.conference import ConferenceRecord, MailedState
from meetlink.domain.event import Event, Participant
from meetlink.domain.notification import MailKind, plan_mails
from meetlink.domain.records import EventRecord, Job
from meetlink.ports.mailer import MailContent
from meetlink.ports.storage import UnitOfWork

__all__ = ["MAIL_JOB", "Mailing", "content_from_payload", "content_to_payload"]

MAIL_JOB = "mail"
log = logging.getLogger("meetlink.mail")


class Mailing:
    """Decides which mails a change owes and queues them."""

    def __init__(self, ctx: AppContext) -> None:
        self._ctx = ctx

    def mailed_state(self, event: Event, conf: ConferenceRecord | None) -> MailedState | None:
        """What participants should know now (None: no URL to tell)."""
        if conf is None or conf.join_url is None:
            return None
        return MailedState(
            join_url=conf.join_url,
            passcode=conf.passcode,
            start=event.start,
            end=event.end,
            emails=tuple(p.email for p in event.participants),
        )

    def settle(
        self,
        uow: UnitOfWork,
        record: EventRecord,
        conf: ConferenceRecord | None,
        *,
        before: MailedState | None,
        after: MailedState | None,
        old_event: Event | None = None,
    ) -> EventRecord:
        """Queue the mails that move participants from ``before`` to ``after``; returns the
        event record with its new SEQUENCE (the caller stores it)."""
        planned = plan_mails(before, after)
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
        for mail in planned:
            state = before if mail.kind is MailKind.CANCELLATION else after
            assert state is not None
            participant = by_email.get(mail.email, Participant(mail.email))
            self.queue(uow, record.event, conf, mail.kind, participant, state, sequence)
        return record

    def queue(
        self,
        uow: UnitOfWork,
        event: Event,
        conf: ConferenceRecord | None,
        kind: MailKind,
        participant: Participant,
        state: MailedState,
        sequence: int,
    ) -> None:
        """Compose one mail and queue its delivery."""
        ctx = self._ctx
        now = ctx.clock.now()
        provider = ctx.providers.find(conf.provider if conf else None)
        message_id = f"<{uuid.uuid4().hex}@meetlink>"
        content = MailContent(
            kind=kind,
            to_email=participant.email,
            to_name=participant.name,
            locale=participant.locale,
            event_id=event.id,
            uid=f"{event.id}@{event.tenant_id}.meetlink",
            sequence=sequence,
            title=event.title,
            start=state.start,
            end=state.end,
            timezone=event.timezone,
            description=event.description,
            provider_name=provider.capabilities.display_name if provider else "Web meeting",
            join_url=state.join_url,
            passcode=state.passcode,
            organizer_email=ctx.settings.organizer_email,
            organizer_name=ctx.settings.organizer_name,
            attendee_emails=tuple(p.email for p in event.participants) or (participant.email,),
            message_id=message_id,
            created_at=now,
        )
        # A fresh Message-ID is a fresh key: a plain insert, no merge needed.
        uow.jobs.add(
            Job(
                id=uuid.uuid4().hex,
                kind=MAIL_JOB,
                key=message_id,
                payload=content_to_payload(content),
                run_at=now,
                created_at=now,
            )
        )

    def deliver(self, payload: dict[str, Any]) -> None:
        """Compose the queued mail and hand it to the mailer (a job handler). Content no mail
        can carry fails the job for good (recorded), never the change that owed it."""
        message = self._ctx.composer.compose(content_from_payload(payload))
        self._ctx.mailer.send(message)


_DATES = ("start", "end", "created_at")


def content_to_payload(content: MailContent) -> dict[str, Any]:
    """A queued mail as JSON-compatible data (composed only when it is delivered, so the
    request that caused it does not pay for templates; the Message-ID is fixed here)."""
    data = attrs.asdict(content, recurse=False)
    data["kind"] = content.kind.value
    data["attendee_emails"] = list(content.attendee_emails)
    for name in _DATES:
        data[name] = getattr(content, name).isoformat()
    return data


def content_from_payload(payload: dict[str, Any]) -> MailContent:
    """The queued mail, back as MailContent."""
    data = dict(payload)
    data["kind"] = MailKind(data["kind"])
    data["attendee_emails"] = tuple(data["attendee_emails"])
    for name in _DATES:
        data[name] = datetime.fromisoformat(data[name])
    return MailContent(**data)
