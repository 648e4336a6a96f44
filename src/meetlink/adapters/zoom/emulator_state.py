"""The Zoom emulator's state: users, grants, tokens, meetings, limits and faults.

Everything lives on one :class:`EmulatorState` instance guarded by its one lock; handlers in
:mod:`.emulator_oauth` and :mod:`.emulator_api` run with the lock held and return a
:class:`Reply`. Ids come from one ``random.Random(seed)`` so runs with a seed repeat exactly.
"""

from __future__ import annotations

import base64
import json
import random
import threading
from collections.abc import Mapping
from datetime import date, datetime, timedelta
from typing import Any
from urllib.parse import parse_qsl

import attrs

from meetlink.ports.clock import Clock

__all__ = [
    "ACCESS_TOKEN_SECONDS",
    "APP_SCOPES",
    "CODE_SECONDS",
    "DAILY_LIMIT_MESSAGE",
    "DEFAULT_PER_SECOND",
    "REFRESH_TOKEN_IDLE",
    "AccessToken",
    "AuthCode",
    "EmulatorState",
    "Fault",
    "Incoming",
    "RefreshGrant",
    "Reply",
    "ZoomUser",
]

CODE_SECONDS = 300  # FACTS.md §1.2: codes expire in 5 minutes
ACCESS_TOKEN_SECONDS = 3600  # FACTS.md §1.3: 1 hour (reported as expires_in 3599)
#: Refresh tokens left unused this long die (API.md "Additions"; Zoom's own lifetime is
#: disputed, FACTS.md §1.4: its skill docs say ~90 days, so the emulator models 90).
REFRESH_TOKEN_IDLE = timedelta(days=90)
#: FACTS.md §5.3, verbatim but for the cap, which the emulator lets a test set.
DAILY_LIMIT_MESSAGE = (
    "You have exceeded the daily rate limit ({cap}) of Meeting Create/Update API requests "
    "permitted for this particular user. You may resume these requests at GMT 00:00:00."
)
#: The granular scopes of the emulated app (FACTS.md §1.6), all granted by default.
APP_SCOPES = frozenset(
    {
        "meeting:read:meeting",
        "meeting:write:meeting",
        "meeting:update:meeting",
        "meeting:delete:meeting",
        "meeting:read:list_meetings",
        "user:read:user",
        "user:read:settings",
    }
)
#: Per-second requests per account and rate-limit label. Zoom's Business+ numbers are 80
#: (Light) and 60 (Medium); the defaults are higher so that tests and benchmarks never trip
#: them unless they ask to (pass ``per_second={"Light": 80, "Medium": 60}``).
DEFAULT_PER_SECOND: Mapping[str, int] = {"Light": 1000, "Medium": 1000}


@attrs.frozen
class ZoomUser:
    """A Zoom user of the emulator. ``plan`` is "basic" (type 1) or "licensed" (type 2)."""

    id: str
    email: str
    account_id: str
    plan: str = "licensed"


@attrs.frozen
class Reply:
    """An emulator answer. ``drop``: process, then close the connection without answering."""

    status: int
    body: bytes = b""
    headers: Mapping[str, str] = attrs.field(factory=dict)
    drop: bool = False

    @classmethod
    def json(cls, status: int, data: Any, headers: Mapping[str, str] | None = None) -> Reply:
        """A JSON reply."""
        merged = {"Content-Type": "application/json;charset=UTF-8", **(headers or {})}
        return cls(status, json.dumps(data).encode("utf-8"), merged)

    @classmethod
    def xml(cls, status: int, text: str) -> Reply:
        """An XML answer (Zoom sends some errors as XML, FACTS.md §3.3)."""
        return cls(status, text.encode("utf-8"), {"Content-Type": "application/xml;charset=UTF-8"})

    @classmethod
    def html(cls, status: int, text: str) -> Reply:
        """An HTML page."""
        return cls(status, text.encode("utf-8"), {"Content-Type": "text/html; charset=utf-8"})


@attrs.frozen
class Incoming:
    """A request as the emulator sees it: path without query, lower-case header names."""

    method: str
    path: str
    query: Mapping[str, str]
    headers: Mapping[str, str] = attrs.field(repr=False)
    body: bytes = attrs.field(repr=False)

    def form(self) -> dict[str, str]:
        """Query parameters merged with a form body (Zoom accepts both, FACTS.md §1.3)."""
        fields = dict(self.query)
        try:
            text = self.body.decode("utf-8")
        except UnicodeDecodeError:
            return fields
        fields.update(dict(parse_qsl(text, keep_blank_values=True)))
        return fields


@attrs.define
class AuthCode:
    """An authorization code waiting for its exchange."""

    user_id: str
    redirect_uri: str
    challenge: str | None
    method: str
    expires_at: datetime


@attrs.define
class AccessToken:
    """An access token, the grant it belongs to and the scopes it carries."""

    user_id: str
    grant_id: int
    expires_at: datetime
    scopes: frozenset[str] = APP_SCOPES


@attrs.define
class RefreshGrant:
    """A refresh token: whose, which grant, its scopes, and when it was issued (a rotated
    token is used once, so that is also when it was last used)."""

    user_id: str
    grant_id: int
    scopes: frozenset[str]
    issued_at: datetime


@attrs.define
class Fault:
    """A pending ``fail_next`` rule."""

    remaining: int
    status: int
    method: str | None
    path: str | None
    retry_after: int

    def matches(self, method: str, path: str) -> bool:
        """Whether a request ``method path`` triggers this fault."""
        if self.method is not None and self.method.upper() != method.upper():
            return False
        return self.path is None or path.startswith(self.path)


@attrs.define(kw_only=True)
class EmulatorState:
    """All of one emulator's mutable state (one lock)."""

    clock: Clock
    rng: random.Random
    client_id: str
    client_secret: str
    redirect_uri: str
    webhook_secret: str
    daily_cap: int = 100
    latency: float = 0.0
    refresh_idle: timedelta = REFRESH_TOKEN_IDLE
    scopes: frozenset[str] = APP_SCOPES
    per_second: Mapping[str, int] = attrs.field(factory=lambda: dict(DEFAULT_PER_SECOND))
    per_second_given: bool = False  # per_second was set (not the generous default)
    throttled: int = 0  # 429 answers so far (limits and injected faults)
    lock: threading.RLock = attrs.field(factory=threading.RLock)
    requests: list[tuple[str, str]] = attrs.field(factory=list)
    users: dict[str, ZoomUser] = attrs.field(factory=dict)
    approval_required: set[str] = attrs.field(factory=set)
    approved: set[str] = attrs.field(factory=set)
    codes: dict[str, AuthCode] = attrs.field(factory=dict)
    access: dict[str, AccessToken] = attrs.field(factory=dict)
    refresh: dict[str, RefreshGrant] = attrs.field(factory=dict)
    passcode_policies: dict[str, dict[str, Any]] = attrs.field(factory=dict)  # account id ->
    next_grant: int = 1
    meetings: dict[int, dict[str, Any]] = attrs.field(factory=dict)
    daily: dict[tuple[str, date], int] = attrs.field(factory=dict)
    buckets: dict[tuple[str, str, int], int] = attrs.field(factory=dict)
    pages: dict[str, tuple[str, int]] = attrs.field(factory=dict)
    faults: list[Fault] = attrs.field(factory=list)

    def token(self, prefix: str, nbytes: int = 32) -> str:
        """A random URL-safe token with a recognisable prefix."""
        raw = bytes(self.rng.getrandbits(8) for _ in range(nbytes))
        return prefix + base64.urlsafe_b64encode(raw).decode("ascii").rstrip("=")

    def zoom_id(self) -> str:
        """A 22-char id in the style of Zoom user and account ids."""
        return self.token("", 16)[:22]

    def now(self) -> datetime:
        """The emulator's time (its clock)."""
        return self.clock.now()

    def revoke_grant(self, grant_id: int) -> None:
        """Kill every access and refresh token of one grant."""
        for key in [k for k, v in self.access.items() if v.grant_id == grant_id]:
            del self.access[key]
        for key in [k for k, v in self.refresh.items() if v.grant_id == grant_id]:
            del self.refresh[key]

    def revoke_user(self, user_id: str) -> None:
        """Kill every token and pending code of one user (Remove App)."""
        for key in [k for k, v in self.access.items() if v.user_id == user_id]:
            del self.access[key]
        for key in [k for k, v in self.refresh.items() if v.user_id == user_id]:
            del self.refresh[key]
        for key in [k for k, v in self.codes.items() if v.user_id == user_id]:
            del self.codes[key]
