"""``TeamsProvider``: the [`VideoProvider`][meetlink.ports.provider.VideoProvider] for Microsoft
Teams (delegated Microsoft Graph onlineMeetings) over httpx.

Microsoft's sans-I/O core ([`sansio`][meetlink.adapters.teams.sansio],
[`identity.EntraOAuth`][meetlink.adapters.teams.identity.EntraOAuth]) plugged into the provider
shell ([`meetlink.adapters.shell`][meetlink.adapters.shell]: client, ``_call``, code exchange,
refresh, capabilities), like ``ZoomProvider``. What is Microsoft's own: the tenant an access token
belongs to (remembered from the id_token), createOrGet, admin consent.
"""

from __future__ import annotations

import copy
import logging
from collections.abc import Mapping
from datetime import datetime
from typing import TypeVar

import attrs
import httpx

from meetlink.adapters.shell import BudgetSource, IssuedTokens, Parse, ProviderShell, TokenCache
from meetlink.domain.links import TokenSet
from meetlink.errors import (
    AccessPolicyMissing,
    ConfigurationError,
    NotInOrganisation,
    ProviderRejected,
    UnsupportedAccount,
)
from meetlink.ports.clock import Clock
from meetlink.ports.provider import (
    Capabilities,
    Limit,
    Meeting,
    MeetingRequest,
    Operation,
    ProviderAccount,
    RateBudget,
    Scope,
    Window,
)

from . import sansio
from .certificate import ClientCertificate
from .identity import EntraAppOnly, EntraOAuth

__all__ = ["PERSONAL_ACCOUNTS_TENANT", "TEAMS_CAPABILITIES", "TeamsProvider"]

_log = logging.getLogger(__name__)
T = TypeVar("T")
_TENANT_CACHE = 1024
_MULTI_TENANT = frozenset({"organizations", "common", "consumers"})
#: The tenant id of personal Microsoft accounts (FACTS.md §1.9).
PERSONAL_ACCOUNTS_TENANT = "9188040d-6c67-4c5b-b112-36a304b66dad"

TEAMS_CAPABILITIES = Capabilities(
    display_name="Microsoft Teams",
    idempotent_create=True,  # createOrGet(externalId): retry a lost create instead of listing
    host_start_url=False,  # the organizer joins with the join URL
    free_plan_minutes=None,
    deauthorization_webhook=False,  # revocation shows up as invalid_grant on refresh
    supports_recurring=True,  # R2: one online meeting (one join URL) for the whole series
    # Graph's "meeting information: 2,000 meetings/user each month" (whether a calendar month
    # is meant is not documented: counted per UTC calendar month). Graph's other limits are
    # far above meetlink's rates (130,000 requests per 10 s per app); its 429s are waited out.
    rate_budget=RateBudget(
        (
            Limit(
                name="meetings-per-month",
                scope=Scope.ACCOUNT,
                count=2000,
                window=Window.UTC_MONTH,
                operations=frozenset({Operation.CREATE}),
            ),
        )
    ),
)


class TeamsProvider(ProviderShell):
    """Microsoft Teams (work or school accounts) as a
    [`VideoProvider`][meetlink.ports.provider.VideoProvider].

    ``tenant`` is the authority segment: ``"organizations"`` (any work/school tenant; the
    default; personal accounts cannot own onlineMeetings) or one tenant's GUID or domain;
    with ``"common"`` a personal account can sign in, and linking it raises
    [`UnsupportedAccount`][meetlink.errors.UnsupportedAccount]. The app authenticates with
    ``client_secret`` or with ``client_certificate`` (a certificate registered on the app
    and its key: each token request then carries a signed client assertion).
    ``authority_base_url`` stands for ``https://login.microsoftonline.com`` and
    ``graph_base_url`` for ``https://graph.microsoft.com``. ``account_tenant_id`` is the last
    resort for [`account`][meetlink.adapters.teams.provider.TeamsProvider.account] when neither the
    id_token nor the access token told the tenant. Pass ``client`` (not closed by
    [`close`][meetlink.adapters.shell.ProviderShell.close]) or ``transport`` (e.g.
    ``TeamsEmulator.transport()``). ``rate_budget``: the limits meetlink spends from (default:
    Graph's 2,000 meetings per user and month). ``organisation_links``: the app registration
    also declares the application permissions ``OnlineMeetings.ReadWrite.All`` and
    ``User.Read.All``, so that a customer's admin can consent for the whole organisation
    (docs/org-install.md).
    """

    key_name = "teams"

    def __init__(
        self,
        *,
        client_id: str,
        client_secret: str | None = None,
        redirect_uri: str,
        client_certificate: ClientCertificate | None = None,
        tenant: str = "organizations",
        authority_base_url: str = "https://login.microsoftonline.com",
        graph_base_url: str = "https://graph.microsoft.com",
        scope: str = sansio.SCOPES,
        account_tenant_id: str | None = None,
        client: httpx.Client | None = None,
        transport: httpx.BaseTransport | None = None,
        clock: Clock | None = None,
        timeout: float = 10.0,
        rate_budget: BudgetSource = TEAMS_CAPABILITIES.rate_budget,
        organisation_links: bool = False,
    ) -> None:
        if (client_secret is None) == (client_certificate is None):
            raise ConfigurationError("TeamsProvider needs a client_secret or a client_certificate")
        self._entra = EntraOAuth(
            authority=authority_base_url.rstrip("/"),
            tenant=tenant,
            client_id=client_id,
            redirect_uri=redirect_uri,
            scope=scope,
            client_secret=client_secret,
            certificate=client_certificate,
        )
        caps = TEAMS_CAPABILITIES
        if organisation_links:
            caps = attrs.evolve(caps, organisation_install=True)
        super().__init__(self._entra, caps, rate_budget, client, transport, clock, timeout)
        self._owner: str | None = None  # the user an organisation's app-only token acts for
        self._app_only = False  # this is the organisation's grant (organisation())
        self._tenant = tenant
        self._graph = graph_base_url.rstrip("/")
        fixed = tenant if tenant.lower() not in _MULTI_TENANT else None
        self._account_tenant = account_tenant_id or fixed
        # access token -> tid from the id_token issued with it (bounded, per process).
        self._tenants: TokenCache[str] = TokenCache(_TENANT_CACHE)

    def __repr__(self) -> str:
        return f"TeamsProvider(tenant={self._tenant!r}, graph={self._graph!r})"

    # --- the port: linking (key, capabilities, authorization_url, exchange_code, refresh
    # and link_error: ProviderShell with EntraOAuth) ----------------------------------------

    # --- organisation links (admin consent + client credentials) ---------------------------

    def _sibling(self) -> TeamsProvider:
        sibling = copy.copy(self)
        sibling._owns_client = False  # the client stays this provider's to close
        return sibling

    def organisation(self) -> TeamsProvider:
        """The organisation's grant: its consent URL is Entra's admin consent for the
        application permissions; its "code" is the tenant the admin consented for, for which
        app-only tokens are then asked with the app's own credential (client credentials).
        ProviderRejected when ``organisation_links`` is off."""
        if not self.capabilities.organisation_install:
            raise ProviderRejected(
                "Teams organisation links are off (TeamsProvider(organisation_links=True), with"
                " the application permissions on the app registration)",
                code="no_organisation_app",
            )
        sibling = self._sibling()
        sibling._core = EntraAppOnly(self._entra)
        sibling._app_only = True
        return sibling

    def find_user(self, access_token: str, address: str) -> ProviderAccount | None:
        """GET /v1.0/users/{userPrincipalName} with the organisation's app-only token: the
        user (``external_account_id``: the object id), or None when the tenant has none
        (404)."""
        tenant = self._tenant_of(access_token) or ""

        def parse(
            status: int, headers: Mapping[str, str], body: bytes, now: datetime
        ) -> ProviderAccount | None:
            if status == 404:
                return None
            return sansio.parse_account(status, headers, body, now, tenant_id=tenant)

        return self._call(sansio.user_request(self._graph, access_token, address), parse)

    def acting_for(self, user: str) -> TeamsProvider:
        """The meeting methods on ``/users/{user}/onlineMeetings`` (``user``: the object id)
        with the organisation's app-only token. A UPN (an address the organisation did not
        resolve) raises NotInOrganisation; Graph's 403 for want of an application access
        policy raises AccessPolicyMissing naming the cmdlets."""
        sibling = self._sibling()
        sibling._owner = user
        return sibling

    def _call(self, request: sansio.GraphRequest, parse: Parse[T]) -> T:
        if self._owner is None:
            return super()._call(request, parse)
        if "@" in self._owner:
            raise NotInOrganisation(
                f"the organisation's Microsoft tenant has no user {self._owner!r}",
                code="Request_ResourceNotFound",
            )
        try:
            return super()._call(request, parse)
        except ProviderRejected as exc:
            if exc.status == 403 and exc.provider_code == "General":
                raise AccessPolicyMissing(
                    _policy_text(self._owner, self._entra.client_id),
                    code=exc.provider_code,
                    status=exc.status,
                ) from exc
            if exc.status == 404 and exc.provider_code == "NotFound":
                raise NotInOrganisation(
                    f"the organisation's Microsoft tenant has no user {self._owner!r}: {exc}",
                    code=exc.provider_code,
                    status=exc.status,
                ) from exc
            raise

    def admin_consent_url(self, *, state: str | None = None) -> str:
        """Where an administrator approves the app for their whole organisation (Entra's
        ``/adminconsent``, FACTS.md §1.8). Entra sends the administrator back to the
        redirect URI with ``admin_consent=True&tenant=...&state=...`` (never trust that
        ``tenant`` for authorization); the users can then link."""
        return self._entra.admin_consent_url(state=state)

    def revoke(self, tokens: TokenSet) -> None:
        """A documented no-op. The identity platform has no per-grant revoke endpoint for
        delegated tokens (FACTS.md §4): the user removes the app at myapplications.microsoft.com
        or an admin deletes the grant. meetlink drops the tokens; an access token already
        issued stays usable at Graph until it expires (60-90 minutes)."""
        self._tenants.drop(tokens.access_token)

    def account(self, access_token: str) -> ProviderAccount:
        """A user's: GET /v1.0/me; ``account_id`` is the tenant (id_token ``tid``, else the
        access token's ``tid`` claim, else ``account_tenant_id``/a fixed tenant segment). A
        personal Microsoft account raises UnsupportedAccount: Graph refuses it onlineMeetings.
        The organisation's grant: the tenant of its app-only token (no user signed in:
        ``email`` is empty)."""
        tenant = self._tenant_of(access_token)
        if self._app_only:
            if not tenant:
                raise ProviderRejected("the app-only token names no tenant", code="tenant")
            return ProviderAccount(
                external_account_id=f"app:{tenant}", account_id=tenant, email="", plan="licensed"
            )
        if tenant == PERSONAL_ACCOUNTS_TENANT:
            raise UnsupportedAccount(
                "a personal Microsoft account cannot host Teams meetings; link a work or"
                " school account"
            )

        def parse(
            status: int, headers: Mapping[str, str], body: bytes, now: datetime
        ) -> ProviderAccount:
            return sansio.parse_account(status, headers, body, now, tenant_id=tenant or "")

        found = self._call(sansio.me_request(self._graph, access_token), parse)
        if not found.account_id:
            raise ProviderRejected(
                "cannot tell the Microsoft tenant of this account; configure account_tenant_id",
                code="tenant",
            )
        return found

    # --- the port: meetings ---------------------------------------------------------------

    def create_meeting(self, access_token: str, request: MeetingRequest) -> Meeting:
        """createOrGet keyed by ``request.marker`` (externalId): a retry after a lost answer
        returns the same meeting. An existing meeting keeps its old times (Graph ignores new
        ones), so it is PATCHed when it differs from ``request.terms``."""
        owner = sansio.owner_path(self._owner)
        built = sansio.create_or_get_request(self._graph, access_token, request, owner)
        meeting, created = self._call(built, sansio.parse_create_or_get)
        if created or not sansio.meeting_terms_differ(meeting, request):
            return meeting
        _log.debug("teams createOrGet returned an existing meeting with other terms; patching")
        patched = self._patch(access_token, meeting.meeting_id, request)
        return patched if patched.marker else _with_marker(patched, meeting.marker)

    def update_meeting(self, access_token: str, meeting_id: str, request: MeetingRequest) -> None:
        """PATCH subject, start and end together. Missing meeting -> MeetingGone."""
        self._patch(access_token, meeting_id, request)

    def get_meeting(self, access_token: str, meeting_id: str) -> Meeting:
        """GET the meeting. Missing meeting -> MeetingGone."""
        owner = sansio.owner_path(self._owner)
        built = sansio.meeting_request("GET", self._graph, access_token, meeting_id, owner)
        return self._call(built, _meeting("get meeting"))

    def delete_meeting(self, access_token: str, meeting_id: str) -> bool:
        """DELETE (204); False when it was already gone (404). Note: Teams may keep the join
        URL joinable after a delete (FACTS.md §2.5)."""
        owner = sansio.owner_path(self._owner)
        built = sansio.meeting_request("DELETE", self._graph, access_token, meeting_id, owner)
        return self._call(built, sansio.parse_deleted)

    def find_by_marker(self, access_token: str, marker: str) -> list[Meeting]:
        """createOrGet with the marker as ``externalId`` and nothing else: a meeting a lost
        create made comes back untouched (200; no PATCH). Graph has no read-only lookup by
        externalId, so when that create never landed this makes one (201; now, one hour,
        no subject, never shared), which the caller deletes at once."""
        built = sansio.find_request(
            self._graph, access_token, marker, sansio.owner_path(self._owner)
        )
        meeting, _created = self._call(built, sansio.parse_create_or_get)
        return [meeting]

    # --- internals ------------------------------------------------------------------------

    def _patch(self, access_token: str, meeting_id: str, request: MeetingRequest) -> Meeting:
        owner = sansio.owner_path(self._owner)
        built = sansio.update_meeting_request(self._graph, access_token, meeting_id, request, owner)
        return self._call(built, _meeting("update meeting"))

    def _issued(self, tokens: IssuedTokens) -> TokenSet:
        """Remember the tenant the id_token named for this access token
        ([`account`][meetlink.adapters.teams.provider.TeamsProvider.account])."""
        if tokens.tenant_id:
            self._tenants.put(tokens.token_set.access_token, tokens.tenant_id)
        return tokens.token_set

    def _tenant_of(self, access_token: str) -> str | None:
        known = self._tenants.get(access_token)
        if known:
            return known
        claimed = sansio.jwt_claims(access_token).get("tid")
        if isinstance(claimed, str) and claimed:
            return claimed
        return self._account_tenant


def _policy_text(user: str, client_id: str) -> str:
    """What the customer's Teams administrator must run (docs/org-install.md)."""
    return (
        f"Microsoft Graph refused to act for user {user}: no application access policy grants"
        " this app access to the user's online meetings (HTTP 403). The organisation's Teams"
        " administrator runs, in PowerShell with the MicrosoftTeams module:"
        f' New-CsApplicationAccessPolicy -Identity meetlink -AppIds "{client_id}", then'
        f' Grant-CsApplicationAccessPolicy -PolicyName meetlink -Identity "{user}"'
        " (or -Global for everyone in the organisation)"
    )


def _meeting(what: str) -> Parse[Meeting]:
    def parse(status: int, headers: Mapping[str, str], body: bytes, now: datetime) -> Meeting:
        return sansio.parse_meeting(status, headers, body, now, what=what)

    return parse


def _with_marker(meeting: Meeting, marker: str | None) -> Meeting:
    return attrs.evolve(meeting, marker=marker)
