"""SmtpMailer against a real SMTP server (aiosmtpd on loopback) and broken servers (S37).

aiosmtpd 1.4 emits no Python warnings here, so no ``filterwarnings`` exemption is needed.
"""

from __future__ import annotations

import email
import socket
import struct
import threading
from collections.abc import Callable, Iterator
from email import policy
from email.message import EmailMessage
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult

from meetlink.adapters.mail import JinjaMailComposer, SmtpMailer
from meetlink.errors import MailDeliveryFailed
from tests.mail.mail_support import MakeContent
from tests.mailtext import plain

PASSWORD = "s3cret-Pa55word"


def free_port() -> int:
    """A loopback port nothing listens on (yet)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


class Handler:
    """An aiosmtpd handler that records what it accepts and can refuse on command."""

    def __init__(self) -> None:
        self.received: list[Any] = []
        self.mail_reply: str | None = None
        self.rcpt_replies: dict[str, str] = {}
        self.data_reply: str | None = None
        self.drop_after_data = False

    async def handle_MAIL(
        self, server: Any, session: Any, envelope: Any, address: str, mail_options: list[str]
    ) -> str:
        if self.mail_reply:
            return self.mail_reply
        envelope.mail_from = address
        envelope.mail_options.extend(mail_options)
        return "250 OK"

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, rcpt_options: list[str]
    ) -> str:
        if address in self.rcpt_replies:
            return self.rcpt_replies[address]
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if self.data_reply:
            return self.data_reply
        self.received.append(envelope)
        if self.drop_after_data:
            # The message is stored but the client never sees the 250 (a lost ack).
            server.transport.abort()
        return "250 Message accepted"


@pytest.fixture
def handler() -> Handler:
    return Handler()


@pytest.fixture
def server(handler: Handler) -> Iterator[Controller]:
    controller = Controller(handler, hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        yield controller
    finally:
        controller.stop()


@pytest.fixture
def message(make_content: MakeContent) -> EmailMessage:
    return JinjaMailComposer(sender="Meet <no-reply@example.com>").compose(make_content())


def _mailer(server: Controller, **kwargs: Any) -> SmtpMailer:
    return SmtpMailer(server.hostname, server.port, timeout=5.0, **kwargs)


def test_delivers_with_same_message_id(
    server: Controller, handler: Handler, message: EmailMessage
) -> None:
    _mailer(server).send(message)
    (envelope,) = handler.received
    assert envelope.mail_from == "no-reply@example.com"
    assert envelope.rcpt_tos == ["taro@example.jp"]
    got = email.message_from_bytes(envelope.content, policy=policy.default)
    assert got["Message-ID"] == message["Message-ID"]
    assert got["Subject"] == message["Subject"]
    assert isinstance(got, EmailMessage)
    assert plain(got) == plain(message)


@pytest.mark.parametrize("where", ["mail", "data"])
def test_421_is_temporary(
    server: Controller, handler: Handler, message: EmailMessage, where: str
) -> None:
    setattr(handler, f"{where}_reply", "421 Service not available, try later")
    with pytest.raises(MailDeliveryFailed) as caught:
        _mailer(server).send(message)
    assert not caught.value.permanent
    assert "421" in str(caught.value)


def test_recipient_refused_550_is_permanent(
    server: Controller, handler: Handler, message: EmailMessage
) -> None:
    handler.rcpt_replies["taro@example.jp"] = "550 No such user"
    with pytest.raises(MailDeliveryFailed) as caught:
        _mailer(server).send(message)
    assert caught.value.permanent
    assert "550" in str(caught.value)
    assert not handler.received


def test_recipient_refused_450_is_temporary(
    server: Controller, handler: Handler, message: EmailMessage
) -> None:
    handler.rcpt_replies["taro@example.jp"] = "450 Mailbox busy"
    with pytest.raises(MailDeliveryFailed) as caught:
        _mailer(server).send(message)
    assert not caught.value.permanent


def test_data_rejected_554_is_permanent(
    server: Controller, handler: Handler, message: EmailMessage
) -> None:
    handler.data_reply = "554 Rejected as spam"
    with pytest.raises(MailDeliveryFailed) as caught:
        _mailer(server).send(message)
    assert caught.value.permanent


def test_lost_ack_is_temporary_and_resend_keeps_message_id(
    server: Controller, handler: Handler, message: EmailMessage
) -> None:
    handler.drop_after_data = True
    with pytest.raises(MailDeliveryFailed) as caught:
        _mailer(server).send(message)
    assert not caught.value.permanent
    handler.drop_after_data = False
    _mailer(server).send(message)  # the outbox retry
    ids = [
        email.message_from_bytes(e.content, policy=policy.default)["Message-ID"]
        for e in handler.received
    ]
    assert ids == [message["Message-ID"]] * 2  # a receiver can deduplicate


def test_connection_refused_is_temporary(message: EmailMessage) -> None:
    with pytest.raises(MailDeliveryFailed) as caught:
        SmtpMailer("127.0.0.1", free_port(), timeout=2.0).send(message)
    assert not caught.value.permanent


def _raw_server(behaviour: Callable[[socket.socket], None]) -> tuple[int, threading.Thread]:
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)
    port: int = listener.getsockname()[1]

    def serve() -> None:
        with listener:
            conn, _ = listener.accept()
            with conn:
                behaviour(conn)

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    return port, thread


def _reset(conn: socket.socket) -> None:
    # SO_LINGER with a zero timeout turns close() into a TCP RST.
    conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))


def _reset_after_greeting(conn: socket.socket) -> None:
    conn.sendall(b"220 flaky ESMTP\r\n")
    conn.recv(1024)  # EHLO
    _reset(conn)


def _greet_421(conn: socket.socket) -> None:
    conn.sendall(b"421 Too busy, closing\r\n")


def _never_greet(conn: socket.socket) -> None:
    conn.recv(1024)  # returns once the client gives up


@pytest.mark.parametrize("behaviour", [_reset, _reset_after_greeting, _greet_421])
def test_reset_or_refusing_server_is_temporary(
    message: EmailMessage, behaviour: Callable[[socket.socket], None]
) -> None:
    port, thread = _raw_server(behaviour)
    with pytest.raises(MailDeliveryFailed) as caught:
        SmtpMailer("127.0.0.1", port, timeout=5.0).send(message)
    thread.join(5)
    assert not caught.value.permanent


def test_silent_server_times_out_temporarily(message: EmailMessage) -> None:
    port, thread = _raw_server(_never_greet)
    with pytest.raises(MailDeliveryFailed) as caught:
        SmtpMailer("127.0.0.1", port, timeout=0.3).send(message)
    thread.join(5)
    assert not caught.value.permanent


def test_tls_to_a_plain_server_is_temporary(server: Controller, message: EmailMessage) -> None:
    with pytest.raises(MailDeliveryFailed) as caught:
        _mailer(server, ssl=True).send(message)
    assert not caught.value.permanent
    with pytest.raises(MailDeliveryFailed) as caught:
        _mailer(server, starttls=True).send(message)
    assert not caught.value.permanent


def test_auth_not_offered_does_not_leak_password(server: Controller, message: EmailMessage) -> None:
    mailer = _mailer(server, username="meet", password=PASSWORD)
    with pytest.raises(MailDeliveryFailed) as caught:
        mailer.send(message)
    assert not caught.value.permanent
    assert PASSWORD not in str(caught.value) and PASSWORD not in repr(caught.value)
    assert PASSWORD not in repr(mailer)


class _Authenticator:
    def __init__(self) -> None:
        self.seen: list[tuple[bytes, bytes]] = []

    def __call__(
        self, server: Any, session: Any, envelope: Any, mechanism: str, auth_data: Any
    ) -> AuthResult:
        self.seen.append((auth_data.login, auth_data.password))
        ok = auth_data.password == PASSWORD.encode()
        return AuthResult(success=ok, handled=False)


@pytest.mark.parametrize("password", [PASSWORD, "wrong-" + PASSWORD])
def test_login(handler: Handler, message: EmailMessage, password: str) -> None:
    authenticator = _Authenticator()
    controller = Controller(
        handler,
        hostname="127.0.0.1",
        port=free_port(),
        authenticator=authenticator,
        auth_require_tls=False,  # loopback test server only
    )
    controller.start()
    try:
        mailer = SmtpMailer(
            "127.0.0.1", controller.port, username="meet", password=password, timeout=5.0
        )
        if password == PASSWORD:
            mailer.send(message)
            assert len(handler.received) == 1
        else:
            with pytest.raises(MailDeliveryFailed) as caught:
                mailer.send(message)
            assert not caught.value.permanent
            assert "535" in str(caught.value)
            assert password not in str(caught.value)
            assert not handler.received
    finally:
        controller.stop()
    assert authenticator.seen[0][0] == b"meet"


def test_message_without_to_is_permanent(server: Controller) -> None:
    bare = EmailMessage()
    bare["From"] = "a@example.com"
    bare.set_content("hi")
    with pytest.raises(MailDeliveryFailed) as caught:
        _mailer(server).send(bare)
    assert caught.value.permanent


def test_starttls_and_ssl_together_is_refused() -> None:
    with pytest.raises(ValueError, match="choose starttls or ssl, not both"):
        SmtpMailer(starttls=True, ssl=True)


def test_partial_refusal_is_permanent_so_no_duplicates(
    server: Controller, handler: Handler, message: EmailMessage
) -> None:
    del message["To"]
    message["To"] = "taro@example.jp, gone@example.jp"
    handler.rcpt_replies["gone@example.jp"] = "550 No such user"
    with pytest.raises(MailDeliveryFailed) as caught:
        _mailer(server).send(message)
    assert caught.value.permanent  # taro has it; a retry would send taro a second copy
    (envelope,) = handler.received
    assert envelope.rcpt_tos == ["taro@example.jp"]
