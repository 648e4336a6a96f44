"""The Teams emulator's state: tenants, users, codes, tokens, meetings and faults.

Everything lives on one :class:`EmulatorState` guarded by its one lock; handlers in
:mod:`.emulator_identity` and :mod:`.emulator_graph` run with the lock held and return a
:class:`Reply`. Ids come from one ``random.Random(seed)`` so seeded runs repeat exactly.
"""

from __future__ import annotations

import base64
import json
import random
import threading
import uuid
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qsl

import attrs

from meetlink.ports.clock import Clock

__all__ = [
    "CODE_SECONDS",
    "MSA_TENANT",
    "REFRESH_TOKEN_IDLE",
    "AccessToken",
    "AuthCode",
    "EmulatorState",
    "Fault",
    "Incoming",
    "RefreshToken",
    "Reply",
    "TeamsUser",
]

CODE_SECONDS = 600  # FACTS.md §1.2: codes "typically expire after about 10 minutes"
REFRESH_TOKEN_IDLE = timedelta(days=90)  # FACTS.md §1.5: a 90-day inactivity window
MSA_TENANT = "9188040d-6c67-4c5b-b112-36a304b66dad"


@attrs.frozen
class TeamsUser:
    """A user of the emulated Entra tenant. ``id`` is the object id (oid) = Graph user id;
    ``mail`` may be None (Graph's ``mail`` is nullable; the UPN is always set). ``admin``:
    may grant admin consent for the tenant (``/adminconsent``)."""

    id: str
    email: str
    tenant_id: str
    display_name: str
    mail: str | None
    personal: bool = False
    admin: bool = False


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
        merged = {"Content-Type": "application/json; charset=utf-8", **(headers or {})}
        return cls(status, json.dumps(data).encode("utf-8"), merged)

    @classmethod
    def html(cls, status: int, text: str) -> Reply:
        """An HTML page."""
        return cls(status, text.encode("utf-8"), {"Content-Type": "text/html; charset=utf-8"})


@attrs.frozen
class Incoming:
    """A request as the emulator sees it: decoded path, lower-case header names."""

    method: str
    path: str
    query: Mapping[str, str]
    headers: Mapping[str, str] = attrs.field(repr=False)
    body: bytes = attrs.field(repr=False)

    def form(self) -> dict[str, str]:
        """The form body (application/x-www-form-urlencoded)."""
        try:
            text = self.body.decode("utf-8")
        except UnicodeDecodeError:
            return {}
        return dict(parse_qsl(text, keep_blank_values=True))


@attrs.define
class AuthCode:
    """An authorization code waiting for its redemption."""

    user_id: str
    segment: str  # the tenant segment of /authorize (redeem on the same one: AADSTS700005)
    redirect_uri: str
    scope: str
    challenge: str | None
    method: str
    nonce: str | None
    expires_at: datetime


@attrs.define
class AccessToken:
    """An issued access token (valid at Graph until ``expires_at``, even after revocation)."""

    user_id: str
    scopes: frozenset[str]
    expires_at: datetime


@attrs.define
class RefreshToken:
    """An issued refresh token; Entra does not revoke the old one on rotation, so it may be
    used again: ``last_used`` (its issue, then each use) starts its idle window."""

    user_id: str
    scope: str
    last_used: datetime


@attrs.frozen
class RefreshFault:
    """A scripted refresh failure (AADSTS ``code``) that takes effect at ``effective_at``
    (revocation is not immediate at Microsoft, FACTS.md §4)."""

    code: int
    effective_at: datetime


@attrs.define
class Fault:
    """A pending ``fail_next`` rule."""

    remaining: int
    status: int
    method: str | None
    path: str | None
    retry_after: str | None

    def matches(self, method: str, path: str) -> bool:
        """Whether a request ``method path`` triggers this fault (path is a prefix)."""
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
    default_tenant: str
    tenant_domains: dict[str, str] = attrs.field(factory=dict)  # domain -> tenant id
    expires_in: int | None = None  # None: random 3600-5400 (FACTS.md §1.5)
    invalid_client_status: int = 401
    lock: threading.RLock = attrs.field(factory=threading.RLock)
    requests: list[tuple[str, str]] = attrs.field(factory=list)
    users: dict[str, TeamsUser] = attrs.field(factory=dict)
    consented: set[str] = attrs.field(factory=set)  # user ids with a delegated grant
    admin_only: set[str] = attrs.field(factory=set)  # tenants where users cannot consent
    admin_consented: set[str] = attrs.field(factory=set)  # tenants an admin consented for
    refresh_faults: dict[str, RefreshFault] = attrs.field(factory=dict)  # by user id
    refresh_idle: timedelta = REFRESH_TOKEN_IDLE
    revocation_delay: timedelta = timedelta(0)
    certificates: dict[str, bytes] = attrs.field(factory=dict)  # thumbprint -> public key PEM
    unentitled: set[str] = attrs.field(factory=set)  # user ids that get a bare 403
    codes: dict[str, AuthCode] = attrs.field(factory=dict)
    used_codes: set[str] = attrs.field(factory=set)
    access: dict[str, AccessToken] = attrs.field(factory=dict)
    refresh: dict[str, RefreshToken] = attrs.field(factory=dict)
    meetings: dict[str, dict[str, Any]] = attrs.field(factory=dict)
    owners: dict[str, str] = attrs.field(factory=dict)  # meeting id -> organizer oid
    external: dict[tuple[str, str, str], str] = attrs.field(factory=dict)  # (tid, oid, ext)
    deleted: dict[str, str] = attrs.field(factory=dict)  # meeting id -> join URL (joinable)
    monthly: dict[tuple[str, str], int] = attrs.field(factory=dict)  # (oid, YYYY-MM) -> n
    monthly_cap: int = 2000
    passcodes: bool = False  # tenant policy: every meeting gets a passcode
    faults: list[Fault] = attrs.field(factory=list)
    latency: float = 0.0

    def token(self, prefix: str, nbytes: int = 32) -> str:
        """A random URL-safe token with a recognisable prefix."""
        raw = bytes(self.rng.getrandbits(8) for _ in range(nbytes))
        return prefix + base64.urlsafe_b64encode(raw).decode("ascii").rstrip("=")

    def guid(self) -> str:
        """A seeded GUID (object and tenant ids)."""
        return str(uuid.UUID(int=self.rng.getrandbits(128), version=4))

    def digits(self, count: int) -> str:
        """``count`` random decimal digits (no leading zero)."""
        first = str(self.rng.randint(1, 9))
        return first + "".join(str(self.rng.randint(0, 9)) for _ in range(count - 1))

    def now(self) -> datetime:
        """The emulator's time (its clock), aware UTC."""
        return self.clock.now().astimezone(UTC)

    def jwt(self, claims: Mapping[str, Any]) -> str:
        """A JWT-shaped token (header.payload.signature); the signature is random bytes:
        meetlink never verifies Entra signatures itself."""

        def part(data: Any) -> str:
            raw = json.dumps(data, separators=(",", ":")).encode("utf-8")
            return base64.urlsafe_b64encode(raw).decode("ascii").rstrip("=")

        header = {"typ": "JWT", "alg": "RS256", "kid": "emulator"}
        return f"{part(header)}.{part(dict(claims))}.{self.token('', 32)}"

    def tenant_of_segment(self, segment: str) -> str | None:
        """The tenant id a GUID/domain segment names; None for common/organizations/... ."""
        lowered = segment.lower()
        if lowered in ("common", "organizations", "consumers"):
            return None
        return self.tenant_domains.get(lowered, lowered)

    def kill_refresh_tokens(self, user_id: str) -> None:
        """Revocation: refresh tokens die; access tokens live on until they expire."""
        for key in [k for k, v in self.refresh.items() if v.user_id == user_id]:
            del self.refresh[key]
