"""The Google Meet emulator's route table and its answer to an injected failure. Google's
hosts (accounts.google.com, oauth2.googleapis.com, openidconnect.googleapis.com,
meet.googleapis.com) are served by path, so one transport or one server stands in for all.
"""

from __future__ import annotations

from meetlink.emulators.core import Fault, Routes, route

from .api import api_error, create_space, end_conference, get_space, patch_space
from .oauth import (
    authorize_page,
    authorize_submit,
    revoke_endpoint,
    token_endpoint,
    userinfo_endpoint,
)
from .state import GoogleMeetState, Incoming, Reply

__all__ = ["ROUTES", "fault_reply"]

_SPACE = r"/v2/spaces/([^/:]+)"


def _not_found(state: GoogleMeetState, request: Incoming) -> Reply:
    return api_error(404, "NOT_FOUND", "Requested entity was not found.")


ROUTES: Routes[GoogleMeetState] = Routes(
    [
        route("POST", r"/v2/spaces", create_space),
        route("POST", _SPACE + r":endActiveConference", end_conference),
        route("GET", _SPACE, get_space),
        route("PATCH", _SPACE, patch_space),
        route("GET", r"/o/oauth2/v2/auth", authorize_page),
        route("POST", r"/o/oauth2/v2/auth", authorize_submit),
        route("POST", r"/token", token_endpoint),
        route("POST", r"/revoke", revoke_endpoint),
        route("GET", r"/v1/userinfo", userinfo_endpoint),
    ],
    not_found=_not_found,
)

_STATUS = {
    400: "INVALID_ARGUMENT",
    401: "UNAUTHENTICATED",
    403: "PERMISSION_DENIED",
    404: "NOT_FOUND",
    429: "RESOURCE_EXHAUSTED",
    500: "INTERNAL",
    503: "UNAVAILABLE",
}


def fault_reply(state: GoogleMeetState, fault: Fault, request: Incoming) -> Reply:
    """Google's answer to a request a ``fail_next`` rule fails: an OAuth error body on the
    token and revoke endpoints, Google's API error body elsewhere (``Retry-After`` only when
    the rule gives one: Google's quota errors carry none)."""
    headers = {"Retry-After": fault.retry_after} if fault.retry_after is not None else {}
    if request.path in ("/token", "/revoke"):
        error = "invalid_grant" if fault.status == 400 else "internal_failure"
        body = {"error": error, "error_description": "Injected failure"}
        return Reply.json(fault.status, body, headers)
    status = _STATUS.get(fault.status, "UNKNOWN")
    reply = api_error(fault.status, status, "Injected failure.")
    return reply.with_headers(headers)
