"""The facade's one validation layer: every argument of every public ``MeetLink`` method.

Each public method is wrapped by [`checked`][meetlink.app.validation.checked], which checks (and
normalises) each argument by its name with the rule in [`RULES`][meetlink.app.validation.RULES],
before the method runs and before anything is read or stored. A bad argument raises
[`InvalidInput`][meetlink.errors.InvalidInput] naming it (an
[`InvalidEvent`][meetlink.errors.InvalidEvent] naming the field for an event), the same on every
database: no database, driver or plain Python error decides what is acceptable. A method whose
parameter has no rule cannot be defined (``checked`` refuses it at class creation).

The limits (documented in docs/security.md) come from what every supported database indexes
and stores (utf8mb4 keys of 191 characters on MariaDB) and from keeping the work per event
bounded:

=====================  ==================================================================
ids                    1-191 characters (tenant, user, event, owner, actor ids)
provider keys          1-32 characters
title                  1-1,000 characters, one line
description            at most 10,000 characters
recurrence             at most 1,000 characters, one line; numbers and first occurrence as
                       meetlink.domain.expansion says (check_recurrence)
exdates, moved         at most 500 skipped and 20 moved occurrences
participants           at most 2,000 per event; a name at most 256 characters; an address
                       at most 254 octets
start, end             between 1900-01-01 and 9000-01-01 in UTC, and so every time in
                       exdates and moved
any text               no NUL or other control character (a description keeps tab and
                       line breaks), no lone surrogate
=====================  ==================================================================
"""

from __future__ import annotations

import functools
import inspect
import re
from collections.abc import Callable, Iterable, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any, ParamSpec, TypeVar

from meetlink.domain.event import Event, Participant
from meetlink.domain.feed import feed_number
from meetlink.domain.issuance import IssuancePolicy
from meetlink.domain.records import Job
from meetlink.errors import InvalidEvent, InvalidInput, InvalidLinkState

__all__ = [
    "EARLIEST",
    "LATEST",
    "MAX_DESCRIPTION",
    "MAX_EXDATES",
    "MAX_ID",
    "MAX_MOVED",
    "MAX_NAME",
    "MAX_PARTICIPANTS",
    "MAX_PROVIDER_KEY",
    "MAX_RECURRENCE",
    "MAX_TITLE",
    "RULES",
    "HeaderInput",
    "checked",
    "job_cursor",
    "webhook_headers",
]

MAX_ID = 191
MAX_PROVIDER_KEY = 32
MAX_TITLE = 1_000
MAX_DESCRIPTION = 10_000
MAX_RECURRENCE = 1_000
MAX_PARTICIPANTS = 2_000
#: Skipped and moved occurrences an event may list (each is in every invitation it sends).
MAX_EXDATES = 500
MAX_MOVED = 20
MAX_NAME = 256
EARLIEST = datetime(1900, 1, 1, tzinfo=UTC)
LATEST = datetime(9000, 1, 1, tzinfo=UTC)
# OAuth callback parameters: Zoom's codes are ~32 characters, Entra's ~1,000-2,000.
_MAX_STATE = 512
_MAX_CODE = 8_192
_MAX_ERROR = 256
_MAX_ERROR_DESCRIPTION = 4_096
_MAX_KEEP = timedelta(days=36_500)
_MAX_PAGE = 1_000
_MAX_DELIVERY_KEY = 4_096

_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_CONTROL_BUT_LINES = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_SURROGATE = re.compile(r"[\ud800-\udfff]")

P = ParamSpec("P")
R = TypeVar("R")
Rule = Callable[[str, Any], Any]
#: What ``handle_webhook`` takes as headers: a mapping (str or bytes), ASGI's list of
#: ``(name, value)`` byte pairs, or a WSGI environ.
HeaderInput = Mapping[str, str] | Mapping[bytes, bytes] | Iterable[tuple[Any, Any]]


def _kind(value: object) -> str:
    return type(value).__name__


def _text(
    name: str,
    value: object,
    *,
    limit: int,
    empty: bool = False,
    lines: bool = False,
    error: Callable[..., InvalidInput] | None = None,
) -> str:
    """``value`` if it is a str within ``limit`` characters, without NUL, controls (line
    breaks and tabs allowed when ``lines``) or lone surrogates."""
    fail = error or _invalid
    if not isinstance(value, str):
        raise fail(name, f"must be a string, not {_kind(value)}")
    if not empty and not value.strip():
        raise fail(name, "must not be empty", reason="empty")
    if len(value) > limit:
        raise fail(
            name,
            f"must be at most {limit:,} characters (got {len(value):,})",
            reason="too_long",
            limit=limit,
        )
    if (_CONTROL_BUT_LINES if lines else _CONTROL).search(value):
        raise fail(
            name, "must not contain NUL or other control characters", reason="control_characters"
        )
    if _SURROGATE.search(value):
        raise fail(name, "must be valid Unicode text (it holds a lone surrogate)")
    return value


def _invalid(name: str, why: str, **params: Any) -> InvalidInput:
    return InvalidInput(f"{name}: {why}", field=name, **params)


def ident(name: str, value: object) -> str:
    """An id of the host's (tenant, user, event): 1-191 characters, one line."""
    return _text(name, value, limit=MAX_ID)


def delivery_key(name: str, value: object) -> str:
    """A webhook delivery's key: text of any reasonable length (stored hashed when longer than
    an id), without control characters or lone surrogates."""
    return _text(name, value, limit=_MAX_DELIVERY_KEY)


def provider_key(name: str, value: object) -> str:
    """A provider key such as ``"zoom"``."""
    return _text(name, value, limit=MAX_PROVIDER_KEY)


def _optional(rule: Rule) -> Rule:
    def check(name: str, value: object) -> Any:
        return None if value is None else rule(name, value)

    return check


def _callback_text(limit: int) -> Rule:
    def check(name: str, value: object) -> str:
        return _text(name, value, limit=limit, empty=True)

    return check


class _BadLinkState(InvalidLinkState, InvalidInput):
    """A callback ``state`` that cannot be one (missing, not text, too long): both an invalid
    link state (the host's callback shows "link again") and an invalid argument."""


def link_state(name: str, value: object) -> str:
    """The OAuth ``state`` of a callback."""
    return _text(name, value, limit=_MAX_STATE, error=_bad_link_state)


def _bad_link_state(name: str, why: str, **params: Any) -> InvalidInput:
    return _BadLinkState(f"{name}: {why}", field=name, **params)


def count(name: str, value: object) -> int | None:
    """None or a whole number >= 0 (not a bool, not a numeric string)."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise _invalid(name, f"must be a whole number or None, not {_kind(value)}")
    if value < 0:
        raise _invalid(name, "must not be negative")
    return value


def page_size(name: str, value: object) -> int:
    """How many items a page holds: a whole number from 1 to 1,000."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise _invalid(name, f"must be a whole number, not {_kind(value)}")
    if not 1 <= value <= _MAX_PAGE:
        raise _invalid(name, f"must be from 1 to {_MAX_PAGE:,}")
    return value


def page_cursor(name: str, value: object) -> Job | str | None:
    """None, or where a page resumes: the last job of the page before (job pages), or the
    ``id`` of the last host event read (``events``: decimal text, checked by
    [`feed_number`][meetlink.domain.feed.feed_number])."""
    if isinstance(value, str):
        if feed_number(value) is None:
            raise _invalid(name, "must be the id of a host event read before (decimal digits)")
        return value
    if value is not None and not isinstance(value, Job):
        raise _invalid(
            name,
            f"must be a Job from the page before, a host event id or None, not {_kind(value)}",
        )
    return value


def job_cursor(name: str, value: Job | str | None) -> Job | None:
    """A job page's cursor: a host event id is no job."""
    if isinstance(value, str):
        raise _invalid(name, "must be a Job from the page before or None, not a host event id")
    return value


def keep_window(name: str, value: object) -> timedelta:
    """How long maintenance keeps logs: a timedelta of at least one hour (webhook replays
    must stay detectable) and at most 100 years."""
    if not isinstance(value, timedelta):
        raise _invalid(name, f"must be a datetime.timedelta, not {_kind(value)}")
    if value < timedelta(hours=1):
        raise _invalid(name, "at least one hour (webhook replays must stay detectable)")
    if value > _MAX_KEEP:
        raise _invalid(name, "at most 100 years")
    return value


def issuance_policy(name: str, value: object) -> IssuancePolicy | None:
    """An [`IssuancePolicy`][meetlink.domain.issuance.IssuancePolicy] or None."""
    if value is not None and not isinstance(value, IssuancePolicy):
        raise _invalid(name, f"must be a meetlink.IssuancePolicy or None, not {_kind(value)}")
    return value


def webhook_body(name: str, value: object) -> bytes:
    """The raw request body: bytes (bytearray and memoryview are copied)."""
    if isinstance(value, bytes):
        return value
    if isinstance(value, bytearray | memoryview):
        return bytes(value)
    hint = " (pass the raw body, e.g. request.get_data() or await request.body())"
    raise _invalid(name, f"must be bytes, not {_kind(value)}" + hint)


def webhook_headers(name: str, value: object) -> dict[str, str]:
    """Request headers as ``{lower-case name: value}``, from any shape a framework gives:
    a mapping (Flask, Starlette, Django's ``request.headers``), ASGI's list of byte pairs, or
    a WSGI environ (``HTTP_X_ZM_SIGNATURE`` becomes ``x-zm-signature``). Entries whose
    value is not text (a WSGI environ's ``wsgi.input``) are left out."""
    if isinstance(value, Mapping):
        items: Iterable[Any] = value.items()
    elif isinstance(value, Iterable) and not isinstance(value, str | bytes):
        items = value
    else:
        raise _invalid(name, f"must be a mapping or (name, value) pairs, not {_kind(value)}")
    headers: dict[str, str] = {}
    for item in items:
        if not isinstance(item, tuple | list) or len(item) != 2:
            raise _invalid(name, "must be a mapping or (name, value) pairs")
        key, text = (_header_text(part) for part in item)
        if key is None or text is None:
            continue
        if key.startswith("HTTP_"):
            key = key[5:].replace("_", "-")
        headers[key.lower()] = text
    return headers


def _header_text(part: object) -> str | None:
    if isinstance(part, bytes):
        return part.decode("latin-1")  # HTTP header octets (RFC 9110 5.5)
    return part if isinstance(part, str) else None


def event(name: str, value: object) -> Event:
    """A [`meetlink.Event`][meetlink.domain.event.Event] within the limits (its own checks ran when
    it was made)."""
    if not isinstance(value, Event):
        raise InvalidEvent(name, f"must be a meetlink.Event, not {_kind(value)}")
    for field in ("id", "tenant_id", "owner_id"):
        _text(field, getattr(value, field), limit=MAX_ID, error=InvalidEvent)
    _text("title", value.title, limit=MAX_TITLE, error=InvalidEvent)
    _text(
        "description",
        value.description,
        limit=MAX_DESCRIPTION,
        empty=True,
        lines=True,
        error=InvalidEvent,
    )
    if value.recurrence is not None:
        _text("recurrence", value.recurrence, limit=MAX_RECURRENCE, error=InvalidEvent)
        from meetlink.domain.series import check_recurrence  # lazy: dateutil

        check_recurrence(value)  # R2: an RRULE meetlink can expand
    if value.web_meeting is not None:
        _text("web_meeting", value.web_meeting, limit=MAX_PROVIDER_KEY, error=InvalidEvent)
    for field in ("start", "end"):
        _in_range(field, getattr(value, field))
    _exceptions(value)
    if len(value.participants) > MAX_PARTICIPANTS:
        raise InvalidEvent(
            "participants",
            f"at most {MAX_PARTICIPANTS:,} (got {len(value.participants):,})",
            reason="too_many",
            limit=MAX_PARTICIPANTS,
        )
    for participant in value.participants:
        _participant(participant)
    return value


def _in_range(field: str, moment: datetime) -> None:
    if not EARLIEST <= moment.astimezone(UTC) < LATEST:
        raise InvalidEvent(
            field, "must lie between 1900-01-01 and 9000-01-01 (UTC)", reason="out_of_range"
        )


def _exceptions(value: Event) -> None:
    """At most MAX_EXDATES skipped and MAX_MOVED moved occurrences, every time in range."""
    for field, items, most in (
        ("exdates", value.exdates, MAX_EXDATES),
        ("moved", value.moved, MAX_MOVED),
    ):
        if len(items) > most:
            raise InvalidEvent(
                field, f"at most {most:,} (got {len(items):,})", reason="too_many", limit=most
            )
    for moment in value.exdates:
        _in_range("exdates", moment)
    for moved in value.moved:
        for name in ("recurrence_id", "start", "end"):
            _in_range(f"moved.{name}", getattr(moved, name))


def _participant(participant: Participant) -> None:
    # The address was checked when the Participant was made (RFC 6531 characters, 254 octets).
    _text("participants.name", participant.name, limit=MAX_NAME, empty=True, error=InvalidEvent)


def directory_address(name: str, value: object) -> str:
    """A user's address in a provider's directory (an email or a UPN): one line of at most
    320 characters, with an ``@`` and no white space."""
    text = _text(name, value, limit=320)
    if "@" not in text or any(c.isspace() for c in text):
        raise _invalid(name, "must be an address like user@example.com (no white space)")
    return text


#: The rule for each facade parameter, by name.
RULES: dict[str, Rule] = {
    "tenant_id": ident,
    "user_id": ident,
    "event_id": ident,
    "actor_id": _optional(ident),
    "admin_user_id": ident,
    "address": _optional(directory_address),
    "provider": provider_key,
    "event": event,
    "state": link_state,
    "code": _optional(_callback_text(_MAX_CODE)),
    "error": _optional(_callback_text(_MAX_ERROR)),
    "error_description": _optional(_callback_text(_MAX_ERROR_DESCRIPTION)),
    "error_subcode": _optional(_callback_text(_MAX_ERROR)),
    "tenant": _optional(_callback_text(_MAX_ERROR)),
    "headers": webhook_headers,
    "body": webhook_body,
    "max_jobs": count,
    "max_links": count,
    "max_meetings": count,
    "external_account_id": ident,
    "limit": page_size,
    "after": page_cursor,
    "keep": keep_window,
    "policy": issuance_policy,
}
#: Parameters that may be None where their default is None (``None``: not given): the
#: session's optional ids, and the event form ``web_meeting_available`` may be asked about.
_OPTIONAL_IDS = ("tenant_id", "user_id", "event")


def checked(method: Callable[P, R]) -> Callable[P, R]:
    """Check every argument of a facade method by [`RULES`][meetlink.app.validation.RULES] before it
    runs.

    Only arguments the caller passed are checked (defaults are the library's own). An
    optional ``tenant_id``/``user_id`` (default None) may be None."""
    signature = inspect.signature(method)
    params = [p for p in signature.parameters.values() if p.name != "self"]
    missing = [p.name for p in params if p.name not in RULES]
    if missing:
        raise TypeError(f"{method.__qualname__}: no validation rule for {missing}")
    nullable = {p.name for p in params if p.default is None and p.name in _OPTIONAL_IDS}

    @functools.wraps(method)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        bound = signature.bind(*args, **kwargs)
        for name, value in bound.arguments.items():
            if name == "self" or (value is None and name in nullable):
                continue
            bound.arguments[name] = RULES[name](name, value)
        return method(*bound.args, **bound.kwargs)

    wrapper.__meetlink_checked__ = True  # type: ignore[attr-defined]
    return wrapper
