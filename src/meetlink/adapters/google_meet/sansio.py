"""The Meet REST API v2 and Google's userinfo endpoint without I/O (docs/google-meet.md).

Every function is pure: an [`HttpRequest`][meetlink.adapters.http.HttpRequest] goes out through
any transport, and the answer's status, headers and body come back to a ``parse_*`` function that
returns meetlink types or raises the mapped error
([`failures`][meetlink.adapters.google_meet.failures]).

What Meet v2 has (``google/apps/meet/v2/service.proto``): ``POST /v2/spaces`` (the body is a
Space, may be empty), ``GET /v2/{name=spaces/*}``, ``PATCH /v2/{space.name=spaces/*}`` with an
``updateMask``, ``POST /v2/{name=spaces/*}:endActiveConference``. A Space
(``resource.proto``) has ``name``, ``meetingUri``, ``meetingCode``, ``config`` (``accessType``,
``entryPointAccess``) and ``activeConference``: no time, no title, no delete.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime
from typing import Any
from urllib.parse import quote

import attrs

from meetlink.adapters.http import HttpRequest
from meetlink.errors import ProviderRejected, ProviderUnavailable
from meetlink.ports.provider import ProviderAccount

from .failures import api_failure, decode_json

__all__ = [
    "ACCESS_TYPES",
    "Space",
    "close_request",
    "create_request",
    "end_conference_request",
    "get_request",
    "parse_account",
    "parse_created",
    "parse_ended",
    "parse_space",
    "space_from_json",
    "userinfo_request",
]

#: ``SpaceConfig.AccessType`` values a tenant may choose (``ACCESS_TYPE_UNSPECIFIED`` is
#: never sent: the user's organisation default would apply, and Google never returns it).
ACCESS_TYPES = ("OPEN", "TRUSTED", "RESTRICTED")
# A space id as Google issues them; ``spaces/{meeting code}`` is accepted by GET too.
_SPACE = re.compile(r"spaces/[A-Za-z0-9_-]{1,128}")


@attrs.frozen
class Space:
    """A Space as Meet reports it (the fields meetlink reads)."""

    name: str
    meeting_uri: str
    meeting_code: str
    access_type: str | None
    active_conference: str | None


def _space_path(name: str) -> str:
    if not _SPACE.fullmatch(name):
        raise ProviderRejected("not a Google Meet space name", code="meeting_id")
    return "/v2/spaces/" + quote(name.split("/", 1)[1], safe="")


def _meet(method: str, base: str, path: str, token: str, body: Any = None) -> HttpRequest:
    return HttpRequest.bearer(method, f"{base.rstrip('/')}{path}", token, body)


def userinfo_request(base: str, token: str) -> HttpRequest:
    """GET /v1/userinfo (OpenID Connect: ``sub``, ``email``, ``hd`` for Workspace users)."""
    return _meet("GET", base, "/v1/userinfo", token)


def create_request(base: str, token: str, access_type: str) -> HttpRequest:
    """POST /v2/spaces with ``config.accessType`` (who joins without knocking)."""
    if access_type not in ACCESS_TYPES:
        raise ProviderRejected(f"not a Meet access type: {access_type!r}", code="access_type")
    return _meet("POST", base, "/v2/spaces", token, {"config": {"accessType": access_type}})


def get_request(base: str, token: str, name: str) -> HttpRequest:
    """GET /v2/spaces/{space}."""
    return _meet("GET", base, _space_path(name), token)


def end_conference_request(base: str, token: str, name: str) -> HttpRequest:
    """POST /v2/spaces/{space}:endActiveConference (an empty JSON body)."""
    return _meet("POST", base, _space_path(name) + ":endActiveConference", token, {})


def close_request(base: str, token: str, name: str) -> HttpRequest:
    """PATCH /v2/spaces/{space}?updateMask=config.accessType to RESTRICTED: from then on only
    invitees join without knocking, everyone else must be admitted by someone inside."""
    path = _space_path(name) + "?updateMask=config.accessType"
    return _meet("PATCH", base, path, token, {"config": {"accessType": "RESTRICTED"}})


def space_from_json(data: Mapping[str, Any]) -> Space:
    """A [`Space`][meetlink.adapters.google_meet.sansio.Space]; ValueError without a name or a
    ``https://meet.google.com`` URI."""
    name, uri = data.get("name"), data.get("meetingUri")
    if not isinstance(name, str) or not _SPACE.fullmatch(name):
        raise ValueError("space has no name")
    if not isinstance(uri, str) or not uri.startswith("https://"):
        raise ValueError("space has no meetingUri")
    code = data.get("meetingCode")
    config = data.get("config")
    access = config.get("accessType") if isinstance(config, dict) else None
    active = data.get("activeConference")
    record = active.get("conferenceRecord") if isinstance(active, dict) else None
    return Space(
        name=name,
        meeting_uri=uri,
        meeting_code=code if isinstance(code, str) else "",
        access_type=access if isinstance(access, str) else None,
        active_conference=record if isinstance(record, str) and record else None,
    )


def _space(status: int, body: bytes, what: str) -> Space:
    data = decode_json(body, status=status, what=what)
    try:
        if not isinstance(data, dict):
            raise ValueError("not an object")
        return space_from_json(data)
    except ValueError as exc:
        raise ProviderRejected(
            f"Google Meet {what} answer is incomplete: {exc}", status=status
        ) from exc


def parse_created(status: int, headers: Mapping[str, str], body: bytes, now: datetime) -> Space:
    """POST /v2/spaces: the new space. An unreadable success -> ProviderUnavailable
    (maybe_applied): a space may exist that nobody can name."""
    if not 200 <= status < 300:
        raise api_failure(status, headers, body, now=now, what="create space")
    try:
        return _space(status, body, "create space")
    except ProviderRejected as exc:
        raise ProviderUnavailable(
            f"Google Meet answered create space with HTTP {status} unreadably",
            maybe_applied=True,
        ) from exc


def parse_space(
    status: int, headers: Mapping[str, str], body: bytes, now: datetime, *, what: str
) -> Space:
    """GET or PATCH of one space (200 with the Space). 404 -> MeetingGone."""
    if status != 200:
        raise api_failure(status, headers, body, now=now, what=what, meeting=True)
    return _space(status, body, what)


def parse_ended(status: int, headers: Mapping[str, str], body: bytes, now: datetime) -> bool:
    """endActiveConference: True when a conference was ended; False when none was active
    (Google's answer to that case is not documented: a 400 ``FAILED_PRECONDITION`` is read
    as "none active", docs/google-meet.md). 404 -> MeetingGone."""
    if status == 200:
        return True
    error = api_failure(status, headers, body, now=now, what="end conference", meeting=True)
    if status == 400 and getattr(error, "provider_code", None) == "FAILED_PRECONDITION":
        return False
    raise error


def parse_account(
    status: int, headers: Mapping[str, str], body: bytes, now: datetime
) -> ProviderAccount:
    """The userinfo answer: ``sub`` is the account, ``hd`` (a Workspace domain) the
    organisation; a consumer account is its own organisation."""
    if status != 200:
        raise api_failure(status, headers, body, now=now, what="userinfo")
    data = decode_json(body, status=status, what="userinfo")
    if not isinstance(data, dict) or not isinstance(data.get("sub"), str) or not data["sub"]:
        raise ProviderRejected("Google userinfo answer has no subject", status=status)
    domain = data.get("hd")
    email = data.get("email")
    return ProviderAccount(
        external_account_id=data["sub"],
        account_id=domain if isinstance(domain, str) and domain else data["sub"],
        email=email if isinstance(email, str) else "",
        plan="licensed",  # Meet has no tier meetlink can see
    )
