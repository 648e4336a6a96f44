"""Carrying conference decisions to the provider: the sync and delete job handlers.

The sync job always reads the latest event, so a stale update never overwrites a newer one.
Every state change is a lifecycle move ([`meetlink.app.moves`][meetlink.app.moves]), made in a unit
of work that holds the event's row lock; the provider is called between units of work, never inside
one. Zoom has no idempotency key: before a create the conference records the intent
(maybe-created); a retry after an unseen answer first looks for the meeting carrying the
conference's marker (in a listing that includes meetings whose time has passed) and adopts
it. No meeting is created for an event that is over. A create that lands after its event
was deleted or its URL withdrawn is deleted again (compensation, through a delete job).
"""

from __future__ import annotations

import logging
import threading
from datetime import timedelta

import attrs

from meetlink.app import holders
from meetlink.app.conferences import new_marker
from meetlink.app.context import AppContext
from meetlink.app.moves import ConferenceMoves, delete_request
from meetlink.app.queue import JobQueue
from meetlink.app.runner import AskedAgain, Parked
from meetlink.app.tokens import TokenKeeper
from meetlink.domain import lifecycle as lc
from meetlink.domain.conference import (
    ConferenceRecord,
    Step,
    plan_sync,
    terms_for,
)
from meetlink.domain.event import Event
from meetlink.domain.links import LinkRecord
from meetlink.domain.records import EventRecord, Job, JobStatus
from meetlink.domain.results import HostNotice
from meetlink.errors import GrantRevoked, MeetingGone, NotLinked, ProviderError, ProviderUnavailable
from meetlink.ports.provider import Meeting, MeetingRequest
from meetlink.ports.storage import UnitOfWork

__all__ = ["PARK", "Inline", "MeetingSync"]

#: How long a delete waits for its account to be linked again before looking once more.
PARK = timedelta(days=1)

log = logging.getLogger("meetlink.sync")


@attrs.frozen
class _Work:
    """What one pass of the sync job must do, read under the event's lock."""

    step: Step
    event: Event
    conf: ConferenceRecord
    holder: LinkRecord


@attrs.frozen
class _Stored:
    """What a unit of work that records a provider result did: ``applied`` (the conference
    was still the one the work was for), ``finished`` (the job is gone), the conference."""

    applied: bool
    finished: bool = False
    conference: ConferenceRecord | None = None


_NOT_STORED = _Stored(False)


@attrs.define
class Inline:
    """A sync job run by ``save_event`` right after its unit of work: the first pass
    prepared there (None: nothing to do), and what the unit of work that finished the job
    left (``finished``: the job is gone; ``conference``: as stored then)."""

    work: _Work | None
    used: bool = False
    finished: bool = False
    conference: ConferenceRecord | None = None


class MeetingSync:
    """The job handlers that call the provider (outside any unit of work)."""

    def __init__(
        self,
        ctx: AppContext,
        tokens: TokenKeeper,
        moves: ConferenceMoves,
        queue: JobQueue,
        asked_again: AskedAgain,
    ) -> None:
        self._ctx = ctx
        self._tokens = tokens
        self._moves = moves
        self._queue = queue
        self.asked_again = asked_again
        self._inline: dict[str, Inline] = {}
        self._inline_lock = threading.Lock()

    # -- the sync job ------------------------------------------------------------------

    def run_sync(self, job: Job) -> bool:
        """Make the provider meeting match the event as stored now. True when the job was
        finished here, in the same transaction that recorded the result."""
        for _ in range(3):  # a meeting deleted at the provider is re-created at once
            finished = self._sync_once(job)
            if finished is not None:
                return finished
        return False

    def _move(
        self,
        key: tuple[str, str],
        marker: str,
        happening: lc.Happening,
        job: Job | None = None,
    ) -> bool:
        """Apply ``happening`` to the conference of the event ``key`` (tenant, event id) if
        it is still the one the work was for (same marker); finish ``job`` in the same unit
        of work. False otherwise."""

        def work(uow: UnitOfWork, notices: list[HostNotice]) -> _Stored:
            record, conf = uow.events.get_with_conference(*key, for_update=True)
            if record is None or conf is None or conf.marker != marker:
                return _NOT_STORED
            after = self._apply(uow, record, conf, happening, notices)
            self._still_owed(uow, record, after)
            finished = job is not None and self._queue.finish(uow, job.id, job.generation)
            if job is not None and not finished:
                self.asked_again.add(job.id)
            return _Stored(True, finished, after)

        stored = self._ctx.transaction_notifying(work)
        if job is not None and stored.finished:
            self._finished(job.id, stored.conference)
        return stored.applied

    def _still_owed(
        self, uow: UnitOfWork, record: EventRecord, after: ConferenceRecord | None
    ) -> None:
        """A result is recorded against the event as stored now, which a save may have
        changed while the provider worked on the terms this job carried: when the meeting
        now says other terms than the event, the sync job is asked for again (a newer
        generation: the job that ran is not finished, and runs again). A save that brought
        the event back to what the meeting said before asked for no work of its own."""
        if after is None or after.synced is None or lc.stage_of(after) is not lc.Stage.ISSUED:
            return
        if after.synced != terms_for(record.event):
            now = self._ctx.clock.now()
            self._queue.ask(uow, ConferenceMoves.sync_request(after, now), now)

    def _apply(
        self,
        uow: UnitOfWork,
        record: EventRecord,
        conf: ConferenceRecord,
        happening: lc.Happening,
        notices: list[HostNotice],
    ) -> ConferenceRecord | None:
        applied = self._moves.apply(uow, record, conf, happening)
        if applied.event != record:  # e.g. a new SEQUENCE (an equal copy needs no write)
            uow.events.put(applied.event)
        notices.extend(applied.notices)
        return applied.conference

    def _prepare(
        self, uow: UnitOfWork, key: tuple[str, str], notices: list[HostNotice]
    ) -> _Work | None:
        record, conf = uow.events.get_with_conference(*key, for_update=True)
        if record is None or conf is None:
            return None
        return self._prepare_from(uow, record, conf, notices)

    def _prepare_from(
        self,
        uow: UnitOfWork,
        record: EventRecord,
        conf: ConferenceRecord,
        notices: list[HostNotice],
        link: LinkRecord | None = None,
    ) -> _Work | None:
        """What the job must do, from the event and conference as stored in this unit of
        work (locked); the intent of a create is recorded here. ``link``: an active link
        already read in this unit of work (used when it holds the conference's account)."""
        if link is not None and (link.provider, link.external_account_id) == (
            conf.provider,
            conf.external_account_id,
        ):
            holder: LinkRecord | None = link
        else:
            holder = holders.holder(
                uow,
                self._ctx.providers,
                conf.provider,
                conf.external_account_id,
                tenant_id=conf.tenant_id,
            )
        step = plan_sync(conf, terms_for(record.event), holder is not None)
        if step is Step.LOST:
            self._apply(uow, record, conf, lc.AccountLost(), notices)
            return None
        if lc.stage_of(conf) is lc.Stage.DETACHED and holder is not None:
            regained = self._apply(uow, record, conf, lc.AccountRegained(), notices)
            assert regained is not None
            conf = regained
        if step is Step.DONE or holder is None:
            return None
        if step is Step.CREATE:
            if self._over(record.event):
                self._apply(uow, record, conf, lc.EventEnded(), notices)
                return None
            # Intent first: from here on a lost answer is looked for before any new create.
            creating = self._apply(uow, record, conf, lc.Creating(), notices)
            assert creating is not None
            conf = creating
        return _Work(step, record.event, conf, holder)

    # -- the sync job run inline by save_event -------------------------------------------

    def prepare_inline(
        self,
        uow: UnitOfWork,
        record: EventRecord,
        conf: ConferenceRecord,
        link: LinkRecord | None,
        notices: list[HostNotice],
    ) -> Inline:
        """The first pass of a sync job that ``save_event`` claimed, prepared in the save's
        own unit of work (the intent is committed with the event): hand it to
        [`expect`][meetlink.app.sync.MeetingSync.expect] once that unit committed, and the job's run
        skips its own."""
        return Inline(self._prepare_from(uow, record, conf, notices, link))

    def expect(self, job_id: str, inline: Inline) -> None:
        """The claimed job ``job_id`` will run now with ``inline`` prepared; the unit of work
        that finishes it records the conference it leaves there."""
        with self._inline_lock:
            self._inline[job_id] = inline

    def settled(self, job_id: str) -> Inline | None:
        """What [`expect`][meetlink.app.sync.MeetingSync.expect] was given, after the run (forgotten
        here)."""
        with self._inline_lock:
            return self._inline.pop(job_id, None)

    def _prepared(self, job_id: str) -> Inline | None:
        with self._inline_lock:
            inline = self._inline.get(job_id)
            if inline is None or inline.used:
                return None
            inline.used = True
            return inline

    def _finished(self, job_id: str, conf: ConferenceRecord | None) -> None:
        with self._inline_lock:
            inline = self._inline.get(job_id)
            if inline is not None:
                inline.finished, inline.conference = True, conf

    def _over(self, event: Event) -> bool:
        return event.end <= self._ctx.clock.now()

    def _sync_once(self, job: Job) -> bool | None:
        """One pass; None: run again at once (the meeting vanished at the provider)."""
        event_id = job.key
        key = (job.tenant_id, event_id)  # the sync job's key is its event, in its tenant
        inline = self._prepared(job.id)
        if inline is not None:
            work = inline.work  # prepared in save_event's unit of work
        else:
            work = self._ctx.transaction_notifying(lambda uow, out: self._prepare(uow, key, out))
        if work is None:
            return False
        conf, holder = work.conf, work.holder
        terms = terms_for(work.event)
        request = MeetingRequest(terms=terms, marker=conf.marker, tenant_id=conf.tenant_id)
        if work.step is Step.UPDATE:
            assert conf.meeting_id is not None
            meeting_id = conf.meeting_id
            try:
                self._tokens.call(holder, lambda p, t: p.update_meeting(t, meeting_id, request))
            except MeetingGone:
                log.warning("event %s: meeting %s vanished; creating anew", event_id, meeting_id)
                self._move(key, conf.marker, lc.MeetingVanished(marker=new_marker()))
                return None
            except ProviderError as exc:
                if _maybe_applied(exc):
                    # The meeting may say these terms now, or still the synced ones: the next
                    # sync sends the event's terms even if they are back to the synced ones.
                    self._move(key, conf.marker, lc.Failed(error=_describe(exc), unsynced=True))
                raise
            self._move(key, conf.marker, lc.Updated(terms=terms), job)
            return True
        # A create that lands unseen leaves nothing to find only on a plain CREATE, or after
        # a search found nothing (a create-or-get provider searches by creating).
        meeting, known_absent = None, work.step is Step.CREATE
        if work.step is Step.FIND_THEN_CREATE:
            meeting = self._adopt(holder, conf, request)
            if meeting is None and not self._idempotent(holder):
                known_absent = True
                if self._over(work.event):
                    self._move(key, conf.marker, lc.Failed(error=lc.ENDED_ERROR,
                                                           known_absent=True))  # fmt: skip
                    self._move(key, conf.marker, lc.EventEnded())
                    return False
        if meeting is None:
            try:
                meeting = self._tokens.call(holder, lambda p, t: p.create_meeting(t, request))
            except ProviderError as exc:
                if not _maybe_applied(exc):
                    if known_absent:
                        failed = lc.Failed(error=_describe(exc), known_absent=True)
                        self._move(key, conf.marker, failed)
                elif not self._wanted(key, conf.marker):
                    # The event was deleted or its URL withdrawn while the create was in
                    # flight (scenario 18), and the create may have landed after the
                    # withdrawal's delete looked for it: look again, by the marker.
                    self._undo(job.tenant_id, holder, conf.marker, None, maybe_created=True)
                raise
        created = lc.Created(
            meeting_id=meeting.meeting_id,
            join_url=meeting.join_url,
            passcode=meeting.passcode,
            terms=terms,
        )
        if self._store_created(key, conf.marker, created, job):
            return True
        # The event was deleted or its URL withdrawn while we created (scenario 18): the
        # meeting goes through a delete job, retried until the provider confirms.
        log.info("event %s: created meeting is no longer wanted; deleting it", event_id)
        self._undo(job.tenant_id, holder, conf.marker, meeting.meeting_id, maybe_created=False)
        return False

    def _wanted(self, key: tuple[str, str], marker: str) -> bool:
        """Whether the event's conference still wants the work done under ``marker``."""
        conf = self._ctx.read(lambda uow: uow.conferences.get(*key))
        return conf is not None and conf.marker == marker

    def _undo(
        self,
        tenant_id: str,
        holder: LinkRecord,
        marker: str,
        meeting_id: str | None,
        *,
        maybe_created: bool,
    ) -> None:
        """Queue the compensation of a create no conference wants: delete ``meeting_id``
        (its own job: a conference may still use the marker), or look for what the create
        made by ``marker`` when its answer was not seen. The job is ``tenant_id``'s (the
        tenant of the event the create was for)."""
        effect = lc.DeleteMeeting(
            provider=holder.provider,
            external_account_id=holder.external_account_id,
            meeting_id=meeting_id,
            marker=marker,
            maybe_created=maybe_created,
        )
        now = self._ctx.clock.now()
        key = None if meeting_id is None else f"{effect.provider}:{meeting_id}"
        undo = delete_request(effect, now, tenant_id, key=key)
        self._ctx.transaction(lambda uow: self._queue.ask(uow, undo, now))

    def _store_created(
        self, key: tuple[str, str], marker: str, created: lc.Created, job: Job
    ) -> bool:
        """Record the new meeting; False when the conference no longer wants it."""

        def work(uow: UnitOfWork, notices: list[HostNotice]) -> _Stored:
            record, conf = uow.events.get_with_conference(*key, for_update=True)
            if record is None or conf is None or conf.marker != marker:
                return _NOT_STORED
            after: ConferenceRecord | None = conf
            if lc.stage_of(conf) not in (lc.Stage.PENDING, lc.Stage.REISSUING):
                if conf.meeting_id != created.meeting_id:
                    return _NOT_STORED  # a retaken job issued another meeting first: ours goes
            else:
                after = self._apply(uow, record, conf, created, notices)
            self._still_owed(uow, record, after)
            finished = self._queue.finish(uow, job.id, job.generation)
            if not finished:
                self.asked_again.add(job.id)
            return _Stored(True, finished, after)

        stored = self._ctx.transaction_notifying(work)
        if stored.finished:
            self._finished(job.id, stored.conference)
        return stored.applied

    def _adopt(
        self, holder: LinkRecord, conf: ConferenceRecord, request: MeetingRequest
    ) -> Meeting | None:
        """After an unseen create, find the meeting(s) it made; keep one, delete the rest.
        A provider with an idempotent create (keyed by the marker) needs no search: creating
        again returns the meeting the lost call made."""
        if self._idempotent(holder):
            return None  # the create that follows is the adoption
        mine = self._find(holder, conf.marker)
        for extra in mine[1:]:
            self._delete_meeting(holder, extra.meeting_id)
        if not mine:
            return None
        kept = mine[0]
        self._tokens.call(holder, lambda p, t: p.update_meeting(t, kept.meeting_id, request))
        return kept

    def _idempotent(self, holder: LinkRecord) -> bool:
        return self._ctx.providers.get(holder.provider).capabilities.idempotent_create

    def _find(self, holder: LinkRecord, marker: str) -> list[Meeting]:
        """The account's meetings that carry ``marker``, those whose time has passed too (the
        provider knows how to look)."""
        return self._tokens.call(holder, lambda p, t: p.find_by_marker(t, marker))

    # -- the delete job ----------------------------------------------------------------

    def run_delete(self, job: Job) -> None:
        """Delete a withdrawn meeting at the provider (404 counts as done). While no link
        holds the meeting's account the job is parked, not dropped: relinking that account
        wakes it (no orphan when the user comes back)."""
        payload = job.payload
        provider, account = str(payload["provider"]), str(payload["account"])
        holder = self._ctx.read(
            lambda uow: holders.holder(
                uow, self._ctx.providers, provider, account, tenant_id=job.tenant_id
            )
        )
        if holder is None:
            raise Parked("no link holds the meeting's account", self._ctx.clock.now() + PARK)
        try:
            self._delete(holder, job)
        except (GrantRevoked, NotLinked) as exc:
            raise Parked(f"the link was lost: {exc}", self._ctx.clock.now() + PARK) from exc

    def _delete(self, holder: LinkRecord, job: Job) -> None:
        payload = job.payload
        meeting_id = payload.get("meeting_id")
        if meeting_id:
            self._delete_meeting(holder, str(meeting_id))
        if payload.get("maybe_created"):
            # A create whose answer was lost may have made a meeting: the provider looks it
            # up by the marker (Teams: createOrGet on the same externalId returns it as is).
            for meeting in self._find(holder, str(payload["marker"])):
                if meeting.meeting_id != meeting_id:
                    self._delete_meeting(holder, meeting.meeting_id)
            if not payload.get("looked_again") and not self._idempotent(holder):
                self._look_again(job)

    def _look_again(self, job: Job) -> None:
        """The create may still be in flight: its worker holds the sync job's lease, and may
        land the meeting after the look above and die before undoing it (its record of the
        meeting, if any, is the provider's or the space ledger's). Look once more by the
        marker when any such lease has run out (a provider whose create is keyed by the
        marker converges on the meeting the look found instead)."""
        now = self._ctx.clock.now()
        effect = lc.DeleteMeeting(
            provider=str(job.payload["provider"]),
            external_account_id=str(job.payload["account"]),
            meeting_id=None,
            marker=str(job.payload["marker"]),
            maybe_created=True,
        )
        asked = delete_request(effect, now + self._ctx.settings.job_lease, job.tenant_id,
                               key=f"{job.key}:again")  # fmt: skip
        again = attrs.evolve(asked, payload={**asked.payload, "looked_again": True})
        self._ctx.transaction(lambda uow: self._queue.ask(uow, again, now))

    def _delete_meeting(self, holder: LinkRecord, meeting_id: str) -> bool:
        return self._tokens.call(holder, lambda p, t: p.delete_meeting(t, meeting_id))

    # -- outcomes --------------------------------------------------------------------

    def on_outcome(
        self,
        uow: UnitOfWork,
        job: Job,
        error: str,
        refused: bool,
        notices: list[HostNotice],
    ) -> None:
        """A sync job's attempt failed (``job`` as stored after it): the conference records
        why, and becomes FAILED when the job gave up (same unit of work)."""
        happening: lc.Happening
        if job.status is JobStatus.FAILED:
            happening = lc.Refused(error=error) if refused else lc.GaveUp(error=error)
        else:
            happening = lc.Failed(error=error)
        record, conf = uow.events.get_with_conference(job.tenant_id, job.key, for_update=True)
        if record is not None and lc.allows(conf, happening):
            assert conf is not None
            self._apply(uow, record, conf, happening, notices)


def _maybe_applied(exc: ProviderError) -> bool:
    """Whether the failed call may have taken effect at the provider anyway."""
    return isinstance(exc, ProviderUnavailable) and exc.maybe_applied


def _describe(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}"
