"""The Teams emulator's state: tenants, users, codes, tokens, meetings and faults.

Everything lives on one [`TeamsState`][meetlink.emulators.teams.state.TeamsState] guarded by its one
lock; handlers in ``identity`` and ``graph`` run with the lock held and return a
[`Reply`][meetlink.emulators.core.wire.Reply]. Ids come from one ``random.Random(seed)`` so seeded
runs repeat exactly.
"""

from __future__ import annotations

import base64
import json
import uuid
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

import attrs

from meetlink.emulators.core.state import REFRESH_TOKEN_IDLE, BaseState, data
from meetlink.emulators.core.wire import Incoming, Reply

__all__ = [
    "CODE_SECONDS",
    "MSA_TENANT",
    "REFRESH_TOKEN_IDLE",
    "AccessToken",
    "AuthCode",
    "Incoming",
    "RefreshFault",
    "RefreshToken",
    "Reply",
    "TeamsState",
    "TeamsUser",
]

CODE_SECONDS = 600  # FACTS.md §1.2: codes "typically expire after about 10 minutes"
# REFRESH_TOKEN_IDLE: FACTS.md §1.5, a 90-day inactivity window
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
    """An issued access token (valid at Graph until ``expires_at``, even after revocation).
    An app-only token (client credentials) has no user: ``app_tenant`` is the tenant it was
    issued for and ``scopes`` its application roles."""

    user_id: str
    scopes: frozenset[str]
    expires_at: datetime
    app_tenant: str | None = None


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


@attrs.define(kw_only=True)
class TeamsState(BaseState[TeamsUser]):
    """All of one Teams emulator's mutable state (one lock)."""

    default_tenant: str
    tenant_domains: dict[str, str] = attrs.field(factory=dict)  # domain -> tenant id
    expires_in: int | None = None  # None: random 3600-5400 (FACTS.md §1.5)
    invalid_client_status: int = 401
    revocation_delay: timedelta = timedelta(0)
    certificates: dict[str, bytes] = attrs.field(factory=dict)  # thumbprint -> public key PEM
    monthly_cap: int = 2000
    passcodes: bool = False  # tenant policy: every meeting gets a passcode
    consented: set[str] = data(set)  # user ids with a delegated grant
    admin_only: set[str] = data(set)  # tenants where users cannot consent
    admin_consented: set[str] = data(set)  # tenants an admin consented for
    # Application access policies granted to the app (Teams PowerShell): per user id, or for a
    # whole tenant (Grant-CsApplicationAccessPolicy -Global).
    policy_users: set[str] = data(set)
    policy_tenants: set[str] = data(set)
    refresh_faults: dict[str, RefreshFault] = data(dict)  # by user id
    unentitled: set[str] = data(set)  # user ids that get a bare 403
    codes: dict[str, AuthCode] = data(dict)
    used_codes: set[str] = data(set)
    access: dict[str, AccessToken] = data(dict)
    refresh: dict[str, RefreshToken] = data(dict)
    owners: dict[str, str] = data(dict)  # meeting id -> organizer oid
    external: dict[tuple[str, str, str], str] = data(dict)  # (tid, oid, ext) -> meeting id
    deleted: dict[str, str] = data(dict)  # meeting id -> join URL (still joinable)
    monthly: dict[tuple[str, str], int] = data(dict)  # (oid, YYYY-MM) -> meetings created

    def guid(self) -> str:
        """A seeded GUID (object and tenant ids)."""
        return str(uuid.UUID(int=self.rng.getrandbits(128), version=4))

    def digits(self, count: int) -> str:
        """``count`` random decimal digits (no leading zero)."""
        first = str(self.rng.randint(1, 9))
        return first + "".join(str(self.rng.randint(0, 9)) for _ in range(count - 1))

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
