"""What happens to conferences when an external account loses or regains its active link."""

from __future__ import annotations

import attrs

from meetlink.domain.conference import ConferenceStatus
from meetlink.ports.storage import UnitOfWork

__all__ = ["account_lost", "account_regained"]


def account_lost(uow: UnitOfWork, provider: str, external_account_id: str) -> None:
    """No active link holds the account any more: issued conferences become DETACHED (the
    URL stays), never-issued ones are dropped (their pending work stops)."""
    if uow.links.active_for_account(provider, external_account_id) is not None:
        return  # someone still holds it (a takeover): everything stays manageable
    for conf in uow.conferences.by_account(provider, external_account_id):
        if conf.meeting_id is None:
            uow.conferences.delete(conf.event_id)
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
