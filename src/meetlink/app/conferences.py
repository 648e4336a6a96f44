"""Deciding what each event's conference must become (S1, S11, S12, S17-S21).

Intent first: ``plan_save`` decides in one unit of work what the conference must become,
stores the event, the conference row and a sync job, and commits; the provider is called
afterwards by the job ([`meetlink.app.sync`][meetlink.app.sync]: inline from ``save_event``, else
from ``run_pending``), never inside a transaction.
"""

from __future__ import annotations

import logging
import uuid
from datetime import UTC

import attrs

from meetlink.app import holders
from meetlink.app.context import AppContext
from meetlink.app.moves import DELETE_JOB, SYNC_JOB, ConferenceMoves
from meetlink.app.policies import recurrence_expressible, tenant_policy
from meetlink.domain import lifecycle as lc
from meetlink.domain import saving
from meetlink.domain.conference import ConferenceRecord, terms_for
from meetlink.domain.event import Event
from meetlink.domain.issuance import Decision, Notice, ProviderTraits, Refusal, decide
from meetlink.domain.links import LinkRecord, UnlinkReason
from meetlink.domain.records import EventRecord, Job
from meetlink.domain.results import HostNotice, HostNoticeKind
from meetlink.domain.subscription import SubscriptionRecord, snapshot
from meetlink.ports.storage import UnitOfWork

__all__ = ["DELETE_JOB", "SYNC_JOB", "Conferences", "SavePlan", "new_marker"]

log = logging.getLogger("meetlink.conferences")


@attrs.frozen
class SavePlan:
    """What one save decided: the reasons and notices, the jobs to try at once, and the
    host notices to send once it committed; the event and conference as stored, and the
    owner's active link (so that the same unit of work can go on without reading them
    again)."""

    refusals: tuple[Refusal, ...]
    notices: tuple[Notice, ...]
    jobs: tuple[Job, ...]
    host_notices: tuple[HostNotice, ...] = ()
    record: EventRecord | None = None
    conference: ConferenceRecord | None = None
    link: LinkRecord | None = None
    claimed: tuple[Job, ...] = ()  # with ``run_now``: the sync job, claimed already


def _schedule(event: Event) -> tuple[object, ...]:
    """When an event's occurrences take place (a change re-plans its reminders, R2)."""
    return (event.start, event.end, event.recurrence, event.exdates, event.moved)


def new_marker() -> str:
    """A fresh marker for a conference (put in its meeting, to find a lost create again)."""
    return uuid.uuid4().hex[:16]


class Conferences:
    """The conference decisions made inside a unit of work."""

    def __init__(self, ctx: AppContext, moves: ConferenceMoves) -> None:
        self._ctx = ctx
        self._moves = moves

    def plan_save(
        self, uow: UnitOfWork, event: Event, *, run_now: bool = False, lookups: bool = False
    ) -> SavePlan:
        """Store ``event`` and decide its conference (S11, S17, S18, S21, S22). The event's
        row is locked first: a concurrent save of the same event waits for this one.
        ``run_now``: the caller runs the sync job at once if it can (stored claimed). The
        event is the tenant's: the same id in another tenant is another event.
        ``lookups``: an owner served by an organisation link whose directory address is due
        a lookup raises [`LookupFirst`][meetlink.app.holders.LookupFirst] (the caller looks
        it up outside the unit of work and saves again)."""
        ctx, now = self._ctx, self._ctx.clock.now()
        old, conf = uow.events.get_with_conference(event.tenant_id, event.id, for_update=True)
        had = conf
        provider = ctx.providers.find(event.web_meeting)
        decision, link = self.decide(uow, event)
        if lookups and link is not None:
            ttl = ctx.settings.org_lookup_ttl.total_seconds()
            due = holders.lookup_due(uow, link, now, ttl)
            if due is not None:
                raise due
        notices = list(decision.notices)
        record = EventRecord(
            event=event,
            sequence=old.sequence if old else 0,
            remind_at=old.remind_at if old else None,
            updated_at=now,
            told=old.told if old else None,
        )
        old_event = old.event if old else None
        jobs: list[Job] = []
        claimed: list[Job] = []
        host_notices: list[HostNotice] = []

        def move(happening: lc.Happening) -> None:
            nonlocal record, conf
            applied = self._moves.apply(
                uow, record, conf, happening, old_event=old_event, run_now=run_now
            )
            record, conf = applied.event, applied.conference
            jobs.extend(applied.jobs)
            claimed.extend(applied.claimed)
            host_notices.extend(applied.notices)

        # What the save does to the conference: one pure decision (domain/saving.py). Only
        # the event itself withdraws a URL (unticked, or no longer allowed: S17, S18).
        withdraw = conf is not None and (
            event.web_meeting != conf.provider or decision.withdraws or provider is None
        )
        held = False
        if conf is not None and not withdraw:  # who holds its account: read when it stays
            held = holders.holder(
                uow, ctx.providers, conf.provider, conf.external_account_id,
                tenant_id=conf.tenant_id,
            ) is not None  # fmt: skip
        facts = saving.SaveFacts(
            tenant_id=event.tenant_id,
            event_id=event.id,
            stage=lc.stage_of(conf),
            withdraw=withdraw,
            requested=event.web_meeting is not None,
            issue=decision.issue,
            owner=saving.Owner(provider=link.provider,
                               external_account_id=link.external_account_id)
            if link is not None else None,
            held=held,
            in_sync=conf is None or conf.synced == terms_for(event),
        )  # fmt: skip
        moves = saving.on_save(facts, marker=new_marker())
        notices.extend(moves.notices)
        for happening in moves.happenings:
            move(happening)

        if conf is not None and not any(job.kind == SYNC_JOB for job in jobs):
            # No provider work: tell participants what changed (new/removed people, times).
            record, settled = self._moves.settle(uow, record, conf, old_event)
            if settled is not conf:
                uow.conferences.put(settled)
                conf = settled
        elif record.told is not None and (conf is None or conf.mailed is None):
            # Participants hold the event without a URL (none holds one: a new URL may still
            # come, or never, e.g. the event ended): its changes and removals reach them now.
            told = record.told
            record = self._moves.mailing.withdraw(uow, record, told, told.provider, old_event)

        keep_reminder = (
            old is not None and had is not None and _schedule(old.event) == _schedule(event)
        )
        remind_at = None
        if conf is not None:
            lead = ctx.settings.reminder_lead
            # In UTC: wall-clock arithmetic would be off by an hour across a DST change.
            start = event.start.astimezone(UTC)
            remind_at = old.remind_at if keep_reminder and old else start - lead
        record = attrs.evolve(record, remind_at=remind_at)
        if old is None:
            uow.events.add(record)  # a concurrent first save of the id: retried, then locked
        else:
            uow.events.put(record)
        refusals = decision.refusals if conf is None else ()
        return SavePlan(
            refusals,
            tuple(notices),
            tuple(jobs),
            tuple(host_notices),
            record,
            conf,
            link,
            tuple(claimed),
        )

    def decide(self, uow: UnitOfWork, event: Event) -> tuple[Decision, LinkRecord | None]:
        """The issuance decision for ``event`` now (S3, S6, S11, S17, S18, S22), and the
        owner's active link to the requested provider (the owner is a user of the event's
        tenant). Reads only."""
        provider = self._ctx.providers.find(event.web_meeting)
        sub = uow.subscriptions.get(event.tenant_id) or SubscriptionRecord(
            tenant_id=event.tenant_id
        )
        link = None
        if provider is not None:
            link = holders.owner_link(
                uow, self._ctx.providers, event.tenant_id, event.owner_id, provider.key
            )
        caps = provider.capabilities if provider is not None else None
        decision = decide(
            event,
            addon_active=snapshot(sub, self._ctx.clock.now()).active,
            linked=link is not None,
            link_broken=link is None
            and provider is not None
            and self._grant_revoked(uow, event.tenant_id, event.owner_id, provider.key),
            provider_known=provider is not None,
            traits=ProviderTraits(
                supports_recurring=caps.supports_recurring if caps else False,
                free_plan_minutes=caps.free_plan_minutes if caps else None,
                plan=link.plan if link else "licensed",
                recurrence_expressible=recurrence_expressible(event, caps),
            ),
            policy=tenant_policy(uow, self._ctx, event.tenant_id),  # R2, R3
        )
        return decision, link

    def _grant_revoked(self, uow: UnitOfWork, tenant_id: str, user_id: str, provider: str) -> bool:
        links = uow.links.history(tenant_id, user_id)
        history = [link for link in links if link.provider == provider]
        return bool(history) and history[-1].unlink_reason is UnlinkReason.GRANT_REVOKED

    def delete_event(
        self, uow: UnitOfWork, tenant_id: str, event_id: str, actor_id: str | None = None
    ) -> tuple[bool, list[Job]]:
        """Forget the tenant's event; its meeting goes too, and participants get a
        cancellation. The owner is told (``EVENT_DELETED_BY_OTHER``) when ``actor_id`` names
        another user."""
        record, conf = uow.events.get_with_conference(tenant_id, event_id, for_update=True)
        if record is None:
            return False, []
        owner = record.event.owner_id
        if actor_id is not None and actor_id != owner:
            notice = HostNotice(
                kind=HostNoticeKind.EVENT_DELETED_BY_OTHER,
                tenant_id=tenant_id,
                user_id=owner,
                event_id=event_id,
                detail=f"event {event_id} of {owner} was deleted by {actor_id}",
            )
            uow.feed.add(notice, self._ctx.clock.now())
        jobs: list[Job] = []
        if conf is not None:
            applied = self._moves.apply(uow, record, conf, lc.Withdrawn(event_deleted=True))
            jobs, record = list(applied.jobs), applied.event
        if record.told is not None:  # some hold it without a URL (a new one still pending)
            self._moves.mailing.settle(uow, record, None, before=record.told, after=None)
        uow.events.delete(tenant_id, event_id)
        return True, jobs
