"""An OAuth callback's ``error`` parameter (RFC 6749 §4.1.2.1) as meetlink's typed LinkError.

Adapters whose provider says more (Microsoft's AADSTS codes and ``error_subcode``) read that
first and fall back to this table for the plain OAuth values.
"""

from __future__ import annotations

import re

from meetlink.errors import AdminApprovalRequired, LinkDenied, LinkError

__all__ = ["ADMIN_APPROVAL_ERRORS", "oauth_link_error"]

#: OAuth ``error`` values meaning "an administrator must approve this app first" (S23).
ADMIN_APPROVAL_ERRORS = frozenset(
    {"admin_approval_required", "consent_required", "admin_consent_required"}
)
# An error code as RFC 6749 spells them. The value comes from the callback's query string
# (anyone can put CR/LF or HTML there): anything else is not repeated in the message.
_ERROR_CODE = re.compile(r"[A-Za-z0-9_.-]{1,64}")


def oauth_link_error(error: str, *, provider_name: str) -> LinkError:
    """``access_denied`` -> LinkDenied; an admin-approval value -> AdminApprovalRequired;
    anything else -> LinkError naming the value when it looks like an OAuth error code."""
    if error == "access_denied":
        return LinkDenied(f"the user denied the authorization at {provider_name}")
    if error in ADMIN_APPROVAL_ERRORS:
        return AdminApprovalRequired(
            f"the {provider_name} account's administrator must approve the app"
        )
    shown = error if _ERROR_CODE.fullmatch(error) else "an unrecognised error"
    return LinkError(f"{provider_name} refused the authorization: {shown}")
