"""What happens to conferences when an external account loses or regains its active link."""

from __future__ import annotations

from datetime import datetime

import attrs

from meetlink.domain.conference import ConferenceRecord, ConferenceStatus
from meetlink.domain.records import Job
from meetlink.ports.storage import UnitOfWork

__all__ = ["account_lost", "account_regained", "queue_meeting_delete", "wake_parked_deletes"]

DELETE_JOB = "delete"  # the kind of the self-contained meeting deletion jobs


def queue_meeting_delete(uow: UnitOfWork, conf: ConferenceRecord, now: datetime) -> Job | None:
    """Queue the self-contained deletion of ``conf``'s meeting, if it has (or may have) one.
    It runs when a link holds the account (parked until then: no orphan if the user comes
    back)."""
    if conf.meeting_id is None and not conf.maybe_created:
        return None
    return uow.jobs.ensure(
        kind=DELETE_JOB,
        key=f"{conf.provider}:{conf.marker}",
        run_at=now,
        payload={
            "provider": conf.provider,
            "account": conf.external_account_id,
            "meeting_id": conf.meeting_id,
            "marker": conf.marker,
            "maybe_created": conf.maybe_created,
        },
        now=now,
    )


def account_lost(uow: UnitOfWork, provider: str, external_account_id: str, now: datetime) -> None:
    """No active link holds the account any more: issued conferences become DETACHED (the
    URL stays), never-issued ones are dropped (their pending work stops; a create that may
    have landed unseen is queued for deletion, to run if the account is linked again)."""
    if uow.links.active_for_account(provider, external_account_id) is not None:
        return  # someone still holds it (a takeover): everything stays manageable
    for conf in uow.conferences.by_account(provider, external_account_id):
        if conf.meeting_id is None:
            uow.conferences.delete(conf.event_id)
            queue_meeting_delete(uow, conf, now)
        elif conf.status is not ConferenceStatus.DETACHED:
            uow.conferences.put(attrs.evolve(conf, status=ConferenceStatus.DETACHED))


def account_regained(uow: UnitOfWork, provider: str, external_account_id: str) -> list[str]:
    """An active link holds the account again: its DETACHED conferences are manageable and
    ISSUED again. Returns their event ids (they need a sync to catch up with their events)."""
    events = []
    for conf in uow.conferences.by_account(provider, external_account_id):
        if conf.status is ConferenceStatus.DETACHED:
            uow.conferences.put(attrs.evolve(conf, status=ConferenceStatus.ISSUED))
            events.append(conf.event_id)
    return events


def wake_parked_deletes(
    uow: UnitOfWork, provider: str, external_account_id: str, now: datetime
) -> int:
    """Deletions that waited for a link to this account may run now; returns how many."""
    woken = 0
    for job in uow.jobs.all():
        payload = job.payload
        if (
            job.kind == DELETE_JOB
            and payload.get("provider") == provider
            and payload.get("account") == external_account_id
            and job.run_at > now
        ):
            uow.jobs.ensure(kind=job.kind, key=job.key, run_at=now, payload=payload, now=now)
            woken += 1
    return woken
