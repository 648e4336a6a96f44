"""Google's answers that are failures, translated into [`meetlink.errors`][meetlink.errors] (pure,
no I/O; the facts and their sources are in docs/google-meet.md).

The table::

    transport error                         -> ProviderUnavailable (in the shell)
    429 (RESOURCE_EXHAUSTED), or 503 with   -> RateLimited(retry_at; None without Retry-After)
      Retry-After
    5xx                                     -> ProviderUnavailable (maybe_applied=True)
    Meet/userinfo 401 (UNAUTHENTICATED)     -> AuthExpired
    Meet 404 (NOT_FOUND) on a space call    -> MeetingGone
    token endpoint invalid_grant            -> GrantRevoked (a used or unknown code, a PKCE
                                               mismatch, a revoked, idle or 7-day testing-mode
                                               refresh token: Google does not say which)
    token endpoint invalid_client           -> ProviderRejected (the app's credentials)
    anything else                           -> ProviderRejected(code, status)

Branches read ``error`` (OAuth) and ``error.status`` (Google's API error), never the
descriptions. Messages never carry a token, code, verifier or secret.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from meetlink.adapters import failures as toolkit
from meetlink.adapters.failures import Headers
from meetlink.errors import (
    AuthExpired,
    GrantRevoked,
    MeetingGone,
    ProviderError,
    ProviderRejected,
    ProviderUnavailable,
)

__all__ = ["PROVIDER", "api_failure", "decode_json", "token_failure"]

PROVIDER = "Google"
_MESSAGE_LIMIT = 200
_RETRYABLE_ERRORS = frozenset({"temporarily_unavailable", "server_error", "internal_failure"})


def decode_json(body: bytes, *, status: int, what: str) -> Any:
    """The JSON in ``body``; anything else -> ProviderRejected (status kept)."""
    return toolkit.decode_json(body, status=status, what=what, provider=PROVIDER)


def _object(body: bytes) -> dict[str, Any]:
    try:
        data = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def _api_error(body: bytes) -> tuple[str | None, str]:
    """Google's ``error.status`` (``NOT_FOUND``...) and ``error.message``."""
    error = _object(body).get("error")
    if not isinstance(error, dict):
        return None, ""
    status, message = error.get("status"), error.get("message")
    return (
        status if isinstance(status, str) and status else None,
        (message if isinstance(message, str) else "")[:_MESSAGE_LIMIT],
    )


def api_failure(
    status: int, headers: Headers, body: bytes, *, now: datetime, what: str, meeting: bool = False
) -> ProviderError:
    """The error for a failed Meet REST (or userinfo) answer. ``meeting``: the call named one
    space, so a 404 means it does not exist."""
    code, message = _api_error(body)
    detail = f"{code}: {message}" if code else message
    throttled = toolkit.throttled("Google", status, headers, now, what, detail)
    if throttled is not None:
        return throttled
    if status >= 500:
        return ProviderUnavailable(
            f"Google {what} failed with HTTP {status}{': ' + detail if detail else ''}",
            maybe_applied=True,
        )
    if status == 401:
        return AuthExpired(f"Google refused the access token for {what}: {detail}")
    if meeting and status == 404:
        return MeetingGone(f"Google Meet {what}: the space does not exist ({detail})")
    return ProviderRejected(
        f"Google {what} failed with HTTP {status}: {detail or 'no details'}",
        code=code,
        status=status,
    )


def token_failure(
    status: int, headers: Mapping[str, str], body: bytes, *, now: datetime, what: str
) -> ProviderError:
    """The error for a failed answer of Google's token or revoke endpoint (``{"error":
    "invalid_grant", "error_description": ...}``)."""
    data = _object(body)
    error = data.get("error") if isinstance(data.get("error"), str) else None
    throttled = toolkit.throttled("Google", status, headers, now, what, error or "")
    if throttled is not None:
        return throttled
    if status >= 500 or error in _RETRYABLE_ERRORS:
        return ProviderUnavailable(
            f"Google {what} failed with HTTP {status}{': ' + error if error else ''}",
            maybe_applied=True,
        )
    if error == "invalid_grant":
        return GrantRevoked(f"Google {what}: the grant is no longer valid (invalid_grant)")
    return ProviderRejected(
        f"Google {what} failed with HTTP {status}: {error or 'no details'}",
        code=error,
        status=status,
    )
