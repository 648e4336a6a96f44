"""What a save of an event does to its conference: one pure decision (S11, S12, S17-S21).

The application reads what the rules need (the stored conference, the issuance decision, the
owner's link and, for a conference that stays, whether an active link holds its account),
asks [`on_save`][meetlink.domain.saving.on_save] what happens, and moves the conference
through its lifecycle ([`meetlink.domain.lifecycle`][meetlink.domain.lifecycle]) by the
happenings it returns, in order::

    conference  withdrawn  then                                   happenings
    none        -          asked for, allowed, owner linked      Requested
    any         yes        (as if none, next)                     Withdrawn (+ Requested)
    FAILED      no         allowed, owner linked                  Requested (a fresh start)
    DETACHED    no         its account held again                 AccountRegained
    other       no         held, not issued or out of sync        Changed
    DETACHED    no         not held, owner linked elsewhere       Reissue (S21)
    PENDING/REISSUING/ISSUED  not held                            AccountLost
    DETACHED    no         not held, owner not linked             notices only

Only the event itself withdraws a URL: unticked, another provider, no longer allowed, or a
provider no longer registered.
"""

from __future__ import annotations

import attrs

from meetlink.domain import lifecycle as lc
from meetlink.domain.issuance import Notice

__all__ = ["Owner", "SaveFacts", "SaveMoves", "on_save"]


@attrs.frozen(kw_only=True)
class Owner:
    """The event owner's active link to the requested provider: where a new meeting goes."""

    provider: str
    external_account_id: str


@attrs.frozen(kw_only=True)
class SaveFacts:
    """What the rules of a save read. ``stage``: the stored conference's (NONE: none);
    ``withdraw``: the event no longer asks for that conference; ``requested``: the event
    asks for a URL; ``issue``: the issuance decision allows one; ``owner``: the owner's
    link, if any; ``held``: an active link holds the conference's account (read only for a
    conference that stays); ``in_sync``: the meeting already says what the event says."""

    tenant_id: str
    event_id: str
    stage: lc.Stage = lc.Stage.NONE
    withdraw: bool = False
    requested: bool = False
    issue: bool = False
    owner: Owner | None = None
    held: bool = False
    in_sync: bool = True


@attrs.frozen
class SaveMoves:
    """The happenings to apply in order, and the notices for the user."""

    happenings: tuple[lc.Happening, ...]
    notices: tuple[Notice, ...] = ()


def on_save(facts: SaveFacts, *, marker: str) -> SaveMoves:
    """What the save does to the conference (the table above). ``marker``: a fresh marker
    for a conference this save asks for (Requested, Reissue)."""
    stage = facts.stage
    happenings: list[lc.Happening] = []
    if stage is not lc.Stage.NONE and facts.withdraw:
        happenings.append(lc.Withdrawn())
        stage = lc.Stage.NONE
    owner = facts.owner if facts.issue else None
    if stage is lc.Stage.NONE:
        if facts.requested and owner is not None:
            happenings.append(_requested(facts, owner, marker))
        return SaveMoves(tuple(happenings))
    notices: tuple[Notice, ...] = ()
    if stage is lc.Stage.FAILED:
        if owner is not None:
            happenings.append(_requested(facts, owner, marker))  # saved again: a fresh start
    elif facts.held:
        if stage is lc.Stage.DETACHED:
            happenings.append(lc.AccountRegained())
        elif stage is not lc.Stage.ISSUED or not facts.in_sync:
            happenings.append(lc.Changed())
    elif stage is lc.Stage.DETACHED and owner is not None:
        # S21, done for the user: the owner linked another account; issue anew there. The
        # old URL stays until the new one is issued.
        happenings.append(lc.Reissue(provider=owner.provider,
                                     external_account_id=owner.external_account_id,
                                     marker=marker))  # fmt: skip
    elif stage in (lc.Stage.PENDING, lc.Stage.REISSUING, lc.Stage.ISSUED):
        happenings.append(lc.AccountLost())  # its account lost its link
    else:
        notices = (Notice.CONFERENCE_DETACHED,)
        if not facts.in_sync:
            notices += (Notice.LINK_REQUIRED_TO_UPDATE,)
    return SaveMoves(tuple(happenings), notices)


def _requested(facts: SaveFacts, owner: Owner, marker: str) -> lc.Requested:
    return lc.Requested(
        tenant_id=facts.tenant_id,
        event_id=facts.event_id,
        provider=owner.provider,
        external_account_id=owner.external_account_id,
        marker=marker,
    )
