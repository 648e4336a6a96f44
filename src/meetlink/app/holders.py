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
"""

from __future__ import annotations

from datetime import UTC, datetime

from meetlink.app.registry import ProviderRegistry
from meetlink.domain.links import LinkRecord
from meetlink.ports.storage import UnitOfWork

__all__ = ["holder", "owner_link"]

_ALWAYS = datetime(1970, 1, 1, tzinfo=UTC)


def holder(
    uow: UnitOfWork, providers: ProviderRegistry, provider: str, account: str, *, tenant_id: str
) -> LinkRecord | None:
    """What may manage the meetings of ``account`` at ``provider`` now, or None.
    ``tenant_id``: the tenant of the conference or work that asks (a provider account is
    held in one tenant or another; a linkless provider's account is a user of this one)."""
    if _linkless(providers, provider):
        return _self_held(provider, tenant_id, account)
    return uow.links.active_for_account(provider, account)


def owner_link(
    uow: UnitOfWork, providers: ProviderRegistry, tenant_id: str, user_id: str, provider: str
) -> LinkRecord | None:
    """The active link of the tenant's user to ``provider`` (for a provider that needs no
    link, the user holds their own meetings), or None."""
    if _linkless(providers, provider):
        return _self_held(provider, tenant_id, user_id)
    return uow.links.active_for_user(tenant_id, user_id, provider)


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
