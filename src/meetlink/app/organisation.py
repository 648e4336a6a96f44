"""Organisation links: one admin grant serves every user of a tenant (docs/org-install.md).

An organisation link is stored as a link whose user is the tenant's organisation
([`ORGANISATION_USER`][meetlink.domain.links.ORGANISATION_USER]) and whose account is the
provider organisation (``organisation:<id>``): encrypted tokens, single-flight refresh,
keep-alive, revoke and unlink are the user links' own (``linking.py``, ``tokens.py``), and one
organisation is linked to one tenant at a time (S8, S9 as for an account). The host tells
meetlink each user's address in the provider's directory
([`set_directory_address`][meetlink.app.facade.MeetLink.set_directory_address]). A save whose
owner the organisation serves and whose address is due a lookup rolls its unit of work back;
the address is looked up with the organisation's token (no transaction open) and kept in the
directory for ``org_lookup_ttl`` (shared by every process); the save runs again, and the
meeting is created for that provider user (``holders.py``). A user's own link, when present,
wins. A save of a linked user costs no statement more.
"""

from __future__ import annotations

import logging
from typing import cast

import attrs

from meetlink.app import holders
from meetlink.app.context import AppContext
from meetlink.app.linking import Linking, new_link
from meetlink.app.tokens import TokenKeeper
from meetlink.domain.links import (
    ORGANISATION_USER,
    DirectoryEntry,
    LinkRecord,
    OrganisationLink,
    organisation_account,
)
from meetlink.domain.results import LinkRequest
from meetlink.errors import LinkError, MeetLinkError
from meetlink.ports.provider import OrganisationProvider
from meetlink.ports.storage import UnitOfWork

__all__ = ["Organisations", "public"]

log = logging.getLogger("meetlink.organisation")


def public(link: LinkRecord) -> OrganisationLink:
    """The host-facing view of an organisation link."""
    return OrganisationLink(
        tenant_id=link.tenant_id,
        provider=link.provider,
        account_id=link.account_id,
        admin_email=link.email,
        linked_at=link.linked_at,
    )


class Organisations:
    """Organisation links and the directory of the users they serve."""

    def __init__(self, ctx: AppContext, linking: Linking, tokens: TokenKeeper) -> None:
        self._ctx = ctx
        self._linking = linking
        self._tokens = tokens

    def begin(self, tenant_id: str, admin_user_id: str, provider_key: str) -> LinkRequest:
        """The consent page of the provider's organisation app for the tenant's admin."""
        return self._linking.begin(tenant_id, admin_user_id, provider_key, organisation=True)

    def complete(
        self,
        state: str,
        code: str | None,
        error: str | None,
        *,
        error_description: str | None = None,
        error_subcode: str | None = None,
        tenant: str | None = None,
        tenant_id: str,
        admin_user_id: str,
    ) -> OrganisationLink:
        """Finish an organisation link from its callback (the admin who began it): Zoom's
        ``code``, or Microsoft's admin consent ``tenant``. A grant that names no signed-in
        user (Microsoft's app-only grant: the callback's ``tenant`` proves nothing, FACTS.md
        §1.8) is bound through the admin's own link: it must be to that same organisation."""
        now = self._ctx.clock.now()
        pending = self._linking.take(state, tenant_id, admin_user_id, organisation=True)
        app = self._ctx.providers.organisation(pending.provider).organisation()
        tokens = self._linking.exchange(
            app,
            pending,
            code if code is not None else tenant,
            error,
            description=error_description,
            subcode=error_subcode,
        )
        account = app.account(tokens.access_token)
        if not account.account_id:
            raise LinkError("the provider named no organisation for this grant")
        if not account.email:
            own = self._ctx.read(
                lambda uow: uow.links.active_for_user(tenant_id, admin_user_id, pending.provider)
            )
            if own is None or own.account_id != account.account_id:
                raise LinkError(
                    "the organisation's consent does not say who gave it: the admin links their"
                    " own account of that organisation first, then links the organisation"
                )
            account = attrs.evolve(account, email=own.email)
        new = new_link(
            pending,
            account,
            tokens,
            now,
            user_id=ORGANISATION_USER,
            external_account_id=organisation_account(account.account_id),
        )
        self._linking.store(new)
        return public(new)

    def link(self, tenant_id: str, provider_key: str) -> OrganisationLink | None:
        """The tenant's active organisation link to the provider, or None."""
        found = self._ctx.read(lambda uow: holders.organisation_link(uow, tenant_id, provider_key))
        return public(found) if found is not None else None

    def unlink(self, tenant_id: str, provider_key: str) -> bool:
        """End the tenant's organisation link (S15 for every user it served: their issued
        conferences are DETACHED, pending work stops; users' own links are untouched) and
        revoke it at the provider (best effort)."""
        return self._linking.unlink(tenant_id, ORGANISATION_USER, provider_key)

    def set_address(
        self, tenant_id: str, user_id: str, provider_key: str, address: str | None
    ) -> None:
        """The user's address in the provider's directory (None: forget it). A new address
        is looked up again at the next save."""
        self._ctx.providers.get(provider_key)

        def work(uow: UnitOfWork) -> None:
            if address is None:
                uow.directory.delete(tenant_id, provider_key, user_id)
                return
            current = uow.directory.get(tenant_id, provider_key, user_id)
            if current is not None and current.address == address:
                return
            uow.directory.put(
                DirectoryEntry(
                    tenant_id=tenant_id, provider=provider_key, user_id=user_id, address=address
                )
            )

        self._ctx.transaction(work)

    def ask_again(self, tenant_id: str, user_id: str, provider_key: str | None) -> None:
        """Before an explicit retry: a directory entry whose last lookup found nobody is
        due again (the admin may have added the user since; the negative answer is not
        trusted for ``org_lookup_ttl`` then). Found entries keep their lookup."""
        if provider_key is None:
            return

        def work(uow: UnitOfWork) -> None:
            entry = uow.directory.get(tenant_id, provider_key, user_id)
            if entry is not None and not entry.found and entry.resolved_at is not None:
                uow.directory.put(attrs.evolve(entry, resolved_at=None))

        self._ctx.transaction(work)

    def directory(self, tenant_id: str, provider_key: str) -> list[DirectoryEntry]:
        """The tenant's directory entries for the provider (by user id)."""
        return self._ctx.read(lambda uow: uow.directory.of_tenant(tenant_id, provider_key))

    def look_up(self, organisation: LinkRecord, entry: DirectoryEntry) -> None:
        """Ask the provider, with the organisation's token and no transaction open, who
        ``entry``'s address is, and keep the answer with its time (``org_lookup_ttl``). A
        failed lookup is logged and changes nothing (the address itself is then used)."""
        now = self._ctx.clock.now()
        try:
            account = self._tokens.call(
                organisation, lambda p, t: cast(OrganisationProvider, p).find_user(t, entry.address)
            )
        except MeetLinkError as exc:
            log.warning("looking up %s at %s failed: %s", entry.address, entry.provider, exc)
            return
        resolved = attrs.evolve(
            entry,
            external_account_id=account.external_account_id if account else None,
            found=account is not None,
            resolved_at=now,
        )

        def write(uow: UnitOfWork) -> None:
            current = uow.directory.get(entry.tenant_id, entry.provider, entry.user_id)
            if current is not None and current.address == entry.address:
                uow.directory.put(resolved)

        self._ctx.transaction(write)
