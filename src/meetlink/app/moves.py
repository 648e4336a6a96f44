"""Moving conferences through their lifecycle
([`meetlink.domain.lifecycle`][meetlink.domain.lifecycle]) and performing the effects it returns, in
the caller's unit of work: the sync and delete jobs it asks for, the mails it owes, the notices for
the host (sent by the caller after commit).

Every change of a conference's state goes through
[`ConferenceMoves.apply`][meetlink.app.moves.ConferenceMoves.apply]; what happens when an external
account loses or regains its active link is here too (one rule for the unlink, Remove App, refused
grants, takeovers and the sync job that finds the link gone).
"""

from __future__ import annotations

from datetime import datetime

import attrs

from meetlink.app import holders
from meetlink.app.context import AppContext
from meetlink.app.mailing import Mailing
from meetlink.app.queue import JobQueue
from meetlink.domain import lifecycle as lc
from meetlink.domain.conference import ConferenceRecord
from meetlink.domain.event import Event
from meetlink.domain.feed import conference_change
from meetlink.domain.jobs import JobRequest
from meetlink.domain.links import LinkRecord
from meetlink.domain.records import EventRecord, Job
from meetlink.domain.results import HostNotice, HostNoticeKind
from meetlink.ports.storage import UnitOfWork

__all__ = ["DELETE_JOB", "SYNC_JOB", "Applied", "ConferenceMoves", "delete_request"]

SYNC_JOB = "sync"  # key: the event id (in the job's tenant); makes the meeting match the event
DELETE_JOB = "delete"  # key: provider:marker; a self-contained meeting deletion


@attrs.frozen
class Applied:
    """What one move left: the conference (None: forgotten), the event record (with a new
    SEQUENCE when mail was queued), the jobs asked for, and notices to send after commit."""

    conference: ConferenceRecord | None
    event: EventRecord
    jobs: tuple[Job, ...] = ()
    notices: tuple[HostNotice, ...] = ()
    claimed: tuple[Job, ...] = ()  # with ``run_now``: the sync job, claimed by this worker


def delete_request(
    effect: lc.DeleteMeeting, now: datetime, tenant_id: str, *, key: str | None = None
) -> JobRequest:
    """The self-contained deletion job for ``effect`` (it runs while a link holds the
    account, parked until then); one per conference marker unless ``key`` says otherwise.
    It belongs to ``tenant_id``, the tenant of the event whose meeting it deletes."""
    return JobRequest(
        tenant_id=tenant_id,
        kind=DELETE_JOB,
        key=key or f"{effect.provider}:{effect.marker}",
        run_at=now,
        payload={
            "provider": effect.provider,
            "account": effect.external_account_id,
            "meeting_id": effect.meeting_id,
            "marker": effect.marker,
            "maybe_created": effect.maybe_created,
        },
        provider=effect.provider,
        account=effect.external_account_id,
    )


_CHANGE_DETAIL = {
    HostNoticeKind.CONFERENCE_ISSUED: "the event's meeting URL is ready",
    HostNoticeKind.CONFERENCE_UPDATED: "the event's meeting changed (URL, passcode or time)",
    HostNoticeKind.CONFERENCE_WITHDRAWN: "the event no longer has a meeting URL",
    HostNoticeKind.CONFERENCE_FAILED: "the event's meeting could not be made",
}


class ConferenceMoves:
    """Applies lifecycle happenings and performs their effects."""

    def __init__(self, ctx: AppContext, mailing: Mailing, queue: JobQueue) -> None:
        self._ctx = ctx
        self._mailing = mailing
        self._queue = queue

    @property
    def mailing(self) -> Mailing:
        """The participant mail these moves queue."""
        return self._mailing

    def apply(
        self,
        uow: UnitOfWork,
        record: EventRecord,
        conf: ConferenceRecord | None,
        happening: lc.Happening,
        *,
        old_event: Event | None = None,
        run_now: bool = False,
    ) -> Applied:
        """Move ``conf`` (of ``record``'s event) by ``happening``; store the conference and
        queue what the move owes. The event record is returned, not stored. ``run_now``:
        the caller runs the sync job at once if it can (it is then stored claimed)."""
        now = self._ctx.clock.now()
        outcome = lc.advance(conf, happening, now)
        after = outcome.record
        jobs: list[Job] = []
        claimed: list[Job] = []
        notices: list[HostNotice] = []
        for effect in outcome.effects:
            if isinstance(effect, lc.Sync):
                assert after is not None
                request = self.sync_request(after, now)
                if run_now:
                    job, taken = self._queue.ask_to_run(uow, request, now)
                    jobs.append(job)
                    claimed.extend([taken] if taken is not None else [])
                else:
                    jobs.append(self._queue.ask(uow, request, now))
            elif isinstance(effect, lc.DeleteMeeting):
                deletion = delete_request(effect, now, record.event.tenant_id)
                jobs.append(self._queue.ask(uow, deletion, now))
            elif isinstance(effect, lc.Mail):
                assert after is not None
                # The meeting's title as synced before and after: whether it was renamed.
                was = conf.synced if conf is not None else None
                retitled = (
                    was is not None
                    and after.synced is not None
                    and (was.topic != after.synced.topic)
                )
                record, after = self.settle(uow, record, after, old_event, retitled=retitled)
            elif isinstance(effect, lc.Cancel):
                assert conf is not None
                if effect.event_deleted:  # a cancellation naming the conference's provider
                    record = self._mailing.settle(
                        uow, record, conf, before=conf.mailed, after=None, old_event=old_event
                    )
                else:  # the event stays: an update without the URL
                    record = self._mailing.withdraw(
                        uow, record, conf.mailed, conf.public().provider, old_event
                    )
            else:
                notices.append(self._work_failed(record.event, effect.error))
        if after is not None:
            uow.conferences.put(after)
        elif conf is not None:
            uow.conferences.delete(conf.tenant_id, conf.event_id)
        if isinstance(happening, lc.MeetingVanished) and conf is not None:
            # Not withdrawn: put back. The new URL is told when it is issued.
            self.record_repair(
                uow,
                record.event,
                conf,
                f"the meeting was deleted at {conf.provider}; a new one is being made and "
                "participants get its URL",
            )
        else:
            self._record_change(uow, record.event, conf, after)
        return Applied(after, record, tuple(jobs), tuple(notices), tuple(claimed))

    def apply_stored(
        self,
        uow: UnitOfWork,
        tenant_id: str,
        event_id: str,
        happening: lc.Happening,
        *,
        on_account: tuple[str, str] | None = None,
    ) -> Applied | None:
        """Lock the tenant's event, read its conference as stored, apply ``happening`` and
        store what changed. None (nothing done): no such event, or its conference is no
        longer on ``on_account`` (provider, account) when that is given."""
        record, conf = uow.events.get_with_conference(tenant_id, event_id, for_update=True)
        if record is None:
            return None
        if on_account is not None and (
            conf is None or (conf.provider, conf.external_account_id) != on_account
        ):
            return None
        applied = self.apply(uow, record, conf, happening)
        if applied.event != record:  # e.g. a new SEQUENCE (an equal copy needs no write)
            uow.events.put(applied.event)
        return applied

    def settle(
        self,
        uow: UnitOfWork,
        record: EventRecord,
        conf: ConferenceRecord,
        old_event: Event | None = None,
        *,
        retitled: bool = False,
    ) -> tuple[EventRecord, ConferenceRecord]:
        """Queue the mails ``conf``'s participants are owed; returns the event record (new
        SEQUENCE) and the conference (new mailed state). Stores neither: the caller does."""
        after = self._mailing.mailed_state(record.event, conf)
        if after is None:  # no URL now: those who hold the event without one hear of changes
            told = record.told
            if told is not None:
                record = self._mailing.withdraw(uow, record, told, told.provider, old_event)
            return record, conf
        if after == conf.mailed:
            return record, conf
        # Participants who hold the event without a URL (withdrawn earlier) are told anew.
        before = conf.mailed if conf.mailed is not None else record.told
        record = self._mailing.settle(
            uow, record, conf, before=before, after=after, old_event=old_event, retitled=retitled
        )
        return attrs.evolve(record, told=None), attrs.evolve(conf, mailed=after)

    @staticmethod
    def sync_request(conf: ConferenceRecord, now: datetime) -> JobRequest:
        """The event's sync job, on the account its work is about (in the event's tenant)."""
        return JobRequest(
            tenant_id=conf.tenant_id,
            kind=SYNC_JOB,
            key=conf.event_id,
            run_at=now,
            provider=conf.provider,
            account=conf.external_account_id,
        )

    def _record_change(
        self,
        uow: UnitOfWork,
        event: Event,
        before: ConferenceRecord | None,
        after: ConferenceRecord | None,
    ) -> None:
        """Record in the host event feed what the move did to the event's conference, if the
        host is told about it ([`conference_change`][meetlink.domain.feed.conference_change])."""
        kind = conference_change(before, after)
        if kind is None:
            return
        shown = after or before
        assert shown is not None
        detail = _CHANGE_DETAIL[kind]
        if after is not None and after.error and kind is HostNoticeKind.CONFERENCE_FAILED:
            detail = f"{detail}: {after.error}"[:500]
        notice = HostNotice(
            kind=kind,
            tenant_id=event.tenant_id,
            user_id=event.owner_id,
            provider=shown.provider,
            event_id=event.id,
            detail=detail,
        )
        uow.feed.add(notice, self._ctx.clock.now())

    def record_repair(
        self, uow: UnitOfWork, event: Event, conf: ConferenceRecord, detail: str
    ) -> None:
        """Record ``meeting_repaired``: the event's meeting was deleted or changed on the
        provider's site and is being put back."""
        notice = HostNotice(
            kind=HostNoticeKind.MEETING_REPAIRED,
            tenant_id=event.tenant_id,
            user_id=event.owner_id,
            provider=conf.provider,
            event_id=event.id,
            detail=detail[:500],
        )
        uow.feed.add(notice, self._ctx.clock.now())

    def _work_failed(self, event: Event, error: str) -> HostNotice:
        return HostNotice(
            kind=HostNoticeKind.WORK_FAILED,
            tenant_id=event.tenant_id,
            user_id=event.owner_id,
            event_id=event.id,
            detail=f"the event's meeting could not be made or changed: {error}"[:500],
        )

    # -- accounts -----------------------------------------------------------------------

    def account_lost(self, uow: UnitOfWork, provider: str, account: str) -> list[HostNotice]:
        """No active link holds the account any more: its issued conferences are DETACHED
        (the URL stays), its pending ones stop (a meeting a lost create may have made is
        queued for deletion, parked until the account is linked again). The account's
        conferences are those of every tenant: an account is one provider account."""
        if uow.links.active_for_account(provider, account) is not None:
            return []  # someone still holds it (a takeover): everything stays manageable
        notices: list[HostNotice] = []
        for conf in uow.conferences.by_account(provider, account):
            if holders.served(uow, conf.tenant_id, provider, account) is not None:
                continue  # the tenant's organisation link serves the account
            applied = self.apply_stored(
                uow, conf.tenant_id, conf.event_id, lc.AccountLost(), on_account=(provider, account)
            )
            if applied is not None:
                notices.extend(applied.notices)
        return notices

    def link_lost(self, uow: UnitOfWork, link: LinkRecord) -> list[HostNotice]:
        """``link`` ended: what its account(s) lose. An organisation link's are the accounts
        it served (its tenant's directory entries), unless the tenant has another active
        organisation link for the provider (a relink); a user link's is its account."""
        if not link.is_organisation:
            return self.account_lost(uow, link.provider, link.external_account_id)
        if holders.organisation_link(uow, link.tenant_id, link.provider) is not None:
            return []
        notices: list[HostNotice] = []
        for account in holders.served_accounts(uow, link.tenant_id, link.provider):
            notices.extend(self.account_lost(uow, link.provider, account))
        return notices

    def link_regained(self, uow: UnitOfWork, link: LinkRecord) -> int:
        """``link`` is active: the accounts it holds (an organisation link: those it serves)
        regain their conferences."""
        if not link.is_organisation:
            return self.account_regained(uow, link.provider, link.external_account_id)
        return sum(
            self.account_regained(uow, link.provider, account)
            for account in holders.served_accounts(uow, link.tenant_id, link.provider)
        )

    def account_regained(self, uow: UnitOfWork, provider: str, account: str) -> int:
        """An active link holds the account again: its DETACHED conferences are ISSUED and
        catch up with their events; deletions parked for it run now. Returns the number
        of conferences regained."""
        now = self._ctx.clock.now()
        regained = 0
        for conf in uow.conferences.by_account(provider, account):
            if lc.stage_of(conf) is lc.Stage.DETACHED:
                applied = self.apply_stored(
                    uow,
                    conf.tenant_id,
                    conf.event_id,
                    lc.AccountRegained(),
                    on_account=(provider, account),
                )
                regained += applied is not None
        self._queue.wake(uow, provider, account, DELETE_JOB, now)
        return regained
