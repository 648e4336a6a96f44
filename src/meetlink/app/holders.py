"""Who manages a provider account's meetings: the active link that holds the account, or,
for a provider that needs no link (``Capabilities.needs_link`` False: no OAuth, e.g. Jitsi-
like rooms), the host user themself.

A conference is hosted by a provider account (DESIGN 4.1). For a provider without accounts
the "account" of a conference is its owner's user id inside the conference's tenant, and it
is always held: nobody links, unlinks or loses it, so its conferences are never DETACHED.
The holder is then a link record made up here and never stored (no tokens: the provider's
methods get an empty access token, see
[`meetlink.app.tokens.TokenKeeper.call`][meetlink.app.tokens.TokenKeeper.call]).

User ids are the host's ids inside one tenant: every lookup by a user takes the tenant.

Organisation links (docs/org-install.md): a tenant's organisation link serves the users whose
directory address the host gave (``DirectoryRepository``). A user's own link wins: the
organisation serves a user only while they have no active link of their own to the
provider, and only a provider user that no user link holds (in any tenant: a provider
account is held once, S8). The holder of a served user's meetings is made up here from the
organisation link (its id and tokens) with ``acting_for`` the provider user (or, while the
address is unresolved or names nobody, the address itself, which the provider then refuses
or resolves: Zoom takes an email where a user id goes).
"""

from __future__ import annotations

from datetime import UTC, datetime

import attrs

from meetlink.app.registry import ProviderRegistry
from meetlink.domain.links import ORGANISATION_USER, DirectoryEntry, LinkRecord
from meetlink.ports.storage import UnitOfWork

__all__ = [
    "LookupFirst",
    "holder",
    "lookup_due",
    "organisation_link",
    "owner_link",
    "served",
    "served_accounts",
]


class LookupFirst(Exception):
    """Raised inside a save's unit of work (which then rolls back) when the owner is served
    by an organisation link and their directory address is due a lookup at the provider:
    the caller looks it up with no transaction open and saves again."""

    def __init__(self, organisation: LinkRecord, entry: DirectoryEntry) -> None:
        super().__init__(f"look up {entry.address!r} first")
        self.organisation = organisation
        self.entry = entry


_ALWAYS = datetime(1970, 1, 1, tzinfo=UTC)


def holder(
    uow: UnitOfWork, providers: ProviderRegistry, provider: str, account: str, *, tenant_id: str
) -> LinkRecord | None:
    """What may manage the meetings of ``account`` at ``provider`` now, or None.
    ``tenant_id``: the tenant of the conference or work that asks (a provider account is
    held in one tenant or another; a linkless provider's account is a user of this one)."""
    if _linkless(providers, provider):
        return _self_held(provider, tenant_id, account)
    return uow.links.active_for_account(provider, account) or served(
        uow, tenant_id, provider, account
    )


def owner_link(
    uow: UnitOfWork, providers: ProviderRegistry, tenant_id: str, user_id: str, provider: str
) -> LinkRecord | None:
    """The active link of the tenant's user to ``provider`` (for a provider that needs no
    link, the user holds their own meetings), or None."""
    if _linkless(providers, provider):
        return _self_held(provider, tenant_id, user_id)
    own = uow.links.active_for_user(tenant_id, user_id, provider)
    if own is not None:
        return own  # a user's own link wins
    org = organisation_link(uow, tenant_id, provider)
    if org is None:
        return None
    entry = uow.directory.get(tenant_id, provider, user_id)
    if entry is None:
        return None
    account = _account_of(entry)
    held = uow.links.active_for_account(provider, account)
    if held is not None:
        return None  # another user's own link holds the account: not the organisation's
    return _acting(org, entry)


def lookup_due(
    uow: UnitOfWork, holder: LinkRecord, now: datetime, ttl_seconds: float
) -> LookupFirst | None:
    """For a holder made up from an organisation link (``acting_for`` set): the lookup its
    user's directory address is due (never looked up, or longer ago than the TTL), or
    None. Other holders: None, without a query."""
    if holder.acting_for is None:
        return None
    entry = uow.directory.get(holder.tenant_id, holder.provider, holder.user_id)
    org = organisation_link(uow, holder.tenant_id, holder.provider)
    if entry is None or org is None or entry.fresh(now, ttl_seconds):
        return None
    return LookupFirst(org, entry)


def organisation_link(uow: UnitOfWork, tenant_id: str, provider: str) -> LinkRecord | None:
    """The tenant's active organisation link to ``provider``, or None."""
    return uow.links.active_for_user(tenant_id, ORGANISATION_USER, provider)


def served(uow: UnitOfWork, tenant_id: str, provider: str, account: str) -> LinkRecord | None:
    """The holder of ``account`` made up from the tenant's organisation link, when that
    link is active and serves the account (a user's directory entry resolved to it, or an
    entry's address is it: a meeting made while the address was unresolved is recorded
    under the address, and stays the organisation's once a lookup resolves it), or None."""
    org = organisation_link(uow, tenant_id, provider)
    if org is None:
        return None
    entries = uow.directory.by_account(tenant_id, provider, account)
    if not entries:  # then by address (the tenant's own few entries)
        entries = [e for e in uow.directory.of_tenant(tenant_id, provider) if e.address == account]
    return _acting(org, entries[0]) if entries else None


def served_accounts(uow: UnitOfWork, tenant_id: str, provider: str) -> list[str]:
    """Every account the tenant's organisation link may serve: its directory entries'
    provider users, and their addresses (under which a meeting made while an address was
    unresolved is recorded)."""
    entries = uow.directory.of_tenant(tenant_id, provider)
    return sorted({_account_of(e) for e in entries} | {e.address for e in entries})


def _account_of(entry: DirectoryEntry) -> str:
    return entry.external_account_id or entry.address


def _acting(org: LinkRecord, entry: DirectoryEntry) -> LinkRecord:
    """The organisation link acting for ``entry``'s user (never stored)."""
    account = _account_of(entry)
    return attrs.evolve(
        org,
        user_id=entry.user_id,
        external_account_id=account,
        email=entry.address,
        acting_for=account,
    )


def _linkless(providers: ProviderRegistry, key: str) -> bool:
    found = providers.find(key)
    return found is not None and not found.capabilities.needs_link


def _self_held(provider: str, tenant_id: str, user_id: str) -> LinkRecord:
    return LinkRecord(
        id=f"{provider}:{user_id}",
        user_id=user_id,
        tenant_id=tenant_id,
        provider=provider,
        external_account_id=user_id,
        account_id="",
        email="",
        plan="licensed",
        linked_at=_ALWAYS,
    )
