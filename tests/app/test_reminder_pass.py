"""The reminder pass's bookkeeping (S14): what ``send_due_reminders()`` counts, an event with
nothing left to remind of leaving the index, an event without a URL yet looked at again in a
minute, and the reminder carrying the meeting's URL. Each test kills survivors of the app/
mutation run (docs/testing.md, "Mutation testing")."""

from __future__ import annotations

from datetime import datetime, timedelta

from meetlink import Participant, ProviderRejected, ProviderUnavailable
from meetlink.domain.conference import ConferenceStatus
from meetlink.domain.issuance import IssuancePolicy
from meetlink.ports.provider import Capabilities
from tests.conferences import status
from tests.mailtext import plain

from .conftest import World, make_world

LEAD = timedelta(minutes=10)  # the reminder_lead default
WEEK = timedelta(weeks=1)


def _remind_at(world: World, event_id: str) -> datetime | None:
    with world.meetlink._ctx.storage.unit_of_work(read_only=True) as uow:
        record = uow.events.get("t1", event_id)
    assert record is not None
    return record.remind_at


def _delivered(world: World) -> list[str]:
    """The plain text of each mail delivered by a run of the queue."""
    return [plain(m) for m in world.deliver()]


def test_the_pass_counts_the_reminders_of_every_batch(linked: World) -> None:
    # 201 events due at once: two batches of the pass (200 each); the count is their sum.
    start = linked.clock.now() + timedelta(days=1)
    for i in range(201):
        event = linked.event(f"e{i}", start=start, participants=(Participant("bob@example.com"),))
        assert linked.meetlink.save_event(event).conference is not None
    linked.clock.set(start - LEAD)
    assert linked.meetlink.send_due_reminders() == 201
    assert linked.meetlink.send_due_reminders() == 0


def test_an_event_over_before_its_reminder_leaves_the_index(linked: World) -> None:
    event = linked.event("e1")
    assert linked.meetlink.save_event(event).conference is not None
    assert len(_delivered(linked)) == len(event.participants)  # the invitations
    assert _remind_at(linked, "e1") == event.start - LEAD
    linked.clock.set(event.end + timedelta(minutes=1))  # no pass ran before it ended
    assert linked.meetlink.send_due_reminders() == 0
    assert _remind_at(linked, "e1") is None  # nothing left to remind of: not read again
    assert linked.meetlink.send_due_reminders() == 0
    assert _delivered(linked) == []


def test_an_event_without_its_url_yet_is_looked_at_again_in_a_minute(linked: World) -> None:
    linked.zoom.fail_next(ProviderUnavailable("503"), method="create_meeting")
    event = linked.event("e1")
    saved = linked.meetlink.save_event(event)
    assert saved.conference is not None and saved.conference.join_url is None
    assert status(saved.conference) is ConferenceStatus.PENDING
    linked.clock.set(event.start - LEAD)
    assert linked.meetlink.send_due_reminders() == 0
    assert _remind_at(linked, "e1") == event.start - LEAD + timedelta(minutes=1)
    linked.meetlink.run_pending()  # the retry makes the meeting
    conference = linked.meetlink.conference("e1", tenant_id="t1")
    assert conference is not None and conference.join_url is not None
    linked.clock.advance(timedelta(minutes=1))
    assert linked.meetlink.send_due_reminders() == len(event.participants)


def test_the_reminder_carries_the_meetings_url(linked: World) -> None:
    event = linked.event("e1")
    conference = linked.meetlink.save_event(event).conference
    assert conference is not None and conference.join_url is not None
    assert len(_delivered(linked)) == len(event.participants)  # the invitations
    linked.clock.set(event.start - LEAD)
    assert linked.meetlink.send_due_reminders() == len(event.participants)
    texts = _delivered(linked)
    assert len(texts) == len(event.participants)
    assert all(conference.join_url in text for text in texts)


def test_a_failed_conference_without_a_url_sends_no_reminder(linked: World) -> None:
    # Refused for good: FAILED, no URL. Its reminder has nothing to carry (and no error).
    linked.zoom.fail_next(ProviderRejected("no meetings on this plan"), method="create_meeting")
    event = linked.event("e1")
    conference = linked.meetlink.save_event(event).conference
    assert conference is not None and conference.status is ConferenceStatus.FAILED
    assert conference.join_url is None
    linked.clock.set(event.start - LEAD)
    assert linked.meetlink.send_due_reminders() == 0
    assert _delivered(linked) == []


def test_a_reminder_of_a_series_tells_its_occurrence_not_the_rule() -> None:
    # Weekly, its second week skipped: the invitation tells the rule and the skip; the
    # reminder of the third week tells only that occurrence.
    linked = make_world(
        policy=IssuancePolicy.roadmap(),
        capabilities=Capabilities(display_name="Zoom", supports_recurring=True),
    )
    linked.meetlink.start_trial("t1")
    linked.link("alice", linked.zoom.add_account("alice@corp.example"))
    start = linked.clock.now() + timedelta(days=1)
    event = linked.event(
        "e1", start=start, recurrence="FREQ=WEEKLY;COUNT=3", exdates=(start + WEEK,)
    )
    assert linked.meetlink.save_event(event).conference is not None
    invitations = _delivered(linked)
    assert len(invitations) == len(event.participants)
    assert all("繰り返し:" in text for text in invitations)  # "Repeats:" (ja, the default)
    assert all("2026年12月9日(水) は休み" in text for text in invitations)  # the skipped week
    linked.clock.set(start + 2 * WEEK - LEAD)
    assert linked.meetlink.send_due_reminders() == len(event.participants)
    reminders = _delivered(linked)
    assert len(reminders) == len(event.participants)
    assert all("繰り返し:" not in text for text in reminders)
