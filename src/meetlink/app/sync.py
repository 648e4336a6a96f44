"""Carrying conference decisions to the provider: the sync and delete job handlers.

The sync job always reads the latest event, so a stale update never overwrites a newer one.
Zoom has no idempotency key: before each create the row is marked ``maybe_created`` (cleared
again when the create surely did not land); a retry after an unseen answer first asks the
provider for the meetings carrying the conference's marker and adopts one (a provider with an
idempotent create is simply asked again). A create that lands after its event was deleted or
its URL withdrawn is deleted again (compensation).
"""

from __future__ import annotations

import logging
from datetime import timedelta

import attrs

from meetlink.app.conferences import DELETE_JOB, SYNC_JOB, Conferences, new_marker
from meetlink.app.context import AppContext
from meetlink.app.runner import AskedAgain, Parked
from meetlink.app.tokens import TokenKeeper
from meetlink.domain.conference import (
    ConferenceRecord,
    ConferenceStatus,
    MeetingTerms,
    Step,
    plan_sync,
    terms_for,
)
from meetlink.domain.links import LinkRecord
from meetlink.domain.records import EventRecord, Job
from meetlink.domain.results import HostNotice, HostNoticeKind
from meetlink.errors import (
    GrantRevoked,
    MeetingGone,
    NotLinked,
    ProviderError,
    ProviderUnavailable,
)
from meetlink.ports.provider import Meeting, MeetingRequest
from meetlink.ports.storage import UnitOfWork

__all__ = ["PARK", "MeetingSync"]

#: How long a delete waits for its account to be linked again before looking once more.
PARK = timedelta(days=1)

log = logging.getLogger("meetlink.sync")


class MeetingSync:
    """The job handlers that call the provider (outside any unit of work)."""

    def __init__(
        self,
        ctx: AppContext,
        tokens: TokenKeeper,
        conferences: Conferences,
        asked_again: AskedAgain,
    ) -> None:
        self._ctx = ctx
        self._tokens = tokens
        self._conferences = conferences
        self.asked_again = asked_again

    def run_sync(self, job: Job) -> bool:
        """Make the provider meeting match the event as stored now. True when the job was
        finished here, in the same transaction that recorded the result."""
        for _ in range(3):  # a meeting deleted at the provider is re-created at once
            finished = self._sync_once(job)
            if finished is not None:
                return finished
        return False

    def _prepare(
        self, uow: UnitOfWork, event_id: str
    ) -> tuple[EventRecord | None, ConferenceRecord | None, LinkRecord | None, Step | None]:
        record, conf = uow.events.get(event_id), uow.conferences.get(event_id)
        if record is None or conf is None:
            return record, conf, None, None
        holder = uow.links.active_for_account(conf.provider, conf.external_account_id)
        step = plan_sync(conf, terms_for(record.event), holder is not None)
        if step is Step.CREATE:
            # Intent first: from here on a lost answer is looked for before any new create.
            uow.conferences.put(attrs.evolve(conf, maybe_created=True))
        return record, conf, holder, step

    def _sync_once(self, job: Job) -> bool | None:
        """One pass; None: run again at once (the meeting vanished at the provider)."""
        event_id = job.key
        record, conf, holder, step = self._ctx.transaction(lambda uow: self._prepare(uow, event_id))
        if record is None or conf is None or step is None:
            return False
        terms = terms_for(record.event)
        marker = conf.marker
        if step is Step.DETACH or step is Step.FORGET:
            self._ctx.transaction(lambda uow: self._orphaned(uow, event_id, marker))
            return False
        if step is Step.DONE:
            return self._ctx.transaction(
                lambda uow: self._store(uow, event_id, marker, None, terms, job)
            )
        assert holder is not None
        request = MeetingRequest(terms=terms, marker=marker)
        if step is Step.UPDATE:
            assert conf.meeting_id is not None
            meeting_id = conf.meeting_id
            try:
                self._tokens.call(holder, lambda p, t: p.update_meeting(t, meeting_id, request))
            except MeetingGone:
                log.warning("event %s: meeting %s vanished; creating anew", event_id, meeting_id)
                self._ctx.transaction(lambda uow: self._forget_meeting(uow, event_id, marker))
                return None
            return self._ctx.transaction(
                lambda uow: self._store(uow, event_id, marker, None, terms, job)
            )
        meeting = self._adopt(holder, conf, request) if step is Step.FIND_THEN_CREATE else None
        if meeting is None:
            try:
                meeting = self._tokens.call(holder, lambda p, t: p.create_meeting(t, request))
            except ProviderError as exc:
                if step is Step.CREATE and not _maybe_applied(exc):
                    # No earlier doubt and this create surely did not land: nothing to look
                    # for later (a cleanup would otherwise probe the provider for nothing).
                    self._ctx.transaction(lambda uow: self._not_created(uow, event_id, marker))
                raise
        stored = self._ctx.transaction(
            lambda uow: self._store(uow, event_id, marker, meeting, terms, job)
        )
        if not stored:
            # The event was deleted or its URL withdrawn while we created: undo (scenario 18).
            log.info("event %s: created meeting is no longer wanted; deleting it", event_id)
            self._delete_meeting(holder, meeting.meeting_id)
        return stored

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
        """The account's meetings that carry ``marker`` (the provider knows how to look)."""
        return self._tokens.call(holder, lambda p, t: p.find_by_marker(t, marker))

    def _not_created(self, uow: UnitOfWork, event_id: str, marker: str) -> None:
        conf = uow.conferences.get(event_id)
        if conf is not None and conf.marker == marker and conf.maybe_created:
            uow.conferences.put(attrs.evolve(conf, maybe_created=False))

    def _forget_meeting(self, uow: UnitOfWork, event_id: str, marker: str) -> None:
        conf = uow.conferences.get(event_id)
        if conf is not None and conf.marker == marker:
            uow.conferences.put(
                attrs.evolve(
                    conf,
                    meeting_id=None,
                    status=ConferenceStatus.PENDING,
                    synced=None,
                    maybe_created=False,
                    marker=new_marker(),
                )
            )

    def _store(
        self,
        uow: UnitOfWork,
        event_id: str,
        marker: str,
        meeting: Meeting | None,
        terms: MeetingTerms,
        job: Job | None = None,
    ) -> bool:
        """Record what the provider now holds (and finish ``job`` with it); False when the
        conference is no longer the one the call was made for."""
        conf, record = uow.conferences.get(event_id), uow.events.get(event_id)
        if conf is None or record is None or conf.marker != marker:
            return False
        if meeting is not None:
            conf = attrs.evolve(
                conf,
                meeting_id=meeting.meeting_id,
                join_url=meeting.join_url,
                passcode=meeting.passcode,
                maybe_created=False,
            )
        conf = attrs.evolve(
            conf, status=ConferenceStatus.ISSUED, synced=terms, failed=False, last_error=None
        )
        settled_record, conf = self._conferences.settle(uow, record, conf)
        uow.conferences.put(conf)
        if settled_record is not record:
            uow.events.put(settled_record)
        if job is not None and not uow.jobs.finish(job.id, job.generation):
            self.asked_again.add(job.id)
        return True

    def _orphaned(self, uow: UnitOfWork, event_id: str, marker: str) -> None:
        """No link holds the conference's account: detach it, or drop it if never issued."""
        conf = uow.conferences.get(event_id)
        if conf is None or conf.marker != marker:
            return
        if uow.links.active_for_account(conf.provider, conf.external_account_id) is not None:
            return
        if conf.meeting_id is None:
            uow.conferences.delete(event_id)
        else:
            uow.conferences.put(attrs.evolve(conf, status=ConferenceStatus.DETACHED))

    def run_delete(self, job: Job) -> None:
        """Delete a withdrawn meeting at the provider (404 counts as done). While no link
        holds the meeting's account the job is parked, not dropped: relinking that account
        wakes it (no orphan when the user comes back)."""
        payload = job.payload
        provider, account = str(payload["provider"]), str(payload["account"])
        holder = self._ctx.read(lambda uow: uow.links.active_for_account(provider, account))
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

    def _delete_meeting(self, holder: LinkRecord, meeting_id: str) -> bool:
        return self._tokens.call(holder, lambda p, t: p.delete_meeting(t, meeting_id))

    def record_failure(self, job: Job, error: str) -> None:
        """A job gave up: keep the event, flag its conference, tell the host once."""

        def work(uow: UnitOfWork) -> EventRecord | None:
            if job.kind != SYNC_JOB:
                return None
            conf = uow.conferences.get(job.key)
            if conf is not None:
                uow.conferences.put(attrs.evolve(conf, failed=True, last_error=error))
            return uow.events.get(job.key)

        record = self._ctx.transaction(work)
        event = record.event if record is not None else None
        self._ctx.notify(
            HostNotice(
                kind=HostNoticeKind.WORK_FAILED,
                tenant_id=event.tenant_id if event else None,
                user_id=event.owner_id if event else None,
                provider=str(job.payload.get("provider")) if job.kind == DELETE_JOB else None,
                event_id=event.id if event else job.payload.get("event_id"),
                detail=f"{job.kind} job gave up: {error}"[:500],
            )
        )


def _maybe_applied(exc: ProviderError) -> bool:
    """Whether the failed call may have taken effect at the provider anyway."""
    return isinstance(exc, ProviderUnavailable) and exc.maybe_applied
