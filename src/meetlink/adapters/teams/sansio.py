"""The Microsoft identity platform v2.0 and Graph onlineMeetings protocol without I/O.

Every function here is pure: a :class:`GraphRequest` goes out through any transport (the sync
httpx one in :mod:`.provider`), and the answer's status, headers and body come back to a
``parse_*`` function that returns meetlink types or raises the mapped :mod:`meetlink.errors`
error (table in :mod:`.failures`). Graph's vocabulary (externalId, joinWebUrl, tid/oid) stays
in this package.
"""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import quote, urlencode

import attrs

from meetlink.domain.conference import TOPIC_LIMIT
from meetlink.domain.links import TokenSet
from meetlink.errors import MeetingGone, ProviderRejected, ProviderUnavailable
from meetlink.ports.provider import Meeting, MeetingRequest, ProviderAccount

from .failures import decode_json, graph_failure, token_failure

__all__ = [
    "SCOPES",
    "GraphRequest",
    "Tokens",
    "authorization_url",
    "create_or_get_request",
    "delete_meeting_request",
    "exchange_request",
    "get_meeting_request",
    "graph_time",
    "jwt_claims",
    "me_request",
    "meeting_from_json",
    "meeting_terms_differ",
    "parse_account",
    "parse_create_or_get",
    "parse_deleted",
    "parse_meeting",
    "parse_time",
    "parse_tokens",
    "refresh_request",
    "update_body",
    "update_meeting_request",
]

#: Delegated scopes meetlink asks for (FACTS.md §0.1, §1.2): bare names mean Graph.
SCOPES = "openid profile offline_access User.Read OnlineMeetings.ReadWrite"
_JSON = "application/json"
_TIME = re.compile(r"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d+))?(Z|[+-]\d\d:\d\d)?", re.IGNORECASE)
_EPOCH_ZERO_YEAR = 1  # Graph sometimes answers 0001-01-01T00:00:00Z (FACTS.md §7.13)


@attrs.frozen
class GraphRequest:
    """One HTTP request to Entra ID or Graph. Headers and body hold secrets: not in repr."""

    method: str
    url: str
    headers: Mapping[str, str] = attrs.field(factory=dict, repr=False)
    body: bytes = attrs.field(default=b"", repr=False)


@attrs.frozen
class Tokens:
    """A token endpoint answer: the :class:`TokenSet` plus the tenant from the id_token."""

    token_set: TokenSet
    tenant_id: str | None = None


# --- identity platform ------------------------------------------------------------------


def _authority(authority: str, tenant: str) -> str:
    return f"{authority.rstrip('/')}/{quote(tenant, safe='')}/oauth2/v2.0"


def authorization_url(
    authority: str,
    tenant: str,
    *,
    client_id: str,
    redirect_uri: str,
    state: str,
    code_challenge: str,
    scope: str = SCOPES,
    prompt: str | None = None,
) -> str:
    """The /authorize URL (auth code + PKCE S256, ``response_mode=query``)."""
    params = {
        "client_id": client_id,
        "response_type": "code",
        "redirect_uri": redirect_uri,
        "response_mode": "query",
        "scope": scope,
        "state": state,
        "code_challenge": code_challenge,
        "code_challenge_method": "S256",
    }
    if prompt:
        params["prompt"] = prompt
    return f"{_authority(authority, tenant)}/authorize?{urlencode(params, quote_via=quote)}"


def _token_form(authority: str, tenant: str, fields: dict[str, str]) -> GraphRequest:
    headers = {"Content-Type": "application/x-www-form-urlencoded", "Accept": _JSON}
    return GraphRequest(
        "POST", f"{_authority(authority, tenant)}/token", headers, urlencode(fields).encode()
    )


def exchange_request(
    authority: str,
    tenant: str,
    *,
    client_id: str,
    client_secret: str,
    redirect_uri: str,
    code: str,
    code_verifier: str,
    scope: str = SCOPES,
) -> GraphRequest:
    """POST /token, grant_type=authorization_code; the client secret goes in the body."""
    return _token_form(
        authority,
        tenant,
        {
            "client_id": client_id,
            "scope": scope,
            "code": code,
            "redirect_uri": redirect_uri,
            "grant_type": "authorization_code",
            "code_verifier": code_verifier,
            "client_secret": client_secret,
        },
    )


def refresh_request(
    authority: str,
    tenant: str,
    *,
    client_id: str,
    client_secret: str,
    refresh_token: str,
    scope: str = SCOPES,
) -> GraphRequest:
    """POST /token, grant_type=refresh_token (Entra answers with a new refresh token)."""
    return _token_form(
        authority,
        tenant,
        {
            "client_id": client_id,
            "scope": scope,
            "grant_type": "refresh_token",
            "refresh_token": refresh_token,
            "client_secret": client_secret,
        },
    )


def jwt_claims(token: object) -> dict[str, Any]:
    """The payload of a JWT, **unverified**; {} when it is not one. Used only for the id_token
    received straight from the token endpoint over TLS (OIDC Core §3.1.3.7 allows TLS server
    validation in place of the signature there) and for the ``tid`` of an access token."""
    if not isinstance(token, str) or token.count(".") != 2:
        return {}
    payload = token.split(".")[1]
    try:
        raw = base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))
        claims = json.loads(raw.decode("utf-8"))
    except (ValueError, UnicodeDecodeError):
        return {}
    return claims if isinstance(claims, dict) else {}


def parse_tokens(
    status: int,
    headers: Mapping[str, str],
    body: bytes,
    now: datetime,
    *,
    previous_refresh_token: str | None = None,
) -> Tokens:
    """A token endpoint answer. Without a new refresh token (it should always come with
    ``offline_access``), ``previous_refresh_token`` is kept."""
    if status != 200:
        raise token_failure(status, headers, body, now=now, what="token request")
    try:
        data = json.loads(body.decode("utf-8"))
        access = data["access_token"]
        refresh = data.get("refresh_token") or previous_refresh_token
        expires_in = int(data.get("expires_in", 3599))
        if not (isinstance(access, str) and isinstance(refresh, str) and access and refresh):
            raise TypeError("token fields are not strings")
    except (UnicodeDecodeError, ValueError, TypeError, KeyError, AttributeError) as exc:
        raise ProviderUnavailable(
            "Entra ID token answer unreadable (HTTP 200, no usable tokens)", maybe_applied=True
        ) from exc
    scope = data.get("scope")
    tid = jwt_claims(data.get("id_token")).get("tid")
    return Tokens(
        token_set=TokenSet(
            access_token=access,
            refresh_token=refresh,
            expires_at=now + timedelta(seconds=max(expires_in, 0)),
            scope=scope if isinstance(scope, str) else "",
        ),
        tenant_id=tid if isinstance(tid, str) and tid else None,
    )


# --- Graph ------------------------------------------------------------------------------


def _graph(method: str, graph: str, path: str, token: str, body: Any = None) -> GraphRequest:
    headers = {"Authorization": f"Bearer {token}", "Accept": _JSON}
    raw = b""
    if body is not None:
        headers["Content-Type"] = _JSON
        raw = json.dumps(body, ensure_ascii=False).encode("utf-8")
    return GraphRequest(method, f"{graph.rstrip('/')}/v1.0{path}", headers, raw)


def _meeting_path(meeting_id: str) -> str:
    if not meeting_id or len(meeting_id) > 2000 or not meeting_id.isprintable():
        raise ProviderRejected("not a Teams meeting id", code="meeting_id")
    return f"/me/onlineMeetings/{quote(meeting_id, safe='')}"


def me_request(graph: str, token: str) -> GraphRequest:
    """GET /v1.0/me."""
    return _graph("GET", graph, "/me", token)


def graph_time(value: datetime) -> str:
    """A UTC ``Z`` time for Graph (microseconds only when present)."""
    utc = value.astimezone(UTC)
    fraction = f".{utc.microsecond:06d}" if utc.microsecond else ""
    return f"{utc:%Y-%m-%dT%H:%M:%S}{fraction}Z"


def update_body(request: MeetingRequest) -> dict[str, Any]:
    """subject plus start and end together (Graph wants the pair, FACTS.md §2.4)."""
    terms = request.terms
    end = terms.start + timedelta(minutes=terms.duration_minutes)
    return {
        "subject": terms.topic[:TOPIC_LIMIT],
        "startDateTime": graph_time(terms.start),
        "endDateTime": graph_time(end),
    }


def create_or_get_request(graph: str, token: str, request: MeetingRequest) -> GraphRequest:
    """POST /v1.0/me/onlineMeetings/createOrGet keyed by ``externalId`` = the marker."""
    if not request.marker:
        raise ProviderRejected("a Teams meeting needs a marker (externalId)", code="marker")
    body = {"externalId": request.marker, **update_body(request)}
    return _graph("POST", graph, "/me/onlineMeetings/createOrGet", token, body)


def update_meeting_request(
    graph: str, token: str, meeting_id: str, request: MeetingRequest
) -> GraphRequest:
    """PATCH /v1.0/me/onlineMeetings/{id} (200 with the full object)."""
    return _graph("PATCH", graph, _meeting_path(meeting_id), token, update_body(request))


def get_meeting_request(graph: str, token: str, meeting_id: str) -> GraphRequest:
    """GET /v1.0/me/onlineMeetings/{id}."""
    return _graph("GET", graph, _meeting_path(meeting_id), token)


def delete_meeting_request(graph: str, token: str, meeting_id: str) -> GraphRequest:
    """DELETE /v1.0/me/onlineMeetings/{id} (204)."""
    return _graph("DELETE", graph, _meeting_path(meeting_id), token)


def parse_account(
    status: int,
    headers: Mapping[str, str],
    body: bytes,
    now: datetime,
    *,
    tenant_id: str,
) -> ProviderAccount:
    """GET /v1.0/me: ``id`` (the oid), ``mail`` or else ``userPrincipalName``."""
    if status != 200:
        raise graph_failure(status, headers, body, now=now, what="get /me")
    data = decode_json(body, status=status, what="get /me")
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
    """A :class:`Meeting` from an onlineMeeting; ValueError without id or join URL."""
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
    return (
        meeting.topic != terms.topic[:TOPIC_LIMIT]
        or meeting.start != terms.start.astimezone(UTC)
        or meeting.duration_minutes != terms.duration_minutes
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
    if status in (200, 204):
        return True
    failure = graph_failure(status, headers, body, now=now, what="delete meeting", meeting=True)
    if isinstance(failure, MeetingGone):
        return False
    raise failure
