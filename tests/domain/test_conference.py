"""Keeping a provider meeting in step with its event (plan_sync) and the mails owed (S13)."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import Any

import attrs
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from meetlink.domain.conference import (
    AGENDA_LIMIT,
    TOPIC_LIMIT,
    ConferenceRecord,
    ConferenceStatus,
    MailedState,
    MeetingTerms,
    Step,
    plan_sync,
    terms_for,
)
from meetlink.domain.event import Event, MovedOccurrence
from meetlink.domain.notification import MailKind, PlannedMail, plan_mails

T0 = datetime(2024, 5, 1, 1, 0, tzinfo=UTC)
TERMS = MeetingTerms(topic="Sales call", start=T0, duration_minutes=60, timezone="Asia/Tokyo")
OTHER_TERMS = attrs.evolve(TERMS, duration_minutes=90)


def conference(**overrides: Any) -> ConferenceRecord:
    fields: dict[str, Any] = {
        "tenant_id": "t1",
        "event_id": "ev-1",
        "provider": "zoom",
        "external_account_id": "zoom-a",
        "marker": "mk-1",
        "created_at": T0,
    }
    fields.update(overrides)
    return ConferenceRecord(**fields)


# --- plan_sync: the full truth table ---------------------------------------------------------

# (manageable, meeting_id, maybe_created, synced) -> step
SYNC_TABLE: list[tuple[bool, str | None, bool, MeetingTerms | None, Step]] = [
    # No active link holds the account: the lifecycle's account-lost move applies.
    (False, None, False, None, Step.LOST),
    (False, None, False, TERMS, Step.LOST),
    (False, None, False, OTHER_TERMS, Step.LOST),
    (False, None, True, None, Step.LOST),
    (False, None, True, TERMS, Step.LOST),
    (False, None, True, OTHER_TERMS, Step.LOST),
    (False, "m1", False, None, Step.LOST),
    (False, "m1", False, TERMS, Step.LOST),
    (False, "m1", False, OTHER_TERMS, Step.LOST),
    (False, "m1", True, None, Step.LOST),
    (False, "m1", True, TERMS, Step.LOST),
    (False, "m1", True, OTHER_TERMS, Step.LOST),
    # Manageable, no meeting yet: create, or first look for a create that may have landed.
    (True, None, False, None, Step.CREATE),
    (True, None, False, TERMS, Step.CREATE),
    (True, None, False, OTHER_TERMS, Step.CREATE),
    (True, None, True, None, Step.FIND_THEN_CREATE),
    (True, None, True, TERMS, Step.FIND_THEN_CREATE),
    (True, None, True, OTHER_TERMS, Step.FIND_THEN_CREATE),
    # Manageable meeting: update unless it already says what the event says.
    (True, "m1", False, None, Step.UPDATE),
    (True, "m1", False, TERMS, Step.DONE),
    (True, "m1", False, OTHER_TERMS, Step.UPDATE),
    (True, "m1", True, None, Step.UPDATE),
    (True, "m1", True, TERMS, Step.DONE),
    (True, "m1", True, OTHER_TERMS, Step.UPDATE),
]


@pytest.mark.parametrize(
    ("manageable", "meeting_id", "maybe_created", "synced", "step"), SYNC_TABLE
)
def test_plan_sync_truth_table(
    manageable: bool,
    meeting_id: str | None,
    maybe_created: bool,
    synced: MeetingTerms | None,
    step: Step,
) -> None:
    record = conference(meeting_id=meeting_id, maybe_created=maybe_created, synced=synced)
    assert plan_sync(record, TERMS, manageable) is step


@pytest.mark.parametrize("manageable", [True, False])
def test_a_failed_conference_waits_for_retry_or_a_new_save(manageable: bool) -> None:
    record = conference(status=ConferenceStatus.FAILED, maybe_created=True)
    assert plan_sync(record, TERMS, manageable) is Step.DONE


def test_sync_table_covers_every_combination() -> None:
    combos = {(m, mid, mc, s) for m, mid, mc, s, _ in SYNC_TABLE}
    assert len(combos) == len(SYNC_TABLE) == 2 * 2 * 2 * 3


@pytest.mark.parametrize(
    "change",
    [
        {"topic": "Renamed"},
        {"start": T0 + timedelta(minutes=30)},
        {"duration_minutes": 61},
        {"timezone": "Europe/Paris"},
        {"agenda": "new agenda"},
    ],
)
def test_any_change_of_terms_needs_an_update(change: dict[str, Any]) -> None:
    record = conference(meeting_id="m1", synced=TERMS, status=ConferenceStatus.ISSUED)
    assert plan_sync(record, attrs.evolve(TERMS, **change), True) is Step.UPDATE


def test_terms_follow_the_event_and_are_cut_to_provider_limits() -> None:
    event = Event(
        "ev-1",
        "t1",
        "u1",
        "x" * (TOPIC_LIMIT + 50),
        T0,
        T0 + timedelta(minutes=45, seconds=1),
        timezone="Europe/Paris",
        description="d" * (AGENDA_LIMIT + 1),
    )
    terms = terms_for(event)
    assert terms.topic == "x" * TOPIC_LIMIT
    assert terms.agenda == "d" * AGENDA_LIMIT
    assert terms.start == T0
    assert terms.duration_minutes == 46
    assert terms.timezone == "Europe/Paris"
    assert (terms.recurrence, terms.exdates, terms.moved) == (None, (), ())


def test_the_terms_of_a_series_carry_its_rule_skips_and_moves() -> None:
    week = timedelta(days=7)
    moved = MovedOccurrence(
        T0 + week, T0 + week + timedelta(hours=2), T0 + week + timedelta(hours=3)
    )
    event = Event(
        "ev-1", "t1", "u1", "Weekly", T0, T0 + timedelta(hours=1),
        recurrence="FREQ=WEEKLY;COUNT=4", exdates=(T0 + 2 * week,), moved=(moved,),
    )  # fmt: skip
    terms = terms_for(event)
    assert terms.recurrence == "FREQ=WEEKLY;COUNT=4"
    assert terms.exdates == (T0 + 2 * week,)
    assert terms.moved == (moved,)


def test_public_view_carries_the_url_but_no_marker() -> None:
    record = conference(
        meeting_id="m1",
        join_url="https://zoom.us/j/1",
        passcode="pw",
        status=ConferenceStatus.ISSUED,
    )
    view = record.public()
    assert (view.meeting_id, view.join_url, view.passcode) == ("m1", "https://zoom.us/j/1", "pw")
    assert view.status is ConferenceStatus.ISSUED
    assert not hasattr(view, "marker")


# --- plan_mails ---------------------------------------------------------------------------

POOL = ["ann@example.com", "bob@example.com", "cy@example.com", "di@example.com", "ed@example.com"]
URLS = ["https://zoom.us/j/111", "https://zoom.us/j/222"]
STARTS = [T0, T0 + timedelta(hours=1)]


def mailed(
    emails: tuple[str, ...],
    *,
    join_url: str = URLS[0],
    passcode: str | None = "pw",
    start: datetime = T0,
    length: timedelta = timedelta(hours=1),
) -> MailedState:
    return MailedState(
        join_url=join_url, passcode=passcode, start=start, end=start + length, emails=emails
    )


email_lists = st.lists(st.sampled_from(POOL), unique=True, max_size=len(POOL)).map(tuple)


@st.composite
def mailed_states(draw: st.DrawFn) -> MailedState:
    return mailed(
        draw(email_lists),
        join_url=draw(st.sampled_from(URLS)),
        passcode=draw(st.sampled_from([None, "pw", "other"])),
        start=draw(st.sampled_from(STARTS)),
        length=draw(st.sampled_from([timedelta(minutes=30), timedelta(hours=1)])),
    )


def by_email(mails: list[PlannedMail]) -> dict[str, MailKind]:
    return {m.email: m.kind for m in mails}


def what_changed(before: MailedState, after: MailedState) -> bool:
    return (before.join_url, before.passcode, before.start, before.end) != (
        after.join_url,
        after.passcode,
        after.start,
        after.end,
    )


@settings(max_examples=150)
@given(after=mailed_states())
def test_first_issue_invites_everyone(after: MailedState) -> None:
    mails = plan_mails(None, after)
    assert len(mails) == len(after.emails)
    assert by_email(mails) == dict.fromkeys(after.emails, MailKind.INVITATION)


@settings(max_examples=150)
@given(before=mailed_states())
def test_s13_withdrawn_conference_cancels_for_everyone_told(before: MailedState) -> None:
    mails = plan_mails(before, None)
    assert len(mails) == len(before.emails)
    assert by_email(mails) == dict.fromkeys(before.emails, MailKind.CANCELLATION)


def test_nothing_before_and_nothing_after_sends_nothing() -> None:
    assert plan_mails(None, None) == []


@settings(max_examples=300)
@given(before=mailed_states(), after=mailed_states())
def test_mails_follow_changes_and_membership(before: MailedState, after: MailedState) -> None:
    mails = plan_mails(before, after)
    counts = Counter(m.email for m in mails)
    assert all(n == 1 for n in counts.values()), "an address got two mails in one plan"
    kinds = by_email(mails)
    changed = what_changed(before, after)
    for email in POOL:
        was, now = email in before.emails, email in after.emails
        if now and not was:
            assert kinds.get(email) is MailKind.INVITATION
        elif was and not now:
            assert kinds.get(email) is MailKind.CANCELLATION
        elif was and now:
            assert kinds.get(email) == (MailKind.UPDATE if changed else None)
        else:
            assert email not in kinds
    assert MailKind.REMINDER not in kinds.values()


@settings(max_examples=100)
@given(state=mailed_states())
def test_no_change_sends_nothing(state: MailedState) -> None:
    assert plan_mails(state, attrs.evolve(state)) == []


@settings(max_examples=100)
@given(before=mailed_states())
def test_reordering_participants_alone_sends_nothing(before: MailedState) -> None:
    # Built from ``before`` (not filtered from two random states: that starved Hypothesis).
    reordered = attrs.evolve(before, emails=tuple(reversed(before.emails)))
    assert plan_mails(before, reordered) == []


@pytest.mark.parametrize(
    "change",
    [
        {"join_url": URLS[1]},
        {"passcode": "new"},
        {"start": T0 + timedelta(hours=1), "end": T0 + timedelta(hours=2)},
        {"end": T0 + timedelta(hours=2)},
    ],
)
def test_s13_time_or_url_change_updates_continuing_participants(change: dict[str, Any]) -> None:
    before = mailed(("ann@example.com", "bob@example.com"))
    after = attrs.evolve(before, emails=("bob@example.com", "cy@example.com"), **change)
    assert by_email(plan_mails(before, after)) == {
        "ann@example.com": MailKind.CANCELLATION,
        "bob@example.com": MailKind.UPDATE,
        "cy@example.com": MailKind.INVITATION,
    }


def test_added_participant_alone_gets_an_invitation_others_nothing() -> None:
    before = mailed(("ann@example.com",))
    after = attrs.evolve(before, emails=("ann@example.com", "bob@example.com"))
    assert plan_mails(before, after) == [PlannedMail(MailKind.INVITATION, "bob@example.com")]


def test_changing_only_the_case_of_an_address_does_not_cancel_it() -> None:
    before = mailed(("Ann@Example.com",))
    after = attrs.evolve(before, emails=("ann@example.com",))
    mails = plan_mails(before, after)
    assert MailKind.CANCELLATION not in {m.kind for m in mails}
    assert Counter(m.email.lower() for m in mails)["ann@example.com"] <= 1


def test_a_url_withdrawn_from_an_event_that_stays_is_told_without_inviting_anyone() -> None:
    before = mailed(("ann@example.com", "bob@example.com"))
    after = mailed(("ann@example.com", "cy@example.com"), join_url="", passcode=None)
    assert plan_mails(before, after) == [
        PlannedMail(MailKind.WITHDRAWAL, "ann@example.com"),  # the event, without the URL
        PlannedMail(MailKind.CANCELLATION, "bob@example.com"),  # no longer invited
    ]  # cy@example.com, added meanwhile, never held the URL: nothing
