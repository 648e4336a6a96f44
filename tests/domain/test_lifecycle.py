"""The conference lifecycle (meetlink.domain.lifecycle): for every row of the table in the
module's docstring, the record a move writes and the effects it owes, written out by hand
field by field; and the text of IllegalMove for a move the table does not have."""

from __future__ import annotations

from datetime import UTC, datetime

import attrs
import pytest

from meetlink.domain import lifecycle as lc
from meetlink.domain.conference import (
    ConferenceRecord,
    ConferenceStatus,
    KeptMeeting,
    MailedState,
    MeetingTerms,
)
from meetlink.errors import IllegalMove

NOW = datetime(2027, 3, 1, 9, 0, tzinfo=UTC)
EARLIER = datetime(2027, 2, 1, 9, 0, tzinfo=UTC)  # when the conference was first asked for
TERMS = MeetingTerms(topic="Call", start=NOW, duration_minutes=30, timezone="UTC")
NEW_TERMS = MeetingTerms(topic="Call (moved)", start=NOW, duration_minutes=45, timezone="UTC")
URL_1 = "https://zoom.example/j/111"
URL_2 = "https://teams.example/j/222"
MAILED = MailedState(join_url=URL_1, passcode="p1", start=NOW, end=NOW, emails=("bob@example.com",))
ENDED = "the event ended before its meeting could be created"
DOWN = "ProviderUnavailable: down"
NO = "ProviderRejected: no"

# The stored rows each stage starts from (zoom account acct-1; the replacement on teams acct-2).
PENDING = ConferenceRecord(
    tenant_id="t1",
    event_id="e1",
    provider="zoom",
    external_account_id="acct-1",
    marker="m1",
    created_at=EARLIER,
)
ISSUED = ConferenceRecord(
    tenant_id="t1",
    event_id="e1",
    provider="zoom",
    external_account_id="acct-1",
    status=ConferenceStatus.ISSUED,
    marker="m1",
    meeting_id="111",
    join_url=URL_1,
    passcode="p1",
    synced=TERMS,
    mailed=MAILED,
    created_at=EARLIER,
)
DETACHED = attrs.evolve(ISSUED, status=ConferenceStatus.DETACHED)
KEPT = KeptMeeting(
    provider="zoom",
    external_account_id="acct-1",
    meeting_id="111",
    join_url=URL_1,
    passcode="p1",
    marker="m1",
    synced=TERMS,
)
REISSUING = ConferenceRecord(
    tenant_id="t1",
    event_id="e1",
    provider="teams",
    external_account_id="acct-2",
    marker="m2",
    mailed=MAILED,
    kept=KEPT,
    created_at=EARLIER,
)
FAILED = ConferenceRecord(
    tenant_id="t1",
    event_id="e1",
    provider="zoom",
    external_account_id="acct-1",
    status=ConferenceStatus.FAILED,
    marker="m1",
    mailed=MAILED,
    error=NO,
    created_at=EARLIER,
)

ASKED = lc.Requested(
    tenant_id="t1", event_id="e1", provider="teams", external_account_id="acct-2", marker="m9"
)
MADE = lc.Created(meeting_id="222", join_url=URL_2, passcode="p2", terms=NEW_TERMS)
DELETE_KEPT = lc.DeleteMeeting(
    provider="zoom", external_account_id="acct-1", meeting_id="111", marker="m1",
    maybe_created=False,
)  # fmt: skip
DELETE_LOST_CREATE = lc.DeleteMeeting(
    provider="zoom", external_account_id="acct-1", meeting_id=None, marker="m1",
    maybe_created=True,
)  # fmt: skip
DELETE_REPLACEMENT = lc.DeleteMeeting(
    provider="teams", external_account_id="acct-2", meeting_id=None, marker="m2",
    maybe_created=True,
)  # fmt: skip

MOVES = [
    # (name, record before, happening, record after, effects)
    (
        "a first request",
        None,
        ASKED,
        ConferenceRecord(
            tenant_id="t1",
            event_id="e1",
            provider="teams",
            external_account_id="acct-2",
            marker="m9",
            created_at=NOW,
        ),
        (lc.Sync(),),
    ),
    (
        "a request after FAILED starts afresh, keeping what participants were told",
        FAILED,
        ASKED,
        ConferenceRecord(
            tenant_id="t1",
            event_id="e1",
            provider="teams",
            external_account_id="acct-2",
            marker="m9",
            mailed=MAILED,
            created_at=EARLIER,
        ),
        (lc.Sync(),),
    ),
    ("asked again while PENDING: the work stands", PENDING, ASKED, PENDING, (lc.Sync(),)),
    ("PENDING changed", PENDING, lc.Changed(), PENDING, (lc.Sync(),)),
    (
        "a create is sent",
        PENDING,
        lc.Creating(),
        attrs.evolve(PENDING, maybe_created=True),
        (),
    ),
    (
        "the replacement's create is sent",
        REISSUING,
        lc.Creating(),
        attrs.evolve(REISSUING, maybe_created=True),
        (),
    ),
    (
        "created",
        attrs.evolve(PENDING, maybe_created=True, error=DOWN),
        MADE,
        ConferenceRecord(
            tenant_id="t1",
            event_id="e1",
            provider="zoom",
            external_account_id="acct-1",
            status=ConferenceStatus.ISSUED,
            marker="m1",
            meeting_id="222",
            join_url=URL_2,
            passcode="p2",
            synced=NEW_TERMS,
            created_at=EARLIER,
        ),
        (lc.Mail(),),
    ),
    (
        "a failed create that may have landed",
        attrs.evolve(PENDING, maybe_created=True),
        lc.Failed(error=DOWN),
        attrs.evolve(PENDING, maybe_created=True, error=DOWN),
        (),
    ),
    (
        "a failed create that surely did not land",
        attrs.evolve(PENDING, maybe_created=True),
        lc.Failed(error=DOWN, known_absent=True),
        attrs.evolve(PENDING, error=DOWN),
        (),
    ),
    (
        "a failure before any create",
        PENDING,
        lc.Failed(error=DOWN),
        attrs.evolve(PENDING, error=DOWN),
        (),
    ),
    (
        "refused while a create may have landed",
        attrs.evolve(PENDING, maybe_created=True),
        lc.Refused(error=NO),
        attrs.evolve(PENDING, status=ConferenceStatus.FAILED, error=NO),
        (DELETE_LOST_CREATE, lc.WorkFailed(error=NO)),
    ),
    (
        "gave up before any create",
        PENDING,
        lc.GaveUp(error=DOWN),
        attrs.evolve(PENDING, status=ConferenceStatus.FAILED, error=DOWN),
        (lc.WorkFailed(error=DOWN),),
    ),
    (
        "the event ended first",
        PENDING,
        lc.EventEnded(),
        attrs.evolve(PENDING, status=ConferenceStatus.FAILED, error=ENDED),
        (lc.WorkFailed(error=ENDED),),
    ),
    (
        "PENDING loses its account after participants were told",
        attrs.evolve(PENDING, maybe_created=True, mailed=MAILED),
        lc.AccountLost(),
        None,
        (DELETE_LOST_CREATE, lc.Cancel(event_deleted=False)),
    ),
    ("PENDING loses its account, nobody told", PENDING, lc.AccountLost(), None, ()),
    ("ISSUED changed", ISSUED, lc.Changed(), ISSUED, (lc.Sync(),)),
    (
        "updated",
        attrs.evolve(ISSUED, error=DOWN),
        lc.Updated(terms=NEW_TERMS),
        attrs.evolve(ISSUED, synced=NEW_TERMS),
        (lc.Mail(),),
    ),
    (
        "DETACHED updated",
        DETACHED,
        lc.Updated(terms=NEW_TERMS),
        attrs.evolve(DETACHED, synced=NEW_TERMS),
        (lc.Mail(),),
    ),
    (
        "ISSUED failed",
        ISSUED,
        lc.Failed(error=DOWN),
        attrs.evolve(ISSUED, error=DOWN),
        (),
    ),
    (
        "ISSUED failed after an update whose answer was lost",
        ISSUED,
        lc.Failed(error=DOWN, unsynced=True),
        attrs.evolve(ISSUED, error=DOWN, synced=None),
        (),
    ),
    (
        "ISSUED refused: the URL still works",
        ISSUED,
        lc.Refused(error=NO),
        attrs.evolve(ISSUED, error=NO),
        (lc.WorkFailed(error=NO), lc.Mail()),
    ),
    (
        "DETACHED gave up",
        DETACHED,
        lc.GaveUp(error=DOWN),
        attrs.evolve(DETACHED, error=DOWN),
        (lc.WorkFailed(error=DOWN), lc.Mail()),
    ),
    (
        "the meeting vanished",
        attrs.evolve(ISSUED, error=DOWN),
        lc.MeetingVanished(marker="m5"),
        ConferenceRecord(
            tenant_id="t1",
            event_id="e1",
            provider="zoom",
            external_account_id="acct-1",
            marker="m5",
            mailed=MAILED,
            created_at=EARLIER,
        ),
        (lc.Sync(),),
    ),
    (
        "ISSUED loses its account",
        ISSUED,
        lc.AccountLost(),
        attrs.evolve(ISSUED, status=ConferenceStatus.DETACHED),
        (),
    ),
    (
        "DETACHED regains its account",
        DETACHED,
        lc.AccountRegained(),
        attrs.evolve(DETACHED, status=ConferenceStatus.ISSUED),
        (lc.Sync(),),
    ),
    (
        "re-issued on the owner's other account",
        attrs.evolve(DETACHED, error=DOWN),
        lc.Reissue(provider="teams", external_account_id="acct-2", marker="m2"),
        REISSUING,
        (lc.Sync(),),
    ),
    ("REISSUING changed", REISSUING, lc.Changed(), REISSUING, (lc.Sync(),)),
    (
        "the replacement is created",
        attrs.evolve(REISSUING, maybe_created=True),
        MADE,
        ConferenceRecord(
            tenant_id="t1",
            event_id="e1",
            provider="teams",
            external_account_id="acct-2",
            status=ConferenceStatus.ISSUED,
            marker="m2",
            meeting_id="222",
            join_url=URL_2,
            passcode="p2",
            synced=NEW_TERMS,
            mailed=MAILED,
            created_at=EARLIER,
        ),
        (DELETE_KEPT, lc.Mail()),
    ),
    (
        "the replacement failed",
        REISSUING,
        lc.Failed(error=DOWN),
        attrs.evolve(REISSUING, error=DOWN),
        (),
    ),
    (
        "the replacement is refused: back to the kept meeting",
        attrs.evolve(REISSUING, maybe_created=True),
        lc.Refused(error=NO),
        attrs.evolve(DETACHED, error=NO),
        (DELETE_REPLACEMENT, lc.WorkFailed(error=NO), lc.Mail()),
    ),
    (
        "the event ended before the replacement",
        attrs.evolve(REISSUING, error=DOWN),
        lc.EventEnded(),
        attrs.evolve(DETACHED, error=ENDED),
        (lc.Mail(),),
    ),
    (
        "the replacement's account is lost",
        attrs.evolve(REISSUING, error=DOWN, maybe_created=True),
        lc.AccountLost(),
        DETACHED,
        (DELETE_REPLACEMENT, lc.Mail()),
    ),
    ("FAILED loses its account", FAILED, lc.AccountLost(), FAILED, ()),
    ("DETACHED loses its account", DETACHED, lc.AccountLost(), DETACHED, ()),
    ("PENDING regains its account", PENDING, lc.AccountRegained(), PENDING, ()),
    ("ISSUED regains its account", ISSUED, lc.AccountRegained(), ISSUED, ()),
    ("FAILED regains its account", FAILED, lc.AccountRegained(), FAILED, ()),
    ("REISSUING regains its account", REISSUING, lc.AccountRegained(), REISSUING, ()),
    (
        "ISSUED withdrawn, the event stays",
        ISSUED,
        lc.Withdrawn(),
        None,
        (DELETE_KEPT, lc.Cancel(event_deleted=False)),
    ),
    (
        "ISSUED withdrawn with its event",
        ISSUED,
        lc.Withdrawn(event_deleted=True),
        None,
        (DELETE_KEPT, lc.Cancel(event_deleted=True)),
    ),
    (
        "FAILED withdrawn, nobody told",
        attrs.evolve(FAILED, mailed=None),
        lc.Withdrawn(event_deleted=True),
        None,
        (),
    ),
    (
        "REISSUING withdrawn with its event",
        attrs.evolve(REISSUING, maybe_created=True),
        lc.Withdrawn(event_deleted=True),
        None,
        (DELETE_REPLACEMENT, DELETE_KEPT, lc.Cancel(event_deleted=True)),
    ),
]


@pytest.mark.parametrize(
    ("before", "happening", "after", "effects"),
    [pytest.param(*move[1:], id=move[0]) for move in MOVES],
)
def test_each_move_writes_its_record_and_owes_its_effects(
    before: ConferenceRecord | None,
    happening: lc.Happening,
    after: ConferenceRecord | None,
    effects: tuple[lc.Effect, ...],
) -> None:
    assert lc.allows(before, happening)
    outcome = lc.advance(before, happening, NOW)
    assert outcome.record == after
    assert outcome.effects == effects


@pytest.mark.parametrize(
    ("before", "happening", "text"),
    [
        (None, MADE, "a none conference cannot take Created"),
        (ISSUED, ASKED, "a issued conference cannot take Requested"),
        (FAILED, lc.Creating(), "a failed conference cannot take Creating"),
        (DETACHED, lc.Changed(), "a detached conference cannot take Changed"),
        (PENDING, lc.Reissue(provider="teams", external_account_id="acct-2", marker="m2"),
         "a pending conference cannot take Reissue"),
        (REISSUING, lc.MeetingVanished(marker="m5"),
         "a reissuing conference cannot take MeetingVanished"),
    ],
)  # fmt: skip
def test_a_move_the_table_lacks_is_refused_naming_stage_and_happening(
    before: ConferenceRecord | None, happening: lc.Happening, text: str
) -> None:
    assert not lc.allows(before, happening)
    with pytest.raises(IllegalMove) as raised:
        lc.advance(before, happening, NOW)
    assert str(raised.value) == text
