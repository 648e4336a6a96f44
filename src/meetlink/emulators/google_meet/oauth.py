"""The emulator's Google OAuth side: the consent page (``/o/oauth2/v2/auth``), the token
endpoint (``/token``), the revoke endpoint (``/revoke``) and OpenID userinfo
(``/v1/userinfo``), with Google's error bodies (docs/google-meet.md, "OAuth").
"""

from __future__ import annotations

import hmac
import html
from collections.abc import Mapping
from datetime import timedelta

from meetlink.emulators.core.oauth import (
    ConsentError,
    ConsentPages,
    consent_form,
    page,
    pkce_ok,
    submit_consent,
)

from .state import (
    ACCESS_TOKEN_SECONDS,
    CODE_SECONDS,
    MAX_REFRESH_TOKENS,
    TESTING_REFRESH_LIFETIME,
    AccessToken,
    AuthCode,
    GoogleMeetState,
    GoogleUser,
    Incoming,
    RefreshGrant,
    Reply,
)

__all__ = [
    "KNOWN_SCOPES",
    "authorize_page",
    "authorize_submit",
    "decide",
    "revoke_endpoint",
    "token_endpoint",
    "userinfo_endpoint",
]

#: The scopes the emulated consent screen knows (others: ``invalid_scope``).
KNOWN_SCOPES = frozenset(
    {
        "openid",
        "email",
        "profile",
        "https://www.googleapis.com/auth/userinfo.email",
        "https://www.googleapis.com/auth/meetings.space.created",
        "https://www.googleapis.com/auth/meetings.space.readonly",
        "https://www.googleapis.com/auth/meetings.space.settings",
    }
)
_PARAMS = (
    "response_type",
    "client_id",
    "redirect_uri",
    "scope",
    "state",
    "code_challenge",
    "code_challenge_method",
    "access_type",
    "include_granted_scopes",
    "prompt",
)
_INVALID_TOKEN = 'Bearer realm="https://accounts.google.com/", error="invalid_token"'
_PAGES = ConsentPages(title="Sign in - Google Accounts", sign_in="Choose an account.")


def _check(state: GoogleMeetState, params: Mapping[str, str]) -> frozenset[str]:
    """The scopes asked for; ConsentError for what Google's page refuses itself (it shows
    "Error 400: ..." and never redirects)."""
    if params.get("client_id") != state.client_id:
        raise ConsentError("Error 401: invalid_client (The OAuth client was not found.)")
    if params.get("redirect_uri") != state.redirect_uri:
        raise ConsentError("Error 400: redirect_uri_mismatch")
    if params.get("response_type") != "code":
        raise ConsentError("Error 400: invalid_request (response_type must be 'code')")
    method = params.get("code_challenge_method")
    if method is not None and method not in ("S256", "plain"):
        raise ConsentError("Error 400: invalid_request (Invalid code_challenge_method)")
    if method is not None and not params.get("code_challenge"):
        raise ConsentError("Error 400: invalid_request (Missing code_challenge)")
    scopes = frozenset(params.get("scope", "").split())
    if not scopes:
        raise ConsentError("Error 400: invalid_request (Missing required parameter: scope)")
    unknown = scopes - KNOWN_SCOPES
    if unknown:
        raise ConsentError(
            f"Error 400: invalid_scope (Some requested scopes were invalid: {sorted(unknown)})"
        )
    return scopes


def decide(
    state: GoogleMeetState,
    params: Mapping[str, str],
    user: GoogleUser,
    *,
    allow: bool,
    granted: frozenset[str] | None = None,
) -> dict[str, str]:
    """The user presses Continue (or Cancel) on Google's consent screen; the query
    parameters Google redirects back with. ``granted``: the scopes the user leaves ticked
    (granular consent; default: all asked for)."""
    scopes = _check(state, params)
    if user.id not in state.users:
        raise ConsentError(f"Google sign-in: unknown account {user.email}")
    result: dict[str, str]
    if allow:
        kept = scopes if granted is None else scopes & granted
        code = "4/0" + state.token("", 40)
        state.codes[code] = AuthCode(
            user_id=user.id,
            redirect_uri=params["redirect_uri"],
            challenge=params.get("code_challenge") or None,
            method=params.get("code_challenge_method") or "plain",
            scopes=kept | {"openid"} if "openid" in scopes else kept,
            expires_at=state.now() + timedelta(seconds=CODE_SECONDS),
        )
        result = {"code": code, "scope": " ".join(sorted(kept))}
    else:
        result = {"error": "access_denied"}
    if "state" in params:
        result["state"] = params["state"]
    return result


def authorize_page(state: GoogleMeetState, request: Incoming) -> Reply:
    """GET /o/oauth2/v2/auth: the consent screen with a Continue and a Cancel form."""
    params = dict(request.query)
    try:
        _check(state, params)
    except ConsentError as exc:
        return Reply.html(400, page("Access blocked", f"<p>{html.escape(str(exc))}</p>"))
    users = list(state.users.values())
    forms = consent_form("/o/oauth2/v2/auth", params, _PARAMS, users, "allow", "Continue")
    forms += consent_form("/o/oauth2/v2/auth", params, _PARAMS, users, "deny", "Cancel")
    text = "<p>This app wants to create Google Meet conferences for you.</p>" + forms
    return Reply.html(200, page("Sign in - Google Accounts", text))


def authorize_submit(state: GoogleMeetState, request: Incoming) -> Reply:
    """POST /o/oauth2/v2/auth (a consent form): 302 to the redirect URI, or an error page."""
    return submit_consent(
        request.form(with_query=True),
        state.users,
        _PARAMS,
        lambda params, user, allow: decide(state, params, user, allow=allow),
        accept="allow",
        pages=_PAGES,
    )


def _error(status: int, error: str, description: str) -> Reply:
    return Reply.json(status, {"error": error, "error_description": description})


def _client_ok(state: GoogleMeetState, fields: Mapping[str, str]) -> bool:
    given = f"{fields.get('client_id', '')}:{fields.get('client_secret', '')}"
    expected = f"{state.client_id}:{state.client_secret}"
    return hmac.compare_digest(given.encode("utf-8"), expected.encode("utf-8"))


def _issue(state: GoogleMeetState, user_id: str, grant_id: int, scopes: frozenset[str], *,
           refresh: bool) -> Reply:  # fmt: skip
    now = state.now()
    access = "ya29." + state.token("", 48)
    state.access[access] = AccessToken(
        user_id=user_id,
        grant_id=grant_id,
        expires_at=now + timedelta(seconds=ACCESS_TOKEN_SECONDS),
        scopes=scopes,
    )
    body = {
        "access_token": access,
        "expires_in": ACCESS_TOKEN_SECONDS - 1,
        "scope": " ".join(sorted(scopes)),
        "token_type": "Bearer",
    }
    if refresh:
        token = "1//0" + state.token("", 48)
        lifetime = TESTING_REFRESH_LIFETIME if state.testing_mode else None
        state.refresh[token] = RefreshGrant(
            user_id=user_id,
            grant_id=grant_id,
            scopes=scopes,
            issued_at=now,
            last_used=now,
            expires_at=now + lifetime if lifetime is not None else None,
        )
        mine = [k for k, v in state.refresh.items() if v.user_id == user_id]
        for old in mine[: max(0, len(mine) - MAX_REFRESH_TOKENS)]:  # the oldest stop working
            del state.refresh[old]
        body["refresh_token"] = token
    return Reply.json(200, body)


def token_endpoint(state: GoogleMeetState, request: Incoming) -> Reply:
    """POST /token: authorization_code and refresh_token grants (client credentials in the
    form body). A refresh answer carries no new refresh token: Google keeps the old one."""
    fields = request.form()
    if not _client_ok(state, fields):
        return _error(401, "invalid_client", "Unauthorized")
    grant_type = fields.get("grant_type")
    now = state.now()
    if grant_type == "authorization_code":
        code = state.codes.pop(fields.get("code", ""), None)  # single use, even when it fails
        if code is None or now >= code.expires_at:
            return _error(400, "invalid_grant", "Bad Request")
        if fields.get("redirect_uri") != code.redirect_uri:
            return _error(400, "redirect_uri_mismatch", "Bad Request")
        if code.challenge is not None and not fields.get("code_verifier"):
            return _error(400, "invalid_grant", "Missing code verifier.")
        if not pkce_ok(code.challenge, code.method, fields.get("code_verifier")):
            return _error(400, "invalid_grant", "Invalid code verifier.")
        grant_id = state.next_grant
        state.next_grant += 1
        return _issue(state, code.user_id, grant_id, code.scopes, refresh=True)
    if grant_type == "refresh_token":
        held = state.refresh.get(fields.get("refresh_token", ""))
        dead = held is None or now - held.last_used >= state.refresh_idle
        if held is not None and held.expires_at is not None and now >= held.expires_at:
            dead = True
        if dead or held is None:
            return _error(400, "invalid_grant", "Token has been expired or revoked.")
        held.last_used = now
        return _issue(state, held.user_id, held.grant_id, held.scopes, refresh=False)
    if not grant_type:
        return _error(400, "unsupported_grant_type", "Invalid grant_type: ")
    return _error(400, "unsupported_grant_type", f"Invalid grant_type: {grant_type[:40]}")


def revoke_endpoint(state: GoogleMeetState, request: Incoming) -> Reply:
    """POST /revoke: an access or refresh token; the whole grant goes. A token Google does
    not know (revoked, expired, made up): 400 ``invalid_token``."""
    token = request.form(with_query=True).get("token", "")
    now = state.now()
    access = state.access.get(token)
    if access is not None and now < access.expires_at:
        state.revoke_grant(access.grant_id)
        return Reply.json(200, {})
    held = state.refresh.get(token)
    if held is not None:
        state.revoke_grant(held.grant_id)
        return Reply.json(200, {})
    return _error(400, "invalid_token", "Token expired or revoked")


def userinfo_endpoint(state: GoogleMeetState, request: Incoming) -> Reply:
    """GET /v1/userinfo: ``sub``, ``email``, ``email_verified``, and ``hd`` for Workspace."""
    held = _bearer(state, request)
    if held is None:
        return Reply.json(
            401,
            {"error": "invalid_request", "error_description": "Invalid Credentials"},
            {"WWW-Authenticate": _INVALID_TOKEN},
        )
    user = state.users[held.user_id]
    body: dict[str, object] = {"sub": user.id}
    if "email" in held.scopes or "https://www.googleapis.com/auth/userinfo.email" in held.scopes:
        body.update(email=user.email, email_verified=True)
    if user.domain:
        body["hd"] = user.domain
    return Reply.json(200, body)


def _bearer(state: GoogleMeetState, request: Incoming) -> AccessToken | None:
    header = request.headers.get("authorization", "")
    if not header.lower().startswith("bearer "):
        return None
    held = state.access.get(header[7:].strip())
    if held is None or state.now() >= held.expires_at:
        return None
    return held
