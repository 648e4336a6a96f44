"""Internationalised addresses (issue 14, item 7): IDN domains (RFC 5890) go out in their
A-label form, which every mail server takes; UTF-8 local parts (RFC 6531) go out with
SMTPUTF8, to a server that offers it. Japanese carriers' and companies' addresses work."""

from __future__ import annotations

import email
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email import policy
from typing import Any

import pytest
from aiosmtpd.controller import Controller

from meetlink import Event, Participant
from meetlink.adapters.mail import JinjaMailComposer, SmtpMailer
from meetlink.app.mailing import mail_address
from meetlink.errors import MailDeliveryFailed
from meetlink.testing import Sandbox
from tests.mail.mail_support import MakeContent
from tests.mail.test_mail_smtp import Handler, free_port

T0 = datetime(2026, 12, 1, tzinfo=UTC)


@pytest.mark.parametrize(
    ("given", "sent"),
    [
        ("taro@例え.jp", "taro@xn--r8jz45g.jp"),
        ("太郎@例え.jp", "太郎@xn--r8jz45g.jp"),
        ("太郎@example.jp", "太郎@example.jp"),
        ("taro@example.jp", "taro@example.jp"),
    ],
)
def test_domains_go_out_as_a_labels(given: str, sent: str) -> None:
    assert Participant(given).email == given  # kept as the host gave it
    assert mail_address(given) == sent


def test_a_sandbox_event_mails_internationalised_participants() -> None:
    with Sandbox(now=T0, seed=2) as sb:
        sb.meetlink.start_trial("t1")
        sb.link_user("t1", "alice")
        start = T0 + timedelta(days=1)
        people = (Participant("太郎@例え.jp", "太郎"), Participant("hanako@例え.jp"))
        sb.meetlink.save_event(
            Event(
                "e1",
                "t1",
                "alice",
                "会議",
                start,
                start + timedelta(hours=1),
                participants=people,
                web_meeting="zoom",
            )
        )
        assert sb.meetlink.run_pending() == 2
        assert sb.meetlink.failed_jobs() == []
        recipients = sorted(m["To"].addresses[0].addr_spec for m in sb.outbox)
        assert recipients == ["hanako@xn--r8jz45g.jp", "太郎@xn--r8jz45g.jp"]


@pytest.fixture
def utf8_server() -> Iterator[tuple[Controller, Handler]]:
    handler = Handler()
    controller = Controller(handler, hostname="127.0.0.1", port=free_port(), enable_SMTPUTF8=True)
    controller.start()
    try:
        yield controller, handler
    finally:
        controller.stop()


def test_a_utf8_local_part_is_sent_with_smtputf8(
    utf8_server: tuple[Controller, Handler], make_content: MakeContent
) -> None:
    server, handler = utf8_server
    content = make_content(to_email="太郎@xn--r8jz45g.jp", attendee_emails=("太郎@xn--r8jz45g.jp",))
    message = JinjaMailComposer(sender="Meet <no-reply@example.com>").compose(content)
    SmtpMailer(server.hostname, server.port, timeout=5.0).send(message)
    (envelope,) = handler.received
    assert envelope.rcpt_tos == ["太郎@xn--r8jz45g.jp"]
    assert "SMTPUTF8" in envelope.mail_options
    wire = envelope.original_content.decode("utf-8")  # raw UTF-8 headers (RFC 6532)
    got: Any = email.message_from_string(wire, policy=policy.SMTPUTF8)
    assert got["To"].addresses[0].addr_spec == "太郎@xn--r8jz45g.jp"


def test_a_server_without_smtputf8_is_a_failure_that_names_it(make_content: MakeContent) -> None:
    handler = Handler()
    server = Controller(handler, hostname="127.0.0.1", port=free_port(), enable_SMTPUTF8=False)
    server.start()
    try:
        message = JinjaMailComposer().compose(make_content(to_email="太郎@example.jp"))
        with pytest.raises(MailDeliveryFailed, match=r"SMTPUTF8|extension"):
            SmtpMailer(server.hostname, server.port, timeout=5.0).send(message)
    finally:
        server.stop()
    assert handler.received == []
