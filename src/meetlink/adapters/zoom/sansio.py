"""The Zoom protocol without I/O: build requests, read responses (after gidgethub's sansio).

Every function here is pure: a [`ZoomRequest`][meetlink.adapters.http.HttpRequest] goes out through
any transport (the sync httpx one in [`provider`][meetlink.adapters.zoom.provider]; an async one can
follow), and the answer's status, headers and body come back to a ``parse_*`` function that returns
meetlink types or raises the mapped [`meetlink.errors`][meetlink.errors] error. Zoom's vocabulary
(pmi, uuid, agenda markers) stays here. The OAuth half (consent URL, token and revoke requests) is
[`oauth`][meetlink.adapters.zoom.oauth], re-exported here; this module adds the REST side (user,
settings, meetings and their occurrences).
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import quote, urlencode

from meetlink.adapters.failures import answer_json, deleted
from meetlink.domain.conference import AGENDA_LIMIT, TOPIC_LIMIT, MeetingTerms
from meetlink.errors import ProviderRejected, ProviderUnavailable
from meetlink.ports.provider import Meeting, MeetingRequest, ProviderAccount

from .failures import api_failure, decode_json
from .oauth import (
    ZoomOAuth,
    ZoomRequest,
    authorization_url,
    exchange_request,
    parse_revoked,
    parse_tokens,
    refresh_request,
    revoke_request,
)
from .passcodes import PasscodePolicy, passcode_for
from .recurrence import occurrence_id, recurrence_object, zoom_time
from .webhooks import parse_webhook, sign_webhook, url_validation_reply

__all__ = [
    "PasscodePolicy",
    "ZoomOAuth",
    "ZoomRequest",
    "authorization_url",
    "create_meeting_request",
    "delete_meeting_request",
    "exchange_request",
    "generate_passcode",
    "get_meeting_request",
    "list_meetings_request",
    "marker_of",
    "me_request",
    "meeting_body",
    "meeting_from_json",
    "occurrence_requests",
    "parse_account",
    "parse_created",
    "parse_created_json",
    "parse_deleted",
    "parse_meeting",
    "parse_meeting_json",
    "parse_meeting_page",
    "parse_no_content",
    "parse_passcode_policy",
    "parse_revoked",
    "parse_start_url",
    "parse_tokens",
    "parse_webhook",
    "refresh_request",
    "revoke_request",
    "settings_request",
    "sign_webhook",
    "update_meeting_request",
    "url_validation_reply",
]

_MARKER = re.compile(r"\[meetlink:([^\]\r\n]{1,100})\]")
_MEETING_ID = re.compile(r"[0-9]{1,20}")


# --- REST -------------------------------------------------------------------------------


def _api(method: str, api_base: str, path: str, token: str, body: Any = None) -> ZoomRequest:
    return ZoomRequest.bearer(method, f"{api_base.rstrip('/')}/v2{path}", token, body)


def _meeting_path(meeting_id: str) -> str:
    if not _MEETING_ID.fullmatch(meeting_id):
        raise ProviderRejected(f"not a Zoom meeting id: {meeting_id[:40]!r}", code="meeting_id")
    return f"/meetings/{quote(meeting_id)}"


def _user_path(user: str) -> str:
    """``/users/{userId}``: ``me`` (the token's user), or, with an admin-managed app's
    token, a user of its account by id or email (quoted: an email may hold ``+`` or ``/``)."""
    return "/users/me" if user == "me" else f"/users/{quote(user, safe='@')}"


def me_request(api_base: str, token: str, *, user: str = "me") -> ZoomRequest:
    """GET /v2/users/me (or /v2/users/{userId}: Get a user, by id or email)."""
    return _api("GET", api_base, _user_path(user), token)


def settings_request(api_base: str, token: str, *, user: str = "me") -> ZoomRequest:
    """GET /v2/users/me/settings (its ``schedule_meeting`` holds the passcode policy)."""
    return _api("GET", api_base, f"{_user_path(user)}/settings", token)


def parse_passcode_policy(
    status: int, headers: Mapping[str, str], body: bytes, now: datetime
) -> PasscodePolicy:
    """The account's passcode policy from GET /v2/users/me/settings."""
    if status != 200:
        raise api_failure(status, headers, body, now=now, what="get user settings")
    return PasscodePolicy.from_settings(decode_json(body, status=status, what="user settings"))


def generate_passcode(policy: PasscodePolicy | None = None) -> str:
    """A random 10-character passcode that ``policy`` (default: none) accepts."""
    return passcode_for(policy or PasscodePolicy())


def _agenda(text: str, marker: str) -> str:
    if not _MARKER.fullmatch(f"[meetlink:{marker}]"):
        raise ProviderRejected("meeting marker must be 1-100 chars without ']' or newlines")
    line = f"[meetlink:{marker}]"
    text = text.strip()[: AGENDA_LIMIT - len(line) - 2].rstrip()
    return f"{text}\n\n{line}" if text else line


def meeting_body(request: MeetingRequest) -> dict[str, Any]:
    """Zoom's meeting fields for ``request``: type 2 (scheduled) for a one-off event, also a
    period or all-day one (one meeting covering the span: its ``duration`` is the span);
    type 8 (recurring, fixed time) with ``recurrence`` for a series Zoom can express, else
    type 3 (recurring, no fixed time: no ``start_time``). Start in UTC ``Z`` plus
    ``timezone`` (a series repeats in that timezone's local time)."""
    terms = request.terms
    body: dict[str, Any] = {
        "topic": terms.topic[:TOPIC_LIMIT],
        "type": 2,
        "start_time": zoom_time(terms.start),
        "timezone": terms.timezone,
        "duration": terms.duration_minutes,
        "agenda": _agenda(terms.agenda, request.marker),
    }
    if terms.recurrence is not None:
        recurrence = recurrence_object(terms)
        if recurrence is None:
            body["type"] = 3
            del body["start_time"]
        else:
            body["type"] = 8
            body["recurrence"] = recurrence
    return body


def occurrence_requests(
    api_base: str, token: str, meeting_id: str, terms: MeetingTerms, meeting: Mapping[str, Any]
) -> list[ZoomRequest]:
    """The occurrence changes that make a type 8 ``meeting`` (Get-meeting JSON) skip and move
    the occurrences ``terms`` skip and move: ``DELETE ?occurrence_id=`` per skipped one
    still listed, ``PATCH ?occurrence_id=`` (start and duration) per moved one that is not
    there yet. Nothing for other types: a type 3 meeting has no occurrences to change (its
    URL works whenever the occurrence takes place)."""
    if meeting.get("type") != 8:
        return []
    listed: dict[str, Mapping[str, Any]] = {}
    for item in meeting.get("occurrences") or []:
        if isinstance(item, dict) and isinstance(item.get("occurrence_id"), str):
            listed[item["occurrence_id"]] = item
    path = _meeting_path(meeting_id)
    requests: list[ZoomRequest] = []
    for skipped in terms.exdates:
        oid = occurrence_id(skipped)
        if oid in listed:
            query = urlencode({"occurrence_id": oid})
            requests.append(_api("DELETE", api_base, f"{path}?{query}", token))
    for moved in terms.moved:
        oid = occurrence_id(moved.recurrence_id)
        current = listed.get(oid)
        minutes = max(1, math.ceil((moved.end - moved.start) / timedelta(minutes=1)))
        wanted = {"start_time": zoom_time(moved.start), "duration": minutes}
        if current is not None and any(current.get(k) != v for k, v in wanted.items()):
            query = urlencode({"occurrence_id": oid})
            requests.append(_api("PATCH", api_base, f"{path}?{query}", token, wanted))
    return requests


def create_meeting_request(
    api_base: str,
    token: str,
    request: MeetingRequest,
    *,
    passcode: str | None = None,
    user: str = "me",
) -> ZoomRequest:
    """POST /v2/users/me/meetings (or /v2/users/{userId}/meetings: for a user of the
    account, with an admin-managed app's token) with a generated passcode."""
    body = meeting_body(request)
    body["password"] = passcode or generate_passcode()
    body["settings"] = {"join_before_host": False, "approval_type": 2, "waiting_room": False}
    return _api("POST", api_base, f"{_user_path(user)}/meetings", token, body)


def update_meeting_request(
    api_base: str, token: str, meeting_id: str, request: MeetingRequest
) -> ZoomRequest:
    """PATCH /v2/meetings/{id} (passcode and settings unchanged)."""
    return _api("PATCH", api_base, _meeting_path(meeting_id), token, meeting_body(request))


def get_meeting_request(api_base: str, token: str, meeting_id: str) -> ZoomRequest:
    """GET /v2/meetings/{id}."""
    return _api("GET", api_base, _meeting_path(meeting_id), token)


def delete_meeting_request(api_base: str, token: str, meeting_id: str) -> ZoomRequest:
    """DELETE /v2/meetings/{id}."""
    return _api("DELETE", api_base, _meeting_path(meeting_id), token)


def list_meetings_request(
    api_base: str, token: str, page_token: str | None = None, *, user: str = "me"
) -> ZoomRequest:
    """GET /v2/users/me/meetings?type=scheduled (one page): every unexpired meeting, those
    whose time has passed too (``upcoming`` leaves them out, so a create whose answer was
    lost would not be found once its meeting's time is over)."""
    query: dict[str, str] = {"type": "scheduled", "page_size": "300"}
    if page_token:
        query["next_page_token"] = page_token
    return _api("GET", api_base, f"{_user_path(user)}/meetings?{urlencode(query)}", token)


def parse_account(
    status: int, headers: Mapping[str, str], body: bytes, now: datetime
) -> ProviderAccount:
    """GET /v2/users/me as a [`ProviderAccount`][meetlink.ports.provider.ProviderAccount] (type 1 ->
    "basic", else "licensed")."""
    data = answer_json(
        status, headers, body, now, failure=api_failure, what="get user", provider="Zoom"
    )
    if not isinstance(data, dict) or not isinstance(data.get("id"), str):
        raise ProviderRejected("Zoom user answer has no user id", status=status)
    kind = data.get("type")
    return ProviderAccount(
        external_account_id=data["id"],
        account_id=str(data.get("account_id") or ""),
        email=str(data.get("email") or ""),
        plan="basic" if kind == 1 else "licensed",
    )


def marker_of(agenda: object) -> str | None:
    """The meetlink marker in a meeting's agenda, if any."""
    if not isinstance(agenda, str):
        return None
    found = _MARKER.search(agenda)
    return found.group(1) if found else None


def _start(value: object) -> datetime | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed.astimezone(UTC) if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def meeting_from_json(data: Mapping[str, Any]) -> Meeting:
    """A [`Meeting`][meetlink.ports.provider.Meeting] from Zoom's meeting JSON; ValueError when id
    or join_url is absent."""
    mid, join_url = data.get("id"), data.get("join_url")
    if isinstance(mid, bool) or not isinstance(mid, int | str) or not str(mid).isdigit():
        raise ValueError("meeting has no numeric id")
    if not isinstance(join_url, str) or not join_url:
        raise ValueError("meeting has no join_url")
    password = data.get("password")
    duration = data.get("duration")
    tz = data.get("timezone")
    return Meeting(
        meeting_id=str(mid),
        join_url=join_url,
        passcode=password if isinstance(password, str) and password else None,
        topic=str(data.get("topic") or ""),
        start=_start(data.get("start_time")),
        duration_minutes=duration if isinstance(duration, int) else None,
        timezone=tz if isinstance(tz, str) and tz else None,
        marker=marker_of(data.get("agenda")),
    )


def parse_created_json(
    status: int, headers: Mapping[str, str], body: bytes, now: datetime
) -> tuple[Meeting, dict[str, Any]]:
    """The 201 answer to a create, as a [`Meeting`][meetlink.ports.provider.Meeting] and the JSON it
    came from (a type 8 meeting lists its ``occurrences`` there). Unreadable success ->
    ProviderUnavailable(maybe_applied)."""
    if status not in (200, 201):
        raise api_failure(status, headers, body, now=now, what="create meeting")
    try:
        data = json.loads(body.decode("utf-8"))
        if not isinstance(data, dict):
            raise ValueError("not an object")
        return meeting_from_json(data), data
    except (UnicodeDecodeError, ValueError) as exc:
        raise ProviderUnavailable(
            f"Zoom created a meeting (HTTP {status}) but its answer is unreadable; it may exist",
            maybe_applied=True,
        ) from exc


def parse_created(status: int, headers: Mapping[str, str], body: bytes, now: datetime) -> Meeting:
    """The 201 answer to a create. Unreadable success -> ProviderUnavailable(maybe_applied)."""
    return parse_created_json(status, headers, body, now)[0]


def parse_meeting_json(
    status: int, headers: Mapping[str, str], body: bytes, now: datetime
) -> tuple[Meeting, dict[str, Any]]:
    """GET /v2/meetings/{id} as a [`Meeting`][meetlink.ports.provider.Meeting] and its JSON. 404 /
    3001 -> MeetingGone."""
    if status != 200:
        raise api_failure(status, headers, body, now=now, what="get meeting", meeting=True)
    data = decode_json(body, status=status, what="get meeting")
    try:
        if not isinstance(data, dict):
            raise ValueError("not an object")
        return meeting_from_json(data), data
    except ValueError as exc:
        raise ProviderRejected(f"Zoom meeting answer is incomplete: {exc}", status=status) from exc


def parse_meeting(status: int, headers: Mapping[str, str], body: bytes, now: datetime) -> Meeting:
    """GET /v2/meetings/{id}. 404 / 3001 -> MeetingGone."""
    return parse_meeting_json(status, headers, body, now)[0]


def parse_start_url(status: int, headers: Mapping[str, str], body: bytes, now: datetime) -> str:
    """The fresh ``start_url`` from GET /v2/meetings/{id}."""
    if status != 200:
        raise api_failure(status, headers, body, now=now, what="get start URL", meeting=True)
    data = decode_json(body, status=status, what="get start URL")
    url = data.get("start_url") if isinstance(data, dict) else None
    if not isinstance(url, str) or not url:
        raise ProviderRejected("Zoom meeting answer has no start_url", status=status)
    return url


def parse_no_content(
    status: int, headers: Mapping[str, str], body: bytes, now: datetime, *, what: str
) -> None:
    """A 204 answer (PATCH). 404 / 3001 -> MeetingGone."""
    if status not in (200, 204):
        raise api_failure(status, headers, body, now=now, what=what, meeting=True)


def parse_deleted(status: int, headers: Mapping[str, str], body: bytes, now: datetime) -> bool:
    """DELETE answer: True when deleted now, False when it was already gone."""
    return deleted(status, headers, body, now, failure=api_failure)


def parse_meeting_page(
    status: int, headers: Mapping[str, str], body: bytes, now: datetime
) -> tuple[list[Meeting], str | None]:
    """One page of GET /v2/users/me/meetings and the next page token ("" / absent: last)."""
    if status != 200:
        raise api_failure(status, headers, body, now=now, what="list meetings")
    data = decode_json(body, status=status, what="list meetings")
    if not isinstance(data, dict) or not isinstance(data.get("meetings", []), list):
        raise ProviderRejected("Zoom meeting list answer has no meetings array", status=status)
    found: list[Meeting] = []
    for item in data.get("meetings", []):
        if isinstance(item, dict):
            try:
                found.append(meeting_from_json(item))
            except ValueError:
                continue  # an entry without a join URL cannot be adopted
    token = data.get("next_page_token")
    return found, token if isinstance(token, str) and token else None
