"""Reminders at the start of every occurrence (S14, R2): once per participant and
occurrence, found through an index, never by scanning every series.

Each event keeps one ``remind_at`` (indexed): when the next reminder of that event falls
due. A pass reads only the events whose ``remind_at`` has come, expands each of those
series from now until the first occurrence whose reminder lies ahead (a bounded window),
queues the due reminders, and moves ``remind_at`` to that next one. The reminder log
(tenant, event, address, occurrence start) makes each reminder happen once, also when passes
overlap or an occurrence is reconsidered.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import attrs

from meetlink.app.context import AppContext
from meetlink.app.mailing import Mailing
from meetlink.domain.conference import ConferenceRecord, ConferenceStatus, MailedState
from meetlink.domain.notification import MailKind
from meetlink.domain.records import EventRecord
from meetlink.domain.recurrence import Occurrence, ReminderPlan, plan_reminders
from meetlink.ports.storage import UnitOfWork

__all__ = ["Reminders"]

_BATCH = 200
_MINUTE = timedelta(minutes=1)


def _plan(record: EventRecord, now: datetime, lead: timedelta) -> ReminderPlan:
    from meetlink.domain.series import Series  # lazy: dateutil only when reminding

    return plan_reminders(Series.of_event(record.event).occurrences(since=now), now, lead)


class Reminders:
    """``send_due_reminders``: queue every reminder that has come (S14)."""

    def __init__(self, ctx: AppContext, mailing: Mailing) -> None:
        self._ctx = ctx
        self._mailing = mailing

    def send_due(self) -> int:
        """Queue the reminders due now; returns how many were queued."""
        now = self._ctx.clock.now()
        total = 0
        while True:
            queued, more = self._ctx.transaction(lambda uow: self._pass(uow, now))
            total += queued
            if not more:
                return total

    def _pass(self, uow: UnitOfWork, now: datetime) -> tuple[int, bool]:
        due = uow.events.due_reminders(now, _BATCH)
        queued = 0
        for record in due:
            queued += self._remind(uow, record, now)
        return queued, len(due) == _BATCH

    def _remind(self, uow: UnitOfWork, record: EventRecord, now: datetime) -> int:
        event = record.event
        conf = uow.conferences.get(event.tenant_id, event.id)
        plan = _plan(record, now, self._ctx.settings.reminder_lead)
        if conf is None or (not plan.due and plan.next_at is None):
            uow.events.put(attrs.evolve(record, remind_at=None))  # nothing left to remind of
            return 0
        if conf.join_url is None or conf.status is ConferenceStatus.PENDING:
            # No URL yet: look again in a minute (while an occurrence is still to come).
            uow.events.put(attrs.evolve(record, remind_at=now + _MINUTE))
            return 0
        state = self._mailing.mailed_state(event, conf)
        assert state is not None
        queued = 0
        for occurrence in plan.due:
            queued += self._queue(uow, record, conf, state, occurrence)
        uow.events.put(attrs.evolve(record, remind_at=plan.next_at))
        return queued

    def _queue(
        self,
        uow: UnitOfWork,
        record: EventRecord,
        conf: ConferenceRecord,
        state: MailedState,
        occurrence: Occurrence,
    ) -> int:
        # The reminder tells this occurrence's time; it carries no iCalendar part.
        told = attrs.evolve(
            state,
            start=occurrence.start,
            end=occurrence.end,
            recurrence=None,
            exdates=(),
            moved=(),
        )
        event = record.event
        recipients = [
            participant
            for participant in event.participants
            if uow.reminders.record(event.tenant_id, event.id, participant.email, occurrence.start)
        ]
        # One time and one owner for the whole mailing (its mails share all but the recipient).
        mailing = self._mailing.mailing_of(event) if recipients else None
        jobs = [
            self._mailing.mail_job(
                event, conf, MailKind.REMINDER, participant, told, record.sequence, mailing=mailing
            )
            for participant in recipients
        ]
        uow.jobs.add_all(jobs)  # one statement for every participant's reminder
        return len(jobs)
