"""Microsoft Graph and Entra ID answers that are failures, translated into
[`meetlink.errors`][meetlink.errors] (pure, no I/O).

The table (FACTS.md §1.6, §1.7, §2.8, §2.9, §4)::

    transport error                   -> ProviderUnavailable (in provider.py)
    429, or 503 with Retry-After      -> RateLimited(retry_at; None when Retry-After is absent)
    5xx                               -> ProviderUnavailable (maybe_applied=True)
    Graph 401                         -> AuthExpired
    Graph AuthenticationError (400)   -> ProviderRejected: a personal Microsoft account
    token endpoint invalid_grant, or  -> GrantRevoked (65001 consent_required, 50173, 700082,
      a "reconnect" AADSTS code          70008, 54005, 501481, MFA/CA codes, 700016, ...)
    token endpoint temporarily_unavailable / server_error -> ProviderUnavailable
    Graph 404 on a meeting call       -> MeetingGone
    Graph 403 Forbidden, no message   -> HostingNotAllowed (no licence with meetings, a guest)
    anything else                     -> ProviderRejected(code, status)

Branches read ``error`` and ``error_codes`` only, never ``error_description`` (Microsoft's
advice). Messages carry Graph's ``code``/``message`` or Entra's ``error`` and AADSTS numbers,
never a token, code, verifier or secret.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from meetlink.adapters import failures as toolkit
from meetlink.adapters.failures import Headers, parse_retry_after
from meetlink.errors import (
    AuthExpired,
    GrantRevoked,
    HostingNotAllowed,
    MeetingGone,
    ProviderError,
    ProviderRejected,
    ProviderUnavailable,
)

__all__ = [
    "RECONNECT_CODES",
    "RETRYABLE_CODES",
    "decode_json",
    "graph_failure",
    "parse_retry_after",
    "token_failure",
]

#: AADSTS codes that mean "the user must link again" (FACTS.md §1.7, §4).
RECONNECT_CODES = frozenset(
    {65001, 50173, 700082, 700084, 70008, 70043, 50076, 50078, 50079, 53003, 700016, 54005}
)
#: AADSTS codes Entra documents as transient (FACTS.md §1.7).
RETRYABLE_CODES = frozenset({50033, 90006, 90024})
_RETRYABLE_ERRORS = frozenset({"temporarily_unavailable", "server_error"})
_RECONNECT_ERRORS = frozenset({"invalid_grant", "interaction_required", "consent_required"})
_MESSAGE_LIMIT = 200


def decode_json(body: bytes, *, status: int, what: str) -> Any:
    """The JSON in ``body``; anything else -> ProviderRejected (status kept)."""
    return toolkit.decode_json(body, status=status, what=what, provider="Microsoft Graph")


def _graph_error(body: bytes) -> tuple[str | None, str]:
    """Graph's ``error.code`` and ``error.message``, tolerating anything."""
    try:
        data = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        return None, ""
    error = data.get("error") if isinstance(data, dict) else None
    if not isinstance(error, dict):
        return None, ""
    code, message = error.get("code"), error.get("message")
    return (
        code if isinstance(code, str) and code else None,
        (message if isinstance(message, str) else "")[:_MESSAGE_LIMIT],
    )


def graph_failure(
    status: int, headers: Headers, body: bytes, *, now: datetime, what: str, meeting: bool = False
) -> ProviderError:
    """The error for a failed Graph answer. ``meeting``: the call addressed one meeting by id,
    so a 404 means it is gone (DELETE -> 204, then 404; FACTS.md §2.5)."""
    code, message = _graph_error(body)
    detail = f"{code}: {message}" if code else message
    throttled = toolkit.throttled("Microsoft", status, headers, now, f"Graph {what}", detail)
    if throttled is not None:
        return throttled
    if status >= 500:
        return ProviderUnavailable(
            f"Microsoft Graph {what} failed with HTTP {status}{': ' + detail if detail else ''}",
            maybe_applied=True,
        )
    if status == 401:
        return AuthExpired(f"Microsoft Graph refused the access token for {what}: {detail}")
    if code == "AuthenticationError":  # FACTS.md §2.7: a personal account's token
        return ProviderRejected(
            f"Microsoft Graph {what}: {detail}; personal Microsoft accounts cannot host Teams"
            " meetings (link a work or school account)",
            code=code,
            status=status,
        )
    if status == 403 and code == "Forbidden" and not message:  # FACTS.md §2.7: a bare 403
        return HostingNotAllowed(
            f"Microsoft Graph {what} failed with HTTP 403 and no reason: the user may not"
            " organise Teams meetings (no Teams licence that includes meetings, or a guest"
            " account); the organisation's admin must assign one",
            code=code,
            status=status,
        )
    if meeting and status == 404:
        return MeetingGone(f"Microsoft Graph {what}: the meeting does not exist ({detail})")
    return ProviderRejected(
        f"Microsoft Graph {what} failed with HTTP {status}: {detail or 'no details'}",
        code=code,
        status=status,
    )


def _entra_error(body: bytes) -> tuple[str | None, list[int], str | None]:
    """Entra's ``error``, ``error_codes`` and ``suberror``, tolerating anything."""
    try:
        data = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        return None, [], None
    if not isinstance(data, dict):
        return None, [], None
    error, raw_codes, sub = data.get("error"), data.get("error_codes"), data.get("suberror")
    codes = [c for c in raw_codes if isinstance(c, int)] if isinstance(raw_codes, list) else []
    return (
        error if isinstance(error, str) and error else None,
        codes,
        sub if isinstance(sub, str) and sub else None,
    )


def token_failure(
    status: int, headers: Mapping[str, str], body: bytes, *, now: datetime, what: str
) -> ProviderError:
    """The error for a failed Entra token endpoint answer (FACTS.md §1.6 shape)."""
    error, codes, sub = _entra_error(body)
    names = ", ".join(f"AADSTS{c}" for c in codes)
    detail = " ".join(x for x in (error, f"[{names}]" if names else "", sub or "") if x)
    throttled = toolkit.throttled("Microsoft", status, headers, now, f"Entra ID {what}", detail)
    if throttled is not None:
        return throttled
    if status >= 500 or error in _RETRYABLE_ERRORS or RETRYABLE_CODES.intersection(codes):
        return ProviderUnavailable(
            f"Entra ID {what} failed with HTTP {status}{': ' + detail if detail else ''}",
            maybe_applied=True,
        )
    if error in _RECONNECT_ERRORS or RECONNECT_CODES.intersection(codes):
        return GrantRevoked(f"Entra ID {what}: the grant is no longer valid ({detail})")
    return ProviderRejected(
        f"Entra ID {what} failed with HTTP {status}: {detail or 'no details'}",
        code=error or (codes[0] if codes else None),
        status=status,
    )
