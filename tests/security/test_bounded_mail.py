"""Mail work per event grows with its participants only (issue 14, item 4): each invitation
lists a bounded set of attendees, mail jobs do not each carry the whole participant list, and
an event has a documented maximum of participants."""

from __future__ import annotations

import json
from collections.abc import Iterator
from email.message import EmailMessage

import pytest

from meetlink import InvalidEvent, Participant
from meetlink.app.mailing import MAIL_JOB, MAX_LISTED_ATTENDEES
from meetlink.app.validation import MAX_PARTICIPANTS
from tests.app.conftest import World, make_world


@pytest.fixture
def linked() -> Iterator[World]:
    world = make_world()
    world.meetlink.start_trial("t1")
    world.link("alice", world.zoom.add_account("alice@corp.example"))
    yield world
    world.meetlink.close()


def _people(n: int) -> tuple[Participant, ...]:
    return tuple(Participant(f"p{i}@example.com", f"Person {i}") for i in range(n))


def _attendees(message: EmailMessage) -> list[str]:
    for part in message.walk():
        if part.get_content_type() == "text/calendar":
            text = part.get_content().replace("\r\n ", "")
            return [line for line in text.splitlines() if line.startswith("ATTENDEE")]
    raise AssertionError("no calendar part")


def _mail_payload_bytes(world: World) -> int:
    jobs = [j for j in world.meetlink.pending_jobs() if j.kind == MAIL_JOB]
    return sum(len(json.dumps(j.payload)) for j in jobs)


def test_few_participants_each_see_everyone(linked: World) -> None:
    linked.meetlink.save_event(linked.event("e1", participants=_people(3)))
    mails = linked.deliver()
    assert len(mails) == 3
    for mail in mails:
        assert len(_attendees(mail)) == 3


def test_many_participants_each_see_themselves(linked: World) -> None:
    n = MAX_LISTED_ATTENDEES + 1
    linked.meetlink.save_event(linked.event("e1", participants=_people(n)))
    jobs = [j for j in linked.meetlink.pending_jobs() if j.kind == MAIL_JOB]
    assert len(jobs) == n
    assert all(len(j.payload["attendee_emails"]) == 1 for j in jobs)
    mails = linked.deliver()
    assert len(mails) == n
    for mail in mails:
        (line,) = _attendees(mail)
        assert str(mail["To"]).split("<")[-1].rstrip(">") in line


def test_queued_mail_grows_linearly_with_the_participants(linked: World) -> None:
    linked.meetlink.save_event(linked.event("e1", participants=_people(100)))
    hundred = _mail_payload_bytes(linked)
    linked.deliver()
    linked.meetlink.save_event(linked.event("e2", participants=_people(200)))
    two_hundred = _mail_payload_bytes(linked)
    assert two_hundred < 2.2 * hundred  # quadratic storage would be 4x


def test_the_participant_count_is_bounded(linked: World) -> None:
    with pytest.raises(InvalidEvent) as info:
        linked.meetlink.save_event(linked.event("e1", participants=_people(MAX_PARTICIPANTS + 1)))
    assert info.value.field == "participants"
    assert linked.meetlink.event("e1", tenant_id="t1") is None
    result = linked.meetlink.save_event(linked.event("e1", participants=_people(MAX_PARTICIPANTS)))
    assert result.conference is not None
