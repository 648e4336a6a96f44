"""Header injection (S32), HTML escaping (S33), Japanese charsets (S34), host templates."""

from __future__ import annotations

import email
import re
from email import policy
from pathlib import Path
from typing import Any

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st
from icalendar import Calendar

from meetlink import Participant
from meetlink.adapters.mail import JinjaMailComposer
from meetlink.domain.notification import MailKind
from meetlink.errors import ConfigurationError, MailDeliveryFailed
from meetlink.testing.mailcheck import wire_bytes
from tests.ical import addresses, calendar_of
from tests.mail.mail_support import MakeContent, body, build_content, reparse

INJECTION = "会議\r\n Bcc: x@evil.example\r\nX-Evil: 1"


def _header_names(wire: bytes) -> list[str]:
    head = wire.split(b"\r\n\r\n", 1)[0].decode("ascii")
    return [line.split(":", 1)[0].lower() for line in head.split("\r\n") if line[:1] not in " \t"]


@pytest.mark.parametrize("field", ["title", "to_name", "organizer_name", "provider_name"])
def test_header_injection_is_neutralised(make_content: MakeContent, field: str) -> None:
    content = make_content(**{field: INJECTION})
    wire = JinjaMailComposer().compose(content).as_bytes()
    names = _header_names(wire)
    assert names.count("subject") == 1
    assert "bcc" not in names and "x-evil" not in names
    assert b"\nBcc:" not in wire and b"\nX-Evil" not in wire
    parsed = reparse(JinjaMailComposer().compose(content))
    assert parsed["Bcc"] is None
    assert "\n" not in parsed["Subject"] and "\n" not in str(parsed["To"])


def test_injection_in_display_name_stays_in_the_name(make_content: MakeContent) -> None:
    parsed = reparse(JinjaMailComposer().compose(make_content(to_name=INJECTION)))
    (to,) = parsed["To"].addresses
    assert to.addr_spec == "taro@example.jp"
    assert "Bcc: x@evil.example" in to.display_name


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("to_email", "taro@example.jp\r\nBcc: x@evil.example"),
        ("to_email", "not an address"),
        ("join_url", "https://zoom.us/j/1\r\nBcc: x@evil.example"),
        ("join_url", "javascript:alert(1)"),
        ("organizer_email", "boss@example.jp\r\nATTENDEE:mailto:x@evil.example"),
        ("attendee_emails", ("a@example.jp\nX-Evil: 1",)),
        ("message_id", "\r\n"),
        ("message_id", "<a@b@c>"),
        ("message_id", "<@x>"),
        ("message_id", "<(c)@x>"),
        ("message_id", "<id@x>\r\nBcc: x@evil.example"),
    ],
)
def test_unusable_header_values_are_refused(
    make_content: MakeContent, field: str, value: object
) -> None:
    with pytest.raises(MailDeliveryFailed) as caught:
        JinjaMailComposer().compose(make_content(**{field: value}))
    assert caught.value.permanent
    assert "evil" not in str(caught.value)


def test_naive_datetime_is_refused(make_content: MakeContent) -> None:
    naive = make_content().start.replace(tzinfo=None)
    with pytest.raises(MailDeliveryFailed, match="start"):
        JinjaMailComposer().compose(make_content(start=naive))


def test_bad_sender_or_charset_is_a_configuration_error() -> None:
    with pytest.raises(ConfigurationError):
        JinjaMailComposer(sender="x@example.com\r\nBcc: y@evil.example")
    with pytest.raises(ConfigurationError):
        JinjaMailComposer(sender="nobody")
    with pytest.raises(ConfigurationError):
        JinjaMailComposer(charset="no-such-charset")


# A participant address with a UTF-8 local part (RFC 6531) is valid; its To header used to be
# written by the email package's folding, whose parser decodes an encoded word in a quoted
# name or at the start of a local part: these put CR LF and a Bcc header on the wire.
_UTF8_LOCAL = "太郎@example.jp"


@pytest.mark.parametrize(
    "name",
    [
        "=?utf-8?q?a=0D=0ABcc:_x@evil.example?=",
        "Zq =?utf-8?q?a=0D=0ABcc:_x@evil.example?=",
        "Plain =?utf-8?q?X?= z",
        INJECTION,
        "山田 太郎",
        'Smith, "JJ" \\ John',
        "x" * 90,
        "",
    ],
)
@pytest.mark.parametrize("charset", ["utf-8", "iso-2022-jp"])
def test_a_name_beside_a_utf8_local_part_stays_literal(
    make_content: MakeContent, name: str, charset: str
) -> None:
    content = make_content(to_name=name, to_email=_UTF8_LOCAL, attendee_emails=(_UTF8_LOCAL,))
    message = JinjaMailComposer(charset=charset).compose(content)
    for wire in (wire_bytes(message), message.as_bytes(policy=policy.SMTP)):
        lines = wire.split(b"\r\n\r\n", 1)[0].decode("utf-8").split("\r\n")
        names = [line.split(":", 1)[0].lower() for line in lines if line[:1] not in " \t"]
        assert "bcc" not in names and "x-evil" not in names and names.count("to") == 1
        assert max(len(line) for line in lines) <= 998
    parsed = email.message_from_string(wire_bytes(message).decode("utf-8"), policy=policy.default)
    (to,) = parsed["To"].addresses
    assert (to.display_name, to.addr_spec) == (" ".join(name.split()), _UTF8_LOCAL)
    assert parsed["Bcc"] is None


@pytest.mark.parametrize(
    "address",
    ["=?utf-8?q?=0D=0ABcc=3Ax=40e.x?=ü@example.jp", "=?utf-8?q?=0D=0AX-Evil=3A1?=.ü@example.jp"],
)
def test_an_encoded_word_in_a_utf8_local_part_is_refused(
    make_content: MakeContent, address: str
) -> None:
    assert Participant(address).email == address  # an address the host may give
    content = make_content(to_email=address, attendee_emails=(address,))
    with pytest.raises(MailDeliveryFailed) as refused:
        JinjaMailComposer().compose(content)
    assert refused.value.permanent


@settings(max_examples=60, deadline=None)
@given(title=st.text(max_size=80), name=st.text(max_size=40))
def test_any_title_and_name_give_one_subject_and_no_bcc(title: str, name: str) -> None:
    wire = JinjaMailComposer().compose(build_content(title=title, to_name=name)).as_bytes()
    names = _header_names(wire)
    assert names.count("subject") == 1 and names.count("to") == 1
    assert "bcc" not in names


SCRIPT = '<script>alert("x")</script> & co'
ESCAPED = "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; &amp; co"


@pytest.mark.parametrize("locale", ["ja", "en"])
@pytest.mark.parametrize("kind", list(MailKind))
def test_html_is_escaped_and_text_is_verbatim(
    make_content: MakeContent, kind: MailKind, locale: str
) -> None:
    content = make_content(kind=kind, locale=locale, title=SCRIPT, to_name=SCRIPT)
    message = JinjaMailComposer().compose(content)
    html = body(message, "html")
    assert "<script>" not in html
    assert ESCAPED in html
    text = body(message, "plain")
    assert SCRIPT in text
    assert "&lt;" not in text and "&amp;" not in text
    assert SCRIPT in message["Subject"]


def _write_overrides(root: Path) -> None:
    (root / "en").mkdir(parents=True)
    (root / "en" / "invitation.html.j2").write_text(
        "<p>HOST {{ title }} {{ to_name }}</p>", encoding="utf-8"
    )
    (root / "en" / "invitation.txt.j2").write_text("HOST TEXT {{ title }}\n", encoding="utf-8")
    (root / "en" / "invitation.subject.j2").write_text("HOST: {{ title }}\n", encoding="utf-8")


def test_host_template_dir_wins_and_html_j2_is_escaped(
    make_content: MakeContent, tmp_path: Path
) -> None:
    _write_overrides(tmp_path)
    composer = JinjaMailComposer(template_dirs=[tmp_path])
    message = composer.compose(make_content(locale="en", title=SCRIPT, to_name="<b>x</b>"))
    assert message["Subject"] == f"HOST: {SCRIPT}"
    assert body(message, "html") == f"<p>HOST {ESCAPED} &lt;b&gt;x&lt;/b&gt;</p>\n"
    assert body(message, "plain") == f"HOST TEXT {SCRIPT}\n"
    # Files the host did not override still come from the package.
    assert composer.compose(make_content(locale="ja"))["Subject"].startswith("【会議のご案内】")


def test_host_templates_are_sandboxed(make_content: MakeContent, tmp_path: Path) -> None:
    (tmp_path / "en").mkdir()
    (tmp_path / "en" / "invitation.txt.j2").write_text(
        "{{ ''.__class__.__mro__[1].__subclasses__() }}", encoding="utf-8"
    )
    from jinja2.exceptions import SecurityError

    with pytest.raises(SecurityError):
        JinjaMailComposer(template_dirs=[tmp_path]).compose(make_content(locale="en"))


HARD_JA = "髙橋 ① ～ ㈱テスト ﾃｽﾄ"


def test_japanese_in_utf8(make_content: MakeContent) -> None:
    content = make_content(title=HARD_JA, to_name="髙橋 ①", description=HARD_JA)
    parsed = reparse(JinjaMailComposer().compose(content))
    assert HARD_JA in parsed["Subject"]
    assert parsed["To"].addresses[0].display_name == "髙橋 ①"
    for subtype in ("plain", "html"):
        part = next(p for p in parsed.walk() if p.get_content_type() == f"text/{subtype}")
        assert part.get_content_charset() == "utf-8"
        assert part["Content-Transfer-Encoding"] == "base64"
        assert HARD_JA in part.get_content()
    cal = calendar_of(next(p for p in parsed.walk() if p.get_content_type() == "text/calendar"))
    assert str(cal.walk("VEVENT")[0]["SUMMARY"]) == HARD_JA


def test_iso_2022_jp_when_the_text_fits(make_content: MakeContent) -> None:
    composer = JinjaMailComposer(charset="iso-2022-jp")
    parsed = reparse(composer.compose(make_content(title="定例会議", description="予算")))
    part = next(p for p in parsed.walk() if p.get_content_type() == "text/plain")
    assert part.get_content_charset() == "iso-2022-jp"
    raw = part.get_payload(decode=True)
    assert isinstance(raw, bytes) and raw.isascii()  # 7-bit JIS
    text = part.get_content()
    assert "定例会議" in text
    # ISO-2022-JP has no U+FF5E, so the time range uses its WAVE DASH.
    assert "2026年12月1日(火) 10:00〜11:00 (Asia/Tokyo)" in text


@pytest.mark.parametrize("hard", ["髙", "①", "㈱", "～", "ﾃｽﾄ"])
def test_iso_2022_jp_falls_back_to_utf8(make_content: MakeContent, hard: str) -> None:
    composer = JinjaMailComposer(charset="iso-2022-jp")
    title = f"定例会議 {hard}"
    parsed = reparse(composer.compose(make_content(title=title)))
    for subtype in ("plain", "html"):
        part = next(p for p in parsed.walk() if p.get_content_type() == f"text/{subtype}")
        assert part.get_content_charset() == "utf-8"
        assert title in part.get_content()
    assert title in parsed["Subject"]


def test_english_in_iso_2022_jp_mode(make_content: MakeContent) -> None:
    composer = JinjaMailComposer(charset="ISO-2022-JP")
    message = composer.compose(make_content(locale="en", title="Budget", to_name="Taro"))
    assert "Tue, 1 Dec 2026 10:00 - 11:00 (Asia/Tokyo)" in body(message, "plain")


def _ics_of(content_overrides: dict[str, str]) -> bytes:
    message = JinjaMailComposer().compose(build_content(**content_overrides))
    (part,) = [p for p in message.walk() if p.get_content_type() == "text/calendar"]
    raw = part.get_payload(decode=True)
    assert isinstance(raw, bytes)
    return raw


# Parameter text as a person might type it: no control character or DQUOTE (those the
# composer replaces), no edge spaces (stripped), with the characters iCalendar readers treat
# specially (backslash, ^, : ; , ').
_PARAM_TEXT = st.text(
    alphabet=st.one_of(
        st.sampled_from("\\^:;,' a"),
        st.characters(blacklist_categories=("Cc", "Cs"), blacklist_characters='"'),
    ),
    min_size=1,
    max_size=30,
).filter(lambda s: s == s.strip())

# RFC 5545 gives parameter values no backslash escapes, but icalendar reads a backslash before
# a backslash or : ; , as an escape and drops it: only such pairs may read back differently.
_ESCAPE_LIKE = re.compile(r"\\[\\:;,]")


def _check_structure(cal: Calendar) -> tuple[Any, Any, Any]:
    """The addresses and fixed parameters are intact; returns (organizer, recipient, conference)."""
    (event,) = cal.walk("VEVENT")
    assert str(event["ORGANIZER"]) == "mailto:boss@example.jp"
    by_address = {str(a): a for a in addresses(event)}
    assert set(by_address) == {"mailto:taro@example.jp", "mailto:hanako@example.jp"}
    for attendee in by_address.values():
        params = attendee.params
        assert (params["ROLE"], params["PARTSTAT"], params["RSVP"]) == (
            "REQ-PARTICIPANT",
            "NEEDS-ACTION",
            "FALSE",
        )
    conference = event["CONFERENCE"]
    assert str(conference) == "https://zoom.us/j/89012345678?pwd=abc"
    assert (conference.params["VALUE"], conference.params["FEATURE"]) == ("URI", "VIDEO")
    return event["ORGANIZER"], by_address["mailto:taro@example.jp"], conference


@settings(max_examples=80, deadline=None)
@given(organizer=_PARAM_TEXT, attendee=_PARAM_TEXT, label=_PARAM_TEXT)
@example(organizer="Foo\\", attendee="Bar\\", label="Zoom\\")
@example(organizer="a\\;b", attendee="\\\\", label="x\\:y")
def test_names_in_calendar_parameters_never_break_the_line(
    organizer: str, attendee: str, label: str
) -> None:
    """CN and LABEL read back unchanged (but for backslash pairs, see above), and never eat
    what follows them: ``ORGANIZER;CN=Foo\\:mailto:...`` read back as CN "Foo:mailto" and no
    address."""
    ics = _ics_of({"organizer_name": organizer, "to_name": attendee, "provider_name": label})
    organizer_read, recipient, conference = _check_structure(Calendar.from_ical(ics))
    for written, read in (
        (organizer, organizer_read.params["CN"]),
        (attendee, recipient.params["CN"]),
        (label, conference.params["LABEL"]),
    ):
        if not _ESCAPE_LIKE.search(written):
            assert read == written


def test_a_backslash_before_a_separator_is_written_inside_quotes() -> None:
    ics = _ics_of({"organizer_name": "a\\;b", "to_name": "c\\", "provider_name": "e\\,f"})
    unfolded = ics.decode("utf-8").replace("\r\n ", "")
    assert 'ORGANIZER;CN="a\\;b":mailto:boss@example.jp' in unfolded
    assert 'CN="c\\";PARTSTAT=NEEDS-ACTION;' in unfolded
    assert 'LABEL="e\\,f"' in unfolded
    _check_structure(Calendar.from_ical(ics))
