"""Zoom's OAuth without I/O: the consent URL, token and revoke requests, and their answers
(FACTS.md §1).

[`ZoomOAuth`][meetlink.adapters.zoom.oauth.ZoomOAuth] holds the registered app and is the
core the provider shell ([`ProviderShell`][meetlink.adapters.shell.ProviderShell]) plugs in;
[`sansio`][meetlink.adapters.zoom.sansio] re-exports this module and adds the REST side.
"""

from __future__ import annotations

import base64
from collections.abc import Mapping
from datetime import datetime
from urllib.parse import urlencode

import attrs

from meetlink.adapters.http import JSON, HttpRequest
from meetlink.adapters.oauth_callback import oauth_link_error
from meetlink.adapters.shell import IssuedTokens, Parse, token_answer
from meetlink.domain.links import TokenSet
from meetlink.errors import LinkError, ProviderRejected

from .failures import token_failure

__all__ = [
    "JSON",
    "ZoomOAuth",
    "ZoomRequest",
    "authorization_url",
    "exchange_request",
    "parse_revoked",
    "parse_tokens",
    "refresh_request",
    "revoke_request",
]

#: One HTTP request to Zoom (headers and body stay out of the repr).
ZoomRequest = HttpRequest


def authorization_url(
    oauth_base: str, *, client_id: str, redirect_uri: str, state: str, code_challenge: str
) -> str:
    """Zoom's consent page URL with PKCE S256 (scopes live on the app, not the URL)."""
    query = urlencode(
        {
            "response_type": "code",
            "client_id": client_id,
            "redirect_uri": redirect_uri,
            "state": state,
            "code_challenge": code_challenge,
            "code_challenge_method": "S256",
        }
    )
    return f"{oauth_base.rstrip('/')}/oauth/authorize?{query}"


def _basic(client_id: str, client_secret: str) -> dict[str, str]:
    raw = f"{client_id}:{client_secret}".encode()
    return {
        "Authorization": "Basic " + base64.b64encode(raw).decode("ascii"),
        "Content-Type": "application/x-www-form-urlencoded",
        "Accept": JSON,
    }


def _form(oauth_base: str, path: str, auth: tuple[str, str], fields: dict[str, str]) -> ZoomRequest:
    return ZoomRequest(
        "POST",
        f"{oauth_base.rstrip('/')}{path}",
        _basic(*auth),
        urlencode(fields).encode("ascii"),
    )


def exchange_request(
    oauth_base: str,
    *,
    client_id: str,
    client_secret: str,
    redirect_uri: str,
    code: str,
    code_verifier: str,
) -> ZoomRequest:
    """POST /oauth/token, grant_type=authorization_code (form body, Basic client auth)."""
    fields = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": redirect_uri,
        "code_verifier": code_verifier,
    }
    return _form(oauth_base, "/oauth/token", (client_id, client_secret), fields)


def refresh_request(
    oauth_base: str, *, client_id: str, client_secret: str, refresh_token: str
) -> ZoomRequest:
    """POST /oauth/token, grant_type=refresh_token (the refresh token rotates)."""
    fields = {"grant_type": "refresh_token", "refresh_token": refresh_token}
    return _form(oauth_base, "/oauth/token", (client_id, client_secret), fields)


def revoke_request(
    oauth_base: str, *, client_id: str, client_secret: str, token: str
) -> ZoomRequest:
    """POST /oauth/revoke for an access token, as Zoom documents it (FACTS.md §1.5), with
    the token in the form body (never in the URL)."""
    return _form(oauth_base, "/oauth/revoke", (client_id, client_secret), {"token": token})


def parse_tokens(status: int, headers: Mapping[str, str], body: bytes, now: datetime) -> TokenSet:
    """A token endpoint answer as a [`TokenSet`][meetlink.domain.links.TokenSet] (expiry from
    ``expires_in``)."""
    if status != 200:
        raise token_failure(status, headers, body, now=now, what="token request")
    return token_answer(body, now, provider="Zoom")[0]


def parse_revoked(status: int, headers: Mapping[str, str], body: bytes, now: datetime) -> None:
    """A revoke answer: ``{"status": "success"}``. "Invalid Token!" is not taken for a
    success: Zoom did not revoke anything, so the app may still be authorised."""
    if status == 200:
        return
    if status == 400 and b"invalid token" in body.lower():
        raise ProviderRejected(
            "Zoom did not accept the token to revoke ('Invalid Token!'): the app may still be"
            " authorised on the user's Zoom account; they can remove it in the Zoom App"
            " Marketplace (Manage > Added Apps)",
            code="invalid_token",
            status=status,
        )
    raise token_failure(status, headers, body, now=now, what="token revoke")


def _issued(status: int, headers: Mapping[str, str], body: bytes, now: datetime) -> IssuedTokens:
    return IssuedTokens(parse_tokens(status, headers, body, now))


@attrs.frozen
class ZoomOAuth:
    """Zoom's OAuth as the provider shell's core: the registered app and where Zoom is."""

    oauth_base: str
    client_id: str
    client_secret: str = attrs.field(repr=False)
    redirect_uri: str
    provider_name: str = "Zoom"

    def authorization_url(self, *, state: str, code_challenge: str) -> str:
        """Zoom's consent page URL (PKCE S256)."""
        return authorization_url(
            self.oauth_base,
            client_id=self.client_id,
            redirect_uri=self.redirect_uri,
            state=state,
            code_challenge=code_challenge,
        )

    def exchange_request(self, *, code: str, code_verifier: str, now: datetime) -> ZoomRequest:
        """POST /oauth/token for an authorization code."""
        return exchange_request(
            self.oauth_base,
            client_id=self.client_id,
            client_secret=self.client_secret,
            redirect_uri=self.redirect_uri,
            code=code,
            code_verifier=code_verifier,
        )

    def refresh_request(self, *, refresh_token: str, now: datetime) -> ZoomRequest:
        """POST /oauth/token for a refresh (Zoom rotates the refresh token)."""
        return refresh_request(
            self.oauth_base,
            client_id=self.client_id,
            client_secret=self.client_secret,
            refresh_token=refresh_token,
        )

    def revoke_request(self, access_token: str) -> ZoomRequest:
        """POST /oauth/revoke for the grant of ``access_token``."""
        return revoke_request(
            self.oauth_base,
            client_id=self.client_id,
            client_secret=self.client_secret,
            token=access_token,
        )

    def token_parser(self, previous_refresh_token: str | None) -> Parse[IssuedTokens]:
        """Zoom's token answer (a refresh always brings a new refresh token)."""
        return _issued

    def link_error(
        self, *, error: str, description: str | None = None, subcode: str | None = None
    ) -> LinkError:
        """Zoom redirects back only with OAuth's plain ``error`` (``access_denied`` when the
        user declines; Pre-Approval keeps the user on Zoom's page, S23)."""
        return oauth_link_error(error, provider_name="Zoom")
