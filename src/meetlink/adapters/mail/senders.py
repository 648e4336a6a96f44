"""Mailers: hand a composed message to an SMTP server, a list in memory or a directory.

Every failure leaves as [`MailDeliveryFailed`][meetlink.errors.MailDeliveryFailed]; no ``smtplib``
or ``OSError`` exception escapes. ``permanent=False`` means the outbox should retry later (S37);
``permanent=True`` means retrying the same message cannot help.
"""

from __future__ import annotations

import base64
import collections
import os
import re
import smtplib
import ssl
import tempfile
import threading
import uuid
from email import policy
from email.message import EmailMessage
from email.utils import getaddresses
from pathlib import Path

from meetlink.errors import MailDeliveryFailed

__all__ = ["DirectoryMailer", "RecordingMailer", "SmtpMailer"]


def _addresses(message: EmailMessage, name: str) -> list[str]:
    """The addr-specs in header ``name`` (structured headers when the policy provides them)."""
    found: list[str] = []
    for header in message.get_all(name, []):
        parsed = getattr(header, "addresses", None)
        if parsed is not None:
            found.extend(a.addr_spec for a in parsed if a.addr_spec)
        else:
            found.extend(addr for _, addr in getaddresses([str(header)]) if addr)
    return found


def _serialize(message: EmailMessage) -> bytes:
    """The wire form (CRLF); a message the generator cannot write is a permanent failure.
    A message to or from a UTF-8 address is written as SMTPUTF8 (RFC 6532) would carry it,
    as ``smtplib`` does when it sends one."""
    international = not all(
        address.isascii()
        for name in ("From", "To", "Sender")
        for address in _addresses(message, name)
    )
    try:
        return message.as_bytes(policy=policy.SMTPUTF8 if international else policy.SMTP)
    except (ValueError, TypeError, LookupError) as exc:
        raise MailDeliveryFailed(
            f"message cannot be serialized: {type(exc).__name__}", permanent=True
        ) from exc


class RecordingMailer:
    """In-memory ``Mailer`` for tests and sandboxes: ``outbox`` holds every delivered message.

    Thread-safe. [`fail_next`][meetlink.adapters.mail.senders.RecordingMailer.fail_next] makes the
    next sends fail, to exercise retries (S37)."""

    def __init__(self) -> None:
        self.outbox: list[EmailMessage] = []
        self._failures: collections.deque[bool] = collections.deque()
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"RecordingMailer(outbox={len(self.outbox)} messages)"

    def fail_next(self, count: int = 1, permanent: bool = False) -> None:
        """Make the next ``count`` calls to
        [`send`][meetlink.adapters.mail.senders.RecordingMailer.send] raise
        ``MailDeliveryFailed``."""
        if count < 0:
            raise ValueError("count must be >= 0")
        with self._lock:
            self._failures.extend([permanent] * count)

    def send(self, message: EmailMessage) -> None:
        """Record ``message`` (after checking it serializes, as a real server would need)."""
        with self._lock:
            if self._failures:
                permanent = self._failures.popleft()
                raise MailDeliveryFailed("injected mail failure", permanent=permanent)
            _serialize(message)
            if not _addresses(message, "To"):
                raise MailDeliveryFailed("message has no To address", permanent=True)
            self.outbox.append(message)

    def clear(self) -> None:
        """Forget every recorded message and pending injected failure."""
        with self._lock:
            self.outbox.clear()
            self._failures.clear()


class SmtpMailer:
    """``Mailer`` over SMTP (``smtplib``), one connection per message.

    ``ssl=True`` is implicit TLS (port 465); ``starttls=True`` upgrades a plain connection
    (port 587). Both verify the server certificate. The password never appears in ``repr`` or
    in any error this class raises."""

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 25,
        *,
        username: str | None = None,
        password: str | None = None,
        starttls: bool = False,
        ssl: bool = False,
        timeout: float = 10.0,
    ) -> None:
        if starttls and ssl:
            raise ValueError("choose starttls or ssl, not both")
        self.host = host
        self.port = port
        self.username = username
        self._password = password
        self.starttls = starttls
        self.ssl = ssl
        self.timeout = timeout

    def __repr__(self) -> str:
        return (
            f"SmtpMailer(host={self.host!r}, port={self.port!r}, username={self.username!r}, "
            f"password={'***' if self._password else None}, starttls={self.starttls}, "
            f"ssl={self.ssl})"
        )

    def send(self, message: EmailMessage) -> None:
        """Deliver ``message`` to the addresses in its To header; raise ``MailDeliveryFailed``."""
        recipients = _addresses(message, "To")
        if not recipients:
            raise MailDeliveryFailed("message has no To address", permanent=True)
        senders = _addresses(message, "Sender") or _addresses(message, "From")
        sender = senders[0] if senders else ""
        try:
            refused = self._deliver(message, sender, recipients)
        except smtplib.SMTPRecipientsRefused as exc:
            codes = [code for code, _ in exc.recipients.values()]
            permanent = bool(codes) and all(code >= 500 for code in codes)
            raise self._failure(f"all recipients refused ({_codes(codes)})", permanent) from exc
        except smtplib.SMTPAuthenticationError as exc:
            # Not permanent: bad credentials are the server's configuration, not this message;
            # once an operator fixes them, the waiting mail should still go out.
            raise self._failure(f"SMTP authentication failed ({exc.smtp_code})", False) from exc
        except smtplib.SMTPConnectError as exc:
            # A refusing greeting (421, 554) says the host is unavailable, not the message bad.
            raise self._failure(
                f"SMTP server refused the connection ({exc.smtp_code})", False
            ) from exc
        except smtplib.SMTPResponseException as exc:
            permanent = 500 <= exc.smtp_code < 600
            what = type(exc).__name__
            raise self._failure(
                f"SMTP server answered {exc.smtp_code} ({what})", permanent
            ) from exc
        except smtplib.SMTPNotSupportedError as exc:
            raise self._failure(f"SMTP server lacks a needed extension: {exc}", False) from exc
        except (smtplib.SMTPException, OSError) as exc:
            # Refused or reset connections, timeouts, TLS errors, a server that hung up.
            raise self._failure(
                f"SMTP delivery failed: {type(exc).__name__}: {exc}", False
            ) from exc
        except (ValueError, UnicodeError) as exc:
            raise self._failure(f"message cannot be sent: {type(exc).__name__}", True) from exc
        if refused:
            # Some recipients took it: a retry would send them duplicates, so do not retry.
            codes = [code for code, _ in refused.values()]
            raise self._failure(f"some recipients refused ({_codes(codes)})", True)

    def _deliver(
        self, message: EmailMessage, sender: str, recipients: list[str]
    ) -> dict[str, tuple[int, bytes]]:
        smtp: smtplib.SMTP
        if self.ssl:
            context = _ssl_context()
            smtp = smtplib.SMTP_SSL(self.host, self.port, timeout=self.timeout, context=context)
        else:
            smtp = smtplib.SMTP(self.host, self.port, timeout=self.timeout)
        try:
            if self.starttls:
                smtp.starttls(context=_ssl_context())
            if self.username is not None:
                smtp.login(self.username, self._password or "")
            refused = smtp.send_message(message, from_addr=sender, to_addrs=recipients)
        except BaseException:
            smtp.close()
            raise
        # The message is accepted; a failing QUIT must not turn that into a failure (a retry
        # would deliver it twice).
        try:
            smtp.quit()
        except (smtplib.SMTPException, OSError):
            smtp.close()
        return refused

    def _failure(self, text: str, permanent: bool) -> MailDeliveryFailed:
        return MailDeliveryFailed(
            f"{self._scrub(text)} [{self.host}:{self.port}]", permanent=permanent
        )

    def _scrub(self, text: str) -> str:
        """``text`` with the password (plain, or base64 as AUTH LOGIN/PLAIN send it) masked."""
        if not self._password:
            return text
        secrets = [self._password, base64.b64encode(self._password.encode()).decode()]
        if self.username is not None:
            plain = f"\0{self.username}\0{self._password}".encode()
            secrets.append(base64.b64encode(plain).decode())
        for secret in secrets:
            text = text.replace(secret, "***")
        return text


def _ssl_context() -> ssl.SSLContext:
    """A verifying TLS context (a separate function so tests can substitute a trusted CA)."""
    return ssl.create_default_context()


def _codes(codes: list[int]) -> str:
    return ", ".join(str(c) for c in sorted(set(codes)))


_UNSAFE_NAME = re.compile(r"[^A-Za-z0-9._@+-]+")


class DirectoryMailer:
    """``Mailer`` that writes each message to ``path`` as ``<message-id>.eml`` (a local capture
    for demos). A resend with the same Message-ID overwrites its file, so it is idempotent."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)

    def __repr__(self) -> str:
        return f"DirectoryMailer({str(self.path)!r})"

    def file_name(self, message: EmailMessage) -> str:
        """The file name ``message`` is written under: its Message-ID with only safe
        characters (no separators, no leading dot), or a random name when it has none."""
        try:
            raw = str(message.get("Message-ID", "")).strip().strip("<>")
        except (ValueError, IndexError, TypeError):  # the email header parser on odd input
            raw = ""
        stem = _UNSAFE_NAME.sub("_", raw).lstrip(".")[:200]
        return f"{stem or uuid.uuid4().hex}.eml"

    def send(self, message: EmailMessage) -> None:
        """Write ``message`` atomically (temporary file, then rename)."""
        data = _serialize(message)
        target = self.path / self.file_name(message)
        try:
            self.path.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=self.path, prefix=".tmp-", suffix=".eml")
            try:
                with os.fdopen(fd, "wb") as handle:
                    handle.write(data)
                os.replace(tmp, target)
            except BaseException:
                Path(tmp).unlink(missing_ok=True)
                raise
        except OSError as exc:
            raise MailDeliveryFailed(
                f"cannot write mail to {self.path}: {type(exc).__name__}", permanent=False
            ) from exc
