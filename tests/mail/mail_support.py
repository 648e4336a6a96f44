"""Helpers shared by the mail adapter tests.

A uniquely named module (not ``conftest``) so ``from mail_support import ...`` cannot pick up
another directory's conftest when the whole suite runs."""

from __future__ import annotations

import email
from collections.abc import Callable
from datetime import UTC, datetime
from email import policy
from email.message import EmailMessage
from typing import Any

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
