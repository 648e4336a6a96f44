"""Encoded headers read back as the exact text that went in (RFC 2047), in UTF-8 and in
ISO-2022-JP, for every mail kind and locale; and the mail check that proves it for every
delivered mail."""

from __future__ import annotations

import email
import re
from email import policy
from email.header import decode_header
from email.headerregistry import Address, BaseHeader, HeaderRegistry, UnstructuredHeader
from email.message import EmailMessage
from email.policy import Policy

import pytest
from hypothesis import given, settings

from meetlink.adapters.mail import JinjaMailComposer
from meetlink.adapters.mail._headers import JIS_TO_CP932, header_policy
from meetlink.domain.notification import MailKind
from meetlink.testing.mailcheck import mail_problems, wire_bytes
from tests.mail.mail_support import (
    CHARSETS,
    COMBINATIONS,
    EN_START,
    JA_START,
    SUBJECTS,
    TEXTS,
    MakeContent,
    build_content,
    reparse,
)


def raw_header(wire: bytes, name: str) -> str:
    """The unfolded value of header ``name`` exactly as it is on the wire."""
    head = wire.split(b"\r\n\r\n", 1)[0].decode("ascii")
    value = email.message_from_string(head + "\r\n\r\n", policy=policy.compat32)[name]
    assert isinstance(value, str)
    return value.replace("\r\n", "").replace("\n", "")


def decoded(raw: str) -> str:
    """``raw`` through the legacy decoder alone."""
    return "".join(
        w if isinstance(w, str) else w.decode(c or "ascii") for w, c in decode_header(raw)
    )


@pytest.mark.parametrize(("kind", "locale", "charset"), COMBINATIONS)
@settings(max_examples=40, deadline=None)
@given(title=TEXTS, name=TEXTS, organizer=TEXTS)
def test_subject_and_names_read_back_exactly(
    kind: MailKind, locale: str, charset: str, title: str, name: str, organizer: str
) -> None:
    content = build_content(
        kind=kind, locale=locale, title=title, to_name=name, organizer_name=organizer
    )
    message = JinjaMailComposer(charset=charset).compose(content)
    wire = wire_bytes(message)
    prefix, suffix = SUBJECTS[(locale, kind)]
    subject = prefix + title + suffix

    parsed = email.message_from_bytes(wire, policy=policy.default)
    assert str(parsed["Subject"]) == subject
    assert decoded(raw_header(wire, "Subject")) == subject
    (to,) = parsed["To"].addresses
    assert (to.display_name, to.addr_spec) == (shown_name(name), "taro@example.jp")
    (sender,) = parsed["From"].addresses  # the organizer, by default
    assert (sender.display_name, sender.addr_spec) == (shown_name(organizer), "boss@example.jp")
    assert mail_problems(message, wire) == []  # every header and part, both parsers

    raw = raw_header(wire, "Subject")
    if charset == "utf-8":
        assert "iso-2022-jp" not in raw
    elif not subject.isascii() and _fits_jis(subject):
        assert raw.startswith("=?iso-2022-jp?b?") and "utf-8" not in raw


def shown_name(name: str) -> str:
    """A display name as sent: without runs of white space after a space (RFC 5322 3.2.4),
    at most 100 characters."""
    shown = re.sub(r" \s+", " ", name.strip())
    return shown if len(shown) <= 100 else f"{shown[:99].rstrip()}…"


def _fits_jis(text: str) -> bool:
    try:
        text.encode("iso2022_jp")
    except UnicodeEncodeError:
        return False
    return JIS_TO_CP932.keys().isdisjoint(text)


@pytest.mark.parametrize("charset", CHARSETS)
def test_the_demo_subject_keeps_its_spaces(make_content: MakeContent, charset: str) -> None:
    # The reported case: the fold fell on the space after "is" and clients showed "isdown".
    content = make_content(title="Demo while Zoom is down")
    parsed = reparse(JinjaMailComposer(charset=charset).compose(content))
    assert str(parsed["Subject"]) == f"【会議のご案内】Demo while Zoom is down（{JA_START}）"


@pytest.mark.parametrize("field", ["title", "to_name"])
def test_an_encoded_word_in_the_text_stays_literal_and_cannot_break_a_line(
    make_content: MakeContent, field: str
) -> None:
    # The default policy decodes encoded words in a value it is given: this title used to
    # put a CR LF and a Bcc header on the wire (S32).
    smuggled = "=?utf-8?q?a=0D=0ABcc:_x@evil.example?="
    for charset in CHARSETS:
        message = JinjaMailComposer(charset=charset).compose(make_content(**{field: smuggled}))
        wire = wire_bytes(message)
        assert b"\nBcc" not in wire and b"\r\nBcc" not in wire
        parsed = reparse(message)
        assert parsed["Bcc"] is None
        if field == "title":
            assert smuggled in str(parsed["Subject"])
        else:
            assert parsed["To"].addresses[0].display_name == smuggled
        assert mail_problems(message) == []


def test_ascii_subject_stays_readable_and_folds_at_its_own_spaces(
    make_content: MakeContent,
) -> None:
    title = "Quarterly planning   with the  whole sales team and the partners from Osaka"
    message = JinjaMailComposer().compose(make_content(locale="en", title=title, to_name="Bob"))
    wire = wire_bytes(message)
    assert "=?" not in raw_header(wire, "Subject")
    assert b"Subject: Invitation: Quarterly" in wire
    assert str(reparse(message)["Subject"]) == f"Invitation: {title} ({EN_START})"
    assert mail_problems(message) == []


def test_a_word_longer_than_a_line_is_encoded_not_overlong(make_content: MakeContent) -> None:
    title = "x" * 200
    message = JinjaMailComposer().compose(make_content(locale="en", title=title))
    head = wire_bytes(message).split(b"\r\n\r\n", 1)[0]
    assert max(len(line) for line in head.split(b"\r\n")) <= 78
    assert str(reparse(message)["Subject"]) == f"Invitation: {title} ({EN_START})"


def test_iso_2022_jp_headers_when_the_text_fits(make_content: MakeContent) -> None:
    composer = JinjaMailComposer(charset="iso-2022-jp")
    wire = wire_bytes(composer.compose(make_content(title="定例 会議", to_name="山田 太郎")))
    assert raw_header(wire, "Subject").startswith("=?iso-2022-jp?b?")
    assert raw_header(wire, "To").startswith("=?iso-2022-jp?b?")
    parsed = email.message_from_bytes(wire, policy=policy.default)
    assert str(parsed["Subject"]) == f"【会議のご案内】定例 会議（{JA_START}）"
    assert parsed["To"].addresses[0].display_name == "山田 太郎"


@pytest.mark.parametrize("hard", ["髙", "①", "～", "😀", *JIS_TO_CP932])
def test_iso_2022_jp_header_falls_back_to_utf8(make_content: MakeContent, hard: str) -> None:
    # Per header, as the bodies do (S34); the JIS characters clients map differently too.
    composer = JinjaMailComposer(charset="iso-2022-jp")
    title, name = f"定例 {hard}", f"山田 {hard}"
    wire = wire_bytes(composer.compose(make_content(title=title, to_name=name)))
    assert raw_header(wire, "Subject").startswith("=?utf-8?")
    assert raw_header(wire, "To").startswith("=?utf-8?")
    parsed = email.message_from_bytes(wire, policy=policy.default)
    assert title in str(parsed["Subject"])
    assert parsed["To"].addresses[0].display_name == name


@pytest.mark.parametrize(
    "sender",
    [
        "鈴木 一郎 (営業部) via meetlink <no-reply@meetlink.invalid>",
        '"Smith, John \\"JJ\\"" <no-reply@meetlink.invalid>',
        "A very long organizer display name that cannot fit on one header line at all "
        "<no-reply@meetlink.invalid>",
    ],
)
def test_sender_display_name_reads_back(make_content: MakeContent, sender: str) -> None:
    name, addr = email.utils.parseaddr(sender)
    for charset in CHARSETS:
        message = JinjaMailComposer(sender=sender, charset=charset).compose(make_content())
        (sent,) = reparse(message)["From"].addresses
        assert (sent.display_name, sent.addr_spec) == (name, addr)
        assert mail_problems(message) == []


def test_several_addresses_go_one_per_line() -> None:
    message = EmailMessage(policy=header_policy("utf-8"))
    people = [Address("山田 太郎 " * 4, addr_spec=f"p{i}@example.jp") for i in range(3)]
    message["To"] = people
    message["Cc"] = [
        Address("Bob, Jr.", addr_spec="bob@example.com"),
        Address(addr_spec="c@d.example"),
    ]
    message.set_content("x")
    parsed = reparse(message)
    assert parsed["To"].addresses == tuple(people)
    assert [a.display_name for a in parsed["Cc"].addresses] == ["Bob, Jr.", ""]
    assert mail_problems(message) == []


# --- the check itself ------------------------------------------------------------------


class _SpaceDropping(UnstructuredHeader, BaseHeader):  # the registry adds BaseHeader
    """Folds as a lossy encoder would: the text's spaces vanish on the wire."""

    def fold(self, *, policy: Policy) -> str:
        return f"{self.name}: {str(self).replace(' ', '')}{policy.linesep}"


def _lossy_message(subject: str) -> EmailMessage:
    registry = HeaderRegistry()
    registry.map_to_type("subject", _SpaceDropping)
    message = EmailMessage(policy=policy.SMTP.clone(header_factory=registry))
    message["Subject"] = subject
    message.set_content("body")
    return message


def test_check_names_a_subject_that_loses_text() -> None:
    problems = mail_problems(_lossy_message("Zoom is down"))
    assert any("subject: policy.default reads 'Zoomisdown'" in p for p in problems)
    assert any("subject: decode_header reads 'Zoomisdown'" in p for p in problems)
    assert isinstance(_lossy_message("x")["Subject"], BaseHeader)


def test_check_names_a_body_or_name_changed_on_the_wire(make_content: MakeContent) -> None:
    message = JinjaMailComposer().compose(make_content(locale="en", to_name="Bob"))
    wire = wire_bytes(message)
    assert mail_problems(message, wire) == []
    tampered = wire.replace(b"To: Bob <", b"To: Rob <")
    assert any(p.startswith("to: policy.default reads") for p in mail_problems(message, tampered))
    assert any(p.startswith("to: decode_header reads") for p in mail_problems(message, tampered))


def test_check_names_overlong_and_8bit_header_lines() -> None:
    message = EmailMessage(policy=policy.SMTP)
    message["Subject"] = "x"
    message.set_content("body")
    wire = wire_bytes(message)
    long_line = wire.replace(b"Subject: x", b"Subject: x" + b" y" * 40)
    assert any("header line of 90 characters" in p for p in mail_problems(message, long_line))
    one_word = wire.replace(b"Subject: x", b"Subject: x" + b"y" * 80)  # cannot be folded
    assert not any("header line" in p for p in mail_problems(message, one_word))
    long_type = wire.replace(
        b"Content-Type: text/plain;", b"Content-Type: text/plain;" + b" a=b;" * 15
    )
    assert not any("header line" in p for p in mail_problems(message, long_type))  # not text
    eight_bit = wire.replace(b"Subject: x", "Subject: é".encode())
    assert "header block is not 7-bit ASCII" in mail_problems(message, eight_bit)
