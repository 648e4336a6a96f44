"""The emulator's admin consent endpoint: ``/{tenant}/v2.0/adminconsent`` and the legacy
``/{tenant}/adminconsent`` (FACTS.md §1.8). An administrator of the tenant approves the app
for everyone in it; Entra then redirects back with
``admin_consent=True&tenant=<guid>&scope=...&state=...``, or, when the admin declines,
``error=access_denied`` with AADSTS65004 and no tenant. ``common`` and ``consumers`` are not
accepted (admin consent is for one organisation); a non-administrator gets AADSTS90094.
"""

from __future__ import annotations

import html
from collections.abc import Mapping

import attrs

from meetlink.emulators.core.oauth import ConsentError, consent_form, page, submit_consent

from .identity import DECLINED, PAGES, check_app
from .state import Incoming, Reply, TeamsState, TeamsUser

__all__ = ["admin_consent_page", "admin_consent_submit", "decide_admin"]

_PARAMS = ("client_id", "redirect_uri", "scope", "state")


def decide_admin(
    state: TeamsState,
    segment: str,
    params: Mapping[str, str],
    admin: TeamsUser,
    *,
    allow: bool,
) -> dict[str, str]:
    """The administrator's choice: the query parameters of the redirect back."""
    check_app(state, params)
    if admin.id not in state.users:
        raise ConsentError(f"unknown user {admin.email}")
    lowered = segment.lower()
    if lowered in ("common", "consumers"):
        raise ConsentError(f"admin consent needs an organisation: /{segment} is not accepted")
    tenant = state.tenant_of_segment(segment)
    if admin.personal or (tenant is not None and tenant != admin.tenant_id):
        raise ConsentError(f"AADSTS90002: the user is not in tenant {segment}")
    if not admin.admin:
        raise ConsentError("AADSTS90094: The grant requires admin permission.")
    result: dict[str, str]
    if allow:
        state.admin_consented.add(admin.tenant_id)
        result = {"admin_consent": "True", "tenant": admin.tenant_id}
        if "scope" in params:
            result["scope"] = params["scope"]
    else:
        result = {"error": "access_denied", "error_description": DECLINED}
    if "state" in params:
        result["state"] = params["state"]
    return result


def admin_consent_page(state: TeamsState, request: Incoming, segment: str) -> Reply:
    """GET: "Permissions requested - Accept for your organization"."""
    params = dict(request.query)
    try:
        check_app(state, params)
    except ConsentError as exc:
        return Reply.html(400, page("Sign in to your account", f"<p>{html.escape(str(exc))}</p>"))
    admins = [u for u in state.users.values() if u.admin]
    text = (
        "<p>meetlink needs permission to sign in users and to read and create their online"
        " meetings, for everyone in your organization.</p>"
        + consent_form(request.path, params, _PARAMS, admins, "accept", "Accept")
        + consent_form(request.path, params, _PARAMS, admins, "cancel", "Cancel")
    )
    return Reply.html(200, page("Permissions requested - Accept for your organization", text))


def admin_consent_submit(state: TeamsState, request: Incoming, segment: str) -> Reply:
    """POST of the admin consent form: 302 back to the app, or Entra's own error page (a
    refusal of an administrator's consent is shown as it is, never as "Need admin
    approval")."""
    return submit_consent(
        request.form(),
        state.users,
        _PARAMS,
        lambda params, admin, allow: decide_admin(state, segment, params, admin, allow=allow),
        accept="accept",
        pages=attrs.evolve(PAGES, blocked=None),
    )
