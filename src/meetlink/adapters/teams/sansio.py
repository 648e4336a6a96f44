"""The Microsoft identity platform v2.0 and Graph onlineMeetings protocol without I/O (the
identity half lives in [`identity`][meetlink.adapters.teams.identity] and is re-exported here).

Every function here is pure: a [`GraphRequest`][meetlink.adapters.http.HttpRequest] goes out through
any transport (the sync httpx one in [`provider`][meetlink.adapters.teams.provider]), and the
answer's status, headers and body come back to a ``parse_*`` function that returns meetlink types or
raises the mapped [`meetlink.errors`][meetlink.errors] error (table in
[`failures`][meetlink.adapters.teams.failures]). Graph's vocabulary (externalId, joinWebUrl,
tid/oid) stays in this package.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import quote

from meetlink.adapters.failures import answer_json, deleted
from meetlink.domain.conference import TOPIC_LIMIT, MeetingTerms
from meetlink.domain.series import Series
from meetlink.errors import ProviderRejected, ProviderUnavailable
from meetlink.ports.provider import Meeting, MeetingRequest, ProviderAccount

from .failures import decode_json, graph_failure
from .identity import (
    SCOPES,
    GraphRequest,
    Tokens,
    authorization_url,
    exchange_request,
    jwt_claims,
    parse_tokens,
    refresh_request,
    token_url,
)

__all__ = [
    "SCOPES",
    "GraphRequest",
    "Tokens",
    "authorization_url",
    "create_or_get_request",
    "exchange_request",
    "find_request",
    "graph_time",
    "jwt_claims",
    "me_request",
    "meeting_from_json",
    "meeting_request",
    "meeting_span",
    "meeting_terms_differ",
    "owner_path",
    "parse_account",
    "parse_create_or_get",
    "parse_deleted",
    "parse_meeting",
    "parse_time",
    "parse_tokens",
    "refresh_request",
    "token_url",
    "update_body",
    "update_meeting_request",
    "user_request",
]

_GRAPH = "Microsoft Graph"
_TIME = re.compile(r"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d+))?(Z|[+-]\d\d:\d\d)?", re.IGNORECASE)
_EPOCH_ZERO_YEAR = 1  # Graph sometimes answers 0001-01-01T00:00:00Z (FACTS.md §7.13)


# --- Graph ------------------------------------------------------------------------------


def _graph(method: str, graph: str, path: str, token: str, body: Any = None) -> GraphRequest:
    return GraphRequest.bearer(method, f"{graph.rstrip('/')}/v1.0{path}", token, body)


def owner_path(user: str | None) -> str:
    """Whose onlineMeetings: ``/me`` (a user's delegated token), or ``/users/{id}`` for the
    user an organisation's app-only token acts for (the object id: Graph takes no UPN
    there)."""
    return "/me" if user is None else f"/users/{quote(user, safe='')}"


def _meeting_path(meeting_id: str, owner: str = "/me") -> str:
    if not meeting_id or len(meeting_id) > 2000 or not meeting_id.isprintable():
        raise ProviderRejected("not a Teams meeting id", code="meeting_id")
    return f"{owner}/onlineMeetings/{quote(meeting_id, safe='')}"


def me_request(graph: str, token: str) -> GraphRequest:
    """GET /v1.0/me."""
    return _graph("GET", graph, "/me", token)


def user_request(graph: str, token: str, who: str) -> GraphRequest:
    """GET /v1.0/users/{id | userPrincipalName} (application permission User.Read.All)."""
    query = "?$select=id,userPrincipalName,mail,displayName"
    return _graph("GET", graph, f"/users/{quote(who, safe='@')}{query}", token)


def graph_time(value: datetime) -> str:
    """A UTC ``Z`` time for Graph (microseconds only when present)."""
    utc = value.astimezone(UTC)
    fraction = f".{utc.microsecond:06d}" if utc.microsecond else ""
    return f"{utc:%Y-%m-%dT%H:%M:%S}{fraction}Z"


def meeting_span(terms: MeetingTerms) -> tuple[datetime, datetime]:
    """The start and end the online meeting gets. An onlineMeeting has no recurrence (CSDL
    extract: only startDateTime/endDateTime), so a series is ONE meeting whose join URL
    serves every occurrence: it spans from the first occurrence to the end of the last one
    when the series ends, else it holds the first occurrence's times. A period or all-day
    event spans its whole length."""
    end = terms.start + timedelta(minutes=terms.duration_minutes)
    if terms.recurrence is not None:
        last = Series.of_terms(terms).last()
        if last is not None and last.end > end:
            end = last.end
    return terms.start, end


def update_body(request: MeetingRequest) -> dict[str, Any]:
    """subject plus start and end together (Graph wants the pair, FACTS.md §2.4)."""
    terms = request.terms
    _, end = meeting_span(terms)
    return {
        "subject": terms.topic[:TOPIC_LIMIT],
        "startDateTime": graph_time(terms.start),
        "endDateTime": graph_time(end),
    }


def create_or_get_request(
    graph: str, token: str, request: MeetingRequest, owner: str = "/me"
) -> GraphRequest:
    """POST /v1.0/me/onlineMeetings/createOrGet keyed by ``externalId`` = the marker."""
    if not request.marker:
        raise ProviderRejected("a Teams meeting needs a marker (externalId)", code="marker")
    body = {"externalId": request.marker, **update_body(request)}
    return _graph("POST", graph, f"{owner}/onlineMeetings/createOrGet", token, body)


def find_request(graph: str, token: str, marker: str, owner: str = "/me") -> GraphRequest:
    """createOrGet with only the ``externalId``: the meeting a lost create made comes back
    as it is (200); Graph has no other lookup by externalId (FACTS.md §2.3, §2.6)."""
    if not marker:
        raise ProviderRejected("a Teams meeting needs a marker (externalId)", code="marker")
    body = {"externalId": marker}
    return _graph("POST", graph, f"{owner}/onlineMeetings/createOrGet", token, body)


def update_meeting_request(
    graph: str, token: str, meeting_id: str, request: MeetingRequest, owner: str = "/me"
) -> GraphRequest:
    """PATCH /v1.0/me/onlineMeetings/{id} (200 with the full object)."""
    return _graph("PATCH", graph, _meeting_path(meeting_id, owner), token, update_body(request))


def meeting_request(
    method: str, graph: str, token: str, meeting_id: str, owner: str = "/me"
) -> GraphRequest:
    """``GET`` or ``DELETE`` (204) /v1.0/me/onlineMeetings/{id}."""
    return _graph(method, graph, _meeting_path(meeting_id, owner), token)


def parse_account(
    status: int,
    headers: Mapping[str, str],
    body: bytes,
    now: datetime,
    *,
    tenant_id: str,
) -> ProviderAccount:
    """GET /v1.0/me: ``id`` (the oid), ``mail`` or else ``userPrincipalName``."""
    data = answer_json(
        status, headers, body, now, failure=graph_failure, what="get /me", provider=_GRAPH
    )
    if not isinstance(data, dict) or not isinstance(data.get("id"), str) or not data["id"]:
        raise ProviderRejected("Graph /me answer has no user id", status=status)
    mail = data.get("mail") or data.get("userPrincipalName") or ""
    return ProviderAccount(
        external_account_id=data["id"],
        account_id=tenant_id,
        email=mail if isinstance(mail, str) else "",
        plan="licensed",  # Teams has no free tier that meetlink can see
    )


def parse_time(value: object) -> datetime | None:
    """A Graph DateTimeOffset (up to 7 fraction digits, ``Z``, offset or none = UTC)."""
    if not isinstance(value, str):
        return None
    found = _TIME.fullmatch(value.strip())
    if found is None:
        return None
    base, fraction, zone = found.groups()
    text = base + (f".{(fraction + '000000')[:6]}" if fraction else "")
    zone = "+00:00" if zone is None or zone.upper() == "Z" else zone
    try:
        parsed = datetime.fromisoformat(text + zone).astimezone(UTC)
    except ValueError:
        return None
    return None if parsed.year == _EPOCH_ZERO_YEAR else parsed


def meeting_from_json(data: Mapping[str, Any]) -> Meeting:
    """A [`Meeting`][meetlink.ports.provider.Meeting] from an onlineMeeting; ValueError without id
    or join URL."""
    mid = data.get("id")
    join_url = data.get("joinWebUrl") or data.get("joinUrl")  # joinUrl: OpenType extra
    if not isinstance(mid, str) or not mid:
        raise ValueError("meeting has no id")
    if not isinstance(join_url, str) or not join_url:
        raise ValueError("meeting has no joinWebUrl")
    start, end = parse_time(data.get("startDateTime")), parse_time(data.get("endDateTime"))
    settings = data.get("joinMeetingIdSettings")
    passcode = settings.get("passcode") if isinstance(settings, dict) else None
    external = data.get("externalId")
    subject = data.get("subject")
    duration = None
    if start is not None and end is not None and end >= start:
        duration = round((end - start).total_seconds() / 60)
    return Meeting(
        meeting_id=mid,
        join_url=join_url,
        passcode=passcode if isinstance(passcode, str) and passcode else None,
        topic=subject if isinstance(subject, str) else "",
        start=start,
        duration_minutes=duration,
        timezone="UTC" if start is not None else None,  # Graph keeps times in UTC only
        marker=external if isinstance(external, str) and external else None,
    )


def meeting_terms_differ(meeting: Meeting, request: MeetingRequest) -> bool:
    """Whether an existing meeting (createOrGet 200) must be PATCHed to say ``request``."""
    terms = request.terms
    start, end = meeting_span(terms)
    return (
        meeting.topic != terms.topic[:TOPIC_LIMIT]
        or meeting.start != start.astimezone(UTC)
        or meeting.duration_minutes != round((end - start).total_seconds() / 60)
    )


def _meeting_json(status: int, body: bytes, what: str) -> Meeting:
    data = decode_json(body, status=status, what=what)
    try:
        if not isinstance(data, dict):
            raise ValueError("not an object")
        return meeting_from_json(data)
    except ValueError as exc:
        raise ProviderRejected(f"Graph {what} answer is incomplete: {exc}", status=status) from exc


def parse_create_or_get(
    status: int, headers: Mapping[str, str], body: bytes, now: datetime
) -> tuple[Meeting, bool]:
    """createOrGet: ``(meeting, created)``; 201 = new, 200 = it existed (times ignored).
    An unreadable success -> ProviderUnavailable(maybe_applied): a retry returns it."""
    if status not in (200, 201):
        raise graph_failure(status, headers, body, now=now, what="createOrGet meeting")
    try:
        return _meeting_json(status, body, "createOrGet"), status == 201
    except ProviderRejected as exc:
        raise ProviderUnavailable(
            f"Graph createOrGet answered HTTP {status} unreadably; retrying returns the meeting",
            maybe_applied=True,
        ) from exc


def parse_meeting(
    status: int, headers: Mapping[str, str], body: bytes, now: datetime, *, what: str
) -> Meeting:
    """GET or PATCH of one meeting (200 with the full object). 404 -> MeetingGone."""
    if status != 200:
        raise graph_failure(status, headers, body, now=now, what=what, meeting=True)
    return _meeting_json(status, body, what)


def parse_deleted(status: int, headers: Mapping[str, str], body: bytes, now: datetime) -> bool:
    """DELETE: True when deleted now (204), False when it was already gone (404)."""
    return deleted(status, headers, body, now, failure=graph_failure)
