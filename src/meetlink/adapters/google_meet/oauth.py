"""Google's OAuth 2.0 for web server apps without I/O: the consent URL, the token and revoke
requests, and their answers (docs/google-meet.md, "OAuth").

[`GoogleOAuth`][meetlink.adapters.google_meet.oauth.GoogleOAuth] holds the registered app and is
the core the provider shell ([`ProviderShell`][meetlink.adapters.shell.ProviderShell]) plugs in:

- the consent URL asks for ``access_type=offline`` (a refresh token), ``prompt=consent`` (Google
  issues a refresh token only when the user is shown the consent screen, so a relink gets one
  too), ``include_granted_scopes=true`` (incremental authorization) and PKCE ``S256``;
- the scopes are the fewest meetlink needs: ``openid email`` (who linked: the userinfo endpoint)
  and ``meetings.space.created`` (create the spaces and manage only those);
- the client authenticates with ``client_id``/``client_secret`` in the form body, as Google's
  web server flow shows;
- a code exchange whose answer lacks ``meetings.space.created`` (the user unticked it on
  Google's granular consent screen) is refused: the link could not create a meeting.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from urllib.parse import urlencode

import attrs

from meetlink.adapters.http import JSON, HttpRequest
from meetlink.adapters.oauth_callback import oauth_link_error
from meetlink.adapters.shell import IssuedTokens, Parse, token_answer
from meetlink.errors import AdminApprovalRequired, LinkError, ProviderRejected

from .failures import token_failure

__all__ = [
    "MEET_SCOPE",
    "SCOPES",
    "GoogleOAuth",
    "parse_revoked",
]

#: Create spaces and read or change those the app created (a sensitive scope).
MEET_SCOPE = "https://www.googleapis.com/auth/meetings.space.created"
#: What meetlink asks for: who linked (OpenID Connect ``openid email``) and the Meet scope.
SCOPES = f"openid email {MEET_SCOPE}"


def parse_revoked(status: int, headers: Mapping[str, str], body: bytes, now: datetime) -> None:
    """Google's revoke endpoint: 200 when revoked. ``invalid_token`` (400) means the token was
    already dead (revoked, expired, or never valid): nothing is left to revoke."""
    if status == 200:
        return
    error = token_failure(status, headers, body, now=now, what="token revoke")
    if isinstance(error, ProviderRejected) and error.provider_code == "invalid_token":
        return
    raise error


@attrs.frozen
class GoogleOAuth:
    """Google's OAuth as the provider shell's core: the registered app and where Google is.

    ``accounts_base`` stands for ``https://accounts.google.com`` (the consent page) and
    ``oauth2_base`` for ``https://oauth2.googleapis.com`` (token and revoke endpoints)."""

    accounts_base: str
    oauth2_base: str
    client_id: str
    client_secret: str = attrs.field(repr=False)
    redirect_uri: str
    scope: str = SCOPES
    provider_name: str = "Google"

    def authorization_url(self, *, state: str, code_challenge: str) -> str:
        """Google's consent page URL (offline access, PKCE S256, incremental consent)."""
        query = urlencode(
            {
                "response_type": "code",
                "client_id": self.client_id,
                "redirect_uri": self.redirect_uri,
                "scope": self.scope,
                "state": state,
                "code_challenge": code_challenge,
                "code_challenge_method": "S256",
                "access_type": "offline",
                "include_granted_scopes": "true",
                "prompt": "consent",
            }
        )
        return f"{self.accounts_base.rstrip('/')}/o/oauth2/v2/auth?{query}"

    def _form(self, path: str, fields: dict[str, str]) -> HttpRequest:
        headers = {"Content-Type": "application/x-www-form-urlencoded", "Accept": JSON}
        body = urlencode(fields).encode("ascii")
        return HttpRequest("POST", f"{self.oauth2_base.rstrip('/')}{path}", headers, body)

    def exchange_request(self, *, code: str, code_verifier: str, now: datetime) -> HttpRequest:
        """POST /token, grant_type=authorization_code, with the PKCE verifier."""
        return self._form(
            "/token",
            {
                "grant_type": "authorization_code",
                "code": code,
                "redirect_uri": self.redirect_uri,
                "client_id": self.client_id,
                "client_secret": self.client_secret,
                "code_verifier": code_verifier,
            },
        )

    def refresh_request(self, *, refresh_token: str, now: datetime) -> HttpRequest:
        """POST /token, grant_type=refresh_token (Google keeps the refresh token: the answer
        carries none, and the one sent stays)."""
        return self._form(
            "/token",
            {
                "grant_type": "refresh_token",
                "refresh_token": refresh_token,
                "client_id": self.client_id,
                "client_secret": self.client_secret,
            },
        )

    def revoke_request(self, token: str) -> HttpRequest:
        """POST /revoke with the token in the form body (a refresh token revokes the whole
        grant, its access tokens with it)."""
        return self._form("/revoke", {"token": token})

    def token_parser(self, previous_refresh_token: str | None) -> Parse[IssuedTokens]:
        """Google's token answer; a code exchange without the Meet scope is refused."""

        def parse(
            status: int, headers: Mapping[str, str], body: bytes, now: datetime
        ) -> IssuedTokens:
            if status != 200:
                raise token_failure(status, headers, body, now=now, what="token request")
            tokens, _ = token_answer(
                body, now, provider="Google", previous_refresh_token=previous_refresh_token
            )
            granted = set(tokens.scope.split())
            if previous_refresh_token is None and tokens.scope and MEET_SCOPE not in granted:
                raise ProviderRejected(
                    "the Google account did not grant the Meet scope (meetings.space.created):"
                    " link again and leave 'Create Google Meet conferences' ticked",
                    code="insufficient_scope",
                    status=status,
                )
            return IssuedTokens(tokens)

        return parse

    def link_error(
        self, *, error: str, description: str | None = None, subcode: str | None = None
    ) -> LinkError:
        """Google redirects back with OAuth's plain ``error`` (``access_denied`` when the
        user declines, ``admin_policy_enforced`` when a Workspace admin blocks the app)."""
        if error == "admin_policy_enforced":
            return AdminApprovalRequired(
                "the Google Workspace administrator has not allowed this app (or its Meet scope)"
            )
        return oauth_link_error(error, provider_name="Google")
