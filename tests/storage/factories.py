"""Records for storage tests, with defaults that tests override by keyword."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from meetlink.domain.conference import ConferenceRecord, ConferenceStatus, MailedState, MeetingTerms
from meetlink.domain.event import Event, Participant, Source, Span
from meetlink.domain.links import LinkRecord, TokenSet
from meetlink.domain.records import EventRecord, PendingAuth

T0 = datetime(2026, 1, 5, 9, 0, 0, 123456, tzinfo=UTC)
TOKYO = ZoneInfo("Asia/Tokyo")


def tokens(n: int = 1) -> TokenSet:
    """A distinct token set."""
    return TokenSet(
        access_token=f"access-plaintext-{n}-AAAA",
        refresh_token=f"refresh-plaintext-{n}-RRRR",
        expires_at=T0 + timedelta(hours=1),
        scope="meeting:write user:read",
    )


def link(link_id: str = "l1", **overrides: Any) -> LinkRecord:
    """An active link of user u1 to zoom account acct-1."""
    fields: dict[str, Any] = {
        "id": link_id,
        "user_id": "u1",
        "tenant_id": "t1",
        "provider": "zoom",
        "external_account_id": "acct-1",
        "account_id": "zoom-account-1",
        "email": "host@example.com",
        "plan": "pro",
        "linked_at": T0,
        "tokens": tokens(),
        "refreshed_at": T0,
    }
    fields.update(overrides)
    return LinkRecord(**fields)


def pending(state: str = "state-1", **overrides: Any) -> PendingAuth:
    """An OAuth authorization in flight."""
    fields: dict[str, Any] = {
        "state": state,
        "tenant_id": "t1",
        "user_id": "u1",
        "provider": "zoom",
        "code_verifier": "verifier-plaintext-" + "v" * 40,
        "created_at": T0,
        "expires_at": T0 + timedelta(minutes=10),
    }
    fields.update(overrides)
    return PendingAuth(**fields)


def event_record(event_id: str = "e1", tenant_id: str = "t1", **overrides: Any) -> EventRecord:
    """A timed event of tenant ``tenant_id`` in Tokyo with two participants."""
    start = datetime(2026, 2, 1, 10, 0, tzinfo=TOKYO)
    event = Event(
        event_id,
        tenant_id,
        "u1",
        "週次ミーティング <b>",
        start,
        start + timedelta(minutes=45),
        timezone="Asia/Tokyo",
        span=Span.TIMED,
        source=Source.WORKFLOW,
        participants=(
            Participant("a@example.com", "Ａさん", "ja"),
            Participant("B@Example.com", "Bob", "en"),
        ),
        web_meeting="zoom",
        description="agenda\nline 2",
    )
    fields: dict[str, Any] = {"event": event, "sequence": 2, "remind_at": None, "updated_at": T0}
    fields.update(overrides)
    return EventRecord(**fields)


def conference(event_id: str = "e1", **overrides: Any) -> ConferenceRecord:
    """An issued conference (of tenant t1's event) with synced terms and mail state."""
    start = datetime(2026, 2, 1, 10, 0, tzinfo=TOKYO)
    fields: dict[str, Any] = {
        "tenant_id": "t1",
        "event_id": event_id,
        "provider": "zoom",
        "external_account_id": "acct-1",
        "status": ConferenceStatus.ISSUED,
        "marker": f"meetlink:{event_id}:1",
        "meeting_id": "89012345678",
        "join_url": "https://zoom.us/j/89012345678?pwd=abc",
        "passcode": "a1B2c3",
        "synced": MeetingTerms(
            topic="週次", start=start, duration_minutes=45, timezone="Asia/Tokyo", agenda="x"
        ),
        "maybe_created": False,
        "mailed": MailedState(
            join_url="https://zoom.us/j/89012345678?pwd=abc",
            passcode="a1B2c3",
            start=start,
            end=start + timedelta(minutes=45),
            emails=("a@example.com", "b@example.com"),
        ),
        "created_at": T0,
    }
    fields.update(overrides)
    return ConferenceRecord(**fields)
