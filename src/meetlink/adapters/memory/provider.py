"""A small, stateful fake video provider for unit tests of the application.

It keeps accounts, grants and meetings in memory, records every call, and can be told to
fail. It is not Zoom: for Zoom's real behaviour use the Zoom emulator. Being tiny, it is the
fastest way to test the rules of the application.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import itertools
import json
import threading
from collections.abc import Mapping
from datetime import datetime, timedelta
from urllib.parse import parse_qs, urlencode, urlsplit

import attrs

from meetlink.adapters.oauth_callback import oauth_link_error
from meetlink.domain.links import TokenSet
from meetlink.errors import (
    AuthExpired,
    GrantRevoked,
    LinkError,
    MeetingGone,
    ProviderError,
    ProviderRejected,
    WebhookRejected,
)
from meetlink.ports.clock import Clock
from meetlink.ports.provider import (
    Capabilities,
    Meeting,
    MeetingRequest,
    ProviderAccount,
    WebhookKind,
    WebhookMessage,
)

__all__ = ["FakeAccount", "FakeVideoProvider"]


@attrs.frozen
class FakeAccount:
    """An account at the fake provider."""

    id: str
    email: str
    account_id: str
    plan: str = "licensed"


@attrs.define
class _Grant:
    account: FakeAccount
    refresh_token: str
    access_token: str
    access_expires: datetime


class FakeVideoProvider:
    """A fake [`VideoProvider`][meetlink.ports.provider.VideoProvider].

    ``authorize(url, account)`` plays the consent page; ``fail_next(exc, method=None)`` makes the
    next matching call raise ``exc`` (``apply=True``: the call takes effect first, as when a
    response is lost). ``calls`` lists the method names called, in order.
    """

    def __init__(
        self,
        clock: Clock,
        *,
        key: str = "fake",
        capabilities: Capabilities | None = None,
        webhook_secret: str = "fake-secret",
    ) -> None:
        self._key = key
        self._capabilities = capabilities or Capabilities(display_name="Fake", free_plan_minutes=40)
        self.clock = clock
        self.webhook_secret = webhook_secret
        self.calls: list[str] = []
        self.meetings: dict[str, dict[str, object]] = {}
        self._lock = threading.Lock()
        self._ids = itertools.count(89012345678)
        self._tokens = itertools.count(1)
        self._accounts: dict[str, FakeAccount] = {}
        self._codes: dict[str, tuple[FakeAccount, str]] = {}
        self._grants: list[_Grant] = []
        self._failures: list[tuple[str | None, ProviderError, bool]] = []

    # -- test controls -------------------------------------------------------------------

    def add_account(
        self, email: str, *, plan: str = "licensed", account_id: str = ""
    ) -> FakeAccount:
        """A new account (its id derives from the email)."""
        account = FakeAccount(
            id="u-" + hashlib.sha1(email.encode()).hexdigest()[:10],
            email=email,
            account_id=account_id or "acct-" + email.split("@")[-1],
            plan=plan,
        )
        self._accounts[account.id] = account
        return account

    def authorize(
        self, authorize_url: str, account: FakeAccount, *, allow: bool = True
    ) -> dict[str, str]:
        """The account holder presses Allow (or Deny); returns the callback parameters."""
        query = parse_qs(urlsplit(authorize_url).query)
        state = query["state"][0]
        if not allow:
            return {"error": "access_denied", "state": state}
        code = f"code-{next(self._tokens)}"
        self._codes[code] = (account, query["code_challenge"][0])
        return {"code": code, "state": state}

    def fail_next(
        self, error: ProviderError, *, method: str | None = None, apply: bool = False
    ) -> None:
        """Make the next call (of ``method``, or any) raise ``error``."""
        self._failures.append((method, error, apply))

    def clear_failures(self) -> None:
        """Forget every ``fail_next`` not used yet."""
        with self._lock:
            self._failures.clear()

    def find_account(self, account_id: str) -> FakeAccount:
        """The account with that id (a link's ``external_account_id``); KeyError if none."""
        return self._accounts[account_id]

    def revoke_account(self, account: FakeAccount) -> None:
        """The account holder removes the app: every grant of the account dies."""
        self._grants = [g for g in self._grants if g.account.id != account.id]

    def expire_tokens(self) -> None:
        """Every access token expires now."""
        for grant in self._grants:
            grant.access_expires = self.clock.now() - timedelta(seconds=1)

    def deauthorization(self, account: FakeAccount) -> tuple[dict[str, str], bytes]:
        """A signed deauthorization webhook for ``account``."""
        body = json.dumps(
            {"event": "deauthorized", "user_id": account.id, "at": self.clock.now().isoformat()}
        ).encode()
        return {"x-fake-signature": self._sign(body)}, body

    def live_meetings(self, account: FakeAccount | None = None) -> list[dict[str, object]]:
        """Meetings that exist now."""
        return [m for m in self.meetings.values() if account is None or m["host"] == account.id]

    # -- VideoProvider ----------------------------------------------------------------

    @property
    def key(self) -> str:
        """The provider key."""
        return self._key

    @property
    def capabilities(self) -> Capabilities:
        """What the fake can do."""
        return self._capabilities

    def authorization_url(self, *, state: str, code_challenge: str) -> str:
        """A consent URL carrying state and PKCE challenge."""
        query = urlencode(
            {"state": state, "code_challenge": code_challenge, "code_challenge_method": "S256"}
        )
        return f"https://fake.invalid/authorize?{query}"

    def exchange_code(self, *, code: str, code_verifier: str) -> TokenSet:
        """Tokens for a code (single use, PKCE checked)."""
        self._enter("exchange_code")
        entry = self._codes.pop(code, None)
        if entry is None:
            raise GrantRevoked("invalid authorization code")
        account, challenge = entry
        digest = hashlib.sha256(code_verifier.encode()).digest()
        expected = base64.urlsafe_b64encode(digest).rstrip(b"=").decode()
        if expected != challenge:
            raise GrantRevoked("PKCE verification failed")
        return self._new_grant(account)

    def refresh(self, refresh_token: str) -> TokenSet:
        """Rotate: the old refresh token dies."""
        self._enter("refresh")
        for grant in self._grants:
            if grant.refresh_token == refresh_token:
                self._grants.remove(grant)
                return self._new_grant(grant.account)
        raise GrantRevoked("invalid_grant")

    def link_error(
        self, *, error: str, description: str | None = None, subcode: str | None = None
    ) -> LinkError:
        """The plain OAuth reading of a callback error."""
        return oauth_link_error(error, provider_name=self._capabilities.display_name)

    def revoke(self, tokens: TokenSet) -> None:
        """Kill the grant holding ``tokens``."""
        self._enter("revoke")
        held = (tokens.access_token, tokens.refresh_token)
        self._grants = [
            g for g in self._grants if g.access_token not in held and g.refresh_token not in held
        ]

    def account(self, access_token: str) -> ProviderAccount:
        """Who the token belongs to."""
        self._enter("account")
        acct = self._auth(access_token)
        return ProviderAccount(
            external_account_id=acct.id, account_id=acct.account_id, email=acct.email,
            plan=acct.plan,
        )  # fmt: skip

    def create_meeting(self, access_token: str, request: MeetingRequest) -> Meeting:
        """Create a meeting."""
        acct = self._auth(access_token)
        failure = self._failure("create_meeting")
        if self._capabilities.idempotent_create:  # create-or-get keyed by the marker (Teams)
            for existing in self.meetings.values():
                if existing["host"] == acct.id and existing["marker"] == request.marker:
                    if failure is not None:
                        raise failure[0]
                    return self._meeting(str(existing["id"]))
        meeting_id = str(next(self._ids))
        if failure is None or failure[1]:
            self.meetings[meeting_id] = {
                "id": meeting_id,
                "host": acct.id,
                "terms": request.terms,
                "marker": request.marker,
                "join_url": f"https://fake.invalid/j/{meeting_id}?pwd=p{meeting_id[-4:]}",
                "passcode": f"p{meeting_id[-4:]}",
            }
        if failure is not None:
            raise failure[0]
        return self._meeting(meeting_id)

    def update_meeting(self, access_token: str, meeting_id: str, request: MeetingRequest) -> None:
        """Change the meeting's terms."""
        self._owned(access_token, meeting_id, "update_meeting")
        self.meetings[meeting_id]["terms"] = request.terms

    def get_meeting(self, access_token: str, meeting_id: str) -> Meeting:
        """The meeting now."""
        self._owned(access_token, meeting_id, "get_meeting")
        return self._meeting(meeting_id)

    def delete_meeting(self, access_token: str, meeting_id: str) -> bool:
        """Delete; False when already gone."""
        try:
            self._owned(access_token, meeting_id, "delete_meeting")
        except MeetingGone:
            return False
        del self.meetings[meeting_id]
        return True

    def list_meetings(self, access_token: str) -> list[Meeting]:
        """The account's meetings (refused when the create is idempotent, as Teams has no
        listing of a user's online meetings)."""
        self._enter("list_meetings")
        if self._capabilities.idempotent_create:
            raise ProviderRejected("this provider cannot list meetings")
        acct = self._auth(access_token)
        return [self._meeting(m) for m, v in self.meetings.items() if v["host"] == acct.id]

    def find_by_marker(self, access_token: str, marker: str) -> list[Meeting]:
        """The account's meetings carrying ``marker``."""
        self._enter("find_by_marker")
        acct = self._auth(access_token)
        return [
            self._meeting(m)
            for m, v in self.meetings.items()
            if v["host"] == acct.id and v["marker"] == marker
        ]

    def start_url(self, access_token: str, meeting_id: str) -> str:
        """A fresh start URL."""
        self._owned(access_token, meeting_id, "start_url")
        return f"https://fake.invalid/s/{meeting_id}?t={next(self._tokens)}"

    def parse_webhook(
        self, headers: Mapping[str, str], body: bytes, now: datetime
    ) -> WebhookMessage:
        """Verify the HMAC and parse."""
        lowered = {k.lower(): v for k, v in headers.items()}
        signature = lowered.get("x-fake-signature")
        if signature is None or not hmac.compare_digest(
            signature.encode(), self._sign(body).encode()
        ):
            raise WebhookRejected(401, "bad signature")
        try:
            data = json.loads(body)
            user_id = str(data["user_id"])
            at = datetime.fromisoformat(data["at"])
        except (ValueError, KeyError, TypeError) as exc:
            raise WebhookRejected(400, "malformed webhook body") from exc
        return WebhookMessage(
            kind=WebhookKind.DEAUTHORIZED,
            delivery_key=f"deauth:{user_id}:{data['at']}",
            external_account_id=user_id,
            occurred_at=at,
        )

    # -- internals --------------------------------------------------------------------

    def _sign(self, body: bytes) -> str:
        return hmac.new(self.webhook_secret.encode(), body, hashlib.sha256).hexdigest()

    def _new_grant(self, account: FakeAccount) -> TokenSet:
        n = next(self._tokens)
        grant = _Grant(
            account=account,
            refresh_token=f"rt-{n}",
            access_token=f"at-{n}",
            access_expires=self.clock.now() + timedelta(hours=1),
        )
        self._grants.append(grant)
        return TokenSet(
            access_token=grant.access_token,
            refresh_token=grant.refresh_token,
            expires_at=grant.access_expires,
        )

    def _failure(self, method: str) -> tuple[ProviderError, bool] | None:
        with self._lock:
            self.calls.append(method)
            for i, (wanted, error, apply) in enumerate(self._failures):
                if wanted is None or wanted == method:
                    del self._failures[i]
                    return error, apply
        return None

    def _enter(self, method: str) -> None:
        failure = self._failure(method)
        if failure is not None:
            raise failure[0]

    def _auth(self, access_token: str) -> FakeAccount:
        for grant in self._grants:
            if grant.access_token == access_token:
                if grant.access_expires <= self.clock.now():
                    raise AuthExpired("access token expired")
                return grant.account
        raise AuthExpired("invalid access token")

    def _owned(self, access_token: str, meeting_id: str, method: str) -> None:
        self._enter(method)
        acct = self._auth(access_token)
        meeting = self.meetings.get(meeting_id)
        if meeting is None or meeting["host"] != acct.id:
            raise MeetingGone(f"meeting {meeting_id} not found")

    def _meeting(self, meeting_id: str) -> Meeting:
        m = self.meetings[meeting_id]
        terms = m["terms"]
        assert isinstance(terms, object)
        return Meeting(
            meeting_id=meeting_id,
            join_url=str(m["join_url"]),
            passcode=str(m["passcode"]),
            topic=getattr(terms, "topic", ""),
            start=getattr(terms, "start", None),
            duration_minutes=getattr(terms, "duration_minutes", None),
            timezone=getattr(terms, "timezone", None),
            marker=str(m["marker"]),
        )
