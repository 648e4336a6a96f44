"""The emulator's Meet REST API v2 spaces (``google/apps/meet/v2/service.proto``): create, get
(by space id or meeting code), patch with an update mask, end the active conference; Google's
error bodies (``{"error": {"code", "message", "status"}}``) and the create quotas.
"""

from __future__ import annotations

from typing import Any

from .oauth import _bearer
from .state import MEET_SCOPE, AccessToken, GoogleMeetState, Incoming, Reply

__all__ = ["api_error", "create_space", "end_conference", "get_space", "patch_space"]

ACCESS_TYPES = ("OPEN", "TRUSTED", "RESTRICTED")
ENTRY_POINTS = ("ALL", "CREATOR_APP_ONLY")
_MASKS = {
    "config": ("accessType", "entryPointAccess"),
    "config.accessType": ("accessType",),
    "config.access_type": ("accessType",),
    "config.entryPointAccess": ("entryPointAccess",),
    "config.entry_point_access": ("entryPointAccess",),
}
_UNAUTHENTICATED = (
    "Request had invalid authentication credentials. Expected OAuth 2 access token, login"
    " cookie or other valid authentication credential."
)


def api_error(code: int, status: str, message: str) -> Reply:
    """Google's API error body."""
    return Reply.json(code, {"error": {"code": code, "message": message, "status": status}})


def _caller(state: GoogleMeetState, request: Incoming) -> AccessToken | Reply:
    held = _bearer(state, request)
    if held is None:
        return api_error(401, "UNAUTHENTICATED", _UNAUTHENTICATED)
    if MEET_SCOPE not in held.scopes:
        return api_error(
            403, "PERMISSION_DENIED", "Request had insufficient authentication scopes."
        )
    return held


def _config(value: Any) -> dict[str, str] | str:
    """A SpaceConfig from a request body, or the INVALID_ARGUMENT message."""
    if value is None:
        return {}
    if not isinstance(value, dict):
        return "Invalid value at 'space.config'"
    config: dict[str, str] = {}
    for key, item in value.items():
        if key in ("accessType", "access_type"):
            if item not in ACCESS_TYPES and item != "ACCESS_TYPE_UNSPECIFIED":
                return f"Invalid value at 'space.config.access_type' ({item!r})"
            if item != "ACCESS_TYPE_UNSPECIFIED":
                config["accessType"] = item
        elif key in ("entryPointAccess", "entry_point_access"):
            if item not in ENTRY_POINTS and item != "ENTRY_POINT_ACCESS_UNSPECIFIED":
                return f"Invalid value at 'space.config.entry_point_access' ({item!r})"
            if item != "ENTRY_POINT_ACCESS_UNSPECIFIED":
                config["entryPointAccess"] = item
        else:
            return f"Invalid JSON payload received. Unknown name \"{key[:40]}\" at 'space.config'"
    return config


def _body(request: Incoming) -> dict[str, Any] | Reply:
    if not request.body.strip():
        return {}
    found = request.json_object()
    if found is None:
        return api_error(400, "INVALID_ARGUMENT", "Invalid JSON payload received.")
    return found


def create_space(state: GoogleMeetState, request: Incoming) -> Reply:
    """POST /v2/spaces: a new space (the body is a Space, may be empty; only ``config`` is
    read, the output-only fields are ignored). 429 RESOURCE_EXHAUSTED beyond the
    per-user or per-project creates of the last minute."""
    caller = _caller(state, request)
    if isinstance(caller, Reply):
        return caller
    body = _body(request)
    if isinstance(body, Reply):
        return body
    unknown = set(body) - {"name", "meetingUri", "meetingCode", "config", "activeConference"}
    if unknown:
        name = sorted(unknown)[0][:40]
        return api_error(
            400, "INVALID_ARGUMENT", f'Invalid JSON payload received. Unknown name "{name}"'
        )
    config = _config(body.get("config"))
    if isinstance(config, str):
        return api_error(400, "INVALID_ARGUMENT", config)
    now = state.now()
    user = state.users[caller.user_id]
    if not state.within("creates-project", "", state.creates_per_project, now):
        return _quota("per minute", "project")
    if not state.within("creates-user", user.id, state.creates_per_user, now):
        state.windows[("creates-project", "")].pop()  # the refused call is not counted
        return _quota("per minute per user", "user")
    default = "TRUSTED" if user.domain else "RESTRICTED"  # the user's default (proto comment)
    space_id, code = state.space_id(), state.meeting_code()
    name = f"spaces/{space_id}"
    state.meetings[name] = {
        "name": name,
        "meetingUri": f"https://meet.google.com/{code}",
        "meetingCode": code,
        "config": {
            "accessType": config.get("accessType", default),
            "entryPointAccess": config.get("entryPointAccess", "ALL"),
        },
    }
    state.owners[name] = user.id
    state.codes_of_spaces[code] = name
    return Reply.json(200, state.space_json(name))


def _quota(limit: str, who: str) -> Reply:
    return api_error(
        429,
        "RESOURCE_EXHAUSTED",
        f"Quota exceeded for quota metric 'Reduced write requests' and limit 'Reduced write"
        f" requests {limit}' of service 'meet.googleapis.com' ({who}).",
    )


def _space(state: GoogleMeetState, key: str) -> str | None:
    """The space name for ``spaces/{key}`` (a space id or a meeting code)."""
    name = f"spaces/{key}"
    if name in state.meetings:
        return name
    return state.codes_of_spaces.get(key)


def _found(state: GoogleMeetState, request: Incoming, key: str) -> tuple[str, AccessToken] | Reply:
    """The space ``key`` names and the caller, or the error reply (no token, no such space)."""
    caller = _caller(state, request)
    if isinstance(caller, Reply):
        return caller
    name = _space(state, key)
    if name is None:
        return api_error(404, "NOT_FOUND", "Requested entity was not found.")
    return name, caller


def _owned(state: GoogleMeetState, request: Incoming, key: str) -> tuple[str, AccessToken] | Reply:
    found = _found(state, request, key)
    if isinstance(found, Reply):
        return found
    name, caller = found
    if state.owners[name] != caller.user_id:
        return api_error(403, "PERMISSION_DENIED", "The caller does not have permission")
    return found


def get_space(state: GoogleMeetState, request: Incoming, key: str) -> Reply:
    """GET /v2/spaces/{space id or meeting code}. Anyone may read a space; its settings
    (``config``) and its active conference only its owner (Google's table of meeting roles
    per method: get by owners, participants and others, "with settings" owners only, "with
    active conference" owners and participants; participants are not modelled). Reading a
    space makes a lost create's space seen."""
    found = _found(state, request, key)
    if isinstance(found, Reply):
        return found
    name, caller = found
    state.unseen.discard(name)
    space = state.space_json(name)
    if state.owners[name] != caller.user_id:
        space = {k: space[k] for k in ("name", "meetingUri", "meetingCode")}
    return Reply.json(200, space)


def patch_space(state: GoogleMeetState, request: Incoming, key: str) -> Reply:
    """PATCH /v2/spaces/{space}?updateMask=...: the masked config fields; without a mask
    (``*``) the whole config the body gives (unset fields go back to their defaults)."""
    found = _owned(state, request, key)
    if isinstance(found, Reply):
        return found
    name, caller = found
    body = _body(request)
    if isinstance(body, Reply):
        return body
    config = _config(body.get("config"))
    if isinstance(config, str):
        return api_error(400, "INVALID_ARGUMENT", config)
    mask = request.query.get("updateMask", request.query.get("update_mask", "*"))
    fields: list[str] = []
    for path in filter(None, (p.strip() for p in mask.split(","))):
        if path == "*":
            fields += ["accessType", "entryPointAccess"]
        elif path in _MASKS:
            fields += _MASKS[path]
        else:
            return api_error(400, "INVALID_ARGUMENT", f"Invalid update mask path: {path[:60]!r}")
    if not state.within("writes-user", caller.user_id, state.writes_per_user, state.now()):
        return api_error(
            429, "RESOURCE_EXHAUSTED", "Quota exceeded for 'Write requests per minute per user'."
        )
    space = state.meetings[name]
    now_config = dict(space["config"])
    user = state.users[caller.user_id]
    defaults = {"accessType": "TRUSTED" if user.domain else "RESTRICTED", "entryPointAccess": "ALL"}
    for field in fields:  # a masked field the body leaves out goes back to its default
        now_config[field] = config.get(field, defaults[field])
    space["config"] = now_config
    if now_config.get("accessType") == "RESTRICTED" and "accessType" in config:
        state.closed.add(name)
    elif "accessType" in config:
        state.closed.discard(name)
    state.unseen.discard(name)
    return Reply.json(200, state.space_json(name))


def end_conference(state: GoogleMeetState, request: Incoming, key: str) -> Reply:
    """POST /v2/spaces/{space}:endActiveConference: ends the conference in progress (everyone
    is removed). With none in progress: 400 FAILED_PRECONDITION (Google's answer to that
    case is not documented; docs/google-meet.md)."""
    found = _owned(state, request, key)
    if isinstance(found, Reply):
        return found
    name, caller = found
    if not state.within("writes-user", caller.user_id, state.writes_per_user, state.now()):
        return api_error(
            429, "RESOURCE_EXHAUSTED", "Quota exceeded for 'Write requests per minute per user'."
        )
    space = state.meetings[name]
    if "activeConference" not in space:
        return api_error(400, "FAILED_PRECONDITION", "There is no active conference in the space.")
    del space["activeConference"]
    return Reply.json(200, {})
