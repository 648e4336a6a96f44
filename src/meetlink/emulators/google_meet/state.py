"""The Google Meet emulator's state: users, grants, tokens, spaces, quotas and faults (one
lock; handlers in ``oauth`` and ``api`` run with it held). What every emulator's state holds
is [`BaseState`][meetlink.emulators.core.state.BaseState]; the facts it follows are in
docs/google-meet.md.
"""

from __future__ import annotations

import string
from collections import deque
from datetime import datetime, timedelta
from typing import Any

import attrs

from meetlink.emulators.core.state import BaseState, data
from meetlink.emulators.core.wire import Incoming, Reply

__all__ = [
    "ACCESS_TOKEN_SECONDS",
    "CODE_SECONDS",
    "MAX_REFRESH_TOKENS",
    "MEET_SCOPE",
    "REFRESH_TOKEN_IDLE",
    "TESTING_REFRESH_LIFETIME",
    "AccessToken",
    "AuthCode",
    "GoogleMeetState",
    "GoogleUser",
    "Incoming",
    "RefreshGrant",
    "Reply",
]

MEET_SCOPE = "https://www.googleapis.com/auth/meetings.space.created"
CODE_SECONDS = 600  # an authorization code is short-lived (the emulator takes 10 minutes)
ACCESS_TOKEN_SECONDS = 3600  # reported as expires_in 3599, like Google
#: A refresh token unused for six months stops working (Google's OAuth 2.0 overview).
REFRESH_TOKEN_IDLE = timedelta(days=183)
#: An External app in "Testing" gets refresh tokens that expire in 7 days.
TESTING_REFRESH_LIFETIME = timedelta(days=7)
#: Live refresh tokens per user and client; the oldest stops working beyond this.
MAX_REFRESH_TOKENS = 100


@attrs.frozen
class GoogleUser:
    """A Google account of the emulator: ``id`` is the OpenID ``sub``, ``domain`` the
    Workspace domain (``hd``; None for a consumer account such as gmail.com)."""

    id: str
    email: str
    domain: str | None = None


@attrs.define
class AuthCode:
    """An authorization code waiting for its exchange."""

    user_id: str
    redirect_uri: str
    challenge: str | None
    method: str
    scopes: frozenset[str]
    expires_at: datetime


@attrs.define
class AccessToken:
    """An access token, its grant and its scopes."""

    user_id: str
    grant_id: int
    expires_at: datetime
    scopes: frozenset[str]


@attrs.define
class RefreshGrant:
    """A refresh token: whose, which grant, its scopes, when it was last used and (apps in
    testing) when it expires whatever its use."""

    user_id: str
    grant_id: int
    scopes: frozenset[str]
    issued_at: datetime
    last_used: datetime
    expires_at: datetime | None = None


def _deque() -> deque[datetime]:
    return deque()


@attrs.define(kw_only=True)
class GoogleMeetState(BaseState[GoogleUser]):
    """All of one Google Meet emulator's mutable state (one lock)."""

    testing_mode: bool = False
    creates_per_user: int = 10
    creates_per_project: int = 100
    writes_per_user: int = 100
    writes_per_project: int = 1000
    codes: dict[str, AuthCode] = data(dict)
    access: dict[str, AccessToken] = data(dict)
    refresh: dict[str, RefreshGrant] = data(dict)
    next_grant: int = data(lambda: 1)
    owners: dict[str, str] = data(dict)  # space name -> user id
    codes_of_spaces: dict[str, str] = data(dict)  # meeting code -> space name
    closed: set[str] = data(set)  # spaces restricted after an end of conference
    unseen: set[str] = data(set)  # spaces whose create answer was lost and never read since
    windows: dict[tuple[str, str], deque[datetime]] = data(dict)  # (bucket, key) -> times
    next_record: int = data(lambda: 1)

    def sub(self) -> str:
        """A 21-digit OpenID subject, as Google's look."""
        return str(self.rng.randrange(10**20, 10**21))

    def space_id(self) -> str:
        """A space id (``spaces/{this}``)."""
        alphabet = string.ascii_letters + string.digits
        return "".join(self.rng.choice(alphabet) for _ in range(12))

    def meeting_code(self) -> str:
        """A fresh ``abc-mnop-xyz`` meeting code."""
        while True:
            letters = "".join(self.rng.choice(string.ascii_lowercase) for _ in range(10))
            code = f"{letters[:3]}-{letters[3:7]}-{letters[7:]}"
            if code not in self.codes_of_spaces:
                return code

    def within(self, bucket: str, key: str, limit: int, now: datetime) -> bool:
        """Count one call in the 60-second window of ``(bucket, key)``: False (nothing
        counted) when ``limit`` calls were made in the last 60 seconds."""
        times = self.windows.setdefault((bucket, key), _deque())
        while times and times[0] <= now - timedelta(minutes=1):
            times.popleft()
        if len(times) >= limit:
            return False
        times.append(now)
        return True

    def revoke_grant(self, grant_id: int) -> None:
        """Kill every access and refresh token of one grant."""
        for key in [k for k, v in self.access.items() if v.grant_id == grant_id]:
            del self.access[key]
        for key in [k for k, v in self.refresh.items() if v.grant_id == grant_id]:
            del self.refresh[key]

    def revoke_user(self, user_id: str) -> None:
        """Kill every token and pending code of one user (the app removed from the account)."""
        for table in (self.access, self.refresh, self.codes):
            for key in [k for k, v in table.items() if v.user_id == user_id]:
                del table[key]

    def space_json(self, name: str) -> dict[str, Any]:
        """The space as Meet answers it."""
        return dict(self.meetings[name])
