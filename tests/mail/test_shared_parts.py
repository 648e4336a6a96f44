"""What one mailing's messages share (headers parsed once and folded once per wire form, the
calendar built once) changes no byte: each recipient's message, composed among the others by
one composer, is on the wire what composing it alone without sharing writes (MIME boundaries
aside: they are random in both), in every wire form a mailer uses, and no recipient's message
carries another recipient's name or address, whatever the names hold (line breaks, encoded
words, boundary look-alikes)."""

from __future__ import annotations

import email
import re
from contextlib import ExitStack
from email import policy
from email.generator import BytesGenerator
from email.message import EmailMessage
from email.policy import EmailPolicy
from io import BytesIO
from unittest.mock import patch

from hypothesis import given, settings
from hypothesis import strategies as st

from meetlink.adapters.mail import JinjaMailComposer
from meetlink.adapters.mail import composer as composer_module
from meetlink.adapters.mail._headers import header_policy
from meetlink.adapters.mail._ical import build_calendar
from meetlink.domain.notification import MailKind
from meetlink.ports.mailer import MailContent
from meetlink.testing.mailcheck import wire_bytes
from tests.mail.mail_support import CHARSETS, TEXTS, build_content

_BOUNDARY = re.compile(rb"={15}\d{19}==")


def _alone(composer: JinjaMailComposer, content: MailContent) -> EmailMessage:
    """``content`` composed as before any sharing: a policy that parses and folds every
    header anew, each header made from its value, the calendar built for the recipient."""
    with ExitStack() as stack:
        stack.enter_context(
            patch.object(
                composer_module, "header_policy", lambda cs: header_policy(cs, shared=False)
            )
        )
        stack.enter_context(
            patch.object(composer_module, "_shared_header", lambda policy, name, value: value)
        )
        stack.enter_context(patch.object(composer_module, "calendar_for", build_calendar))
        stack.enter_context(patch.object(composer_module, "_set_boundaries", lambda m, c: None))
        return composer.compose(content)


def _smtplib_form(message: EmailMessage) -> bytes:
    """How ``smtplib.send_message`` writes a message with SMTPUTF8 (its policy cloned)."""
    out = BytesIO()
    assert isinstance(message.policy, EmailPolicy)
    BytesGenerator(out, policy=message.policy.clone(utf8=True)).flatten(message, linesep="\r\n")
    return out.getvalue()


def _wire_forms(message: EmailMessage) -> list[bytes]:
    """Every form a mailer or a host writes, in turn (each folds the same header objects
    under another policy, and again)."""
    forms = [
        wire_bytes(message),
        message.as_bytes(policy=policy.SMTP),
        message.as_bytes(policy=policy.SMTPUTF8),
        message.as_bytes(),
        message.as_string().encode("utf-8", "surrogateescape"),
        _smtplib_form(message),
        message.as_bytes(policy=policy.default),
        wire_bytes(message),
    ]
    found: dict[bytes, bytes] = {}
    return [
        _BOUNDARY.sub(lambda m: found.setdefault(m.group(), b"B%d" % len(found)), form)
        for form in forms
    ]


_KINDS = st.sampled_from(list(MailKind))
_NAMES = st.one_of(
    TEXTS,
    st.sampled_from(
        [
            "",
            "Eve\r\nBcc: x@evil.example",
            "=?utf-8?q?a=0D=0ABcc:_x@evil.example?=",
            "--===============0000000000000000000==",
            '"Mallory" <mallory@evil.example>, ',
            "山田 太郎",
        ]
    ),
)
_LOCALS = st.sampled_from(["taro", "hanako", "ünï", "a.very.long.local.part.that.folds.somewhere"])


@settings(max_examples=80, deadline=None)
@given(
    kind=_KINDS,
    locale=st.sampled_from(["ja", "en"]),
    charset=st.sampled_from(CHARSETS),
    names=st.lists(_NAMES, min_size=1, max_size=5),
    local=_LOCALS,
    big=st.booleans(),
    title=TEXTS,
)
def test_each_message_of_a_mailing_is_what_composing_it_alone_writes(
    kind: MailKind,
    locale: str,
    charset: str,
    names: list[str],
    local: str,
    big: bool,
    title: str,
) -> None:
    recipients = [(f"Zq{i}Zq {name}", f"{local}{i}@example.jp") for i, name in enumerate(names)]
    everyone = tuple(address for _, address in recipients)
    composer = JinjaMailComposer(charset=charset)
    contents = [
        build_content(
            kind=kind,
            locale=locale,
            title=title or "t",
            to_name=name,
            to_email=address,
            message_id=f"<m{i}@meetlink.invalid>",
            # A big event lists each recipient alone; a small one lists everyone.
            attendee_emails=(address,) if big else everyone,
            changes=("time",) if kind in (MailKind.UPDATE, MailKind.WITHDRAWAL) else (),
        )
        for i, (name, address) in enumerate(recipients)
    ]
    shared = [composer.compose(content) for content in contents]
    for i, (content, message) in enumerate(zip(contents, shared, strict=True)):
        assert _wire_forms(message) == _wire_forms(_alone(composer, content))
        _assert_only_its_recipient(message, i, recipients, listed_others=not big)


def _assert_only_its_recipient(
    message: EmailMessage, index: int, recipients: list[tuple[str, str]], *, listed_others: bool
) -> None:
    """No other recipient's name in any header or part of ``message`` (decoded), nor their
    address unless the mailing lists every attendee (a small event, by design)."""
    # Read as text: an address with a UTF-8 local part goes out as UTF-8 (SMTPUTF8).
    parsed = email.message_from_string(wire_bytes(message).decode("utf-8"), policy=policy.default)
    assert isinstance(parsed, EmailMessage)
    texts = [str(value) for _, value in parsed.items()]
    for part in parsed.walk():
        if part.is_multipart():
            continue
        raw = part.get_payload(decode=True)
        assert isinstance(raw, bytes)
        charset = part.get_content_charset() or "utf-8"
        texts.append(raw.replace(b"\r\n ", b"").decode(charset.replace("-", "_")))
    everything = "\n".join(texts)
    assert f"Zq{index}Zq" in everything
    (to,) = parsed["To"].addresses
    assert to.addr_spec == recipients[index][1]
    for other, (_, address) in enumerate(recipients):
        if other == index:
            continue
        assert f"Zq{other}Zq" not in everything
        if not listed_others:
            assert address not in everything


def test_a_header_folds_once_per_wire_form_and_the_same_as_a_fresh_one() -> None:
    composer = JinjaMailComposer()
    content = build_content(title="Demo while Zoom is down " * 4)
    first = composer.compose(content)
    second = composer.compose(content)
    # The mailing's messages share their header objects...
    assert first["Subject"] is second["Subject"]
    assert first["From"] is second["From"]
    # ...each folded once per wire form, the same as a header made afresh.
    for form in (policy.SMTP, policy.SMTPUTF8, policy.SMTP.clone(max_line_length=40)):
        fresh = header_policy("utf-8", shared=False).header_store_parse(
            "Subject", str(first["Subject"])
        )[1]
        assert first["Subject"].fold(policy=form) == fresh.fold(policy=form)
        assert second["Subject"].fold(policy=form) == fresh.fold(policy=form)


def _ascii(**fields: str) -> MailContent:
    """Content whose text is all ASCII (its bodies go out as they are, not in base64)."""
    return build_content(locale="en", title="Plain", organizer_name="Boss", **fields)


def test_a_boundary_in_the_text_gives_that_message_another() -> None:
    # The mailing's boundary on a line of its own in the text (which the generator would
    # take as the end of the part): that message gets a boundary of its own, and reads back
    # part for part. (A mailing's boundary is a keyed hash no sender can know beforehand.)
    composer = JinjaMailComposer()
    first = composer.compose(_ascii(to_name="Bob", description="Plain"))
    mixed, alternative = (p.get_boundary() for p in first.walk() if p.is_multipart())
    assert mixed and alternative and mixed != alternative
    for boundary in (mixed, alternative):
        description = f"Before\n--{boundary}--\nAfter"
        content = _ascii(to_name="Eve", description=description)
        message = composer.compose(content)
        assert boundary not in [p.get_boundary() for p in message.walk() if p.is_multipart()]
        parsed = email.message_from_bytes(wire_bytes(message), policy=policy.default)
        assert isinstance(parsed, EmailMessage)
        types = [p.get_content_type() for p in parsed.walk()]
        assert types == [
            "multipart/mixed",
            "multipart/alternative",
            "text/plain",
            "text/html",
            "text/calendar",
            "application/ics",
        ]
        text = next(p for p in parsed.walk() if p.get_content_type() == "text/plain")
        assert description in text.get_content().replace("\r\n", "\n")
    # The others of the mailing keep sharing its boundaries.
    again = composer.compose(_ascii(to_name="Carol", description="Plain"))
    assert [p.get_boundary() for p in again.walk() if p.is_multipart()] == [mixed, alternative]


def test_nothing_a_mailing_shared_outlives_the_pass_that_sent_it() -> None:
    """Within one ``run_pending()`` pass a mailing's messages share their parsed parts (the
    same Subject header object); once the pass ends the composer keeps none of them, so a
    title or an address is not held in memory after the mail went (nor after an erasure)."""
    from datetime import UTC, datetime, timedelta

    from meetlink import Event, Participant
    from meetlink.adapters.mail import _headers, _ical
    from meetlink.testing import Sandbox

    now = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
    with Sandbox(now=now, seed=3) as sb:
        sb.meetlink.start_trial("t1")
        sb.link_user("t1", "alice")
        people = tuple(Participant(f"p{i}@example.com", f"P {i}") for i in range(3))
        start = now + timedelta(days=1)
        sb.meetlink.save_event(
            Event("e1", "t1", "alice", "Quarterly plan, confidential", start,
                  start + timedelta(hours=1), participants=people, web_meeting="zoom")
        )  # fmt: skip
        assert sb.meetlink.run_pending() == 3
        subjects = [m["Subject"] for m in sb.outbox]
        assert all(s is subjects[0] for s in subjects)  # shared while the mailing went
        assert "Quarterly plan, confidential" in str(subjects[0])
        assert _headers._stored.cache_info().currsize == 0
        assert _ical._shared_calendar.cache_info().currsize == 0
        assert composer_module._shared_headers == {}
        assert composer_module._shared_address.cache_info().currsize == 0
        assert composer_module._mailing_boundary.cache_info().currsize == 0
