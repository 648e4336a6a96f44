"""The OAuth authorization server pieces every emulated provider shares (RFC 6749, RFC 7636):
PKCE verification, HTTP Basic client credentials, the consent page and its forms, and the
redirect back to the app. Each provider keeps its own checks, codes and error bodies.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import html
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Protocol, TypeVar

import attrs

from meetlink.errors import AdminApprovalRequired

from .wire import Incoming, Reply

__all__ = [
    "ConsentBlocked",
    "ConsentError",
    "ConsentPages",
    "SignedInUser",
    "basic_credentials",
    "consent_form",
    "page",
    "pkce_ok",
    "signed_in",
    "submit_consent",
]


class ConsentError(Exception):
    """The provider's sign-in page refused the request itself (an unknown app, a redirect
    URI mismatch, a bad PKCE method...): it shows an error page and never redirects back."""


class ConsentBlocked(ConsentError, AdminApprovalRequired):
    """An administrator must approve the app first (Zoom Pre-Approval, Microsoft's "Need
    admin approval"): the provider keeps the user on its own page. It is also meetlink's
    [`AdminApprovalRequired`][meetlink.errors.AdminApprovalRequired], so a host test can expect
    either."""


class SignedInUser(Protocol):
    """**Protocol:** a user the consent page offers to sign in as."""

    @property
    def id(self) -> str: ...

    @property
    def email(self) -> str: ...


U = TypeVar("U", bound=SignedInUser)


def pkce_ok(challenge: str | None, method: str, verifier: str | None) -> bool:
    """Whether ``verifier`` answers the code's ``challenge`` (``S256`` or ``plain``); a code
    without a challenge needs none."""
    if challenge is None:
        return True
    if not verifier:
        return False
    if method == "S256":
        digest = hashlib.sha256(verifier.encode("ascii", "replace")).digest()
        computed = base64.urlsafe_b64encode(digest).decode("ascii").rstrip("=")
    else:
        computed = verifier
    return hmac.compare_digest(computed.encode("utf-8"), challenge.encode("utf-8"))


def basic_credentials(request: Incoming) -> tuple[str, str] | None:
    """``(client_id, secret)`` from an ``Authorization: Basic`` header; None without one;
    ``("", "")`` when it does not decode."""
    header = request.headers.get("authorization", "")
    if not header.lower().startswith("basic "):
        return None
    try:
        decoded = base64.b64decode(header[6:].strip(), validate=True).decode("utf-8")
    except (ValueError, UnicodeDecodeError):
        return "", ""
    client_id, _, secret = decoded.partition(":")
    return client_id, secret


def page(title: str, body: str) -> str:
    """A minimal HTML page of the provider's sign-in site."""
    return (
        "<!DOCTYPE html><html><head><meta charset='utf-8'>"
        f"<title>{html.escape(title)}</title></head><body><h1>{html.escape(title)}</h1>"
        f"{body}</body></html>"
    )


def consent_form(
    action: str,
    params: Mapping[str, str],
    names: Sequence[str],
    users: Iterable[SignedInUser],
    decision: str,
    label: str,
) -> str:
    """A form that posts the request's ``names`` parameters back to ``action`` with the
    user's ``decision`` (a field) and who is signed in (``user_id``): the form a browser
    submits, and what a test may POST directly (docs/testing.md)."""
    hidden = "".join(
        f'<input type="hidden" name="{n}" value="{html.escape(params[n])}">'
        for n in names
        if n in params
    )
    options = "".join(
        f'<option value="{html.escape(u.id)}">{html.escape(u.email)}</option>' for u in users
    )
    return (
        f'<form id="{decision}" method="post" action="{html.escape(action)}">{hidden}'
        f'<input type="hidden" name="decision" value="{decision}">'
        f'<label>Signed in as <select name="user_id">{options}</select></label> '
        f'<button type="submit">{label}</button></form>'
    )


def signed_in(users: Mapping[str, U], fields: Mapping[str, str]) -> U | None:
    """The user a consent form names: by ``user_id`` (what the page's form sends) or by
    ``email`` (what a test may send instead), or None."""
    found = users.get(fields.get("user_id", ""))
    email = fields.get("email", "").lower()
    if found is None and email:
        found = next((u for u in users.values() if u.email.lower() == email), None)
    return found


@attrs.frozen
class ConsentPages:
    """What a provider's sign-in site shows when a consent form cannot go through: a page
    title, the text without a signed-in user, and the text for an administrator's approval
    (None: a ConsentBlocked is shown like any refusal)."""

    title: str
    sign_in: str
    blocked: tuple[str, str] | None = None  # (title, text) of the admin-approval page

    def refused(self, error: ConsentError) -> Reply:
        """The page for a refused request (403 for an admin approval, else 400)."""
        if isinstance(error, ConsentBlocked) and self.blocked is not None:
            title, text = self.blocked
            return Reply.html(403, page(title, f"<p>{html.escape(text)}</p>"))
        return Reply.html(400, page(self.title, f"<p>{html.escape(str(error))}</p>"))


def submit_consent(
    fields: Mapping[str, str],
    users: Mapping[str, U],
    names: Sequence[str],
    decide: Callable[[Mapping[str, str], U, bool], dict[str, str]],
    *,
    accept: str,
    pages: ConsentPages,
) -> Reply:
    """A posted consent form: the user it names (``user_id`` or ``email``) answers with
    ``decision`` (``accept``: yes); the 302 back to the app with what ``decide`` says, or
    the provider's own page when the request cannot go through."""
    user = signed_in(users, fields)
    if user is None:
        return Reply.html(400, page(pages.title, f"<p>{html.escape(pages.sign_in)}</p>"))
    params = {k: fields[k] for k in names if k in fields}
    try:
        result = decide(params, user, fields.get("decision") == accept)
    except ConsentError as exc:
        return pages.refused(exc)
    return Reply.redirect(params["redirect_uri"], result)
