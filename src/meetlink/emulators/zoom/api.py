"""The emulator's REST side: /v2/users/me and the meeting endpoints (FACTS.md §2-§5, §9).

Handlers run with the state lock held and return a [`Reply`][meetlink.emulators.zoom.state.Reply]
whose JSON has the shape of Zoom's OpenAPI schemas (Spec-2023b).
"""

from __future__ import annotations

import hashlib
import json
import re
import time
from datetime import UTC
from typing import Any
from urllib.parse import unquote

from .meetings import (
    apply_changes,
    change_occurrence,
    list_meetings,
    meeting_changes,
    new_meeting,
    upcoming_occurrences,
    zoom_time,
)
from .settings import passcode_refusal, settings_json
from .state import DAILY_LIMIT_MESSAGE, PER_SECOND_MESSAGE, Incoming, Reply, ZoomState, ZoomUser

__all__ = ["handle_api"]

_USER_PATH = re.compile(r"/v2/users/([^/]+)")
_USER_MEETINGS = re.compile(r"/v2/users/([^/]+)/meetings")
_USER_SETTINGS = re.compile(r"/v2/users/([^/]+)/settings")
_MEETING_PATH = re.compile(r"/v2/meetings/([^/]+)")
#: The granular scope each operation needs (FACTS.md §1.6); the message also names the
#: ``:admin`` variant, as Zoom's does.
_SCOPES = {
    ("GET", "user"): "user:read:user",
    ("GET", "settings"): "user:read:settings",
    ("POST", "meetings"): "meeting:write:meeting",
    ("GET", "meetings"): "meeting:read:list_meetings",
    ("GET", "meeting"): "meeting:read:meeting",
    ("PATCH", "meeting"): "meeting:update:meeting",
    ("DELETE", "meeting"): "meeting:delete:meeting",
}


def _error(status: int, code: int, message: str, **extra: Any) -> Reply:
    return Reply.json(status, {"code": code, "message": message, **extra})


def _authenticate(
    state: ZoomState, request: Incoming
) -> tuple[ZoomUser, frozenset[str], bool] | Reply:
    header = request.headers.get("authorization", "")
    token = header[7:].strip() if header.lower().startswith("bearer ") else ""
    held = state.access.get(token)
    if held is None or held.user_id not in state.users:
        return _error(401, 124, "Invalid access token.")
    if state.now() >= held.expires_at:
        return _error(401, 124, "Access token is expired.")
    return state.users[held.user_id], held.scopes, held.account_wide


def _scoped(
    scopes: frozenset[str], method: str, resource: str, account_wide: bool = False
) -> Reply | None:
    """Zoom's 4711 when the token lacks the operation's scope (FACTS.md §1.6, §9); an
    admin-managed app's token needs the ``:admin`` variant."""
    needed = _SCOPES.get((method, resource))
    if needed is None or (f"{needed}:admin" if account_wide else needed) in scopes:
        return None
    message = f"Invalid access token, does not contain scopes:[{needed}:admin, {needed}]."
    return _error(400, 4711, message)


def _per_second(state: ZoomState, user: ZoomUser, category: str) -> Reply | None:
    """Zoom's per-account, per-label QPS buckets (FACTS.md §5.1, §5.4)."""
    limit = state.per_second.get(category)
    if limit is None:
        return None
    second = int(time.monotonic())
    if len(state.buckets) > 1000:
        state.buckets = {k: v for k, v in state.buckets.items() if k[2] == second}
    key = (user.account_id, category, second)
    used = state.buckets.get(key, 0) + 1
    state.buckets[key] = used
    if used <= limit:
        return None
    headers = {
        "X-RateLimit-Category": category,
        "X-RateLimit-Type": "QPS",
        "X-RateLimit-Limit": str(limit),
        "X-RateLimit-Remaining": "0",
        "Retry-After": "1",
    }
    return Reply.json(429, {"code": 429, "message": PER_SECOND_MESSAGE}, headers)


def _daily(state: ZoomState, user: ZoomUser, category: str) -> Reply | None:
    """The per-user create+update cap; it resets at 00:00 UTC (FACTS.md §5.3)."""
    if state.daily.get((user.id, state.now().astimezone(UTC).date()), 0) < state.daily_cap:
        return None
    headers = {
        "X-RateLimit-Category": category,
        "X-RateLimit-Limit": str(state.daily_cap),
        "X-RateLimit-Remaining": "0",
    }
    message = DAILY_LIMIT_MESSAGE.format(cap=state.daily_cap)
    return Reply.json(429, {"code": 429, "message": message}, headers)


def _count(state: ZoomState, user: ZoomUser) -> None:
    key = (user.id, state.now().astimezone(UTC).date())
    state.daily[key] = state.daily.get(key, 0) + 1


def _user_json(state: ZoomState, user: ZoomUser) -> dict[str, Any]:
    digest = int(hashlib.sha256(user.id.encode()).hexdigest(), 16)
    pmi = 1_000_000_000 + digest % 8_999_999_999
    name = user.email.split("@", 1)[0]
    return {
        "id": user.id,
        "first_name": name,
        "last_name": "",
        "display_name": name,
        "email": user.email,
        "type": 1 if user.plan == "basic" else 2,
        "role_name": "Member",
        "pmi": pmi,
        "use_pmi": False,
        "personal_meeting_url": f"https://us05web.zoom.us/j/{pmi}",
        "timezone": "UTC",
        "verified": 1,
        "dept": "",
        "user_created_at": "2024-01-01T00:00:00Z",
        "last_login_time": zoom_time(state.now()),
        "language": "en-US",
        "status": "active",
        "role_id": "2",
        "account_id": user.account_id,
        "account_number": 10_000_000 + digest % 89_999_999,
        "cluster": "us05",
        "group_ids": [],
        "im_group_ids": [],
    }


def _target(state: ZoomState, user: ZoomUser, who: str, account_wide: bool) -> ZoomUser | None:
    """The user a ``/users/{userId}`` path names: ``me``, the token's user by id or email,
    or, for an admin-managed app's token, any user of its account by id or email (any
    case); None for anyone else (Zoom's 1001)."""
    if who in ("me", user.id, user.email):
        return user
    return state.find_user(user.account_id, who) if account_wide else None


def _hosted(
    state: ZoomState, user: ZoomUser, meeting: dict[str, Any], account_wide: bool
) -> ZoomUser | None:
    """The meeting's host when the token may manage it: its own, or (admin-managed app)
    one of its account's."""
    host = state.users.get(meeting["host_id"])
    if host is None:
        return None
    if host.id == user.id or (account_wide and host.account_id == user.account_id):
        return host
    return None


def _resource(method: str, path: str) -> tuple[str, str] | None:
    """Which operation ``method path`` is: (resource kind, the id in the path)."""
    if match := _USER_MEETINGS.fullmatch(path):
        return ("meetings", match[1]) if method in ("GET", "POST") else None
    if match := _USER_SETTINGS.fullmatch(path):
        return ("settings", match[1]) if method == "GET" else None
    if match := _USER_PATH.fullmatch(path):
        return ("user", match[1]) if method == "GET" else None
    if (match := _MEETING_PATH.fullmatch(path)) and method in ("GET", "PATCH", "DELETE"):
        return "meeting", match[1]
    return None


def handle_api(state: ZoomState, request: Incoming) -> Reply:
    """Serve one /v2 request."""
    known = _authenticate(state, request)
    if isinstance(known, Reply):
        return known
    caller, scopes, account_wide = known
    method, path = request.method, request.path.rstrip("/")
    found = _resource(method, path)
    if found is None:
        return _error(404, 404, "This API endpoint is not recognized.")
    kind, ident = found
    refused = _scoped(scopes, method, kind, account_wide)
    if refused is not None:
        return refused
    if kind == "meeting":
        return _per_second(state, caller, "Light") or _meeting(
            state, caller, request, ident, account_wide
        )
    user = _target(state, caller, unquote(ident), account_wide)
    if user is None:
        if kind == "user":
            return _error(404, 1001, f"User does not exist: {unquote(ident)}.")
        return _error(404, 1001, f"User {unquote(ident)} not exist or not belong to this account.")
    if kind == "meetings" and method == "POST":
        return _create(state, user, request)
    if kind == "meetings":
        return _per_second(state, user, "Medium") or list_meetings(state, user, request.query)
    if kind == "settings":
        return _per_second(state, user, "Medium") or Reply.json(200, settings_json(state, user))
    return _per_second(state, user, "Light") or Reply.json(200, _user_json(state, user))


def _password(body: bytes) -> object:
    """The ``password`` a create/update body sends, if it parses."""
    try:
        data = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        return None
    return data.get("password") if isinstance(data, dict) else None


def _create(state: ZoomState, user: ZoomUser, request: Incoming) -> Reply:
    limited = _per_second(state, user, "Medium") or _daily(state, user, "Medium")
    if limited:
        return limited
    if user.id in state.no_hosting:  # FACTS.md §3.1
        text = "Meeting hosting and scheduling capabilities are not allowed for your user account."
        return _error(400, 3161, text)
    refused = passcode_refusal(state, user, _password(request.body))
    if refused is not None:
        return refused
    made = new_meeting(state, user, request.body)
    if isinstance(made, Reply):
        return made
    _count(state, user)
    state.meetings[made["id"]] = made
    return Reply.json(201, made)


def _meeting(
    state: ZoomState, caller: ZoomUser, request: Incoming, raw_id: str, account_wide: bool
) -> Reply:
    meeting = state.meetings.get(int(raw_id)) if raw_id.isdigit() and len(raw_id) < 20 else None
    if meeting is None:
        return _error(404, 3001, f"Meeting {raw_id} is not found or has expired.")
    host = _hosted(state, caller, meeting, account_wide)
    user = host or caller  # the daily cap and the passcode policy are the host's
    if request.method == "GET":
        if host is None:
            return _error(400, 3000, "Cannot access meeting information.")
        meeting["start_url"] = f"https://us05web.zoom.us/s/{raw_id}?zak={state.token('eyJ', 30)}"
        if request.query.get("show_previous_occurrences") == "true":
            return Reply.json(200, meeting)
        return Reply.json(200, upcoming_occurrences(meeting, state.now()))
    if host is None:
        return _error(400, 3003, "You are not the meeting host.")
    occurrence = request.query.get("occurrence_id")
    if request.method == "DELETE" and occurrence is None:
        if meeting.get("status") == "started":  # FACTS.md §4.4: 3002, in progress
            return _error(400, 3002, f"Meeting {raw_id} is in progress and cannot be deleted.")
        del state.meetings[meeting["id"]]
        return Reply(204)
    limited = None if request.method == "DELETE" else _daily(state, user, "Light")
    if limited:
        return limited
    if occurrence is not None:
        done = change_occurrence(state, meeting, occurrence, request.method, request.body)
        if done.status == 204 and request.method == "PATCH":
            _count(state, user)
        return done
    refused = passcode_refusal(state, user, _password(request.body))
    if refused is not None:
        return refused
    changes = meeting_changes(state, user, request.body, meeting)
    if isinstance(changes, Reply):
        return changes
    _count(state, user)
    apply_changes(meeting, changes)
    return Reply(204)
