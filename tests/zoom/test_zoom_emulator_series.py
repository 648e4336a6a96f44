"""R2 at the Zoom boundary: ZoomProvider <-> emulator for type 8 and type 3 meetings, with
every request and response body validated against Zoom's OpenAPI schemas."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import attrs
import httpx
import pytest

from meetlink import MovedOccurrence
from meetlink.adapters.clock import ManualClock
from meetlink.adapters.zoom import ZoomProvider
from meetlink.adapters.zoom.recurrence import occurrence_id
from meetlink.domain.conference import MeetingTerms
from meetlink.emulators.zoom import ZoomEmulator
from meetlink.ports.provider import MeetingRequest
from tests.providers.schemas import SchemaChecking
from tests.providers.targets import pkce

from .schemas import checking

TOKYO = ZoneInfo("Asia/Tokyo")
START = datetime(2025, 3, 17, 10, 0, tzinfo=TOKYO)  # a Monday, a week after the clock
WEEK = timedelta(days=7)
REFRESH: dict[str, str] = {}


@pytest.fixture
def checked(emulator: ZoomEmulator, clock: ManualClock) -> tuple[ZoomProvider, SchemaChecking, str]:
    transport = checking(emulator.transport())
    provider = ZoomProvider(
        client_id=emulator.client_id,
        client_secret=emulator.client_secret,
        redirect_uri=emulator.redirect_uri,
        transport=transport,
        clock=clock,
    )
    user = emulator.add_user("host@example.com")
    verifier, challenge = pkce()
    answer = emulator.consent(provider.authorization_url(state="s", code_challenge=challenge), user)
    tokens = provider.exchange_code(code=answer["code"], code_verifier=verifier)
    REFRESH[tokens.access_token] = tokens.refresh_token
    return provider, transport, tokens.access_token


def _terms(rule: str | None, **fields: Any) -> MeetingRequest:
    terms = MeetingTerms(
        topic="Weekly", start=START, duration_minutes=30, timezone="Asia/Tokyo", recurrence=rule
    )
    return MeetingRequest(terms=attrs.evolve(terms, **fields), marker="mk-1")


def test_type_8_with_skipped_and_moved_occurrences_through_the_provider(
    emulator: ZoomEmulator, checked: tuple[ZoomProvider, SchemaChecking, str]
) -> None:
    provider, transport, token = checked
    moved = MovedOccurrence(
        START + WEEK, START + WEEK + timedelta(hours=2), START + WEEK + timedelta(hours=3)
    )
    request = _terms("FREQ=WEEKLY;COUNT=5", exdates=(START + 2 * WEEK,), moved=(moved,))
    meeting = provider.create_meeting(token, request)
    (stored,) = emulator.meetings()
    assert stored["type"] == 8 and stored["recurrence"]["end_times"] == 5
    by_id = {o["occurrence_id"]: o for o in stored["occurrences"]}
    assert occurrence_id(START + 2 * WEEK) not in by_id and len(by_id) == 4
    changed = by_id[occurrence_id(START + WEEK)]
    assert changed["start_time"] == "2025-03-24T03:00:00Z" and changed["duration"] == 60
    assert {"meeting_create_request", "meeting_create_response", "meeting_update_request"} <= set(
        transport.checked
    )

    # A series change lays the occurrences out anew; the exceptions are applied again.
    provider.update_meeting(
        token,
        meeting.meeting_id,
        _terms("FREQ=WEEKLY;COUNT=6", exdates=(START + 2 * WEEK,), moved=(moved,)),
    )
    (stored,) = emulator.meetings()
    by_id = {o["occurrence_id"]: o for o in stored["occurrences"]}
    assert len(by_id) == 5 and by_id[occurrence_id(START + WEEK)]["duration"] == 60
    assert provider.get_meeting(token, meeting.meeting_id).join_url == meeting.join_url
    # Unchanged terms: the occurrences already say it, nothing more is sent.
    before = len(emulator.requests)
    same = _terms("FREQ=WEEKLY;COUNT=6", exdates=(START + 2 * WEEK,), moved=(moved,))
    provider.update_meeting(token, meeting.meeting_id, same)
    assert [m for m, _ in emulator.requests[before:]] == ["PATCH", "GET"]


def test_type_3_and_back_to_type_2(
    emulator: ZoomEmulator, checked: tuple[ZoomProvider, SchemaChecking, str]
) -> None:
    provider, _, token = checked
    meeting = provider.create_meeting(token, _terms("FREQ=WEEKLY"))  # open-ended
    (stored,) = emulator.meetings()
    assert stored["type"] == 3 and "start_time" not in stored and "occurrences" not in stored
    assert meeting.start is None
    assert [m.meeting_id for m in provider.list_meetings(token)] == [meeting.meeting_id]
    provider.update_meeting(token, meeting.meeting_id, _terms(None))
    (stored,) = emulator.meetings()
    assert stored["type"] == 2 and stored["start_time"] == "2025-03-17T01:00:00Z"


def _raw(emulator: ZoomEmulator, token: str) -> httpx.Client:
    return httpx.Client(
        transport=checking(emulator.transport()),
        base_url="https://api.zoom.us",
        headers={"Authorization": f"Bearer {token}"},
    )


@pytest.mark.parametrize(
    ("recurrence", "field"),
    [
        ({"type": 2, "weekly_days": "2", "end_times": 61}, "recurrence.end_times"),
        ({"type": 1, "repeat_interval": 91, "end_times": 2}, "recurrence.repeat_interval"),
        ({"type": 2, "weekly_days": "8", "end_times": 2}, "recurrence.weekly_days"),
        ({"type": 3, "monthly_week": 5, "monthly_week_day": 2}, "recurrence.monthly_week"),
        (
            {"type": 1, "end_times": 2, "end_date_time": "2025-04-01T00:00:00Z"},
            "recurrence.end_date_time",
        ),
    ],
)
def test_the_emulator_refuses_recurrences_zoom_refuses(
    emulator: ZoomEmulator,
    checked: tuple[ZoomProvider, SchemaChecking, str],
    recurrence: dict[str, object],
    field: str,
) -> None:
    _, _, token = checked
    body = {"topic": "x", "type": 8, "start_time": "2025-03-17T01:00:00Z", "recurrence": recurrence}
    with httpx.Client(transport=emulator.transport(), base_url="https://api.zoom.us") as raw:
        answer = raw.post(
            "/v2/users/me/meetings", json=body, headers={"Authorization": f"Bearer {token}"}
        )
    assert answer.status_code == 400 and answer.json()["code"] == 300
    assert field in {e["field"] for e in answer.json()["errors"]}


def test_occurrence_ids_past_occurrences_and_unknown_ids(
    emulator: ZoomEmulator,
    clock: ManualClock,
    checked: tuple[ZoomProvider, SchemaChecking, str],
) -> None:
    provider, _, token = checked
    meeting = provider.create_meeting(token, _terms("FREQ=DAILY;COUNT=10"))
    path = f"/v2/meetings/{meeting.meeting_id}"
    with _raw(emulator, token) as raw:
        unknown = raw.delete(path, params={"occurrence_id": "1"})
    assert unknown.status_code == 400 and unknown.json()["code"] == 3000
    clock.set(START.astimezone(UTC) + timedelta(days=3, hours=1))
    token = provider.refresh(REFRESH[token]).access_token
    with _raw(emulator, token) as raw:
        shown = raw.get(path).json()["occurrences"]
        every = raw.get(path, params={"show_previous_occurrences": "true"}).json()["occurrences"]
    assert len(every) == 10 and len(shown) == 6  # past occurrences are left out by default
    assert shown[0]["occurrence_id"] == occurrence_id(START + timedelta(days=4))
