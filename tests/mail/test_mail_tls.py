"""SmtpMailer delivering for real over TLS (STARTTLS on a submission port, implicit TLS as
on port 465) to aiosmtpd with a self-signed certificate made here with ``cryptography``,
and the recovery when the server hangs up on QUIT after it accepted the message: the mail
counts as sent (a retry would deliver it twice)."""

from __future__ import annotations

import ipaddress
import ssl
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

import meetlink.adapters.mail.senders as senders
from meetlink.adapters.mail import JinjaMailComposer, SmtpMailer
from meetlink.errors import MailDeliveryFailed
from tests.mail.mail_support import MakeContent
from tests.mail.test_mail_smtp import Handler, free_port


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1 (and its key), as files."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "smtp.test")])
    now = datetime.now(UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    directory = tmp_path_factory.mktemp("tls")
    cert_file, key_file = directory / "cert.pem", directory / "key.pem"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_file, key_file


@pytest.fixture
def trusted(certificate: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch) -> None:
    """The mailer trusts the test certificate (still verifying it, and its address)."""
    cafile = str(certificate[0])
    monkeypatch.setattr(senders, "_ssl_context", lambda: ssl.create_default_context(cafile=cafile))


def _server_context(certificate: tuple[Path, Path]) -> ssl.SSLContext:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(*map(str, certificate))
    return context


@pytest.fixture
def message(make_content: MakeContent) -> EmailMessage:
    return JinjaMailComposer(sender="Meet <no-reply@example.com>").compose(make_content())


@pytest.fixture
def starttls_server(handler: Handler, certificate: tuple[Path, Path]) -> Iterator[Controller]:
    controller = Controller(
        handler,
        hostname="127.0.0.1",
        port=free_port(),
        tls_context=_server_context(certificate),
        require_starttls=True,  # MAIL before STARTTLS is refused (530)
    )
    yield from _running(controller)


@pytest.fixture
def ssl_server(handler: Handler, certificate: tuple[Path, Path]) -> Iterator[Controller]:
    controller = Controller(
        handler, hostname="127.0.0.1", port=free_port(), ssl_context=_server_context(certificate)
    )
    yield from _running(controller)


def _running(controller: Controller) -> Iterator[Controller]:
    controller.start()
    try:
        yield controller
    finally:
        controller.stop()


@pytest.fixture
def handler() -> Handler:
    return Handler()


def test_a_mail_is_delivered_over_starttls(
    starttls_server: Controller, handler: Handler, message: EmailMessage, trusted: None
) -> None:
    SmtpMailer("127.0.0.1", starttls_server.port, starttls=True, timeout=10).send(message)
    (envelope,) = handler.received
    assert envelope.rcpt_tos == ["taro@example.jp"]
    assert f"Message-ID: {message['Message-ID']}".encode() in envelope.content


def test_a_mail_is_delivered_over_implicit_tls(
    ssl_server: Controller, handler: Handler, message: EmailMessage, trusted: None
) -> None:
    SmtpMailer("127.0.0.1", ssl_server.port, ssl=True, timeout=10).send(message)
    (envelope,) = handler.received
    assert envelope.rcpt_tos == ["taro@example.jp"]


def test_an_untrusted_certificate_is_refused_and_nothing_sent(
    starttls_server: Controller, handler: Handler, message: EmailMessage
) -> None:
    """Without the test CA the same server fails verification: a temporary failure (an
    operator can fix the trust store), and the message never went out."""
    with pytest.raises(MailDeliveryFailed, match="SSLCertVerificationError") as caught:
        SmtpMailer("127.0.0.1", starttls_server.port, starttls=True, timeout=10).send(message)
    assert not caught.value.permanent
    assert handler.received == []


class HangsUpOnQuit(Handler):
    """Accepts the message, then drops the connection when the client says QUIT."""

    async def handle_QUIT(self, server: Any, session: Any, envelope: Any) -> str:
        server.transport.abort()
        return "221 Bye"


def test_a_failed_quit_after_the_server_accepted_is_a_delivery(message: EmailMessage) -> None:
    handler = HangsUpOnQuit()
    for controller in _running(Controller(handler, hostname="127.0.0.1", port=free_port())):
        SmtpMailer("127.0.0.1", controller.port, timeout=10).send(message)  # no error: sent
    assert len(handler.received) == 1
