"""The emulator's Graph side: /v1.0/me and /v1.0/me/onlineMeetings (FACTS.md §1.9, §2, §8
"Graph"); with an app-only token, /v1.0/users/{id | upn} and /v1.0/users/{id}/onlineMeetings
(organisation links: docs/org-install.md). Handlers run with the state lock held and return a
Reply whose JSON has the shape of the Graph v1.0 onlineMeeting schema (CSDL / OpenAPI extracts
in /work/shared/teams).
"""

from __future__ import annotations

import base64
import copy
import json
import re
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import quote, unquote

from .state import Incoming, Reply, TeamsState, TeamsUser

__all__ = ["WRITABLE", "graph_error", "graph_time", "handle_graph", "parse_time"]

#: PATCH-able properties (FACTS.md §2.4); anything else in a PATCH body -> 400.
WRITABLE = frozenset(
    {
        "allowAttendeeToEnableCamera", "allowAttendeeToEnableMic", "allowBreakoutRooms",
        "allowCopyingAndSharingMeetingContent", "allowedLobbyAdmitters", "allowedPresenters",
        "allowLiveShare", "allowMeetingChat", "allowPowerPointSharing", "allowRecording",
        "allowTeamworkReactions", "allowTranscription", "allowWhiteboard",
        "anonymizeIdentityForRoles", "startDateTime", "endDateTime", "isEntryExitAnnounced",
        "lobbyBypassSettings", "participants", "recordAutomatically", "subject",
        "watermarkProtection",
    }
)  # fmt: skip
_MEETINGS = "/v1.0/me/onlineMeetings"
_USERS = re.compile(r"/v1\.0/users/([^/]+)(/onlineMeetings(?:/.*)?)?")
_TIME = re.compile(r"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d{1,7}))?(Z|[+-]\d\d:\d\d)?")
_FILTER = re.compile(r"JoinWebUrl eq '(.*)'", re.IGNORECASE)


def graph_error(state: TeamsState, request: Incoming, status: int, code: str, msg: str) -> Reply:
    """Graph's OData error JSON with innerError (FACTS.md §2.8)."""
    inner = {
        "date": state.now().strftime("%Y-%m-%dT%H:%M:%SZ"),  # schema wants a zone
        "request-id": request.headers.get("x-emulator-request-id", ""),
        "client-request-id": request.headers.get("client-request-id", ""),
    }
    return Reply.json(status, {"error": {"code": code, "message": msg, "innerError": inner}})


def graph_time(value: datetime) -> str:
    """Graph's UTC form with 7 fraction digits: ``2025-03-11T09:00:00.0000000Z``."""
    return f"{value:%Y-%m-%dT%H:%M:%S}.{value.microsecond * 10:07d}Z"


def parse_time(value: object) -> datetime | None:
    """A DateTimeOffset sent by a client (offset or Z; none = UTC); None when unreadable."""
    if not isinstance(value, str) or not (found := _TIME.fullmatch(value)):
        return None
    base, fraction, zone = found.groups()
    text = base + (f".{(fraction + '000000')[:6]}" if fraction else "")
    zone = "+00:00" if zone in (None, "Z") else zone
    try:
        return datetime.fromisoformat(text + zone).astimezone(UTC)
    except ValueError:
        return None


def _authenticate(state: TeamsState, request: Incoming, need: str | None) -> TeamsUser | Reply:
    header = request.headers.get("authorization", "")
    token = header[7:].strip() if header.lower().startswith("bearer ") else ""
    if not token:
        return graph_error(
            state, request, 401, "InvalidAuthenticationToken", "Access token is empty."
        )
    held = state.access.get(token)
    if held is None or held.user_id not in state.users:
        text = "IDX14100: JWT is not well formed, or the signature is invalid."
        return graph_error(state, request, 401, "InvalidAuthenticationToken", text)
    if state.now() >= held.expires_at:
        text = "Lifetime validation failed, the token is expired."
        return graph_error(state, request, 401, "InvalidAuthenticationToken", text)
    if need is not None and need not in held.scopes:
        return graph_error(state, request, 403, "Forbidden", "Insufficient privileges.")
    return state.users[held.user_id]


def _me(user: TeamsUser) -> dict[str, Any]:
    given, _, surname = user.display_name.partition(" ")
    return {
        "@odata.context": "https://graph.microsoft.com/v1.0/$metadata#users/$entity",
        "businessPhones": [],
        "displayName": user.display_name,
        "givenName": given or None,
        "jobTitle": None,
        "mail": user.mail,
        "mobilePhone": None,
        "officeLocation": None,
        "preferredLanguage": "en-US",
        "surname": surname or None,
        "userPrincipalName": user.email,
        "id": user.id,
    }


def handle_graph(state: TeamsState, request: Incoming) -> Reply:
    """Serve one /v1.0 request (``request.path`` still percent-encoded)."""
    path, method = request.path.rstrip("/"), request.method
    if path == "/v1.0/me" and method == "GET":
        user = _authenticate(state, request, None)
        return user if isinstance(user, Reply) else Reply.json(200, _me(user))
    if found := _USERS.fullmatch(path):
        return _for_user(state, request, unquote(found[1]), found[2] or "")
    if not path.startswith(_MEETINGS):
        return graph_error(state, request, 400, "BadRequest", f"Resource not found for {path}.")
    user = _authenticate(state, request, "OnlineMeetings.ReadWrite")
    if isinstance(user, Reply):
        return user
    return _meetings(state, request, user, path[len(_MEETINGS) :])


def _app_tenant(state: TeamsState, request: Incoming, role: str) -> str | Reply:
    """The tenant of an app-only token (client credentials) that holds ``role``."""
    header = request.headers.get("authorization", "")
    token = header[7:].strip() if header.lower().startswith("bearer ") else ""
    held = state.access.get(token)
    if held is None:
        text = "IDX14100: JWT is not well formed, or the signature is invalid."
        return graph_error(state, request, 401, "InvalidAuthenticationToken", text)
    if state.now() >= held.expires_at:
        text = "Lifetime validation failed, the token is expired."
        return graph_error(state, request, 401, "InvalidAuthenticationToken", text)
    if held.app_tenant is None:  # a user's token: only /me (learn.microsoft.com Q&A 1410496)
        text = "With delegated permission only /me endpoint is supported."
        return graph_error(state, request, 403, "General", text)
    if role not in held.scopes:
        text = "Insufficient privileges to complete the operation."
        return graph_error(state, request, 403, "Authorization_RequestDenied", text)
    return held.app_tenant


def _for_user(state: TeamsState, request: Incoming, who: str, rest: str) -> Reply:
    """``/v1.0/users/{id | userPrincipalName}`` (User.Read.All) and
    ``/v1.0/users/{id}/onlineMeetings...`` (OnlineMeetings.ReadWrite.All plus an
    application access policy for the user) with an app-only token of the user's tenant."""
    if not rest:
        if request.method != "GET":
            return graph_error(state, request, 405, "BadRequest", "Unsupported request.")
        tenant = _app_tenant(state, request, "User.Read.All")
        if isinstance(tenant, Reply):
            return tenant
        folded = who.casefold()
        found = next(
            (u for u in state.users.values()
             if u.tenant_id == tenant and (u.id == who or u.email.casefold() == folded)),
            None,
        )  # fmt: skip
        if found is None:
            text = (
                f"Resource '{who}' does not exist or one of its queried reference-property"
                " objects are not present."
            )
            return graph_error(state, request, 404, "Request_ResourceNotFound", text)
        return Reply.json(200, _me(found))
    tenant = _app_tenant(state, request, "OnlineMeetings.ReadWrite.All")
    if isinstance(tenant, Reply):
        return tenant
    user = state.users.get(who)  # the object id: onlineMeetings takes no UPN (Q&A 2169311)
    if user is None or user.tenant_id != tenant:
        text = f"User '{who}' was not found in the tenant (use the user's object id)."
        return graph_error(state, request, 404, "NotFound", text)
    if user.id not in state.policy_users and tenant not in state.policy_tenants:
        text = "No application access policy found for this app."
        return graph_error(state, request, 403, "General", text)
    return _meetings(state, request, user, rest[len("/onlineMeetings") :])


def _meetings(state: TeamsState, request: Incoming, user: TeamsUser, rest: str) -> Reply:
    """The onlineMeetings of ``user`` (``rest``: the path after ``/onlineMeetings``)."""
    method = request.method
    if user.personal:  # FACTS.md §2.7: not supported for personal accounts (docs#7782: 400)
        text = "Error authenticating with resource"
        return graph_error(state, request, 400, "AuthenticationError", text)
    if user.id in state.unentitled:
        return graph_error(state, request, 403, "Forbidden", "")  # FACTS.md §2.7: bare 403
    if rest == "/createOrGet" and method == "POST":
        return _create(state, request, user, idempotent=True)
    if rest == "" and method == "POST":
        return _create(state, request, user, idempotent=False)
    if rest == "" and method == "GET":
        return _filter(state, request, user)
    if rest.startswith("/") and "/" not in rest[1:] and method in ("GET", "PATCH", "DELETE"):
        return _one(state, request, user, unquote(rest[1:]))
    return graph_error(state, request, 405, "BadRequest", "Unsupported request.")


def _body(request: Incoming) -> dict[str, Any] | None:
    try:
        data = json.loads(request.body.decode("utf-8") or "null")
    except (UnicodeDecodeError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def _new_meeting(
    state: TeamsState, user: TeamsUser, data: dict[str, Any], start: datetime, end: datetime
) -> dict[str, Any]:
    thread = f"19:meeting_{state.token('', 36)}@thread.v2"
    raw_id = f"1*{user.id}*0**{thread}"
    meeting_id = base64.b64encode(raw_id.encode("utf-8")).decode("ascii")
    context = quote(json.dumps({"Tid": user.tenant_id, "Oid": user.id}, separators=(",", ":")))
    join = f"https://teams.microsoft.com/l/meetup-join/{quote(thread, safe='')}/0?context={context}"
    settings = data.get("joinMeetingIdSettings") or {}
    wants_passcode = bool(settings.get("isPasscodeRequired")) or state.passcodes
    conference = state.digits(9)
    return {
        "@odata.context": "https://graph.microsoft.com/v1.0/$metadata"
        f"#users('{user.id}')/onlineMeetings/$entity",
        "id": meeting_id,
        "creationDateTime": graph_time(state.now()),
        "startDateTime": graph_time(start),
        "endDateTime": graph_time(end),
        "joinUrl": join,  # OpenType extra seen in real answers (FACTS.md §2.1)
        "joinWebUrl": join,
        "subject": data.get("subject") if isinstance(data.get("subject"), str) else None,
        "externalId": data.get("externalId"),
        "isBroadcast": False,
        "autoAdmittedUsers": "everyoneInCompany",
        "isEntryExitAnnounced": True,
        "allowedPresenters": "everyone",
        "allowMeetingChat": "enabled",
        "allowTeamworkReactions": True,
        "allowAttendeeToEnableCamera": True,
        "allowAttendeeToEnableMic": True,
        "recordAutomatically": False,
        "videoTeleconferenceId": state.digits(10),
        "audioConferencing": {
            "conferenceId": conference,
            "tollNumber": "+1 425-555-0100",
            "tollFreeNumber": None,
            "tollNumbers": ["+1 425-555-0100"],
            "tollFreeNumbers": [],
            "dialinUrl": f"https://dialin.teams.microsoft.com/{state.guid()}?id={conference}",
        },
        "chatInfo": {"threadId": thread, "messageId": "0", "replyChainMessageId": None},
        "joinInformation": {
            "content": "data:text/html,%3cdiv%3eJoin+on+your+computer%3c%2fdiv%3e",
            "contentType": "html",
        },
        "joinMeetingIdSettings": {
            "isPasscodeRequired": wants_passcode,
            "joinMeetingId": state.digits(12),
            "passcode": state.token("", 6)[:6] if wants_passcode else None,
        },
        "lobbyBypassSettings": {"scope": "organization", "isDialInBypassEnabled": False},
        "participants": {
            "organizer": {
                "upn": user.email,
                "role": "presenter",
                "identity": {
                    "user": {
                        "id": user.id,
                        "displayName": None,
                        "tenantId": user.tenant_id,
                        "identityProvider": "AAD",
                    }
                },
            },
            "attendees": [],
        },
    }


def _times(
    state: TeamsState, request: Incoming, data: dict[str, Any]
) -> tuple[datetime, datetime] | Reply:
    raw_start, raw_end = data.get("startDateTime"), data.get("endDateTime")
    start, end = parse_time(raw_start), parse_time(raw_end)
    if (raw_start is not None and start is None) or (raw_end is not None and end is None):
        return graph_error(state, request, 400, "BadRequest", "Invalid DateTimeOffset value.")
    if start is None and end is not None:
        return graph_error(state, request, 400, "BadRequest", "endDateTime without startDateTime.")
    start = start or state.now()  # FACTS.md §2.6: no times -> now and +1 h
    end = end or start + timedelta(hours=1)
    if end < start:
        return graph_error(state, request, 400, "BadRequest", "endDateTime is before start.")
    return start, end


def _create(state: TeamsState, request: Incoming, user: TeamsUser, *, idempotent: bool) -> Reply:
    data = _body(request)
    if data is None:
        return graph_error(state, request, 400, "BadRequest", "Empty or invalid payload.")
    external = data.get("externalId")
    if not idempotent and external is not None:  # FACTS.md §2.6: rejected on a plain POST
        return graph_error(state, request, 400, "BadRequest", "ExternalId is not supported.")
    if idempotent and (not isinstance(external, str) or not external):
        return graph_error(state, request, 400, "BadRequest", "externalId is required.")
    key = (user.tenant_id, user.id, external or "")
    if idempotent and key in state.external and state.external[key] in state.meetings:
        return Reply.json(200, state.meetings[state.external[key]])  # new values ignored
    times = _times(state, request, data)
    if isinstance(times, Reply):
        return times
    month = (user.id, state.now().strftime("%Y-%m"))
    if state.monthly.get(month, 0) >= state.monthly_cap:
        text = "The user has reached the limit of meetings that can be created this month."
        return graph_error(state, request, 429, "TooManyRequests", text)
    state.monthly[month] = state.monthly.get(month, 0) + 1
    meeting = _new_meeting(state, user, data, *times)
    state.meetings[meeting["id"]] = meeting
    state.owners[meeting["id"]] = user.id
    if idempotent:
        state.external[key] = meeting["id"]
    return Reply.json(201, meeting)


def _filter(state: TeamsState, request: Incoming, user: TeamsUser) -> Reply:
    found = _FILTER.fullmatch(request.query.get("$filter", "").strip())
    if found is None:
        text = "Filter expression expected - /onlineMeetings?$filter={ParameterName} eq '{id}'."
        return graph_error(state, request, 400, "InvalidArgument", text)
    url = found.group(1)
    hits = [
        m
        for i, m in state.meetings.items()
        if state.owners[i] == user.id and m["joinWebUrl"] == url
    ]
    context = f"https://graph.microsoft.com/v1.0/$metadata#users('{user.id}')/onlineMeetings"
    return Reply.json(200, {"@odata.context": context, "value": hits})


def _one(state: TeamsState, request: Incoming, user: TeamsUser, meeting_id: str) -> Reply:
    meeting = state.meetings.get(meeting_id)
    if meeting is None or state.owners.get(meeting_id) != user.id:
        return graph_error(
            state, request, 404, "itemNotFound", "The requested resource was not found."
        )
    if request.method == "GET":
        return Reply.json(200, meeting)
    if request.method == "DELETE":
        del state.meetings[meeting_id]
        state.deleted[meeting_id] = meeting["joinWebUrl"]  # FACTS.md §2.5: URL still joins
        state.external = {k: v for k, v in state.external.items() if v != meeting_id}
        return Reply(204)
    return _patch(state, request, meeting)


def _patch(state: TeamsState, request: Incoming, meeting: dict[str, Any]) -> Reply:
    data = _body(request)
    if data is None:
        return graph_error(state, request, 400, "BadRequest", "Empty or invalid payload.")
    readonly = sorted(set(data) - WRITABLE)
    if readonly:
        return graph_error(
            state, request, 400, "BadRequest", f"Property {readonly[0]} is read-only."
        )
    if ("startDateTime" in data) != ("endDateTime" in data):
        text = "startDateTime and endDateTime must be updated together."
        return graph_error(state, request, 400, "BadRequest", text)
    if isinstance(data.get("participants"), dict) and "organizer" in data["participants"]:
        return graph_error(state, request, 400, "BadRequest", "The organizer cannot be changed.")
    updated = copy.deepcopy(meeting)
    if "startDateTime" in data:
        start, end = parse_time(data["startDateTime"]), parse_time(data["endDateTime"])
        if start is None or end is None or end < start:
            return graph_error(state, request, 400, "BadRequest", "Invalid meeting time range.")
        updated["startDateTime"], updated["endDateTime"] = graph_time(start), graph_time(end)
    for name in data.keys() - {"startDateTime", "endDateTime"}:
        updated[name] = data[name]
    meeting.clear()
    meeting.update(updated)
    return Reply.json(200, meeting)
