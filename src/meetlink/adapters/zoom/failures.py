"""Zoom HTTP answers that are failures, translated into :mod:`meetlink.errors` (pure, no I/O).

The table (FACTS.md §1.4, §4.1, §5.3, §5.4)::

    5xx                              -> ProviderUnavailable (maybe_applied=True: it may have run)
    429                              -> RateLimited(retry_at from Retry-After or the daily message)
    401, or code 124                 -> AuthExpired
    token endpoint error=invalid_grant -> GrantRevoked
    404 / code 3001 (meeting calls)  -> MeetingGone
    anything else                    -> ProviderRejected(code, status)

Messages quote Zoom's own error text (which never echoes credentials) and never a token.
"""

from __future__ import annotations

import email.utils
import json
import re
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from meetlink.errors import (
    AuthExpired,
    GrantRevoked,
    MeetingGone,
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
_MESSAGE_LIMIT = 200
_NOT_FOUND = re.compile(r"not found or has expired", re.IGNORECASE)


def decode_json(body: bytes, *, status: int, what: str) -> Any:
    """The JSON in ``body``; a non-JSON body (Zoom sometimes answers XML) -> ProviderRejected."""
    try:
        return json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        kind = "an XML" if body.lstrip().startswith(b"<") else "a malformed or non-JSON"
        raise ProviderRejected(
            f"Zoom answered {what} with HTTP {status} and {kind} body; expected JSON",
            status=status,
        ) from exc


def next_utc_midnight(now: datetime) -> datetime:
    """The next 00:00 UTC strictly after ``now`` (when Zoom's daily counters reset)."""
    day = now.astimezone(UTC).date() + timedelta(days=1)
    return datetime(day.year, day.month, day.day, tzinfo=UTC)


def parse_retry_after(value: str | None, now: datetime) -> datetime | None:
    """``Retry-After`` as an aware UTC time: delta seconds, an HTTP-date or an ISO-8601 time
    (Zoom uses ``2020-05-31T00:00:00Z``, FACTS.md §5.4). Garbage or missing -> None."""
    if value is None:
        return None
    text = value.strip()
    if not text:
        return None
    if text.isascii() and text.isdigit():
        return now.astimezone(UTC) + timedelta(seconds=min(int(text), 10 * 365 * 86400))
    try:
        parsed = email.utils.parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        parsed = None
    if parsed is None:
        try:
            parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
        except ValueError:
            return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


def _error_fields(body: bytes) -> tuple[Any, str]:
    """Zoom's ``(code, message)`` from an error body, tolerating anything."""
    try:
        data = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        return None, ""
    if not isinstance(data, dict):
        return None, ""
    code = data.get("code", data.get("error"))
    message = data.get("message", data.get("reason", ""))
    if not isinstance(code, str | int) or isinstance(code, bool):
        code = None
    return code, (message if isinstance(message, str) else "")[:_MESSAGE_LIMIT]


def _header(headers: Mapping[str, str], name: str) -> str | None:
    for key, value in headers.items():
        if key.lower() == name:
            return value
    return None


def _rate_limited(headers: Mapping[str, str], message: str, now: datetime) -> RateLimited:
    if DAILY_LIMIT_PATTERN.search(message):
        retry_at: datetime | None = next_utc_midnight(now)
    else:
        retry_at = parse_retry_after(_header(headers, "retry-after"), now)
    text = f"Zoom rate limit (HTTP 429): {message}" if message else "Zoom rate limit (HTTP 429)"
    return RateLimited(text, retry_at=retry_at)


def api_failure(
    status: int,
    headers: Mapping[str, str],
    body: bytes,
    *,
    now: datetime,
    what: str,
    meeting: bool = False,
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
    if status == 401 or code == 124:
        return AuthExpired(f"Zoom refused the access token for {what}: {detail}")
    gone = status == 404 or code == 3001 or (code == 300 and bool(_NOT_FOUND.search(message)))
    if meeting and gone:
        return MeetingGone(f"Zoom {what}: the meeting does not exist: {detail}")
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
