"""Helpers shared by the mail adapter tests.

A uniquely named module (not ``conftest``) so ``from mail_support import ...`` cannot pick up
another directory's conftest when the whole suite runs."""

from __future__ import annotations

import email
import string
from collections.abc import Callable
from datetime import UTC, datetime
from email import policy
from email.message import EmailMessage
from typing import Any

from hypothesis import strategies as st

from meetlink.adapters.mail._headers import JIS_TO_CP932
from meetlink.domain.notification import MailKind
from meetlink.ports.mailer import MailContent

MakeContent = Callable[..., MailContent]


def build_content(**overrides: Any) -> MailContent:
    fields: dict[str, Any] = {
        "kind": MailKind.INVITATION,
        "to_email": "taro@example.jp",
        "to_name": "山田 太郎",
        "locale": "ja",
        "event_id": "ev-1",
        "uid": "ev-1@meetlink.invalid",
        "sequence": 0,
        "title": "定例会議",
        "start": datetime(2026, 12, 1, 1, 0, tzinfo=UTC),
        "end": datetime(2026, 12, 1, 2, 0, tzinfo=UTC),
        "timezone": "Asia/Tokyo",
        "description": "議題: 予算",
        "provider_name": "Zoom",
        "join_url": "https://zoom.us/j/89012345678?pwd=abc",
        "passcode": "123456",
        "organizer_email": "boss@example.jp",
        "organizer_name": "鈴木 一郎",
        "attendee_emails": ("taro@example.jp", "hanako@example.jp"),
        "message_id": "<ev-1.invitation.taro@meetlink.invalid>",
        "created_at": datetime(2026, 11, 20, 9, 30, tzinfo=UTC),
    }
    if overrides.get("kind") is MailKind.WITHDRAWAL:  # the URL is gone
        fields.update(join_url="", passcode=None)
    fields.update(overrides)
    return MailContent(**fields)


def reparse(message: EmailMessage) -> EmailMessage:
    """``message`` as a recipient sees it: serialized to wire bytes and parsed back."""
    parsed = email.message_from_bytes(message.as_bytes(), policy=policy.default)
    assert isinstance(parsed, EmailMessage)
    return parsed


def body(message: EmailMessage, subtype: str) -> str:
    """The decoded text of the first ``text/<subtype>`` part."""
    for part in message.walk():
        if part.get_content_type() == f"text/{subtype}":
            content = part.get_content()
            assert isinstance(content, str)
            return content
    raise AssertionError(f"no text/{subtype} part")


# The subject each template renders around the title, for the default start (10:00 in Tokyo).
JA_START, EN_START = "2026年12月1日(火) 10:00", "Tue, 1 Dec 2026 10:00"
SUBJECTS = {
    ("ja", MailKind.INVITATION): ("【会議のご案内】", f"（{JA_START}）"),
    ("ja", MailKind.UPDATE): ("【変更】", f"（{JA_START}）"),
    ("ja", MailKind.CANCELLATION): ("【中止】", f"（{JA_START}）"),
    ("ja", MailKind.REMINDER): ("【まもなく開始】", f"（{JA_START}）"),
    ("ja", MailKind.WITHDRAWAL): ("【変更】", f"（{JA_START}）Zoom 会議は削除されました"),
    ("en", MailKind.INVITATION): ("Invitation: ", f" ({EN_START})"),
    ("en", MailKind.UPDATE): ("Updated: ", f" ({EN_START})"),
    ("en", MailKind.CANCELLATION): ("Cancelled: ", f" ({EN_START})"),
    ("en", MailKind.REMINDER): ("Starting soon: ", f" ({EN_START})"),
    ("en", MailKind.WITHDRAWAL): ("Updated: ", f" ({EN_START}), Zoom meeting removed"),
}
CHARSETS = ("utf-8", "iso-2022-jp")
COMBINATIONS = [(k, loc, cs) for (loc, k) in SUBJECTS for cs in CHARSETS]

# Pieces that have broken mail headers somewhere: encoded-word look-alikes, specials, emoji
# (one with ZWJ), full-width punctuation, the JIS characters clients map differently, text
# ISO-2022-JP cannot carry, other scripts, Unicode spaces.
SPECIALS = [
    "=?",
    "?=",
    "=?utf-8?q?a=0D=0ABcc:_x@evil.example?=",
    '"',
    "\\",
    "<a@b>",
    ",",
    ";",
    "(c)",
    "😀",
    "👨\u200d👩\u200d👧",
    "（）【】「」！？：、。",
    "～",
    *JIS_TO_CP932,
    "髙橋",
    "①",
    "ﾃｽﾄ",
    "Café",
    "한국어",
    "العربية",
    "\u3000",
    "\u00a0",
    "_",
]
_ANY_CHAR = st.characters(blacklist_categories=("Cc", "Cs", "Zl", "Zp"))
PIECES = st.one_of(
    st.text(_ANY_CHAR, min_size=1, max_size=12),
    st.text("定例会議予算山田太郎の件", min_size=1, max_size=30),
    st.text(string.ascii_letters + string.digits, min_size=1, max_size=120),
    st.text(" ", min_size=1, max_size=6),
    st.sampled_from(SPECIALS),
)
TEXTS = st.lists(PIECES, max_size=12).map("".join)
