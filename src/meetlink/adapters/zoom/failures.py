"""Zoom HTTP answers that are failures, translated into [`meetlink.errors`][meetlink.errors] (pure,
no I/O).

The table (FACTS.md §1.4, §4.1, §5.3, §5.4)::

    5xx                              -> ProviderUnavailable (maybe_applied=True: it may have run)
    429                              -> RateLimited(retry_at from Retry-After or the daily message)
    code 4711 (token lacks a scope)  -> ProviderRejected(4711): add the scope, then link again
    401, or code 124                 -> AuthExpired
    token endpoint error=invalid_grant -> GrantRevoked
    404 / code 3001 (meeting calls)  -> MeetingGone
    code 3002 (meeting calls)        -> MeetingInProgress: delete it after it ends
    code 3161                        -> HostingNotAllowed: the user's plan cannot host
    anything else                    -> ProviderRejected(code, status)

Error bodies are JSON ``{"code", "message", "errors": [...]}`` or, in some cases (a passcode
that breaks the account policy, FACTS.md §3.3), the same fields in XML
(``<result><code>300</code><message>...</message><errors><field>...``): both are read.
Messages quote Zoom's own error text (which never echoes credentials) and never a token.
"""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ElementTree
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from meetlink.adapters import failures as toolkit
from meetlink.adapters.failures import Headers, header, parse_retry_after
from meetlink.errors import (
    AuthExpired,
    GrantRevoked,
    HostingNotAllowed,
    MeetingGone,
    MeetingInProgress,
    ProviderError,
    ProviderRejected,
    ProviderUnavailable,
    RateLimited,
)

__all__ = [
    "DAILY_LIMIT_PATTERN",
    "api_failure",
    "decode_json",
    "next_utc_midnight",
    "parse_retry_after",
    "token_failure",
]

#: The per-user create/update cap message (FACTS.md §5.3); it resumes "at GMT 00:00:00".
DAILY_LIMIT_PATTERN = re.compile(r"daily rate limit.*GMT 00:00:00", re.IGNORECASE | re.DOTALL)
_MESSAGE_LIMIT = 300
_HOSTING_NOT_ALLOWED = 3161
_NOT_FOUND = re.compile(r"not found or has expired", re.IGNORECASE)
_MISSING_SCOPE = re.compile(r"does not contain scopes", re.IGNORECASE)
_XML_LIMIT = 64 * 1024


def decode_json(body: bytes, *, status: int, what: str) -> Any:
    """The JSON in ``body``; a non-JSON body (Zoom sometimes answers XML) -> ProviderRejected."""
    return toolkit.decode_json(body, status=status, what=what, provider="Zoom")


def next_utc_midnight(now: datetime) -> datetime:
    """The next 00:00 UTC strictly after ``now`` (when Zoom's daily counters reset)."""
    day = now.astimezone(UTC).date() + timedelta(days=1)
    return datetime(day.year, day.month, day.day, tzinfo=UTC)


def _xml_fields(body: bytes) -> dict[str, Any] | None:
    """Zoom's XML error (``<result><code/><message/><errors>...``) as the JSON shape."""
    head = body[:1024].lower()
    if len(body) > _XML_LIMIT or b"<!doctype" in head or b"<!entity" in body.lower():
        return None  # no DTDs: nothing to expand
    try:
        root = ElementTree.fromstring(body)
    except ElementTree.ParseError:
        return None
    code = (root.findtext("code") or "").strip()
    errors = [
        {"field": (item.findtext("field") or "").strip(), "message": item.findtext("message")}
        for item in root.iter("errors")
    ]
    return {
        "code": int(code) if code.isdigit() else code or None,
        "message": (root.findtext("message") or "").strip(),
        "errors": errors,
    }


def _error_fields(body: bytes) -> tuple[Any, str]:
    """Zoom's ``(code, message)`` from a JSON or XML error body, tolerating anything; a
    validation failure's ``errors`` (field: message) are added to the message."""
    data: Any
    try:
        data = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        data = _xml_fields(body) if body.lstrip().startswith(b"<") else None
    if not isinstance(data, dict):
        return None, ""
    code = data.get("code", data.get("error"))
    message = data.get("message", data.get("reason", ""))
    if not isinstance(code, str | int) or isinstance(code, bool):
        code = None
    text = message if isinstance(message, str) else ""
    details = data.get("errors")
    if isinstance(details, list):
        parts = [
            f"{item.get('field') or '?'}: {item.get('message')}"
            for item in details
            if isinstance(item, dict) and isinstance(item.get("message"), str)
        ]
        text = " ".join([text, *parts]).strip()
    return code, text[:_MESSAGE_LIMIT]


def _rate_limited(headers: Mapping[str, str], message: str, now: datetime) -> RateLimited:
    if DAILY_LIMIT_PATTERN.search(message):
        retry_at: datetime | None = next_utc_midnight(now)
    else:
        retry_at = parse_retry_after(header(headers, "retry-after"), now)
    text = f"Zoom rate limit (HTTP 429): {message}" if message else "Zoom rate limit (HTTP 429)"
    return RateLimited(text, retry_at=retry_at)


def api_failure(
    status: int, headers: Headers, body: bytes, *, now: datetime, what: str, meeting: bool = False
) -> ProviderError:
    """The error for a failed REST answer. ``meeting``: the call addressed one meeting, so a
    404 / code 3001 means it is gone."""
    code, message = _error_fields(body)
    detail = f"{message} (code {code})" if code is not None else message or "no details"
    if status == 429:
        return _rate_limited(headers, message, now)
    if status >= 500:
        return ProviderUnavailable(
            f"Zoom {what} failed with HTTP {status}: {detail}", maybe_applied=True
        )
    if code == 4711 or (code == 4700 and _MISSING_SCOPE.search(message)):
        # A new token will not help until the app has the scope (FACTS.md §1.6, §10.8).
        return ProviderRejected(
            f"Zoom refused {what}: the access token lacks a scope ({detail}); add the scope"
            " to the app in the Zoom App Marketplace, then the user links Zoom again",
            code=code,
            status=status,
        )
    if status == 401 or code == 124:
        return AuthExpired(f"Zoom refused the access token for {what}: {detail}")
    gone = status == 404 or code == 3001 or (code == 300 and bool(_NOT_FOUND.search(message)))
    if meeting and gone:
        return MeetingGone(f"Zoom {what}: the meeting does not exist: {detail}")
    if meeting and code == 3002:
        return MeetingInProgress(
            f"Zoom {what}: the meeting is in progress ({detail}); it can be deleted after it ends",
            retry_at=None,
        )
    if code == _HOSTING_NOT_ALLOWED:  # FACTS.md §3.1: the user's type or settings forbid it
        return HostingNotAllowed(
            f"Zoom {what}: the Zoom user may not host or schedule meetings ({detail}); the"
            " Zoom account's admin must allow meeting hosting for the user or give them a"
            " plan that includes it",
            code=code,
            status=status,
        )
    if code is None and body.strip() and not message:
        kind = "an XML" if body.lstrip().startswith(b"<") else "a non-JSON"
        return ProviderRejected(
            f"Zoom {what} failed with HTTP {status} and {kind} body (expected JSON; Zoom"
            " answers XML e.g. when a passcode breaks the account policy)",
            status=status,
        )
    return ProviderRejected(
        f"Zoom {what} failed with HTTP {status}: {detail}", code=code, status=status
    )


def token_failure(
    status: int, headers: Mapping[str, str], body: bytes, *, now: datetime, what: str
) -> ProviderError:
    """The error for a failed OAuth endpoint answer (``{"reason", "error"}`` bodies)."""
    code, message = _error_fields(body)
    if status == 429:
        return _rate_limited(headers, message, now)
    if status >= 500:
        return ProviderUnavailable(f"Zoom {what} failed with HTTP {status}", maybe_applied=True)
    if code == "invalid_grant":
        return GrantRevoked(f"Zoom {what}: the grant is no longer valid ({message or code})")
    detail = f"{message} ({code})" if code is not None else message or "no details"
    return ProviderRejected(
        f"Zoom {what} failed with HTTP {status}: {detail}", code=code, status=status
    )
