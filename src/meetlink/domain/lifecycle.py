"""The conference lifecycle as one transition table (DESIGN 4.1).

``advance(record, happening, now)`` returns the record after ``happening`` (None: the row is
forgotten) and the effects the app performs in the same transaction, as data. A pair that is
not in [`TRANSITIONS`][meetlink.domain.lifecycle.TRANSITIONS] raises
[`IllegalMove`][meetlink.errors.IllegalMove].

Stages are the stored status, plus NONE (no row) and REISSUING: a DETACHED conference whose
replacement is PENDING on the owner's other account (S21). The host sees REISSUING as
DETACHED with the URL participants hold (``kept``) until the replacement is ISSUED.

======================  =================  =========  =====================================
from                    happening          to         effects
======================  =================  =========  =====================================
NONE, FAILED            Requested          PENDING    sync now
PENDING                 Requested/Changed  PENDING    sync now
PENDING, REISSUING      Creating           same       (maybe-created: look before creating)
PENDING                 Created            ISSUED     mail (invitations)
PENDING                 Failed / a wait    PENDING    (error; maybe-created cleared when the
                                                      create surely did not land)
PENDING                 Refused, GaveUp,   FAILED     delete if a meeting may exist; notice
                        EventEnded                    WORK_FAILED
PENDING                 AccountLost        NONE       delete if a meeting may exist; tell
                                                      participants who were told (no URL)
ISSUED                  Changed            ISSUED     sync now (update)
ISSUED, DETACHED        Updated            same       mail (updates)
ISSUED, DETACHED        Failed             same       (error)
ISSUED, DETACHED        Refused, GaveUp    same       notice WORK_FAILED; mail (updates: the URL
                                                      still works)
ISSUED                  MeetingVanished    PENDING    sync now (create anew; mail when issued)
ISSUED                  AccountLost        DETACHED   (the URL stays)
DETACHED                AccountRegained    ISSUED     sync now (catch up with the event)
DETACHED                Reissue            REISSUING  sync now (the old URL stays meanwhile)
REISSUING               Changed            REISSUING  sync now
REISSUING               Created            ISSUED     delete the kept meeting; mail (updates)
REISSUING               Failed             REISSUING  (error)
REISSUING               Refused, GaveUp    DETACHED   delete the replacement if it may
                                                      exist; notice WORK_FAILED; mail (what
                                                      changed meanwhile, with the kept URL)
REISSUING               EventEnded,        DETACHED   delete the replacement if it may exist;
                        AccountLost                   mail (as above)
any                     Withdrawn          NONE       delete what may exist; tell who was told:
                                                      an update without the URL, a
                                                      cancellation if the event is deleted
======================  =================  =========  =====================================

Every other stage keeps itself on AccountLost / AccountRegained (FAILED, DETACHED, ...).
"""

from __future__ import annotations

import enum
from datetime import datetime

import attrs

from meetlink.domain.conference import (
    ENDED_ERROR,
    ConferenceRecord,
    ConferenceStatus,
    KeptMeeting,
    MeetingTerms,
)
from meetlink.errors import IllegalMove

__all__ = [
    "ENDED_ERROR",
    "TRANSITIONS",
    "AccountLost",
    "AccountRegained",
    "Cancel",
    "Changed",
    "Created",
    "Creating",
    "DeleteMeeting",
    "Effect",
    "EventEnded",
    "Failed",
    "GaveUp",
    "Happening",
    "Mail",
    "MeetingVanished",
    "Outcome",
    "Refused",
    "Reissue",
    "Requested",
    "Stage",
    "Sync",
    "Updated",
    "Withdrawn",
    "WorkFailed",
    "advance",
    "allows",
    "stage_of",
]


class Stage(enum.Enum):
    """Where a conference stands in the lifecycle (the stored status, refined)."""

    NONE = "none"
    PENDING = "pending"
    ISSUED = "issued"
    DETACHED = "detached"
    REISSUING = "reissuing"
    FAILED = "failed"


def stage_of(record: ConferenceRecord | None) -> Stage:
    """The stage of ``record`` (NONE for no row)."""
    if record is None:
        return Stage.NONE
    if record.kept is not None:
        return Stage.REISSUING
    return Stage(record.status.value)


# -- happenings --------------------------------------------------------------------------


@attrs.frozen(kw_only=True)
class Requested:
    """The event asks for a URL and the owner's link can issue it (a save, ``retry()``)."""

    tenant_id: str
    event_id: str
    provider: str
    external_account_id: str
    marker: str


@attrs.frozen(kw_only=True)
class Reissue:
    """S21: the owner linked another account; issue there, keeping the URL meanwhile."""

    provider: str
    external_account_id: str
    marker: str


@attrs.frozen
class Changed:
    """The event's title or time no longer match the meeting, or its work is asked for
    again: sync now."""


@attrs.frozen
class Creating:
    """A create is about to be sent (intent first: a lost answer is looked for before any
    new create)."""


@attrs.frozen(kw_only=True)
class Created:
    """The provider made the meeting (or a lost create was found again)."""

    meeting_id: str
    join_url: str
    passcode: str | None
    terms: MeetingTerms


@attrs.frozen(kw_only=True)
class Updated:
    """The provider meeting now says ``terms``."""

    terms: MeetingTerms


@attrs.frozen(kw_only=True)
class Failed:
    """A transient failure or a wait the provider asked for: the work runs again later.
    ``known_absent``: the create surely did not land, and no earlier one did. ``unsynced``:
    an update may have landed (its answer was lost), so what the meeting says is no longer
    known: the next sync sends the event's terms whatever they are."""

    error: str
    known_absent: bool = False
    unsynced: bool = False


@attrs.frozen(kw_only=True)
class Refused:
    """The provider refused the work for good."""

    error: str


@attrs.frozen(kw_only=True)
class GaveUp:
    """The retries gave up."""

    error: str


@attrs.frozen
class EventEnded:
    """The event is over and its meeting does not exist: no meeting is created for it."""


@attrs.frozen(kw_only=True)
class MeetingVanished:
    """The meeting was deleted at the provider (someone used its web site): create anew
    under a fresh ``marker``."""

    marker: str


@attrs.frozen
class AccountLost:
    """No active link holds the conference's account any more (unlink, Remove App, a
    refused grant, a takeover or relink elsewhere)."""


@attrs.frozen
class AccountRegained:
    """An active link holds the conference's account again."""


@attrs.frozen
class Withdrawn:
    """The event itself withdraws the URL: unticked, no longer allowed, or deleted
    (``event_deleted``: the event goes too, so participants get a cancellation; otherwise
    the event stays and they get an update without the URL)."""

    event_deleted: bool = False


Happening = (
    Requested
    | Reissue
    | Changed
    | Creating
    | Created
    | Updated
    | Failed
    | Refused
    | GaveUp
    | EventEnded
    | MeetingVanished
    | AccountLost
    | AccountRegained
    | Withdrawn
)


# -- effects -----------------------------------------------------------------------------


@attrs.frozen
class Sync:
    """Queue the event's sync job to run now."""


@attrs.frozen(kw_only=True)
class DeleteMeeting:
    """Queue the self-contained deletion of a meeting that exists or may exist; it runs
    while a link holds the account (parked until then)."""

    provider: str
    external_account_id: str
    meeting_id: str | None
    marker: str
    maybe_created: bool


@attrs.frozen
class Mail:
    """Tell participants what the conference now says (invitations or updates)."""


@attrs.frozen
class Cancel:
    """Participants who were told of the URL learn it is gone: a cancellation when the
    event itself is deleted (``event_deleted``), else an update of the event without the URL
    (it still takes place; its removed participants get a cancellation)."""

    event_deleted: bool = False


@attrs.frozen(kw_only=True)
class WorkFailed:
    """Tell the host (notice WORK_FAILED) that the conference's work stopped."""

    error: str


Effect = Sync | DeleteMeeting | Mail | Cancel | WorkFailed


@attrs.frozen
class Outcome:
    """The record after a happening (None: forgotten) and the effects, in order."""

    record: ConferenceRecord | None
    effects: tuple[Effect, ...] = ()


class _Do(enum.Enum):
    """Effect kinds in the table; conditions are read from the record before the move."""

    SYNC = "sync"
    DELETE = "delete"  # the meeting the work is about, if it exists or may exist
    DELETE_KEPT = "delete_kept"  # the kept meeting (a replacement was issued, or withdrawn)
    MAIL = "mail"
    CANCEL = "cancel"  # if participants were told
    NOTIFY = "notify"


_S = Stage
_FAILING = (Refused, GaveUp)
_ROWS: list[tuple[tuple[Stage, ...], tuple[type, ...], Stage | None, tuple[_Do, ...]]] = [
    # (from stages, happenings, to (None: the same stage), effects)
    ((_S.NONE, _S.FAILED), (Requested,), _S.PENDING, (_Do.SYNC,)),
    ((_S.PENDING,), (Requested, Changed), _S.PENDING, (_Do.SYNC,)),
    ((_S.PENDING, _S.REISSUING), (Creating,), None, ()),
    ((_S.PENDING,), (Created,), _S.ISSUED, (_Do.MAIL,)),
    ((_S.PENDING, _S.ISSUED, _S.DETACHED, _S.REISSUING), (Failed,), None, ()),
    ((_S.PENDING,), (*_FAILING, EventEnded), _S.FAILED, (_Do.DELETE, _Do.NOTIFY)),
    ((_S.PENDING,), (AccountLost,), _S.NONE, (_Do.DELETE, _Do.CANCEL)),
    ((_S.ISSUED,), (Changed,), _S.ISSUED, (_Do.SYNC,)),
    ((_S.ISSUED, _S.DETACHED), (Updated,), None, (_Do.MAIL,)),
    # The URL still works: participants are told what the event now says with it.
    ((_S.ISSUED, _S.DETACHED), _FAILING, None, (_Do.NOTIFY, _Do.MAIL)),
    ((_S.ISSUED,), (MeetingVanished,), _S.PENDING, (_Do.SYNC,)),
    ((_S.ISSUED,), (AccountLost,), _S.DETACHED, ()),
    ((_S.DETACHED,), (AccountRegained,), _S.ISSUED, (_Do.SYNC,)),
    ((_S.DETACHED,), (Reissue,), _S.REISSUING, (_Do.SYNC,)),
    ((_S.REISSUING,), (Changed,), _S.REISSUING, (_Do.SYNC,)),
    ((_S.REISSUING,), (Created,), _S.ISSUED, (_Do.DELETE_KEPT, _Do.MAIL)),
    # Back to the kept URL: changes the save that began the re-issue made (who is invited,
    # the time) are told with it now, since no Created will tell them.
    ((_S.REISSUING,), _FAILING, _S.DETACHED, (_Do.DELETE, _Do.NOTIFY, _Do.MAIL)),
    ((_S.REISSUING,), (EventEnded, AccountLost), _S.DETACHED, (_Do.DELETE, _Do.MAIL)),
    ((_S.FAILED, _S.DETACHED), (AccountLost,), None, ()),
    ((_S.PENDING, _S.ISSUED, _S.FAILED, _S.REISSUING), (AccountRegained,), None, ()),
    (
        (_S.PENDING, _S.ISSUED, _S.DETACHED, _S.FAILED),
        (Withdrawn,),
        _S.NONE,
        (_Do.DELETE, _Do.CANCEL),
    ),
    ((_S.REISSUING,), (Withdrawn,), _S.NONE, (_Do.DELETE, _Do.DELETE_KEPT, _Do.CANCEL)),
]

#: (stage, happening type) -> (stage after, effect kinds). Anything absent is illegal.
TRANSITIONS: dict[tuple[Stage, type], tuple[Stage, tuple[_Do, ...]]] = {
    (stage, kind): (stage if to is None else to, effects)
    for stages, kinds, to, effects in _ROWS
    for stage in stages
    for kind in kinds
}


def allows(record: ConferenceRecord | None, happening: Happening) -> bool:
    """Whether the table has a move for ``happening`` from ``record``'s stage."""
    return (stage_of(record), type(happening)) in TRANSITIONS


def advance(record: ConferenceRecord | None, happening: Happening, now: datetime) -> Outcome:
    """The conference after ``happening`` at ``now``, and the effects it owes."""
    stage = stage_of(record)
    row = TRANSITIONS.get((stage, type(happening)))
    if row is None:
        raise IllegalMove(f"a {stage.value} conference cannot take {type(happening).__name__}")
    target, kinds = row
    after = _next_record(record, happening, target, now)
    assert stage_of(after) is target, (stage, happening, target, after)
    effects = tuple(e for kind in kinds if (e := _effect(kind, record, happening)) is not None)
    return Outcome(after, effects)


def _next_record(
    record: ConferenceRecord | None, happening: Happening, target: Stage, now: datetime
) -> ConferenceRecord | None:
    if target is Stage.NONE:
        return None
    if isinstance(happening, Requested):
        if record is not None and record.status is ConferenceStatus.PENDING:
            return record  # asked again: the work already stands
        return ConferenceRecord(
            tenant_id=happening.tenant_id,
            event_id=happening.event_id,
            provider=happening.provider,
            external_account_id=happening.external_account_id,
            marker=happening.marker,
            mailed=record.mailed if record is not None else None,
            created_at=record.created_at if record is not None else now,
        )
    assert record is not None
    if isinstance(happening, Reissue):
        assert record.meeting_id is not None and record.join_url is not None
        kept = KeptMeeting(
            provider=record.provider,
            external_account_id=record.external_account_id,
            meeting_id=record.meeting_id,
            join_url=record.join_url,
            passcode=record.passcode,
            marker=record.marker,
            synced=record.synced,
        )
        return _fresh(record, happening.provider, happening.external_account_id,
                      happening.marker, kept=kept)  # fmt: skip
    if isinstance(happening, Creating):
        return attrs.evolve(record, maybe_created=True)
    if isinstance(happening, Created):
        return attrs.evolve(
            record,
            status=ConferenceStatus.ISSUED,
            meeting_id=happening.meeting_id,
            join_url=happening.join_url,
            passcode=happening.passcode,
            synced=happening.terms,
            maybe_created=False,
            error=None,
            kept=None,
        )
    if isinstance(happening, Updated):
        return attrs.evolve(record, synced=happening.terms, error=None)
    if isinstance(happening, Failed):
        cleared = record.maybe_created and not happening.known_absent
        synced = None if happening.unsynced else record.synced
        return attrs.evolve(record, error=happening.error, maybe_created=cleared, synced=synced)
    if isinstance(happening, MeetingVanished):
        return _fresh(record, record.provider, record.external_account_id, happening.marker)
    error = getattr(happening, "error", ENDED_ERROR)
    if target is Stage.FAILED and record.status is not ConferenceStatus.FAILED:
        # Any meeting a lost create made is deleted by the DELETE effect: forget it here. A
        # FAILED conference that loses or regains its account keeps its error (below).
        return attrs.evolve(
            record, status=ConferenceStatus.FAILED, maybe_created=False, error=error
        )
    if target is Stage.DETACHED and record.kept is not None:
        # The replacement could not complete: participants keep the URL they hold.
        kept = record.kept
        return attrs.evolve(
            record,
            status=ConferenceStatus.DETACHED,
            provider=kept.provider,
            external_account_id=kept.external_account_id,
            meeting_id=kept.meeting_id,
            join_url=kept.join_url,
            passcode=kept.passcode,
            marker=kept.marker,
            synced=kept.synced,
            maybe_created=False,
            error=None if isinstance(happening, AccountLost) else error,
            kept=None,
        )
    if isinstance(happening, _FAILING):
        return attrs.evolve(record, error=happening.error)
    status = {Stage.DETACHED: ConferenceStatus.DETACHED, Stage.ISSUED: ConferenceStatus.ISSUED}
    return attrs.evolve(record, status=status.get(target, record.status))


def _fresh(
    record: ConferenceRecord,
    provider: str,
    account: str,
    marker: str,
    *,
    kept: KeptMeeting | None = None,
) -> ConferenceRecord:
    """``record`` as a PENDING conference with no meeting yet (participants' mailed state
    and the creation time stay)."""
    return attrs.evolve(
        record,
        provider=provider,
        external_account_id=account,
        status=ConferenceStatus.PENDING,
        marker=marker,
        meeting_id=None,
        join_url=None,
        passcode=None,
        synced=None,
        maybe_created=False,
        error=None,
        kept=kept,
    )


def _effect(kind: _Do, before: ConferenceRecord | None, happening: Happening) -> Effect | None:
    if kind is _Do.SYNC:
        return Sync()
    if kind is _Do.MAIL:
        return Mail()
    if kind is _Do.NOTIFY:
        return WorkFailed(error=getattr(happening, "error", ENDED_ERROR))
    assert before is not None
    if kind is _Do.CANCEL:
        if before.mailed is None:
            return None
        return Cancel(event_deleted=isinstance(happening, Withdrawn) and happening.event_deleted)
    if kind is _Do.DELETE_KEPT:
        kept = before.kept
        if kept is None:
            return None
        return DeleteMeeting(
            provider=kept.provider,
            external_account_id=kept.external_account_id,
            meeting_id=kept.meeting_id,
            marker=kept.marker,
            maybe_created=False,
        )
    if before.meeting_id is None and not before.maybe_created:
        return None
    return DeleteMeeting(
        provider=before.provider,
        external_account_id=before.external_account_id,
        meeting_id=before.meeting_id,
        marker=before.marker,
        maybe_created=before.maybe_created,
    )
