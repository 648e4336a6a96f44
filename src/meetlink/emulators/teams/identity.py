"""The emulator's Entra ID side: /authorize (consent page and scripted outcomes) and /token
(FACTS.md §1, §8 "Identity"). Handlers run with the state lock held.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
from typing import Any

from meetlink.emulators.core.oauth import (
    ConsentBlocked,
    ConsentError,
    ConsentPages,
    consent_form,
    page,
    pkce_ok,
    submit_consent,
)

from .clients import ClientRefusal, authenticate_client
from .state import (
    CODE_SECONDS,
    AccessToken,
    AuthCode,
    Incoming,
    RefreshToken,
    Reply,
    TeamsState,
    TeamsUser,
)

__all__ = [
    "DECLINED",
    "PAGES",
    "REFRESH_FAULTS",
    "ConsentBlocked",
    "ConsentError",
    "authorize_page",
    "authorize_submit",
    "check_app",
    "decide",
    "entra_error",
    "token_endpoint",
]

GRAPH_AUDIENCE = "https://graph.microsoft.com"
_GRAPH_SCOPES = (
    "User.Read",
    "OnlineMeetings.ReadWrite",
    "OnlineMeetings.Read",
    "Calendars.ReadWrite",
)
#: AADSTS code -> (error, suberror, description) for scripted refresh failures (FACTS.md §1.7).
REFRESH_FAULTS: Mapping[int, tuple[str, str | None, str]] = {
    65001: (
        "invalid_grant",
        "consent_required",
        "The user or administrator has not consented to use the application with ID '{app}'."
        " Send an interactive authorization request for this user and resource.",
    ),
    50173: (
        "invalid_grant",
        None,
        "The provided grant has expired due to it being revoked, a fresh auth token is needed."
        " The user might have changed or reset their password.",
    ),
    50076: (
        "invalid_grant",
        "basic_action",
        "Due to a configuration change made by your administrator, or because you moved to a"
        " new location, you must use multi-factor authentication to access '{app}'.",
    ),
    53003: ("invalid_grant", None, "Access has been blocked by Conditional Access policies."),
    70043: (
        "invalid_grant",
        None,
        "The refresh token has expired or is invalid due to sign-in frequency checks by"
        " conditional access.",
    ),
    700016: (
        "unauthorized_client",
        None,
        "Application with identifier '{app}' was not found in the directory.",
    ),
}
#: What Entra says when a user declines consent (FACTS.md §1.3, §1.7).
DECLINED = "AADSTS65004: User declined to consent to access the app."
_OAUTH_PARAMS = (
    "client_id",
    "response_type",
    "redirect_uri",
    "response_mode",
    "scope",
    "state",
    "code_challenge",
    "code_challenge_method",
    "nonce",
    "prompt",
)


def entra_error(
    state: TeamsState, status: int, error: str, code: int, text: str, sub: str | None = None
) -> Reply:
    """Entra's token endpoint error JSON (FACTS.md §1.6)."""
    now = state.now()
    stamp = now.strftime("%Y-%m-%d %H:%M:%SZ")
    trace, correlation = state.guid(), state.guid()
    body: dict[str, Any] = {
        "error": error,
        "error_description": f"AADSTS{code}: {text.format(app=state.client_id)}\r\n"
        f"Trace ID: {trace}\r\nCorrelation ID: {correlation}\r\nTimestamp: {stamp}",
        "error_codes": [code],
        "timestamp": stamp,
        "trace_id": trace,
        "correlation_id": correlation,
        "error_uri": f"https://login.microsoftonline.com/error?code={code}",
    }
    if sub:
        body["suberror"] = sub
    return Reply.json(status, body)


def check_app(state: TeamsState, params: Mapping[str, str]) -> None:
    """The sign-in page's own refusals about the app: unknown client, wrong redirect URI."""
    if params.get("client_id") != state.client_id:
        raise ConsentError("AADSTS700016: application not found in the directory")
    if params.get("redirect_uri") != state.redirect_uri:
        raise ConsentError("AADSTS50011: the redirect URI does not match the application's")


def _check(state: TeamsState, segment: str, params: Mapping[str, str], user: TeamsUser) -> None:
    check_app(state, params)
    if "code" not in params.get("response_type", "").split():
        raise ConsentError("AADSTS900144: response_type must include 'code'")
    method = params.get("code_challenge_method")
    if method is not None and method not in ("S256", "plain"):
        raise ConsentError("AADSTS501491: invalid code_challenge_method")
    tenant = state.tenant_of_segment(segment)
    lowered = segment.lower()
    if lowered == "organizations" and user.personal:
        raise ConsentError("AADSTS500208: personal accounts cannot sign in on this tenant")
    if lowered == "consumers" and not user.personal:
        raise ConsentError("AADSTS9002332: this application is for work or school accounts")
    if tenant is not None and tenant != user.tenant_id:
        raise ConsentError(f"AADSTS90002: the user is not in tenant {segment}")


def decide(
    state: TeamsState,
    segment: str,
    params: Mapping[str, str],
    user: TeamsUser,
    *,
    allow: bool,
    decline: str = "cancel",
    return_to_app: bool = False,
) -> dict[str, str]:
    """The user's choice on Entra's page: the query parameters of the redirect back."""
    if user.id not in state.users:
        raise ConsentError(f"unknown user {user.email}")
    _check(state, segment, params, user)
    result: dict[str, str]
    tenant = user.tenant_id
    if (
        tenant in state.admin_only
        and tenant not in state.admin_consented
        and user.id not in state.consented
    ):
        if not return_to_app:
            raise ConsentBlocked("AADSTS90094: Need admin approval")
        # UNCONFIRMED (FACTS.md §1.3): third-party code reports this redirect, with no code.
        result = {"error": "access_denied", "error_subcode": "cancel"}
    elif allow:
        code = state.token("1.AQ", 60)
        state.codes[code] = AuthCode(
            user_id=user.id,
            segment=segment.lower(),
            redirect_uri=params["redirect_uri"],
            scope=params.get("scope", ""),
            challenge=params.get("code_challenge") or None,
            method=params.get("code_challenge_method") or "plain",
            nonce=params.get("nonce"),
            expires_at=state.now() + timedelta(seconds=CODE_SECONDS),
        )
        state.consented.add(user.id)
        state.refresh_faults.pop(user.id, None)
        result = {"code": code}
    elif decline == "declined":
        result = {"error": "access_denied", "error_description": DECLINED}
    else:  # Cancel on the consent prompt: MSAL's "cancel" sub-code and the decline code
        result = {"error": "access_denied", "error_subcode": "cancel"}
        result["error_description"] = DECLINED
    if "state" in params:
        result["state"] = params["state"]
    return result


def authorize_page(state: TeamsState, request: Incoming, segment: str) -> Reply:
    """GET /{tenant}/oauth2/v2.0/authorize: "Permissions requested" with Accept and Cancel."""
    params = dict(request.query)
    if params.get("client_id") != state.client_id or (
        params.get("redirect_uri") != state.redirect_uri
    ):
        text = "<p>AADSTS50011: the redirect URI or application does not match.</p>"
        return Reply.html(400, page("Sign in to your account", text))
    users = list(state.users.values())
    action = f"/{segment}/oauth2/v2.0/authorize"
    text = (
        "<p>meetlink needs permission to: sign you in, read your profile, and read and create"
        " your online meetings (User.Read, OnlineMeetings.ReadWrite).</p>"
        + consent_form(action, params, _OAUTH_PARAMS, users, "accept", "Accept")
        + consent_form(action, params, _OAUTH_PARAMS, users, "cancel", "Cancel")
    )
    return Reply.html(200, page("Permissions requested", text))


#: Entra's own pages for a consent form that cannot go through.
PAGES = ConsentPages(
    title="Sign in to your account",
    sign_in="Pick an account.",
    blocked=(
        "Need admin approval",
        "AADSTS90094: meetlink needs permission to access resources in your organization"
        " that only an admin can grant.",
    ),
)


def authorize_submit(state: TeamsState, request: Incoming, segment: str) -> Reply:
    """POST of the consent form: 302 to the redirect URI, or Entra's own error page."""
    return submit_consent(
        request.form(),
        state.users,
        _OAUTH_PARAMS,
        lambda params, user, allow: decide(state, segment, params, user, allow=allow),
        accept="accept",
        pages=PAGES,
    )


def _issue(state: TeamsState, user: TeamsUser, scope: str, nonce: str | None) -> Reply:
    now = state.now()
    asked = scope.split()
    graph = sorted({s for s in asked if s in _GRAPH_SCOPES} | {"User.Read"})
    lifetime = state.expires_in or state.rng.randint(3600, 5400)
    claims = {
        "aud": GRAPH_AUDIENCE,
        "iss": f"https://sts.windows.net/{user.tenant_id}/",
        "iat": int(now.timestamp()),
        "exp": int(now.timestamp()) + lifetime,
        "oid": user.id,
        "tid": user.tenant_id,
        "scp": " ".join(graph),
        "upn": user.email,
        "uti": state.token("", 16),
    }
    access = state.jwt(claims)
    state.access[access] = AccessToken(
        user_id=user.id, scopes=frozenset(graph), expires_at=now + timedelta(seconds=lifetime)
    )
    body: dict[str, Any] = {
        "token_type": "Bearer",
        "scope": " ".join([*graph, *(s for s in ("openid", "profile") if s in asked)]),
        "expires_in": lifetime,
        "ext_expires_in": lifetime,
        "access_token": access,
    }
    if "offline_access" in asked:
        refresh = state.token("0.AQ", 90)
        state.refresh[refresh] = RefreshToken(user_id=user.id, scope=scope, last_used=now)
        body["refresh_token"] = refresh
    if "openid" in asked:
        id_claims: dict[str, Any] = {
            "aud": state.client_id,
            "iss": f"https://login.microsoftonline.com/{user.tenant_id}/v2.0",
            "iat": int(now.timestamp()),
            "exp": int(now.timestamp()) + 3600,
            "oid": user.id,
            "tid": user.tenant_id,
            "sub": state.token("", 24),
            "preferred_username": user.email,
            "name": user.display_name,
        }
        if nonce:
            id_claims["nonce"] = nonce
        body["id_token"] = state.jwt(id_claims)
    return Reply.json(200, body, {"Cache-Control": "no-store"})


def token_endpoint(state: TeamsState, request: Incoming, segment: str) -> Reply:
    """POST /{tenant}/oauth2/v2.0/token: authorization_code and refresh_token grants."""
    fields = request.form()
    try:
        client_id = authenticate_client(state, segment, request, fields)
    except ClientRefusal as refused:
        return entra_error(state, refused.status, refused.error, refused.code, refused.text)
    if client_id != state.client_id:
        return entra_error(state, 400, "unauthorized_client", 700016, REFRESH_FAULTS[700016][2])
    grant = fields.get("grant_type")
    if grant == "authorization_code":
        return _redeem(state, segment, fields)
    if grant == "refresh_token":
        return _refresh(state, fields)
    if grant == "client_credentials":
        return _app_only(state, segment, fields)
    text = f"The provided value for grant_type ({grant or ''}) is not supported."
    return entra_error(state, 400, "unsupported_grant_type", 70003, text)


#: The application permissions (roles) of the emulated app, granted by admin consent.
APP_ROLES = frozenset({"OnlineMeetings.ReadWrite.All", "User.Read.All"})


def _app_only(state: TeamsState, segment: str, fields: Mapping[str, str]) -> Reply:
    """client_credentials for one tenant (FACTS.md §1.8): the app's own token with the
    application permissions an administrator of that tenant consented to; none without that
    consent (AADSTS700016, the app is not in the tenant's directory)."""
    tenant = state.tenant_of_segment(segment)
    if tenant is None:
        text = "Use a tenant-specific endpoint or configure the application to be multi-tenant."
        return entra_error(state, 400, "invalid_request", 90009, text)
    if fields.get("scope") != f"{GRAPH_AUDIENCE}/.default":
        text = "The provided value for the input parameter 'scope' is not valid."
        return entra_error(state, 400, "invalid_scope", 1002012, text)
    if tenant not in state.admin_consented:
        text = REFRESH_FAULTS[700016][2].format(app=state.client_id)
        return entra_error(state, 400, "unauthorized_client", 700016, text)
    now = state.now()
    lifetime = state.expires_in or state.rng.randint(3600, 5400)
    claims = {
        "aud": GRAPH_AUDIENCE,
        "iss": f"https://sts.windows.net/{tenant}/",
        "iat": int(now.timestamp()),
        "exp": int(now.timestamp()) + lifetime,
        "tid": tenant,
        "appid": state.client_id,
        "idtyp": "app",
        "roles": sorted(APP_ROLES),
        "uti": state.token("", 16),
    }
    access = state.jwt(claims)
    state.access[access] = AccessToken(
        user_id="",
        scopes=APP_ROLES,
        expires_at=now + timedelta(seconds=lifetime),
        app_tenant=tenant,
    )
    body = {
        "token_type": "Bearer",
        "expires_in": lifetime,
        "ext_expires_in": lifetime,
        "access_token": access,
    }
    return Reply.json(200, body)


def _redeem(state: TeamsState, segment: str, fields: Mapping[str, str]) -> Reply:
    raw = fields.get("code", "")
    if raw in state.used_codes:
        return entra_error(
            state, 400, "invalid_grant", 54005, "OAuth2 Authorization code was already redeemed."
        )
    code = state.codes.pop(raw, None)
    if code is None:
        return entra_error(state, 400, "invalid_grant", 9002313, "Invalid request.")
    state.used_codes.add(raw)  # single use, even when the redemption fails
    if state.now() >= code.expires_at:
        text = "The provided authorization code or refresh token has expired due to inactivity."
        return entra_error(state, 400, "invalid_grant", 70008, text)
    if segment.lower() != code.segment:
        text = "The authorization code was issued for a different tenant."
        return entra_error(state, 400, "invalid_grant", 700005, text)
    if fields.get("redirect_uri") != code.redirect_uri:
        text = "The redirect URI does not match the one used for the authorization code."
        return entra_error(state, 400, "invalid_request", 50011, text)
    if not pkce_ok(code.challenge, code.method, fields.get("code_verifier")):
        text = "The Code_Verifier does not match the code_challenge supplied in the request."
        return entra_error(state, 400, "invalid_grant", 501481, text)
    return _issue(state, state.users[code.user_id], code.scope, code.nonce)


def _refresh(state: TeamsState, fields: Mapping[str, str]) -> Reply:
    held = state.refresh.get(fields.get("refresh_token", ""))
    if held is None or held.user_id not in state.users:
        return entra_error(state, 400, "invalid_grant", 9002313, "Invalid request.")
    now = state.now()
    fault = state.refresh_faults.get(held.user_id)
    if fault is not None and now >= fault.effective_at:  # revocation lags (FACTS.md §4)
        error, sub, text = REFRESH_FAULTS[fault.code]
        return entra_error(state, 400, error, fault.code, text, sub)
    idle = now - held.last_used
    if idle >= state.refresh_idle:
        seconds = int(state.refresh_idle.total_seconds())
        span = f"{seconds // 86400}.{seconds % 86400 // 3600:02d}:{seconds % 3600 // 60:02d}:00"
        text = "The refresh token has expired due to inactivity. The token was inactive for"
        text += f" {span}."
        return entra_error(state, 400, "invalid_grant", 700082, text, "bad_token")
    # Entra does not revoke the old refresh token on use (FACTS.md §1.5): it stays valid,
    # and its idle window starts again.
    held.last_used = now
    return _issue(state, state.users[held.user_id], fields.get("scope") or held.scope, None)
