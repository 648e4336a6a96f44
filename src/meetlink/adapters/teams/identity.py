"""The Microsoft identity platform v2.0 without I/O: the authorize URL, token requests (with
a client secret or a certificate-signed assertion) and token answers (FACTS.md §1).

An [`EntraOAuth`][meetlink.adapters.teams.identity.EntraOAuth] (the app registration, the
authority, a secret or a certificate) is what the provider shell plugs in, as Zoom's
``ZoomOAuth`` is; [`sansio`][meetlink.adapters.teams.sansio] re-exports this module and adds
the Graph side.
"""

from __future__ import annotations

import base64
import functools
import json
import re
from collections.abc import Mapping
from datetime import datetime
from typing import Any
from urllib.parse import quote, urlencode

import attrs

from meetlink.adapters.http import JSON, HttpRequest
from meetlink.adapters.shell import IssuedTokens, Parse, token_answer
from meetlink.errors import AdminApprovalRequired, GrantRevoked, LinkError

from . import consent
from .certificate import ASSERTION_TYPE, ClientCertificate
from .failures import token_failure

__all__ = [
    "APP_ONLY_PREFIX",
    "APP_SCOPE",
    "SCOPES",
    "EntraAppOnly",
    "EntraOAuth",
    "GraphRequest",
    "Tokens",
    "authorization_url",
    "exchange_request",
    "jwt_claims",
    "parse_tokens",
    "refresh_request",
    "token_url",
]

#: Delegated scopes meetlink asks for (FACTS.md §0.1, §1.2): bare names mean Graph.
SCOPES = "openid profile offline_access User.Read OnlineMeetings.ReadWrite"
#: One HTTP request to Entra ID or Graph (headers and body stay out of the repr).
GraphRequest = HttpRequest
#: A token endpoint answer: the ``TokenSet`` plus the tenant from the id_token.
Tokens = IssuedTokens


# --- identity platform ------------------------------------------------------------------


def _authority(authority: str, tenant: str) -> str:
    return f"{authority.rstrip('/')}/{quote(tenant, safe='')}/oauth2/v2.0"


def authorization_url(
    authority: str,
    tenant: str,
    *,
    client_id: str,
    redirect_uri: str,
    state: str,
    code_challenge: str,
    scope: str = SCOPES,
    prompt: str | None = None,
) -> str:
    """The /authorize URL (auth code + PKCE S256, ``response_mode=query``)."""
    params = {
        "client_id": client_id,
        "response_type": "code",
        "redirect_uri": redirect_uri,
        "response_mode": "query",
        "scope": scope,
        "state": state,
        "code_challenge": code_challenge,
        "code_challenge_method": "S256",
    }
    if prompt:
        params["prompt"] = prompt
    return f"{_authority(authority, tenant)}/authorize?{urlencode(params, quote_via=quote)}"


def token_url(authority: str, tenant: str) -> str:
    """The token endpoint (also the ``aud`` of a certificate client assertion)."""
    return f"{_authority(authority, tenant)}/token"


def _token_form(
    authority: str,
    tenant: str,
    fields: dict[str, str],
    client_secret: str | None,
    client_assertion: str | None,
) -> GraphRequest:
    """A token request; the app proves itself with a certificate-signed assertion when
    given one, else with the client secret (both in the body, FACTS.md §1.4)."""
    if client_assertion:
        fields |= {"client_assertion_type": ASSERTION_TYPE, "client_assertion": client_assertion}
    else:
        fields["client_secret"] = client_secret or ""
    headers = {"Content-Type": "application/x-www-form-urlencoded", "Accept": JSON}
    return GraphRequest("POST", token_url(authority, tenant), headers, urlencode(fields).encode())


def exchange_request(
    authority: str,
    tenant: str,
    *,
    client_id: str,
    client_secret: str | None = None,
    client_assertion: str | None = None,
    redirect_uri: str,
    code: str,
    code_verifier: str,
    scope: str = SCOPES,
) -> GraphRequest:
    """POST /token, grant_type=authorization_code; the client credential goes in the body."""
    return _token_form(
        authority,
        tenant,
        {
            "client_id": client_id,
            "scope": scope,
            "code": code,
            "redirect_uri": redirect_uri,
            "grant_type": "authorization_code",
            "code_verifier": code_verifier,
        },
        client_secret,
        client_assertion,
    )


def refresh_request(
    authority: str,
    tenant: str,
    *,
    client_id: str,
    client_secret: str | None = None,
    client_assertion: str | None = None,
    refresh_token: str,
    scope: str = SCOPES,
) -> GraphRequest:
    """POST /token, grant_type=refresh_token (Entra answers with a new refresh token)."""
    return _token_form(
        authority,
        tenant,
        {
            "client_id": client_id,
            "scope": scope,
            "grant_type": "refresh_token",
            "refresh_token": refresh_token,
        },
        client_secret,
        client_assertion,
    )


def jwt_claims(token: object) -> dict[str, Any]:
    """The payload of a JWT, **unverified**; {} when it is not one. Used only for the id_token
    received straight from the token endpoint over TLS (OIDC Core §3.1.3.7 allows TLS server
    validation in place of the signature there) and for the ``tid`` of an access token."""
    if not isinstance(token, str) or token.count(".") != 2:
        return {}
    payload = token.split(".")[1]
    try:
        raw = base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))
        claims = json.loads(raw.decode("utf-8"))
    except (ValueError, UnicodeDecodeError):
        return {}
    return claims if isinstance(claims, dict) else {}


def parse_tokens(
    status: int,
    headers: Mapping[str, str],
    body: bytes,
    now: datetime,
    *,
    previous_refresh_token: str | None = None,
) -> Tokens:
    """A token endpoint answer. Without a new refresh token (it should always come with
    ``offline_access``), ``previous_refresh_token`` is kept."""
    if status != 200:
        raise token_failure(status, headers, body, now=now, what="token request")
    tokens, data = token_answer(
        body, now, provider="Entra ID", previous_refresh_token=previous_refresh_token
    )
    tid = jwt_claims(data.get("id_token")).get("tid")
    return Tokens(tokens, tenant_id=tid if isinstance(tid, str) and tid else None)


@attrs.frozen
class EntraOAuth:
    """The Microsoft identity platform as the provider shell's core: the app registration
    (client id, redirect URI, scopes; a secret or a certificate) and the authority."""

    authority: str
    tenant: str
    client_id: str
    redirect_uri: str
    scope: str = SCOPES
    client_secret: str | None = attrs.field(default=None, repr=False)
    certificate: ClientCertificate | None = attrs.field(default=None, repr=False)
    provider_name: str = "Microsoft"

    def authorization_url(self, *, state: str, code_challenge: str) -> str:
        """The /authorize URL (PKCE S256, the configured tenant and redirect URI)."""
        return authorization_url(
            self.authority,
            self.tenant,
            client_id=self.client_id,
            redirect_uri=self.redirect_uri,
            state=state,
            code_challenge=code_challenge,
            scope=self.scope,
        )

    def admin_consent_url(self, *, state: str | None = None) -> str:
        """Where an administrator approves the app for the whole organisation."""
        return consent.admin_consent_url(
            self.authority,
            self.tenant,
            client_id=self.client_id,
            redirect_uri=self.redirect_uri,
            scope=self.scope,
            state=state,
        )

    def _credential(self, now: datetime) -> dict[str, str]:
        """The app's proof for one token request: its secret, or a fresh client assertion
        signed with its certificate (audience: the token endpoint)."""
        if self.certificate is None:
            return {"client_secret": self.client_secret or ""}
        audience = token_url(self.authority, self.tenant)
        assertion = self.certificate.assertion(client_id=self.client_id, audience=audience, now=now)
        return {"client_assertion": assertion}

    def exchange_request(self, *, code: str, code_verifier: str, now: datetime) -> GraphRequest:
        """POST /token for an authorization code."""
        return exchange_request(
            self.authority,
            self.tenant,
            client_id=self.client_id,
            **self._credential(now),
            redirect_uri=self.redirect_uri,
            code=code,
            code_verifier=code_verifier,
            scope=self.scope,
        )

    def refresh_request(self, *, refresh_token: str, now: datetime) -> GraphRequest:
        """POST /token for a refresh (Entra answers with a new refresh token)."""
        return refresh_request(
            self.authority,
            self.tenant,
            client_id=self.client_id,
            **self._credential(now),
            refresh_token=refresh_token,
            scope=self.scope,
        )

    def token_parser(self, previous_refresh_token: str | None) -> Parse[IssuedTokens]:
        """A token answer, with the tenant its id_token names; without a new refresh token
        the previous one is kept."""
        return functools.partial(parse_tokens, previous_refresh_token=previous_refresh_token)

    def link_error(
        self, *, error: str, description: str | None = None, subcode: str | None = None
    ) -> LinkError:
        """Entra's callback error
        ([`consent.link_error`][meetlink.adapters.teams.consent.link_error]): AADSTS65004 ->
        LinkDenied; "Need admin approval" -> AdminApprovalRequired carrying the admin consent
        URL."""
        return consent.link_error(error, description, subcode, admin_url=self.admin_consent_url())


#: The application permissions an organisation link asks for: every permission the app
#: registration declares (OnlineMeetings.ReadWrite.All, User.Read.All), as admin consent grants
#: them (client-credentials scope).
APP_SCOPE = "https://graph.microsoft.com/.default"
#: What an organisation link stores as its "refresh token": the client-credentials grant has
#: none (a new token is asked for with the app's own credential), so it keeps the customer's
#: tenant, which is no secret.
APP_ONLY_PREFIX = "app-only:"
_TENANT_SEGMENT = re.compile(r"[A-Za-z0-9][A-Za-z0-9.-]{0,252}")
_SHARED_SEGMENTS = frozenset({"common", "organizations", "consumers"})


@attrs.frozen
class EntraAppOnly:
    """The organisation's grant as the provider shell's core: admin consent for the customer's
    tenant (``/adminconsent``), then the client-credentials grant for that tenant
    (application permissions; no refresh token: each new token is asked for again with the
    app's secret or certificate). The "code" of its callback is the consenting tenant."""

    entra: EntraOAuth
    provider_name: str = "Microsoft"

    def authorization_url(self, *, state: str, code_challenge: str) -> str:
        """The admin consent page for the application permissions (no PKCE: no code
        follows)."""
        return consent.admin_consent_url(
            self.entra.authority,
            self.entra.tenant,
            client_id=self.entra.client_id,
            redirect_uri=self.entra.redirect_uri,
            scope=APP_SCOPE,
            state=state,
        )

    def _request(self, tenant: str, now: datetime) -> GraphRequest:
        if not _TENANT_SEGMENT.fullmatch(tenant) or tenant.lower() in _SHARED_SEGMENTS:
            raise LinkError(f"not a Microsoft tenant id: {tenant[:60]!r}")
        # A certificate's assertion is made out to that tenant's token endpoint.
        credential = attrs.evolve(self.entra, tenant=tenant)._credential(now)
        fields = {
            "client_id": self.entra.client_id,
            "scope": APP_SCOPE,
            "grant_type": "client_credentials",
        }
        return _token_form(
            self.entra.authority,
            tenant,
            fields,
            credential.get("client_secret"),
            credential.get("client_assertion"),
        )

    def exchange_request(self, *, code: str, code_verifier: str, now: datetime) -> GraphRequest:
        """client_credentials for the tenant the admin consent callback named (``code``)."""
        return self._request(code, now)

    def refresh_request(self, *, refresh_token: str, now: datetime) -> GraphRequest:
        """client_credentials again for the tenant kept in place of a refresh token."""
        return self._request(refresh_token.removeprefix(APP_ONLY_PREFIX), now)

    def token_parser(self, previous_refresh_token: str | None) -> Parse[IssuedTokens]:
        """An app-only token answer, its tenant from the token's ``tid``. Refused at the
        first request (``previous_refresh_token`` None): the tenant's admin has not consented
        (AdminApprovalRequired); refused later: the consent was withdrawn (GrantRevoked)."""
        first = previous_refresh_token is None
        admin_url = self.authorization_url(state="", code_challenge="")

        def parse(
            status: int, headers: Mapping[str, str], body: bytes, now: datetime
        ) -> IssuedTokens:
            if status != 200:
                failure = token_failure(status, headers, body, now=now, what="app-only token")
                if isinstance(failure, GrantRevoked):
                    if first:
                        raise AdminApprovalRequired(
                            "Microsoft refused the app a token for the organisation: its admin"
                            f" has not consented to the application permissions ({failure})",
                            admin_consent_url=admin_url,
                        )
                    raise GrantRevoked(
                        "the organisation's admin consent was withdrawn (the app is no longer"
                        f" in its directory): {failure}"
                    )
                raise failure
            data = _json(body)
            tid = jwt_claims(data.get("access_token")).get("tid")
            if not isinstance(tid, str) or not tid:
                raise LinkError("Microsoft's app-only token names no tenant")
            tokens, _ = token_answer(
                body, now, provider="Entra ID", previous_refresh_token=APP_ONLY_PREFIX + tid
            )
            return IssuedTokens(tokens, tenant_id=tid)

        return parse

    def link_error(
        self, *, error: str, description: str | None = None, subcode: str | None = None
    ) -> LinkError:
        """The admin consent callback's error (declined: LinkDenied)."""
        return self.entra.link_error(error=error, description=description, subcode=subcode)


def _json(body: bytes) -> dict[str, Any]:
    try:
        data = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}
