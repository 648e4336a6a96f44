"""A URL withdrawn from an event that stays is an update of the event, never a cancellation
(API "What participants see"): participants' calendars keep the event. Read back by Python's
parser, icalendar and, independently, postal-mime."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from email.message import EmailMessage
from typing import Any

import icalendar
import pytest

from meetlink import Participant
from tests.app.conftest import World, make_world
from tests.mail import postal_mime
from tests.mail.mail_support import body

PEOPLE = (
    Participant(email="bob@example.com", name="山田 太郎", locale="ja"),
    Participant(email="carol@example.com", name="Carol", locale="en"),
)


@pytest.fixture
def linked() -> Iterator[World]:
    w = make_world()
    w.meetlink.start_trial("t1")
    w.link("alice", w.zoom.add_account("alice@corp.example"))
    yield w
    w.meetlink.close()


def calendar_of(mail: EmailMessage) -> tuple[str, Any]:
    """The MIME ``method`` and the parsed iCalendar of ``mail``'s text/calendar part."""
    for part in mail.walk():
        if part.get_content_type() == "text/calendar":
            payload = part.get_payload(decode=True)
            assert isinstance(payload, bytes)
            return str(part.get_param("method")), icalendar.Calendar.from_ical(payload)
    raise AssertionError("no text/calendar part")


def by_recipient(mails: list[EmailMessage]) -> dict[str, EmailMessage]:
    return {m["To"].addresses[0].addr_spec: m for m in mails}


def issue(w: World, **changes: Any) -> tuple[str, int]:
    """Save the event with a URL; the URL and the invitations' SEQUENCE."""
    w.meetlink.save_event(w.event(participants=PEOPLE, **changes))
    invitations = w.deliver()
    assert len(invitations) == 2
    conf = w.meetlink.conference("e1", tenant_id="t1")
    assert conf is not None and conf.join_url is not None
    _, cal = calendar_of(invitations[0])
    return conf.join_url, int(next(iter(cal.walk("VEVENT")))["SEQUENCE"])


def assert_withdrawal_update(mails: list[EmailMessage], join_url: str, sequence: int) -> None:
    assert len(mails) == 2
    for mail in mails:
        method, cal = calendar_of(mail)
        (vevent,) = cal.walk("VEVENT")
        assert method == str(cal["METHOD"]) == "REQUEST"  # never CANCEL: the event stays
        assert str(vevent["STATUS"]) == "CONFIRMED"
        assert int(vevent["SEQUENCE"]) > sequence
        for name in ("URL", "CONFERENCE", "LOCATION"):
            assert name not in vevent
        assert join_url not in mail.as_string()
        assert join_url not in body(mail, "plain") and join_url not in body(mail, "html")
    mine = by_recipient(mails)
    ja, en = mine["bob@example.com"], mine["carol@example.com"]
    assert ja["Subject"].startswith("【変更】Sales call（")
    assert ja["Subject"].endswith("Zoom 会議は削除されました")
    assert "下記の予定はそのまま行われますが、Zoom 会議は削除されました。" in body(ja, "plain")
    assert "会議: Zoom（削除されました）" in body(ja, "plain")
    assert en["Subject"].startswith("Updated: Sales call (")
    assert en["Subject"].endswith(", Zoom meeting removed")
    assert "The event below still takes place, but its Zoom meeting was removed." in body(
        en, "plain"
    )
    postal_mime.require()
    assert postal_mime.check(mails) == []


def test_unticking_the_url_sends_an_update_without_it(linked: World) -> None:
    join_url, sequence = issue(linked)
    result = linked.meetlink.save_event(linked.event(participants=PEOPLE, web_meeting=None))
    assert result.conference is None
    assert linked.zoom.live_meetings() == []
    assert_withdrawal_update(linked.deliver(), join_url, sequence)


def test_a_policy_withdrawing_the_url_sends_an_update_without_it(linked: World) -> None:
    """S17: the event becomes recurring, which the seed policy does not allow."""
    join_url, sequence = issue(linked)
    linked.meetlink.save_event(linked.event(participants=PEOPLE, recurrence="FREQ=WEEKLY;COUNT=3"))
    assert linked.meetlink.conference("e1", tenant_id="t1") is None
    mails = linked.deliver()
    assert_withdrawal_update(mails, join_url, sequence)
    for mail in mails:  # the update carries the event as it now is
        _, cal = calendar_of(mail)
        assert "RRULE" in next(iter(cal.walk("VEVENT")))


def test_the_withdrawal_carries_the_new_time_and_cancels_for_the_removed(
    linked: World,
) -> None:
    _, sequence = issue(linked)
    later = linked.clock.now() + timedelta(days=2)
    linked.meetlink.save_event(linked.event(participants=PEOPLE[:1], web_meeting=None, start=later))
    mails = by_recipient(linked.deliver())
    method, cal = calendar_of(mails["bob@example.com"])
    assert method == "REQUEST"
    assert next(iter(cal.walk("VEVENT")))["DTSTART"].dt == later
    method, cal = calendar_of(mails["carol@example.com"])  # no longer invited
    assert method == "CANCEL" and int(next(iter(cal.walk("VEVENT")))["SEQUENCE"]) > sequence


def test_deleting_the_event_cancels_and_names_the_provider(linked: World) -> None:
    _, sequence = issue(linked)
    assert linked.meetlink.delete_event("e1", tenant_id="t1") is True
    mails = by_recipient(linked.deliver())
    for mail in mails.values():
        method, cal = calendar_of(mail)
        assert method == "CANCEL"
        assert int(next(iter(cal.walk("VEVENT")))["SEQUENCE"]) > sequence
        assert "Web meeting" not in body(mail, "plain") + body(mail, "html")
    assert "Zoom の参加URLは使用されません" in body(mails["bob@example.com"], "plain")
    assert "Its Zoom link will no longer be used" in body(mails["carol@example.com"], "plain")


def test_ticking_again_after_a_withdrawal_invites_with_a_higher_sequence(
    linked: World,
) -> None:
    _, sequence = issue(linked)
    linked.meetlink.save_event(linked.event(participants=PEOPLE, web_meeting=None))
    (withdrawn, _) = (calendar_of(m)[1] for m in linked.deliver())
    linked.meetlink.save_event(linked.event(participants=PEOPLE))
    again = linked.deliver()
    assert len(again) == 2
    before = int(next(iter(withdrawn.walk("VEVENT")))["SEQUENCE"])
    for mail in again:
        method, cal = calendar_of(mail)
        vevent = next(iter(cal.walk("VEVENT")))
        assert method == "REQUEST" and "URL" in vevent
        assert int(vevent["SEQUENCE"]) > before > sequence


def test_participants_who_hold_the_event_without_a_url_hear_of_its_deletion(
    linked: World,
) -> None:
    """Found by the no-orphans state machine: after a withdrawal, a deletion owes a
    cancellation though no conference is left."""
    _, sequence = issue(linked)
    linked.meetlink.save_event(linked.event(participants=PEOPLE, web_meeting=None))
    linked.deliver()
    assert linked.meetlink.delete_event("e1", tenant_id="t1") is True
    mails = by_recipient(linked.deliver())
    assert set(mails) == {"bob@example.com", "carol@example.com"}
    for mail in mails.values():
        method, cal = calendar_of(mail)
        assert method == "CANCEL" and int(next(iter(cal.walk("VEVENT")))["SEQUENCE"]) > sequence
    assert "Zoom" in body(mails["carol@example.com"], "plain")


def test_without_a_url_a_removal_cancels_and_a_new_time_updates(linked: World) -> None:
    issue(linked)
    linked.meetlink.save_event(linked.event(participants=PEOPLE, web_meeting=None))
    linked.deliver()
    later = linked.clock.now() + timedelta(days=3)
    dave = Participant(email="dave@example.com")
    linked.meetlink.save_event(
        linked.event(participants=(PEOPLE[0], dave), web_meeting=None, start=later)
    )
    mails = by_recipient(linked.deliver())
    assert set(mails) == {"bob@example.com", "carol@example.com"}  # dave was never told
    method, cal = calendar_of(mails["bob@example.com"])
    vevent = next(iter(cal.walk("VEVENT")))
    assert method == "REQUEST" and vevent["DTSTART"].dt == later and "URL" not in vevent
    assert calendar_of(mails["carol@example.com"])[0] == "CANCEL"
    linked.meetlink.save_event(linked.event(participants=(PEOPLE[0], dave), start=later))
    again = by_recipient(linked.deliver())  # a URL again: an update for bob, dave invited
    assert set(again) == {"bob@example.com", "dave@example.com"}
    assert "URL" in next(iter(calendar_of(again["bob@example.com"])[1].walk("VEVENT")))


@pytest.mark.parametrize("then", ["delete", "remove", "fail"])
def test_who_holds_the_event_without_a_url_is_told_while_a_new_url_is_pending(
    linked: World, then: str
) -> None:
    """Found by the chaos suite: withdrawn, ticked again while Zoom is down (pending), then
    deleted: the participants who held the event got no cancellation."""
    from meetlink import ProviderRejected, ProviderUnavailable

    issue(linked)
    linked.meetlink.save_event(linked.event(participants=PEOPLE, web_meeting=None))
    linked.deliver()
    if then == "fail":  # the new URL fails for good; bob is then removed
        linked.zoom.fail_next(ProviderRejected("no", code=400), method="create_meeting")
    else:
        linked.zoom.fail_next(ProviderUnavailable("down"), method="create_meeting")
    linked.meetlink.save_event(linked.event(participants=PEOPLE))
    if then == "delete":
        linked.meetlink.delete_event("e1", tenant_id="t1")
        mails = by_recipient(linked.deliver())
        assert {to: calendar_of(m)[0] for to, m in mails.items()} == {
            "bob@example.com": "CANCEL",
            "carol@example.com": "CANCEL",
        }
        return
    linked.meetlink.save_event(linked.event(participants=PEOPLE[1:]))  # bob removed
    linked.clock.advance(timedelta(hours=1))
    mails = by_recipient(linked.deliver())
    assert calendar_of(mails["bob@example.com"])[0] == "CANCEL"


def test_who_holds_the_event_without_a_url_is_told_when_the_new_url_cannot_come(
    linked: World,
) -> None:
    """Found by the chaos suite: withdrawn, then ticked again (with Bob removed) after the
    event ended: no meeting is made for an event that is over, and Bob, who held the event
    without a URL, got no cancellation."""
    start = linked.clock.now() + timedelta(hours=2)
    issue(linked, start=start)
    linked.meetlink.save_event(linked.event(participants=PEOPLE, web_meeting=None, start=start))
    linked.deliver()  # the update without the URL
    linked.clock.advance(timedelta(hours=3))  # the event is over
    linked.meetlink.save_event(linked.event(participants=PEOPLE[1:], start=start))
    mails = by_recipient(linked.deliver())
    assert calendar_of(mails["bob@example.com"])[0] == "CANCEL"
    assert "carol@example.com" not in mails  # nothing changed for her
