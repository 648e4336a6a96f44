"""An OAuth callback's ``error`` parameter (RFC 6749 §4.1.2.1) as meetlink's typed LinkError.

Adapters whose provider says more (Microsoft's AADSTS codes and ``error_subcode``) read that
first and fall back to this table for the plain OAuth values.
"""

from __future__ import annotations

from meetlink.errors import AdminApprovalRequired, LinkDenied, LinkError

__all__ = ["ADMIN_APPROVAL_ERRORS", "oauth_link_error"]

#: OAuth ``error`` values meaning "an administrator must approve this app first" (S23).
ADMIN_APPROVAL_ERRORS = frozenset(
    {"admin_approval_required", "consent_required", "admin_consent_required"}
)


def oauth_link_error(error: str, *, provider_name: str) -> LinkError:
    """``access_denied`` -> LinkDenied; an admin-approval value -> AdminApprovalRequired;
    anything else -> LinkError naming the value (cut to 100 characters)."""
    if error == "access_denied":
        return LinkDenied(f"the user denied the authorization at {provider_name}")
    if error in ADMIN_APPROVAL_ERRORS:
        return AdminApprovalRequired(
            f"the {provider_name} account's administrator must approve the app"
        )
    return LinkError(f"{provider_name} refused the authorization: {error[:100]}")
