"""Account links between host users and provider accounts (S6-S10, S15, S16, S24).

A host user is ``(tenant_id, user_id)``: user ids are the host's ids inside one tenant, so
user ``1`` of two tenants are two users. Invariants over all links of one provider:
- at most one active link per host user, i.e. per ``(tenant_id, user_id)`` (S7);
- at most one active link per external account, across every tenant (S8, S24).
Linking an external account that another user holds (of any tenant) moves it: the other user
is unlinked with reason TAKEN_OVER and nothing is revoked at the provider (S9).
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from datetime import datetime

import attrs

from meetlink.errors import CredentialError

__all__ = [
    "ORGANISATION_USER",
    "AccountLink",
    "DirectoryEntry",
    "LinkPlan",
    "LinkRecord",
    "OrganisationLink",
    "TokenSet",
    "UnlinkReason",
    "organisation_account",
    "plan_link",
    "violations",
]

#: The user id of an organisation link (one admin grant that serves a whole tenant): a link
#: like a user's, stored and refreshed the same way, whose "user" is the tenant's organisation.
#: No host user can have it (an empty id is refused everywhere a host passes one).
ORGANISATION_USER = ""


def organisation_account(account_id: str) -> str:
    """The external account key of an organisation link for the provider organisation
    ``account_id`` (Zoom account id, Entra tenant id): apart from every user account, so an
    organisation and its admin's own user link never collide, and one organisation is linked
    to one tenant at a time (S8, S9 as for a user account)."""
    return f"organisation:{account_id}"


@attrs.frozen(kw_only=True)
class TokenSet:
    """OAuth tokens for one link. Opaque to the rules; never shown in reprs or logs."""

    access_token: str = attrs.field(repr=False)
    refresh_token: str = attrs.field(repr=False)
    expires_at: datetime
    scope: str = ""

    def expired(self, now: datetime, margin_seconds: int = 60) -> bool:
        """True when the access token is (about to be) expired."""
        return (self.expires_at - now).total_seconds() <= margin_seconds


class UnlinkReason(enum.Enum):
    """Why a link stopped being active."""

    USER = "user"  # S15: personal settings -> "Unlink Zoom"
    PROVIDER_REMOVED = "provider_removed"  # S16: "Remove App" -> deauthorization webhook
    TAKEN_OVER = "taken_over"  # S9: another host user linked the same external account
    RELINKED = "relinked"  # the same host user linked another external account (S7)
    GRANT_REVOKED = "grant_revoked"  # refresh answered invalid_grant


@attrs.frozen
class AccountLink:
    """The public view of an active link (S10: "Web conference integration: enabled")."""

    user_id: str
    tenant_id: str
    provider: str
    external_account_id: str
    email: str
    plan: str
    linked_at: datetime


@attrs.frozen(kw_only=True)
class LinkRecord:
    """A link as storage keeps it, active or historical.

    ``credential_error`` says why the store could not read the stored tokens (a wrong or
    missing encryption key); ``tokens`` is then None. Everything else of the link reads fine,
    so it can still be unlinked, replaced or removed (the tokens are then forgotten unread);
    only a call that needs the tokens fails, through
    [`readable_tokens`][meetlink.domain.links.LinkRecord.readable_tokens].
    """

    id: str
    user_id: str
    tenant_id: str
    provider: str
    external_account_id: str
    account_id: str
    email: str
    plan: str
    linked_at: datetime
    tokens: TokenSet | None = attrs.field(default=None, repr=False)
    token_version: int = 0
    active: bool = True
    unlinked_at: datetime | None = None
    unlink_reason: UnlinkReason | None = None
    reauth_required: bool = False
    credential_error: str | None = None
    # Single-flight token refresh across processes: set while one worker refreshes (DESIGN 4).
    refresh_lease_until: datetime | None = None
    # When the stored refresh token was issued, i.e. last used: providers rotate it at each
    # refresh and let it die after 90 idle days (Zoom, Microsoft); keep-alive refreshes the
    # links whose token has idled for ``token_keepalive``. None once the link ended.
    refreshed_at: datetime | None = None
    # Set on a holder made up for a user served by an organisation link (never stored): the
    # provider user id (or directory address) the organisation's token acts for; ``id`` and
    # ``tokens`` are then the organisation link's.
    acting_for: str | None = None

    @property
    def is_organisation(self) -> bool:
        """Whether this is an organisation link (its user is the tenant's organisation)."""
        return self.user_id == ORGANISATION_USER

    def readable_tokens(self) -> TokenSet | None:
        """The tokens; [`CredentialError`][meetlink.errors.CredentialError] when the store could not
        read them."""
        if self.credential_error is not None:
            raise CredentialError(self.credential_error)
        return self.tokens

    @property
    def user_key(self) -> tuple[str, str]:
        """The host user this link is for: ``(tenant_id, user_id)``."""
        return (self.tenant_id, self.user_id)

    def public(self) -> AccountLink:
        """The host-facing view."""
        return AccountLink(
            user_id=self.user_id,
            tenant_id=self.tenant_id,
            provider=self.provider,
            external_account_id=self.external_account_id,
            email=self.email,
            plan=self.plan,
            linked_at=self.linked_at,
        )

    def ended(self, reason: UnlinkReason, now: datetime) -> LinkRecord:
        """This link, made inactive; tokens are forgotten (readable or not). A grant the
        provider refused needs the user to link again (``reauth_required``)."""
        return attrs.evolve(
            self,
            active=False,
            unlinked_at=now,
            unlink_reason=reason,
            tokens=None,
            credential_error=None,
            refresh_lease_until=None,
            refreshed_at=None,
            reauth_required=reason is UnlinkReason.GRANT_REVOKED,
        )

    def refresh_claimable(self, now: datetime) -> bool:
        """Whether a worker may take the refresh lease now (nobody holds it, or its holder
        ran out of time: it died or hangs)."""
        return self.active and (self.refresh_lease_until is None or self.refresh_lease_until <= now)

    def lease_refresh(self, until: datetime) -> LinkRecord:
        """This link with the refresh lease held until ``until``."""
        return attrs.evolve(self, refresh_lease_until=until)

    def release_refresh(self) -> LinkRecord:
        """This link with the refresh lease let go (the refresh failed; tokens unchanged)."""
        return attrs.evolve(self, refresh_lease_until=None)


@attrs.frozen(kw_only=True)
class OrganisationLink:
    """The public view of a tenant's active organisation link: one admin grant at the
    provider serves every user of the tenant whose directory address the organisation knows
    (docs/org-install.md). ``account_id``: the provider organisation (Zoom account id, Entra
    tenant id); ``admin_email``: who granted it."""

    tenant_id: str
    provider: str
    account_id: str
    admin_email: str
    linked_at: datetime


@attrs.frozen(kw_only=True)
class DirectoryEntry:
    """A user's address in the provider's directory (Zoom: the email of their Zoom user;
    Microsoft: their UPN), as the host set it, and what the organisation link found for it.
    ``external_account_id``: the provider user it resolved to (None: not resolved yet, or
    not in the organisation); ``found``: the last lookup found the user; ``resolved_at``:
    when (None: never looked up). A lookup is used for ``org_lookup_ttl`` and then asked
    again."""

    tenant_id: str
    provider: str
    user_id: str
    address: str
    external_account_id: str | None = None
    found: bool = False
    resolved_at: datetime | None = None

    def fresh(self, now: datetime, ttl_seconds: float) -> bool:
        """Whether the last lookup may still be used at ``now``."""
        if self.resolved_at is None:
            return False
        age = (now - self.resolved_at).total_seconds()
        return 0 <= age < ttl_seconds


@attrs.frozen
class LinkPlan:
    """What completing a link changes: links to end (with why), and the new link."""

    ended: tuple[LinkRecord, ...]
    new: LinkRecord


def plan_link(
    new: LinkRecord,
    held_by_user: LinkRecord | None,
    held_by_account: LinkRecord | None,
    now: datetime,
) -> LinkPlan:
    """Decide the moves for linking ``new`` (active) given the current active links.

    ``held_by_user`` is the user's (``new.tenant_id``, ``new.user_id``) active link for that
    provider; ``held_by_account`` is the active link holding ``new.external_account_id``, in
    any tenant. The result keeps both invariants.
    """
    ended: list[LinkRecord] = []
    if held_by_account is not None and held_by_account.user_key != new.user_key:
        ended.append(held_by_account.ended(UnlinkReason.TAKEN_OVER, now))  # S9
    if held_by_user is not None and held_by_user.id not in {e.id for e in ended}:
        # S7: one account per user; re-linking (same or another account) replaces the old link.
        ended.append(held_by_user.ended(UnlinkReason.RELINKED, now))
    return LinkPlan(ended=tuple(ended), new=new)


def violations(links: Iterable[LinkRecord]) -> list[str]:
    """Every broken invariant among ``links`` (empty when S7/S8 hold)."""
    seen_user: dict[tuple[str, str, str], str] = {}
    seen_account: dict[tuple[str, str], str] = {}
    problems: list[str] = []
    for link in links:
        if not link.active:
            continue
        user_key = (link.provider, link.tenant_id, link.user_id)
        account_key = (link.provider, link.external_account_id)
        if user_key in seen_user:
            problems.append(
                f"user {link.user_id} of {link.tenant_id} has two active {link.provider} links"
            )
        if account_key in seen_account:
            problems.append(f"account {link.external_account_id} is linked to two users")
        seen_user[user_key] = link.id
        seen_account[account_key] = link.id
    return problems
