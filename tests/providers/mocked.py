"""Providers answered by ``httpx.MockTransport``: one builder per provider and the bodies each
provider sends for the same kind of failure, so the error tests run on every provider."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import attrs
import httpx

from meetlink.adapters.clock import ManualClock
from meetlink.adapters.google_meet import GoogleMeetProvider
from meetlink.adapters.shell import ProviderShell
from meetlink.adapters.teams import TeamsProvider
from meetlink.adapters.zoom import ZoomProvider
from meetlink.domain.conference import MeetingTerms
from meetlink.ports.provider import MeetingRequest

from .targets import T0

Handler = Callable[[httpx.Request], httpx.Response]
REQUEST = MeetingRequest(
    terms=MeetingTerms(
        topic="Sync", start=T0 + timedelta(days=1), duration_minutes=30, timezone="UTC"
    ),
    marker="mk",
)


def answer(status: int, body: object = None, headers: dict[str, str] | None = None) -> Handler:
    """A handler that answers every request with ``status`` and ``body`` (JSON unless bytes)."""
    raw = body if isinstance(body, bytes) else b"" if body is None else json.dumps(body).encode()
    return lambda request: httpx.Response(status, content=raw, headers=headers or {})


def raising(exc_type: type[httpx.TransportError]) -> Handler:
    """A handler whose transport fails with ``exc_type``."""

    def handler(request: httpx.Request) -> httpx.Response:
        raise exc_type("boom", request=request)

    return handler


@attrs.frozen
class Mocked:
    """One provider kind: how to build it on a handler, a meeting id it accepts, and its
    bodies for an expired token, a missing meeting and a dead grant."""

    name: str
    build: Callable[[Handler, ManualClock], ProviderShell]
    meeting_id: str
    expired_token: Any
    missing_meeting: Any
    dead_grant: Any
    meeting_json: Any
    update_calls: bool = True  # an update is a call (Meet: a space has nothing to update)


def _zoom(handler: Handler, clock: ManualClock) -> ProviderShell:
    return ZoomProvider(
        client_id="cid",
        client_secret="csecret",
        redirect_uri="https://app.example/cb",
        webhook_secrets="whsec",
        transport=httpx.MockTransport(handler),
        clock=clock,
    )


def _teams(handler: Handler, clock: ManualClock) -> ProviderShell:
    return TeamsProvider(
        client_id="cid",
        client_secret="csecret",
        redirect_uri="https://app.example/cb",
        transport=httpx.MockTransport(handler),
        clock=clock,
    )


def _google_meet(handler: Handler, clock: ManualClock) -> ProviderShell:
    return GoogleMeetProvider(
        client_id="cid",
        client_secret="csecret",
        redirect_uri="https://app.example/cb",
        transport=httpx.MockTransport(handler),
        clock=clock,
    )


def _google(code: int, status: str, message: str = "m") -> dict[str, Any]:
    return {"error": {"code": code, "message": message, "status": status}}


def _graph(code: str, message: str = "m") -> dict[str, Any]:
    return {"error": {"code": code, "message": message, "innerError": {"request-id": "r"}}}


KINDS = {
    "zoom": Mocked(
        name="zoom",
        build=_zoom,
        meeting_id="123",
        expired_token={"code": 124, "message": "Invalid access token."},
        missing_meeting={"code": 3001, "message": "Meeting 123 is not found or has expired."},
        dead_grant={"reason": "Invalid Token!", "error": "invalid_grant"},
        meeting_json={"id": 123, "join_url": "https://us05web.zoom.us/j/123", "topic": "Sync"},
    ),
    "teams": Mocked(
        name="teams",
        build=_teams,
        meeting_id="MSoxKjA=",
        expired_token=_graph("InvalidAuthenticationToken", "expired"),
        missing_meeting=_graph("itemNotFound"),
        dead_grant={
            "error": "invalid_grant",
            "error_description": "AADSTS50173: revoked\r\nTrace ID: t",
            "error_codes": [50173],
        },
        meeting_json={"id": "m1", "joinWebUrl": "https://teams.microsoft.com/l/meetup-join/x"},
    ),
    "google_meet": Mocked(
        name="google_meet",
        build=_google_meet,
        meeting_id="spaces/jQCFfuBOdN5z",
        expired_token=_google(401, "UNAUTHENTICATED", "Request had invalid credentials."),
        missing_meeting=_google(404, "NOT_FOUND", "Requested entity was not found."),
        dead_grant={
            "error": "invalid_grant",
            "error_description": "Token has been expired or revoked.",
        },
        meeting_json={
            "name": "spaces/jQCFfuBOdN5z",
            "meetingUri": "https://meet.google.com/abc-mnop-xyz",
            "meetingCode": "abc-mnop-xyz",
            "config": {"accessType": "TRUSTED", "entryPointAccess": "ALL"},
        },
        update_calls=False,
    ),
}
