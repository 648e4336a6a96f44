"""Consent at Microsoft without I/O: the admin consent URL, and what an OAuth callback's
error parameters mean (FACTS.md §1.3, §1.7, §1.8).

Reading a callback that carried ``error`` (AADSTS codes come in ``error_description``;
MSAL maps ``error_subcode=cancel`` to "the user cancelled")::

    AADSTS65004 (declined consent)                       -> LinkDenied
    AADSTS90094 / 90095 / 65001 / 90008 (needs an admin)  -> AdminApprovalRequired
    access_denied, error_subcode=cancel, no AADSTS code  -> AdminApprovalRequired: the way
        back from "Need admin approval" ("Return to the application without granting
        consent"); a Cancel on the consent prompt itself carries AADSTS65004
    anything else                                        -> the plain OAuth reading

Every AdminApprovalRequired carries the admin consent URL to hand to an administrator.
"""

from __future__ import annotations

import re
from urllib.parse import quote, urlencode

from meetlink.adapters.oauth_callback import oauth_link_error
from meetlink.errors import AdminApprovalRequired, LinkDenied, LinkError

__all__ = ["ADMIN_CODES", "DECLINED_CODES", "admin_consent_url", "graph_scopes", "link_error"]

GRAPH = "https://graph.microsoft.com"
#: AADSTS codes meaning an administrator must consent first (FACTS.md §1.7).
ADMIN_CODES = frozenset({90094, 90095, 65001, 90008})
#: AADSTS codes meaning the user said no (FACTS.md §1.3, §1.7).
DECLINED_CODES = frozenset({65004})
_OIDC = frozenset({"openid", "profile", "offline_access", "email"})
_AADSTS = re.compile(r"AADSTS(\d{4,7})")
_ORG_ONLY = frozenset({"common", "consumers"})


def graph_scopes(scope: str) -> str:
    """The Graph permissions in a delegated ``scope`` string, as full URIs (the OIDC scopes
    need no consent and are dropped): what admin consent is asked for."""
    wanted = [s for s in scope.split() if s not in _OIDC]
    return " ".join(s if "://" in s else f"{GRAPH}/{s}" for s in wanted)


def admin_consent_url(
    authority: str,
    tenant: str,
    *,
    client_id: str,
    redirect_uri: str,
    scope: str,
    state: str | None = None,
) -> str:
    """``{authority}/{tenant}/v2.0/adminconsent?...`` (FACTS.md §1.8). ``common`` (and
    ``consumers``) cannot take admin consent: ``organizations`` is used instead, and Entra
    asks the administrator to sign in to their own organisation."""
    segment = "organizations" if tenant.lower() in _ORG_ONLY else tenant
    params = {"client_id": client_id, "scope": graph_scopes(scope), "redirect_uri": redirect_uri}
    if state:
        params["state"] = state
    base = f"{authority.rstrip('/')}/{quote(segment, safe='')}/v2.0/adminconsent"
    return f"{base}?{urlencode(params, quote_via=quote)}"


def link_error(
    error: str, description: str | None, subcode: str | None, *, admin_url: str
) -> LinkError:
    """The typed error for an Entra callback that carried ``error`` (table above)."""
    codes = {int(c) for c in _AADSTS.findall(description or "")}
    if codes & DECLINED_CODES:
        return LinkDenied("the user declined to consent at Microsoft (AADSTS65004)")
    if codes & ADMIN_CODES:
        found = ", ".join(f"AADSTS{c}" for c in sorted(codes & ADMIN_CODES))
        return AdminApprovalRequired(
            f"an administrator of the Microsoft organisation must approve the app ({found})",
            admin_consent_url=admin_url,
        )
    if error == "access_denied" and (subcode or "").lower() == "cancel" and not codes:
        return AdminApprovalRequired(
            "the user came back from Microsoft without consenting, as from the 'Need admin"
            " approval' page: an administrator of the organisation must approve the app",
            admin_consent_url=admin_url,
        )
    plain = oauth_link_error(error, provider_name="Microsoft")
    if isinstance(plain, AdminApprovalRequired):
        return AdminApprovalRequired(str(plain), admin_consent_url=admin_url)
    return plain
