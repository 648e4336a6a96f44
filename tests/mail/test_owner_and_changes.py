"""Invitations name the event's owner when the host gives them (the From stays the sender's)
and updates say what changed (issue 24, finding 7)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import icalendar

from meetlink import Participant
from tests.app.conftest import World, make_world
from tests.mail import postal_mime
from tests.mail.mail_support import body

PEOPLE = (
    Participant(email="taro@example.jp", name="山田 太郎", locale="ja"),
    Participant(email="carol@example.com", name="Carol", locale="en"),
)
OWNERS = {("t1", "alice"): ("Alice Example", "alice@corp.example")}


def _world(**options: Any) -> World:
    w = make_world(mail_from="Acme Calendar <calendar@acme.example>", **options)
    w.meetlink.start_trial("t1")
    w.link("alice", w.zoom.add_account("alice@corp.example"))
    return w


def _organizer(mail: object) -> tuple[str, str]:
    for part in mail.walk():  # type: ignore[attr-defined]
        if part.get_content_type() == "text/calendar":
            cal = icalendar.Calendar.from_ical(part.get_payload(decode=True))
            organizer = next(iter(cal.walk("VEVENT")))["ORGANIZER"]
            return str(organizer.params.get("CN", "")), str(organizer)
    raise AssertionError("no calendar part")


def test_the_owner_organizes_and_replies_reach_them() -> None:
    w = _world(organizer=lambda tenant, owner: OWNERS.get((tenant, owner)))
    w.meetlink.save_event(w.event(participants=PEOPLE))
    mails = w.deliver()
    assert len(mails) == 2
    for mail in mails:
        assert _organizer(mail) == ("Alice Example", "mailto:alice@corp.example")
        assert mail["From"].addresses[0].addr_spec == "calendar@acme.example"
        assert mail["Reply-To"].addresses[0].addr_spec == "alice@corp.example"
    ja = next(m for m in mails if m["To"].addresses[0].addr_spec == "taro@example.jp")
    assert "主催者: Alice Example <alice@corp.example>" in body(ja, "plain")
    postal_mime.require()
    assert postal_mime.check(mails) == []


def test_without_an_owner_the_instance_organizes() -> None:
    def broken(tenant: str, owner: str) -> tuple[str, str]:
        return ("Mallory", "not an address\r\nBcc: x@evil.example")

    for organizer in (None, broken, lambda t, o: None):
        w = _world(organizer=organizer)
        w.meetlink.save_event(w.event(participants=PEOPLE))
        for mail in w.deliver():
            assert _organizer(mail) == ("meetlink", "mailto:no-reply@meetlink.invalid")
            assert mail["Reply-To"] is None and "evil" not in mail.as_string()


def test_an_update_says_what_changed() -> None:
    w = _world()
    w.meetlink.save_event(w.event(participants=PEOPLE))
    w.deliver()
    later = w.clock.now() + timedelta(days=2)
    w.meetlink.save_event(w.event(participants=PEOPLE, start=later, title="Sales call (moved)"))
    mails = {m["To"].addresses[0].addr_spec: m for m in w.deliver()}
    assert "変更点: 日時、件名" in body(mails["taro@example.jp"], "plain")
    assert "Changed:  time, title" in body(mails["carol@example.com"], "plain")
    assert "Changed</th><td>time, title</td>" in body(mails["carol@example.com"], "html")
    w.meetlink.save_event(
        w.event(participants=PEOPLE[:1], start=later, title="Sales call (moved)", web_meeting=None)
    )
    (withdrawn,) = [m for m in w.deliver() if m["To"].addresses[0].addr_spec == "taro@example.jp"]
    assert "変更点: 参加URL、参加者" in body(withdrawn, "plain")
