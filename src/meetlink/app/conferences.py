"""Deciding what each event's conference must become (S1, S11, S12, S17-S21).

Intent first: ``plan_save`` decides in one unit of work what the conference must become,
stores the event, the conference row and a sync job, and commits; the provider is called
afterwards by the job (:mod:`meetlink.app.sync`: inline from ``save_event``, else from
``run_pending``), never inside a transaction.
"""

from __future__ import annotations

import logging
import uuid

import attrs

from meetlink.app.accounts import DELETE_JOB, queue_meeting_delete
from meetlink.app.context import AppContext
from meetlink.app.mailing import Mailing
from meetlink.domain.conference import (
    ConferenceRecord,
    ConferenceStatus,
    terms_for,
)
from meetlink.domain.event import Event
from meetlink.domain.issuance import Decision, Notice, ProviderTraits, Refusal, decide
from meetlink.domain.links import LinkRecord, UnlinkReason
from meetlink.domain.records import EventRecord, Job
from meetlink.domain.subscription import SubscriptionRecord, snapshot
from meetlink.ports.storage import UnitOfWork

__all__ = ["DELETE_JOB", "SYNC_JOB", "Conferences", "SavePlan", "new_marker"]

SYNC_JOB = "sync"
log = logging.getLogger("meetlink.conferences")


@attrs.frozen
class SavePlan:
    """What one save decided: the reasons and notices, and the jobs to try at once."""

    refusals: tuple[Refusal, ...]
    notices: tuple[Notice, ...]
    jobs: tuple[Job, ...]


def new_marker() -> str:
    """A fresh marker for a conference (put in its meeting, to find a lost create again)."""
    return uuid.uuid4().hex[:16]


class Conferences:
    """The conference decisions made inside a unit of work."""

    def __init__(self, ctx: AppContext, mailing: Mailing) -> None:
        self._ctx = ctx
        self._mailing = mailing

    # -- deciding (inside one unit of work) ---------------------------------------------

    def plan_save(self, uow: UnitOfWork, event: Event) -> SavePlan:
        """Store ``event`` and decide its conference (S11, S17, S18, S21, S22)."""
        ctx, now = self._ctx, self._ctx.clock.now()
        old = uow.events.get(event.id)
        conf = had = uow.conferences.get(event.id)
        provider = ctx.providers.find(event.web_meeting)
        decision, link = self.decide(uow, event)
        notices = list(decision.notices)
        record = EventRecord(
            event=event,
            sequence=old.sequence if old else 0,
            remind_at=old.remind_at if old else None,
            updated_at=now,
        )
        old_event = old.event if old else None
        jobs: list[Job] = []
        sync = False
        terms = terms_for(event)

        # Only the event itself withdraws a URL (unticked, or no longer allowed: S17, S18).
        if conf is not None and (
            event.web_meeting != conf.provider or decision.withdraws or provider is None
        ):
            jobs.extend(self.remove(uow, conf))
            record = self._mailing.settle(
                uow, record, None, before=conf.mailed, after=None, old_event=old_event
            )
            conf = None

        if conf is not None:
            holder = uow.links.active_for_account(conf.provider, conf.external_account_id)
            if holder is not None:
                sync = conf.status is ConferenceStatus.PENDING or conf.synced != terms
            elif decision.issue and link is not None:
                # S21, done for the user: the owner linked another account; issue anew there.
                # The old meeting is deleted if its account is ever linked again.
                log.info("event %s: re-issuing its meeting on the owner's new link", event.id)
                self.queue_delete(uow, conf)
                conf = ConferenceRecord(
                    event_id=event.id,
                    provider=link.provider,
                    external_account_id=link.external_account_id,
                    marker=new_marker(),
                    mailed=conf.mailed,
                    created_at=now,
                )
                uow.conferences.put(conf)
                sync = True
            else:
                notices.append(Notice.CONFERENCE_DETACHED)
                if conf.synced != terms:
                    notices.append(Notice.LINK_REQUIRED_TO_UPDATE)
        elif event.web_meeting is not None and decision.issue and link is not None:
            conf = ConferenceRecord(
                event_id=event.id,
                provider=link.provider,
                external_account_id=link.external_account_id,
                marker=new_marker(),
                created_at=now,
            )
            uow.conferences.put(conf)
            sync = True

        if conf is not None and not sync:
            # No provider work: tell participants what changed (new/removed people, times).
            record, settled = self.settle(uow, record, conf, old_event)
            if settled is not conf:
                uow.conferences.put(settled)
                conf = settled

        keep_reminder = old is not None and had is not None and old.event.start == event.start
        remind_at = None
        if conf is not None:
            lead = ctx.settings.reminder_lead
            remind_at = old.remind_at if keep_reminder and old else event.start - lead
        uow.events.put(attrs.evolve(record, remind_at=remind_at))
        if sync:
            jobs.append(
                uow.jobs.ensure(kind=SYNC_JOB, key=event.id, run_at=now, payload={}, now=now)
            )
        refusals = decision.refusals if conf is None else ()
        return SavePlan(refusals, tuple(notices), tuple(jobs))

    def decide(self, uow: UnitOfWork, event: Event) -> tuple[Decision, LinkRecord | None]:
        """The issuance decision for ``event`` now (S3, S6, S11, S17, S18, S22), and the
        owner's active link to the requested provider. Reads only."""
        provider = self._ctx.providers.find(event.web_meeting)
        sub = uow.subscriptions.get(event.tenant_id) or SubscriptionRecord(
            tenant_id=event.tenant_id
        )
        link = None
        if provider is not None:
            link = uow.links.active_for_user(event.owner_id, provider.key)
        caps = provider.capabilities if provider is not None else None
        decision = decide(
            event,
            addon_active=snapshot(sub, self._ctx.clock.now()).active,
            linked=link is not None,
            link_broken=link is None
            and provider is not None
            and self._grant_revoked(uow, event.owner_id, provider.key),
            provider_known=provider is not None,
            traits=ProviderTraits(
                supports_recurring=caps.supports_recurring if caps else False,
                free_plan_minutes=caps.free_plan_minutes if caps else None,
                plan=link.plan if link else "licensed",
            ),
            policy=self._ctx.settings.policy,
        )
        return decision, link

    def _grant_revoked(self, uow: UnitOfWork, user_id: str, provider: str) -> bool:
        history = [link for link in uow.links.history(user_id) if link.provider == provider]
        return bool(history) and history[-1].unlink_reason is UnlinkReason.GRANT_REVOKED

    def settle(
        self,
        uow: UnitOfWork,
        record: EventRecord,
        conf: ConferenceRecord,
        old_event: Event | None = None,
    ) -> tuple[EventRecord, ConferenceRecord]:
        """Queue the mails ``conf``'s participants are owed; returns the event record (new
        SEQUENCE) and the conference (new mailed state). Stores neither: the caller does."""
        after = self._mailing.mailed_state(record.event, conf)
        if after is None or after == conf.mailed:
            return record, conf
        record = self._mailing.settle(
            uow, record, conf, before=conf.mailed, after=after, old_event=old_event
        )
        return record, attrs.evolve(conf, mailed=after)

    def remove(self, uow: UnitOfWork, conf: ConferenceRecord) -> list[Job]:
        """Drop the conference row and queue the deletion of its meeting (S19, S20)."""
        uow.conferences.delete(conf.event_id)
        return self.queue_delete(uow, conf)

    def queue_delete(self, uow: UnitOfWork, conf: ConferenceRecord) -> list[Job]:
        """Queue the deletion of ``conf``'s meeting, if it has (or may have) one. A detached
        meeting's deletion waits (parked) until a link holds its account again."""
        job = queue_meeting_delete(uow, conf, self._ctx.clock.now())
        return [] if job is None else [job]

    def delete_event(self, uow: UnitOfWork, event_id: str) -> tuple[bool, list[Job]]:
        """Forget the event; its meeting goes too, and participants get a cancellation."""
        record = uow.events.get(event_id)
        if record is None:
            return False, []
        conf = uow.conferences.get(event_id)
        jobs: list[Job] = []
        if conf is not None:
            jobs = self.remove(uow, conf)
            self._mailing.settle(uow, record, None, before=conf.mailed, after=None)
        uow.events.delete(event_id)
        return True, jobs
