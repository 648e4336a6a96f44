"""The Zoom emulator's state: users, grants, tokens, meetings, limits and faults.

Everything lives on one [`ZoomState`][meetlink.emulators.zoom.state.ZoomState] instance guarded by
its one lock; handlers in ``oauth`` and ``api`` run with the lock held and return a
[`Reply`][meetlink.emulators.zoom.state.Reply]. Ids come from one ``random.Random(seed)`` so runs
with a seed repeat exactly. What every emulator's state holds (clock, app, log, faults, users) is
[`BaseState`][meetlink.emulators.core.state.BaseState].
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from typing import Any, ClassVar

import attrs

from meetlink.emulators.core import wire
from meetlink.emulators.core.state import REFRESH_TOKEN_IDLE, BaseState, data
from meetlink.emulators.core.wire import Incoming

__all__ = [
    "ACCESS_TOKEN_SECONDS",
    "ADMIN_SCOPES",
    "APP_SCOPES",
    "CODE_SECONDS",
    "DAILY_LIMIT_MESSAGE",
    "DEFAULT_PER_SECOND",
    "PER_SECOND_MESSAGE",
    "REFRESH_TOKEN_IDLE",
    "AccessToken",
    "AuthCode",
    "Incoming",
    "RefreshGrant",
    "Reply",
    "ZoomState",
    "ZoomUser",
]

CODE_SECONDS = 300  # FACTS.md §1.2: codes expire in 5 minutes
ACCESS_TOKEN_SECONDS = 3600  # FACTS.md §1.3: 1 hour (reported as expires_in 3599)
# Refresh tokens left unused for REFRESH_TOKEN_IDLE die (Zoom's own lifetime is disputed,
# FACTS.md §1.4: its skill docs say ~90 days, so the emulator models 90).
#: FACTS.md §5.3, verbatim but for the cap, which the emulator lets a test set.
DAILY_LIMIT_MESSAGE = (
    "You have exceeded the daily rate limit ({cap}) of Meeting Create/Update API requests "
    "permitted for this particular user. You may resume these requests at GMT 00:00:00."
)
#: Zoom's per-second 429 message (FACTS.md §5.4).
PER_SECOND_MESSAGE = (
    "You have reached the maximum per-second rate limit for this API. Try again later."
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
#: The admin-managed app's scopes: the same granular scopes with Zoom's ``:admin`` suffix
#: (FACTS.md §1.6): its token acts for every user of the account that installed it.
ADMIN_SCOPES = frozenset(f"{scope}:admin" for scope in APP_SCOPES)
#: Per-second requests per account and rate-limit label. Zoom's Business+ numbers are 80
#: (Light) and 60 (Medium); the defaults are higher so that tests and benchmarks never trip
#: them unless they ask to (pass ``per_second={"Light": 80, "Medium": 60}``).
DEFAULT_PER_SECOND: Mapping[str, int] = {"Light": 1000, "Medium": 1000}


@attrs.frozen
class ZoomUser:
    """A Zoom user of the emulator. ``plan`` is "basic" (type 1) or "licensed" (type 2);
    ``role`` "owner", "admin" or "member" (only an owner or admin may install an
    admin-managed app)."""

    id: str
    email: str
    account_id: str
    plan: str = "licensed"
    role: str = "member"


class Reply(wire.Reply):
    """A Zoom answer (Zoom spells its JSON type ``application/json;charset=UTF-8``)."""

    json_type: ClassVar[str] = "application/json;charset=UTF-8"


@attrs.define
class AuthCode:
    """An authorization code waiting for its exchange."""

    user_id: str
    redirect_uri: str
    challenge: str | None
    method: str
    expires_at: datetime
    account_wide: bool = False  # issued to the admin-managed app


@attrs.define
class AccessToken:
    """An access token, the grant it belongs to and the scopes it carries. An
    ``account_wide`` token (the admin-managed app's) acts for every user of its user's
    account."""

    user_id: str
    grant_id: int
    expires_at: datetime
    scopes: frozenset[str] = APP_SCOPES
    account_wide: bool = False


@attrs.define
class RefreshGrant:
    """A refresh token: whose, which grant, its scopes, and when it was issued (a rotated
    token is used once, so that is also when it was last used)."""

    user_id: str
    grant_id: int
    scopes: frozenset[str]
    issued_at: datetime
    account_wide: bool = False


@attrs.define(kw_only=True)
class ZoomState(BaseState[ZoomUser]):
    """All of one Zoom emulator's mutable state (one lock)."""

    webhook_secret: str
    # The admin-managed (account-level) app registered beside the user-managed one.
    admin_client_id: str = ""
    admin_client_secret: str = ""
    admin_webhook_secret: str = ""  # its own secret token: Zoom signs each app's webhooks
    daily_cap: int = 100
    scopes: frozenset[str] = APP_SCOPES
    per_second: Mapping[str, int] = attrs.field(factory=lambda: dict(DEFAULT_PER_SECOND))
    per_second_given: bool = False  # per_second was set (not the generous default)
    approval_required: set[str] = data(set)
    approved: set[str] = data(set)
    codes: dict[str, AuthCode] = data(dict)
    access: dict[str, AccessToken] = data(dict)
    refresh: dict[str, RefreshGrant] = data(dict)
    passcode_policies: dict[str, dict[str, Any]] = data(dict)  # account id -> rules
    no_hosting: set[str] = data(set)  # user ids that may not host or schedule (3161)
    next_grant: int = data(lambda: 1)
    daily: dict[tuple[str, date], int] = data(dict)
    buckets: dict[tuple[str, str, int], int] = data(dict)
    pages: dict[str, tuple[str, int]] = data(dict)

    def zoom_id(self) -> str:
        """A 22-char id in the style of Zoom user and account ids."""
        return self.token("", 16)[:22]

    def revoke_grant(self, grant_id: int) -> None:
        """Kill every access and refresh token of one grant."""
        for key in [k for k, v in self.access.items() if v.grant_id == grant_id]:
            del self.access[key]
        for key in [k for k, v in self.refresh.items() if v.grant_id == grant_id]:
            del self.refresh[key]

    def revoke_user(self, user_id: str, *, account_wide: bool = False) -> None:
        """Kill every token and pending code of one user (Remove App) for the user-managed
        app, or (``account_wide``) for the admin-managed one."""
        for key in [k for k, v in self.access.items()
                    if v.user_id == user_id and v.account_wide == account_wide]:  # fmt: skip
            del self.access[key]
        for key in [k for k, v in self.refresh.items()
                    if v.user_id == user_id and v.account_wide == account_wide]:  # fmt: skip
            del self.refresh[key]
        for key in [k for k, v in self.codes.items()
                    if v.user_id == user_id and v.account_wide == account_wide]:  # fmt: skip
            del self.codes[key]

    def find_user(self, account_id: str, who: str) -> ZoomUser | None:
        """The user of ``account_id`` whose id or email (any case) is ``who``."""
        folded = who.casefold()
        for user in self.users.values():
            if user.account_id == account_id and (
                user.id == who or user.email.casefold() == folded
            ):
                return user
        return None
