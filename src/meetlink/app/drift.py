"""Drift repair: the host's calendar is the source of truth, so a meeting deleted or changed
on the provider's own site is put back.

- **Deleted** (Zoom's ``meeting.deleted`` webhook, or the meeting check finding it gone): the
  conference's meeting vanished (``MeetingVanished``): a new meeting is created at once by the
  sync job, and participants are mailed its URL when it is issued.
- **Moved** (the meeting check reads a start or length that is neither the event's nor what
  meetlink last set; Zoom's ``meeting.updated`` saying so asks for that check at once, since a
  delivery may be late and about meetlink's own earlier update): the sync job updates the
  meeting with the event's terms again. What is put back is everything meetlink
  sets from the event: topic, agenda, start, length, time zone and, for a series, its rule
  and exceptions. A change of those alone (a new topic) is put back at the next update, not
  on its own; settings meetlink does not set (waiting room, recording, alternative hosts...)
  are the provider account's and stay as changed.

Both record ``meeting_repaired`` in the host event feed (the new URL follows as
``conference_issued``). Only an ISSUED conference is repaired: a pending one is being made
anyway, a DETACHED one has no link to act with.

For providers without such webhooks (``Capabilities.meeting_webhooks`` False: Microsoft
Teams, and any other whose meetings can drift), ``run_pending()`` runs the **meeting check** every
``meeting_check_every`` (default 1 hour): each ISSUED conference of an event starting within
``meeting_check_window`` (default 24 hours) gets a ``check`` job that reads the meeting
(``get_meeting``); the jobs spend the provider's rate budget like every other (a READ), so
the check never runs faster than the budget allows. A series is checked around its first
start (``Event.start``), its later occurrences when the sync job next updates it.

Google Meet (``Capabilities.meetings_drift`` False) is never checked: a space has no time, so
it cannot be moved, and neither Meet's API nor its pages can delete one, so it cannot vanish
the way a Zoom or Teams meeting does (what can happen, its owner's grant or account gone,
shows as ``link_broken`` at the next call). Checking would spend Meet's read budget for
nothing.
"""

from __future__ import annotations

import functools
import logging
import threading
from datetime import datetime

import attrs

from meetlink.app import holders
from meetlink.app.conferences import new_marker
from meetlink.app.context import AppContext
from meetlink.app.moves import ConferenceMoves
from meetlink.app.queue import JobQueue
from meetlink.app.tokens import TokenKeeper
from meetlink.domain import lifecycle as lc
from meetlink.domain.conference import ConferenceRecord, MeetingTerms, terms_for
from meetlink.domain.jobs import JobRequest
from meetlink.domain.records import EventRecord, Job
from meetlink.errors import MeetingGone
from meetlink.ports.provider import Capabilities, WebhookKind, WebhookMessage
from meetlink.ports.storage import UnitOfWork

__all__ = ["CHECK_JOB", "Drift", "moved_away"]

log = logging.getLogger("meetlink.drift")

CHECK_JOB = "check"  # key: the event id (in the job's tenant); reads the event's meeting
_PAGE = 100


def _second(moment: datetime) -> datetime:
    return moment.replace(microsecond=0)


def moved_away(
    terms: MeetingTerms,
    synced: MeetingTerms | None,
    start: datetime | None,
    duration_minutes: int | None,
) -> bool:
    """Whether a meeting said to start at ``start`` and last ``duration_minutes`` (None: not
    said) is away from the event's time: neither the event's terms nor what meetlink last set
    (``synced``: a webhook about meetlink's own update of a moment ago is no drift). A series
    is compared by neither (its start at the provider is the next occurrence)."""
    if terms.recurrence is not None:
        return False
    known = [t for t in (terms, synced) if t is not None]
    if start is not None and all(_second(start) != _second(t.start) for t in known):
        return True
    return duration_minutes is not None and all(
        duration_minutes != t.duration_minutes for t in known
    )


def _checked(capabilities: Capabilities) -> bool:
    """Whether the meeting check reads the provider's meetings: they can drift, and the
    provider does not say so itself."""
    return capabilities.meetings_drift and not capabilities.meeting_webhooks


def _starting(
    uow: UnitOfWork,
    *,
    start_from: datetime,
    start_to: datetime,
    after: tuple[datetime, str, str] | None,
) -> list[EventRecord]:
    return uow.events.starting(start_from, start_to, limit=_PAGE, after=after)


class Drift:
    """Puts meetings deleted or moved at the provider back (see the module docstring)."""

    def __init__(
        self, ctx: AppContext, moves: ConferenceMoves, queue: JobQueue, tokens: TokenKeeper
    ) -> None:
        self._ctx = ctx
        self._moves = moves
        self._queue = queue
        self._tokens = tokens
        self._lock = threading.Lock()
        self._next_pass: datetime | None = None

    # -- what the provider told ----------------------------------------------------------

    def on_webhook(self, uow: UnitOfWork, provider: str, message: WebhookMessage) -> int:
        """A verified MEETING_DELETED / MEETING_CHANGED webhook, in its unit of work: repair
        the conference that holds that meeting (on that account), if one does. Returns how
        many were repaired (0 or 1)."""
        account, meeting_id = message.external_account_id, message.meeting_id
        if account is None or meeting_id is None:
            return 0
        for conf in uow.conferences.by_account(provider, account):
            if conf.meeting_id != meeting_id or lc.stage_of(conf) is not lc.Stage.ISSUED:
                continue
            record, conf_now = uow.events.get_with_conference(
                conf.tenant_id, conf.event_id, for_update=True
            )
            if record is None or conf_now is None or conf_now.meeting_id != meeting_id:
                return 0
            if message.kind is WebhookKind.MEETING_DELETED:
                return self._vanished(uow, record, conf_now)
            if moved_away(
                terms_for(record.event), conf_now.synced, message.start, message.duration_minutes
            ):
                # Look before putting back: the delivery may be late (about meetlink's own
                # earlier update), the check reads the meeting as it is now.
                return self._ask_check(uow, conf_now, self._ctx.clock.now())
            return 0
        return 0

    def _vanished(self, uow: UnitOfWork, record: EventRecord, conf: ConferenceRecord) -> int:
        applied = self._moves.apply(uow, record, conf, lc.MeetingVanished(marker=new_marker()))
        if applied.event != record:
            uow.events.put(applied.event)
        log.warning("event %s: meeting %s was deleted at %s; creating anew",
                    record.event.id, conf.meeting_id, conf.provider)  # fmt: skip
        return 1

    def _moved(self, uow: UnitOfWork, record: EventRecord, conf: ConferenceRecord) -> int:
        """Ask the sync job to make the meeting say the event's terms again."""
        now = self._ctx.clock.now()
        unsure = attrs.evolve(conf, synced=None)  # what the meeting says is not ours any more
        uow.conferences.put(unsure)
        self._queue.ask(uow, ConferenceMoves.sync_request(unsure, now), now)
        self._moves.record_repair(
            uow,
            record.event,
            conf,
            f"the meeting's time was changed at {conf.provider}; it is put back to the "
            "event's time",
        )
        log.info("event %s: meeting %s was moved at %s; putting it back",
                 record.event.id, conf.meeting_id, conf.provider)  # fmt: skip
        return 1

    # -- the meeting check (providers without meeting webhooks) ---------------------------

    def plan_checks(self, limit: int | None = None, *, throttled: bool = False) -> int:
        """Ask for a ``check`` job for each ISSUED conference, on a provider without meeting
        webhooks, of an event starting within ``meeting_check_window``; returns how many
        were asked for. ``throttled``: only once per ``meeting_check_every``."""
        settings = self._ctx.settings
        if settings.meeting_check_every is None or limit == 0:
            return 0
        now = self._ctx.clock.now()
        with self._lock:
            if throttled and self._next_pass is not None and now < self._next_pass:
                return 0
            self._next_pass = now + settings.meeting_check_every
        keys = self._ctx.providers.keys()
        watched = {k for k in keys if _checked(self._ctx.providers.get(k).capabilities)}
        if not watched:
            return 0
        asked = 0
        after: tuple[datetime, str, str] | None = None
        end = now + settings.meeting_check_window
        while limit is None or asked < limit:
            page = self._ctx.read(
                functools.partial(_starting, start_from=now, start_to=end, after=after)
            )
            if not page:
                break
            for record in page:
                asked += self._ctx.transaction(
                    functools.partial(self._ask_planned, record=record, watched=watched, now=now)
                )
                if limit is not None and asked >= limit:
                    break
            last = page[-1].event
            after = (last.start, last.tenant_id, last.id)
            if len(page) < _PAGE:
                break
        return asked

    def _ask_planned(
        self, uow: UnitOfWork, *, record: EventRecord, watched: set[str], now: datetime
    ) -> int:
        event = record.event
        conf = uow.conferences.get(event.tenant_id, event.id)
        if conf is None or conf.provider not in watched or lc.stage_of(conf) is not lc.Stage.ISSUED:
            return 0
        return self._ask_check(uow, conf, now)

    def _ask_check(self, uow: UnitOfWork, conf: ConferenceRecord, now: datetime) -> int:
        """A ``check`` job for ``conf``'s meeting, unless one is waiting already."""
        if uow.jobs.find(conf.tenant_id, CHECK_JOB, conf.event_id) is not None:
            return 0  # still waiting for its turn in the budget
        request = JobRequest(
            tenant_id=conf.tenant_id,
            kind=CHECK_JOB,
            key=conf.event_id,
            run_at=now,
            payload={"marker": conf.marker},
            provider=conf.provider,
            account=conf.external_account_id,
        )
        self._queue.ask(uow, request, now)
        return 1

    def run_check(self, job: Job) -> None:
        """The ``check`` job: read the event's meeting; repair it when it is gone or moved."""
        key = (job.tenant_id, job.key)
        record, conf = self._ctx.read(lambda uow: uow.events.get_with_conference(*key))
        if record is None or conf is None or conf.marker != job.payload.get("marker"):
            return
        if lc.stage_of(conf) is not lc.Stage.ISSUED or conf.meeting_id is None:
            return
        holder = self._ctx.read(
            lambda uow: holders.holder(
                uow,
                self._ctx.providers,
                conf.provider,
                conf.external_account_id,
                tenant_id=conf.tenant_id,
            )
        )
        if holder is None:
            return  # no link: nothing could be repaired (the conference is detached)
        meeting_id = conf.meeting_id
        try:
            meeting = self._tokens.call(holder, lambda p, t: p.get_meeting(t, meeting_id))
        except MeetingGone:
            gone = True
            start, minutes = None, None
        else:
            gone = False
            start, minutes = meeting.start, meeting.duration_minutes

        def repair(uow: UnitOfWork) -> int:
            record_now, conf_now = uow.events.get_with_conference(*key, for_update=True)
            if record_now is None or conf_now is None or conf_now.marker != conf.marker:
                return 0
            if lc.stage_of(conf_now) is not lc.Stage.ISSUED or conf_now.meeting_id != meeting_id:
                return 0
            if gone:
                return self._vanished(uow, record_now, conf_now)
            if moved_away(terms_for(record_now.event), conf_now.synced, start, minutes):
                return self._moved(uow, record_now, conf_now)
            return 0

        self._ctx.transaction(repair)
