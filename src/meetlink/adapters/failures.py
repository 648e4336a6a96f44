"""The failure toolkit every provider adapter maps its answers with (pure, no I/O): reading
``Retry-After``, decoding a JSON body, the shape of an answer that is a failure, and the
common verdicts (a 404 on a delete is done; 5xx may have been applied).

Each provider keeps its own table (which codes mean what: ``zoom/failures.py``,
``teams/failures.py``) and builds it from these pieces, so that a third provider adds a
table, not a third copy of the parsing::

    status, headers, body  --provider table-->  ProviderError subclass
                                                (RateLimited, ProviderUnavailable, AuthExpired,
                                                 GrantRevoked, MeetingGone, ProviderRejected)
"""

from __future__ import annotations

import email.utils
import json
import math
from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from meetlink.errors import MeetingGone, ProviderError, ProviderRejected, RateLimited

__all__ = [
    "Failure",
    "Headers",
    "answer_json",
    "decode_json",
    "deleted",
    "header",
    "parse_retry_after",
    "throttled",
]

_MAX_DELAY = 10 * 365 * 86400  # seconds: a longer Retry-After is capped

#: Response headers as a parse function gets them.
Headers = Mapping[str, str]
#: A provider's table: ``(status, headers, body, now=, what=, meeting=) -> ProviderError``.
Failure = Callable[..., ProviderError]


def header(headers: Mapping[str, str], name: str) -> str | None:
    """The value of header ``name`` (case-insensitive), or None."""
    wanted = name.lower()
    for key, value in headers.items():
        if key.lower() == wanted:
            return value
    return None


def throttled(
    vendor: str, status: int, headers: Mapping[str, str], now: datetime, what: str, detail: str
) -> RateLimited | None:
    """The RateLimited error for a 429, or a 503 that says when to come back (``Retry-After``);
    None for any other answer. ``vendor`` and ``what`` name the call in the message."""
    retry_after = header(headers, "retry-after")
    if status == 429 or (status == 503 and retry_after is not None):
        return RateLimited(
            f"{vendor} {what} throttled (HTTP {status}){': ' + detail if detail else ''}",
            retry_at=parse_retry_after(retry_after, now),
        )
    return None


def parse_retry_after(value: str | None, now: datetime) -> datetime | None:
    """``Retry-After`` as an aware UTC time: delta seconds (integer, or a fraction such as
    Graph's ``0.249``; a negative one means now), an HTTP-date, or an ISO-8601 time (Zoom's
    ``2020-05-31T00:00:00Z``). Missing, garbage, non-ASCII digits or infinity -> None."""
    if value is None or not value.strip():
        return None
    text = value.strip()
    if not text.isascii():
        return None
    try:
        seconds = float(text)
    except ValueError:
        seconds = math.nan
    if math.isfinite(seconds):
        return now.astimezone(UTC) + timedelta(seconds=min(max(seconds, 0.0), _MAX_DELAY))
    if not math.isnan(seconds):
        return None  # "inf": not a usable delay
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


def decode_json(body: bytes, *, status: int, what: str, provider: str) -> Any:
    """The JSON in ``body``; anything else (an XML or HTML page) -> ProviderRejected."""
    try:
        return json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        kind = "an XML" if body.lstrip().startswith(b"<") else "a malformed or non-JSON"
        raise ProviderRejected(
            f"{provider} answered {what} with HTTP {status} and {kind} body; expected JSON",
            status=status,
        ) from exc


def answer_json(
    status: int,
    headers: Mapping[str, str],
    body: bytes,
    now: datetime,
    *,
    failure: Failure,
    what: str,
    provider: str,
    meeting: bool = False,
) -> Any:
    """The JSON of a 200 answer; any other status raises what ``failure`` maps it to."""
    if status != 200:
        raise failure(status, headers, body, now=now, what=what, meeting=meeting)
    return decode_json(body, status=status, what=what, provider=provider)


def deleted(
    status: int, headers: Mapping[str, str], body: bytes, now: datetime, *, failure: Failure
) -> bool:
    """A DELETE answer: True when deleted now (200/204), False when it was already gone
    (the provider's table says MeetingGone); any other failure raises."""
    if status in (200, 204):
        return True
    error = failure(status, headers, body, now=now, what="delete meeting", meeting=True)
    if isinstance(error, MeetingGone):
        return False
    raise error
