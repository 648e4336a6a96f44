"""The emulator's OAuth side: consent page, token endpoint, revoke (FACTS.md §1, §9).

Handlers run with the state lock held and return a [`Reply`][meetlink.emulators.zoom.state.Reply].
"""

from __future__ import annotations

import hmac
import html
from collections.abc import Mapping
from datetime import timedelta

from meetlink.emulators.core import wire
from meetlink.emulators.core.oauth import (
    ConsentBlocked,
    ConsentError,
    ConsentPages,
    basic_credentials,
    consent_form,
    page,
    pkce_ok,
    submit_consent,
)

from .state import (
    ACCESS_TOKEN_SECONDS,
    CODE_SECONDS,
    AccessToken,
    AuthCode,
    Incoming,
    RefreshGrant,
    Reply,
    ZoomState,
    ZoomUser,
)

__all__ = [
    "ADMIN_REQUIRED_TEXT",
    "ConsentBlocked",
    "ConsentError",
    "authorize_page",
    "authorize_submit",
    "decide",
    "revoke_endpoint",
    "token_endpoint",
]

#: What Zoom shows a user whose admin has not approved the app (FACTS.md §1.7).
ADMIN_REQUIRED_TEXT = (
    "An account admin is required to install this type of app. Please contact your account "
    "admin or IT administrator to install this app."
)
_OAUTH_PARAMS = (
    "response_type",
    "client_id",
    "redirect_uri",
    "state",
    "code_challenge",
    "code_challenge_method",
)


def _admin_app(state: ZoomState, params: Mapping[str, str]) -> bool:
    """Whether the consent is for the admin-managed app."""
    return bool(state.admin_client_id) and params.get("client_id") == state.admin_client_id


def _check(state: ZoomState, params: Mapping[str, str]) -> None:
    if params.get("response_type") != "code":
        raise ConsentError("Zoom authorize: response_type must be 'code'")
    if params.get("client_id") != state.client_id and not _admin_app(state, params):
        raise ConsentError("Zoom authorize: invalid client_id (the app does not exist)")
    if params.get("redirect_uri") != state.redirect_uri:
        raise ConsentError("Zoom authorize: Redirect URI mismatch. (error 4709)")
    method = params.get("code_challenge_method")
    if method is not None and method not in ("S256", "plain"):
        raise ConsentError("Zoom authorize: code_challenge_method must be S256 or plain")
    if method is not None and not params.get("code_challenge"):
        raise ConsentError("Zoom authorize: code_challenge_method without code_challenge")


def decide(
    state: ZoomState, params: Mapping[str, str], user: ZoomUser, *, allow: bool
) -> dict[str, str]:
    """The user presses Allow or Deny; the query parameters Zoom redirects back with."""
    _check(state, params)
    if user.id not in state.users:
        raise ConsentError(f"Zoom authorize: unknown user {user.email}")
    account = user.account_id
    account_wide = _admin_app(state, params)
    if account_wide and user.role not in ("owner", "admin"):
        # An admin-managed app is installed for the whole account, by its owner or an admin.
        raise ConsentBlocked(f"Zoom keeps {user.email} on its page: {ADMIN_REQUIRED_TEXT}")
    if not account_wide and account in state.approval_required and account not in state.approved:
        raise ConsentBlocked(f"Zoom keeps {user.email} on its page: {ADMIN_REQUIRED_TEXT}")
    result: dict[str, str]
    if allow:
        code = state.token("zac_", 24)
        challenge = params.get("code_challenge") or None
        state.codes[code] = AuthCode(
            user_id=user.id,
            redirect_uri=params["redirect_uri"],
            challenge=challenge,
            method=params.get("code_challenge_method") or "plain",
            expires_at=state.now() + timedelta(seconds=CODE_SECONDS),
            account_wide=account_wide,
        )
        result = {"code": code}
    else:
        result = {"error": "access_denied"}
    if "state" in params:
        result["state"] = params["state"]
    return result


def _form(params: Mapping[str, str], users: list[ZoomUser], decision: str, label: str) -> str:
    return consent_form("/oauth/authorize", params, _OAUTH_PARAMS, users, decision, label)


def authorize_page(state: ZoomState, request: Incoming) -> Reply:
    """GET /oauth/authorize: the consent page with an Allow form and a Deny form."""
    params = dict(request.query)
    try:
        _check(state, params)
    except ConsentError as exc:
        return Reply.html(400, page("Zoom - Error", f"<p>{html.escape(str(exc))}</p>"))
    users = list(state.users.values())
    text = (
        "<p>This app would like to create and manage meetings on your behalf.</p>"
        + _form(params, users, "allow", "Allow")
        + _form(params, users, "deny", "Decline")
    )
    return Reply.html(200, page("Zoom - Authorize app", text))


_PAGES = ConsentPages(
    title="Zoom - Error",
    sign_in="Please sign in.",
    blocked=("Zoom - Approval required", ADMIN_REQUIRED_TEXT),
)


def authorize_submit(state: ZoomState, request: Incoming) -> wire.Reply:
    """POST /oauth/authorize (a consent form): 302 to the redirect URI, or an error page."""
    return submit_consent(
        request.form(with_query=True),
        state.users,
        _OAUTH_PARAMS,
        lambda params, user, allow: decide(state, params, user, allow=allow),
        accept="allow",
        pages=_PAGES,
    )


def _oauth_error(error: str, reason: str) -> Reply:
    return Reply.json(400, {"reason": reason, "error": error})


def _client(state: ZoomState, request: Incoming) -> bool | None:
    """Which registered app authenticated: False the user-managed one, True the
    admin-managed one, None neither."""
    given = basic_credentials(request)
    if given is None:
        return None
    apps = [(False, state.client_id, state.client_secret)]
    if state.admin_client_id:
        apps.append((True, state.admin_client_id, state.admin_client_secret))
    for account_wide, client_id, secret in apps:
        expected = f"{client_id}:{secret}"
        if hmac.compare_digest(":".join(given).encode("utf-8"), expected.encode("utf-8")):
            return account_wide
    return None


def _issue(
    state: ZoomState, user_id: str, grant_id: int, scopes: frozenset[str], account_wide: bool
) -> Reply:
    now = state.now()
    access = state.token("zat_", 48)
    refresh = state.token("zrt_", 48)
    expires = now + timedelta(seconds=ACCESS_TOKEN_SECONDS)
    state.access[access] = AccessToken(
        user_id=user_id,
        grant_id=grant_id,
        expires_at=expires,
        scopes=scopes,
        account_wide=account_wide,
    )
    state.refresh[refresh] = RefreshGrant(
        user_id=user_id, grant_id=grant_id, scopes=scopes, issued_at=now, account_wide=account_wide
    )
    return Reply.json(
        200,
        {
            "access_token": access,
            "token_type": "bearer",
            "refresh_token": refresh,
            "expires_in": ACCESS_TOKEN_SECONDS - 1,
            "scope": " ".join(sorted(scopes)),
            "api_url": "https://api.zoom.us",
        },
    )


def token_endpoint(state: ZoomState, request: Incoming) -> Reply:
    """POST /oauth/token: authorization_code and refresh_token grants, Basic client auth."""
    account_wide = _client(state, request)
    if account_wide is None:
        return _oauth_error("invalid_client", "Invalid client_id or client_secret")
    fields = request.form(with_query=True)
    grant_type = fields.get("grant_type")
    if grant_type == "authorization_code":
        code = state.codes.pop(fields.get("code", ""), None)  # single use, even when it fails
        if code is None or state.now() >= code.expires_at or code.account_wide != account_wide:
            return _oauth_error("invalid_request", "Invalid authorization code")
        if fields.get("redirect_uri") != code.redirect_uri:
            return _oauth_error("invalid_request", "Redirect URI mismatch.")
        if not pkce_ok(code.challenge, code.method, fields.get("code_verifier")):
            return _oauth_error("invalid_grant", "Invalid code_verifier")
        grant_id = state.next_grant
        state.next_grant += 1
        # The token carries the scopes the app has now (changing them needs a new consent);
        # the admin-managed app's are the same granular scopes ending in ":admin".
        scopes = frozenset(f"{s}:admin" for s in state.scopes) if account_wide else state.scopes
        return _issue(state, code.user_id, grant_id, scopes, account_wide)
    if grant_type == "refresh_token":
        token = fields.get("refresh_token", "")
        held = state.refresh.get(token)
        if held is not None and held.account_wide != account_wide:
            held = None  # another app's refresh token: not this client's to use
        else:
            state.refresh.pop(token, None)  # rotation: dies now
        if held is None or state.now() - held.issued_at >= state.refresh_idle:
            return _oauth_error("invalid_grant", "Invalid Token!")  # unknown, used or idle
        return _issue(state, held.user_id, held.grant_id, held.scopes, account_wide)
    if not grant_type:
        return _oauth_error("invalid_request", "Missing grant type")
    return _oauth_error("unsupported_grant_type", "Grant type is not supported")


def revoke_endpoint(state: ZoomState, request: Incoming) -> Reply:
    """POST /oauth/revoke with a live access token, as Zoom documents it (FACTS.md §1.5):
    the whole grant dies (its access and refresh tokens). Anything else (a refresh token,
    an expired or unknown access token) is "Invalid Token!" and revokes nothing; what Zoom
    does there is unconfirmed, so the emulator takes the strict reading."""
    account_wide = _client(state, request)
    if account_wide is None:
        return _oauth_error("invalid_client", "Invalid client_id or client_secret")
    held = state.access.get(request.form(with_query=True).get("token", ""))
    if held is None or state.now() >= held.expires_at or held.account_wide != account_wide:
        return _oauth_error("invalid_request", "Invalid Token!")
    state.revoke_grant(held.grant_id)
    return Reply.json(200, {"status": "success"})
