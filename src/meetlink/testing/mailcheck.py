"""Mail as participants' clients read it: a delivered message, serialized as mailers send it,
must decode to the text that was put in, in two independent parsers.

- [`mail_problems`][meetlink.testing.mailcheck.mail_problems] compares what the message holds (its
  header objects and parts) with what the standard library's parser (``policy.default``) reads from
  the wire bytes, and with what the legacy decoder reads (``email.header.decode_header`` on the raw
  unfolded header, ``email.utils.getaddresses`` for addresses, the compat32 parser for bodies): a
  different code path that shares nothing with the first parser's header handling. It also checks
  the header block is 7-bit with lines of at most 78 characters for text headers (RFC 5322 2.1.1).
- [`recording_deliveries`][meetlink.testing.mailcheck.recording_deliveries] collects every message
  any ``RecordingMailer`` (so every ``Sandbox.outbox``) or ``DirectoryMailer`` (the demos' .eml
  capture) delivers while it is active; the pytest plugin uses it to check every delivered mail at
  each test's teardown (``meetlink_check_mail = true``).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from email import errors, message_from_bytes, policy
from email.header import decode_header
from email.headerregistry import AddressHeader, BaseHeader
from email.message import EmailMessage, Message
from email.parser import BytesParser, Parser
from email.utils import getaddresses
from typing import Any, cast

from meetlink.adapters.mail import DirectoryMailer, RecordingMailer
from meetlink.adapters.mail.senders import _serialize as serialize  # what every mailer sends

__all__ = [
    "Reading",
    "compare",
    "intended",
    "mail_problems",
    "read_legacy",
    "read_standard",
    "recording_deliveries",
    "wire_bytes",
]

Addresses = tuple[tuple[str, str], ...]
# What a reader shows: lower-case header name -> text (unstructured) or (name, address) pairs;
# "part N type/subtype" -> text (text parts) or bytes (others).
Reading = dict[str, str | bytes | Addresses]

_STRUCTURAL = frozenset({"date", "message-id", "mime-version"})
_ADDRESS_HEADERS = frozenset({"from", "to", "cc", "bcc", "reply-to", "sender"})
_UNFOLD = re.compile(r"\r?\n(?=[ \t])")


def wire_bytes(message: EmailMessage) -> bytes:
    """``message`` as the mailers put it on the wire (CRLF; SMTPUTF8 when an address needs
    it)."""
    return serialize(message)


def _text_header_names(message: Message) -> list[str]:
    names = []
    for name in message:
        low = name.lower()
        if low in _STRUCTURAL or low.startswith("content-") or low in names:
            continue
        names.append(low)
    return names


def _body(part: Message, text: Callable[[Message], str]) -> str | bytes:
    if part.get_content_maintype() == "text":
        return text(part).replace("\r\n", "\n")
    payload = part.get_payload(decode=True)
    return payload if isinstance(payload, bytes) else b""


def _bodies(message: Message, text: Callable[[Message], str]) -> Reading:
    leaves = [p for p in message.walk() if not p.is_multipart()]
    return {f"part {i} {p.get_content_type()}": _body(p, text) for i, p in enumerate(leaves)}


def _content(part: Message) -> str:
    assert isinstance(part, EmailMessage)
    content = part.get_content()
    return content if isinstance(content, str) else content.decode()


def intended(message: EmailMessage) -> Reading:
    """What ``message`` holds: the text its headers and parts were given."""
    reading: Reading = {}
    for name in _text_header_names(message):
        header = message[name]
        if isinstance(header, AddressHeader):
            reading[name] = tuple((a.display_name, a.addr_spec) for a in header.addresses)
        elif isinstance(header, BaseHeader):
            reading[name] = str(header)
        else:  # a compat32 message: the header is stored as it goes on the wire
            reading[name] = _decoded(str(header))
    reading.update(_bodies(message, _content))
    return reading


def read_standard(wire: bytes) -> tuple[Reading, list[str]]:
    """What ``email``'s parser with ``policy.default`` shows, and every defect it found.
    A header block in UTF-8 (SMTPUTF8 mail, RFC 6532) is read as UTF-8 text."""
    utf8 = not wire.split(b"\r\n\r\n", 1)[0].isascii()
    if utf8:
        parsed = Parser(policy=policy.default).parsestr(wire.decode("utf-8", "surrogateescape"))
    else:
        parsed = BytesParser(policy=policy.default).parsebytes(wire)
    assert isinstance(parsed, EmailMessage)
    reading: Reading = {}
    defects = [f"message: {d!r}" for p in parsed.walk() for d in p.defects]
    for name in _text_header_names(parsed):
        header = parsed[name]
        # A UTF-8 local part is what SMTPUTF8 is for; the parser still calls it a defect.
        expected = errors.NonASCIILocalPartDefect if utf8 else ()
        defects.extend(f"{name}: {d!r}" for d in header.defects if not isinstance(d, expected))
        if isinstance(header, AddressHeader):
            reading[name] = tuple((a.display_name, a.addr_spec) for a in header.addresses)
        else:
            reading[name] = str(header)
    reading.update(_bodies(parsed, _content))
    return reading, defects


def _decoded(raw: str) -> str:
    """RFC 2047 text of one unfolded raw value, through ``email.header.decode_header``."""
    words = []
    for chunk, charset in decode_header(raw):
        words.append(chunk if isinstance(chunk, str) else chunk.decode(charset or "ascii"))
    return "".join(words)


def _raw_headers(wire: bytes) -> list[tuple[str, str]]:
    head = wire.split(b"\r\n\r\n", 1)[0].decode("utf-8", "replace")  # RFC 6532 if 8-bit
    fields = []
    for field in re.split(r"\r\n(?![ \t])", head):
        name, _, value = _UNFOLD.sub("", field).partition(":")
        fields.append((name.strip().lower(), value.lstrip(" \t")))
    return fields


def _legacy_text(part: Message) -> str:
    payload = part.get_payload(decode=True)
    assert isinstance(payload, bytes)
    return payload.decode(part.get_content_charset() or "us-ascii")


def read_legacy(wire: bytes) -> Reading:
    """What the legacy decoder shows: ``decode_header`` on each raw unfolded header (and
    ``getaddresses`` first for address headers), compat32 ``get_payload(decode=True)`` for
    bodies."""
    reading: Reading = {}
    for name, raw in _raw_headers(wire):
        if name in _STRUCTURAL or name.startswith("content-") or name in reading:
            continue
        if name in _ADDRESS_HEADERS:
            reading[name] = tuple((_decoded(n), a) for n, a in getaddresses([raw]))
        else:
            reading[name] = _decoded(raw)
    reading.update(_bodies(message_from_bytes(wire), _legacy_text))
    return reading


def _wire_problems(wire: bytes, international: bool) -> list[str]:
    head = wire.split(b"\r\n\r\n", 1)[0]
    if not head.isascii() and not international:  # UTF-8 headers only with SMTPUTF8
        return ["header block is not 7-bit ASCII"]
    problems = []
    text_header = False
    for line in head.decode("utf-8", "replace").split("\r\n"):
        words = line
        if line[:1] not in (" ", "\t"):
            name, _, words = line.partition(":")
            low = name.lower()
            text_header = low not in _STRUCTURAL and not low.startswith("content-")
        # 78 is a SHOULD that only a single word longer than a line may exceed (2.2.3).
        unbreakable = len(words.split()) <= 1
        if len(line) > 998 or (text_header and len(line) > 78 and not unbreakable):
            problems.append(f"header line of {len(line)} characters: {line[:40]!r}...")
    return problems


def compare(intent: Reading, reading: Reading, reader: str) -> list[str]:
    """One line per key whose text ``reader`` shows differently from ``intent``."""
    problems = []
    for key in sorted(intent.keys() | reading.keys()):
        want, got = intent.get(key), reading.get(key)
        if want != got:
            problems.append(f"{key}: {reader} reads {_short(got)}, sent {_short(want)}")
    return problems


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 300 else f"{text[:300]}..."


def mail_problems(message: EmailMessage, wire: bytes | None = None) -> list[str]:
    """Every way ``message`` (as sent: ``wire``, or serialized as the mailers do) decodes to
    something other than what it holds, in either parser; empty when it reads back exactly."""
    data = wire_bytes(message) if wire is None else wire
    intent = intended(message)
    international = any(
        not address.isascii()
        for name in _ADDRESS_HEADERS
        for _, address in cast(Addresses, intent.get(name, ()))
    )
    problems = _wire_problems(data, international)
    standard, defects = read_standard(data)
    problems.extend(defects)
    problems.extend(compare(intent, standard, "policy.default"))
    problems.extend(compare(intent, read_legacy(data), "decode_header"))
    return problems


_RECORDED: tuple[type[RecordingMailer] | type[DirectoryMailer], ...] = (
    RecordingMailer,
    DirectoryMailer,
)


@contextmanager
def recording_deliveries() -> Iterator[list[EmailMessage]]:
    """A list that receives every message a ``RecordingMailer`` or ``DirectoryMailer``
    delivers inside the block (any instance, any thread of this process). Blocks nest."""
    delivered: list[EmailMessage] = []
    originals = [(cls, cls.send) for cls in _RECORDED]

    def recorded(original: Callable[[Any, EmailMessage], None]) -> Callable[..., None]:
        def send(mailer: Any, message: EmailMessage) -> None:
            original(mailer, message)
            delivered.append(message)

        return send

    for cls, original in originals:
        setattr(cls, "send", recorded(original))  # noqa: B010 (a method replaced for the block)
    try:
        yield delivered
    finally:
        for cls, original in originals:
            setattr(cls, "send", original)  # noqa: B010
