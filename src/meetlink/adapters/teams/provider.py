"""``TeamsProvider``: the :class:`~meetlink.ports.provider.VideoProvider` for Microsoft Teams
(delegated Microsoft Graph onlineMeetings) over httpx.

A thin sync transport around :mod:`.sansio`, built like ``ZoomProvider``: each method builds a
request there, sends it, and hands status, headers and body to a ``sansio.parse_*`` function.
httpx exceptions are translated here (``raise ... from exc``) and never leave the adapter.
"""

from __future__ import annotations

import hashlib
import logging
import threading
from collections import OrderedDict
from collections.abc import Callable, Mapping
from datetime import datetime
from types import TracebackType
from typing import TypeVar

import attrs
import httpx

from meetlink.adapters.clock import SystemClock
from meetlink.adapters.http import send
from meetlink.domain.links import TokenSet
from meetlink.errors import (
    ConfigurationError,
    LinkError,
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

from . import consent, sansio
from .certificate import ClientCertificate

__all__ = ["PERSONAL_ACCOUNTS_TENANT", "TEAMS_CAPABILITIES", "TeamsProvider"]

_log = logging.getLogger(__name__)
_T = TypeVar("_T")
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

Parse = Callable[[int, Mapping[str, str], bytes, datetime], _T]


class TeamsProvider:
    """Microsoft Teams (work or school accounts) as a
    :class:`~meetlink.ports.provider.VideoProvider`.

    ``tenant`` is the authority segment: ``"organizations"`` (any work/school tenant; the
    default; personal accounts cannot own onlineMeetings) or one tenant's GUID or domain;
    with ``"common"`` a personal account can sign in, and linking it raises
    :class:`~meetlink.errors.UnsupportedAccount`. The app authenticates with
    ``client_secret`` or with ``client_certificate`` (a certificate registered on the app
    and its key: each token request then carries a signed client assertion).
    ``authority_base_url`` stands for ``https://login.microsoftonline.com`` and
    ``graph_base_url`` for ``https://graph.microsoft.com``. ``account_tenant_id`` is the last
    resort for :meth:`account` when neither the id_token nor the access token told the tenant.
    Pass ``client`` (not closed by :meth:`close`) or ``transport`` (e.g.
    ``TeamsEmulator.transport()``).
    """

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
    ) -> None:
        if (client_secret is None) == (client_certificate is None):
            raise ConfigurationError("TeamsProvider needs a client_secret or a client_certificate")
        self._client_id = client_id
        self._client_secret = client_secret
        self._certificate = client_certificate
        self._redirect_uri = redirect_uri
        self._tenant = tenant
        self._authority = authority_base_url.rstrip("/")
        self._graph = graph_base_url.rstrip("/")
        self._scope = scope
        fixed = tenant if tenant.lower() not in _MULTI_TENANT else None
        self._account_tenant = account_tenant_id or fixed
        self._clock: Clock = clock or SystemClock()
        # sha256(access token) -> tid from the id_token issued with it (bounded, per process).
        self._tenants: OrderedDict[str, str] = OrderedDict()
        self._tenants_lock = threading.Lock()
        self._owns_client = client is None
        self._http = client or httpx.Client(
            transport=transport,
            timeout=httpx.Timeout(timeout, connect=min(timeout, 5.0)),
            follow_redirects=False,
        )

    def __repr__(self) -> str:
        return f"TeamsProvider(tenant={self._tenant!r}, graph={self._graph!r})"

    # --- lifecycle ------------------------------------------------------------------------

    def close(self) -> None:
        """Close the HTTP client when this provider made it."""
        if self._owns_client:
            self._http.close()

    def __enter__(self) -> TeamsProvider:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    # --- the port: linking ----------------------------------------------------------------

    @property
    def key(self) -> str:
        """``"teams"``."""
        return "teams"

    @property
    def capabilities(self) -> Capabilities:
        """Idempotent create, no host start URL, no deauthorization webhook."""
        return TEAMS_CAPABILITIES

    def authorization_url(self, *, state: str, code_challenge: str) -> str:
        """The Entra ID /authorize URL (PKCE S256, the configured tenant and redirect URI)."""
        return sansio.authorization_url(
            self._authority,
            self._tenant,
            client_id=self._client_id,
            redirect_uri=self._redirect_uri,
            state=state,
            code_challenge=code_challenge,
            scope=self._scope,
        )

    def admin_consent_url(self, *, state: str | None = None) -> str:
        """Where an administrator approves the app for their whole organisation (Entra's
        ``/adminconsent``, FACTS.md §1.8). Entra sends the administrator back to the
        redirect URI with ``admin_consent=True&tenant=...&state=...`` (never trust that
        ``tenant`` for authorization); the users can then link."""
        return consent.admin_consent_url(
            self._authority,
            self._tenant,
            client_id=self._client_id,
            redirect_uri=self._redirect_uri,
            scope=self._scope,
            state=state,
        )

    def link_error(
        self, *, error: str, description: str | None = None, subcode: str | None = None
    ) -> LinkError:
        """Read Entra's callback error: AADSTS65004 -> LinkDenied; "Need admin approval"
        (AADSTS90094/90095/65001, or a bare ``cancel`` sub-code: the way back from that
        page) -> AdminApprovalRequired carrying :meth:`admin_consent_url`."""
        return consent.link_error(error, description, subcode, admin_url=self.admin_consent_url())

    def exchange_code(self, *, code: str, code_verifier: str) -> TokenSet:
        """Trade an authorization code for tokens. invalid_grant -> GrantRevoked."""
        request = sansio.exchange_request(
            self._authority,
            self._tenant,
            client_id=self._client_id,
            **self._credential(),
            redirect_uri=self._redirect_uri,
            code=code,
            code_verifier=code_verifier,
            scope=self._scope,
        )
        return self._remember(self._call(request, sansio.parse_tokens))

    def refresh(self, refresh_token: str) -> TokenSet:
        """New tokens. Entra returns a new refresh token each time: store it. (The old one
        stays valid at Entra until it expires; meetlink forgets it.) Revoked consent ->
        GrantRevoked (AADSTS65001 consent_required, 50173, 700082, ...)."""
        request = sansio.refresh_request(
            self._authority,
            self._tenant,
            client_id=self._client_id,
            **self._credential(),
            refresh_token=refresh_token,
            scope=self._scope,
        )

        def parse(
            status: int, headers: Mapping[str, str], body: bytes, now: datetime
        ) -> sansio.Tokens:
            return sansio.parse_tokens(
                status, headers, body, now, previous_refresh_token=refresh_token
            )

        return self._remember(self._call(request, parse))

    def revoke(self, tokens: TokenSet) -> None:
        """A documented no-op. The identity platform has no per-grant revoke endpoint for
        delegated tokens (FACTS.md §4): the user removes the app at myapplications.microsoft.com
        or an admin deletes the grant. meetlink drops the tokens; an access token already
        issued stays usable at Graph until it expires (60-90 minutes)."""
        digest = _digest(tokens.access_token)
        with self._tenants_lock:
            self._tenants.pop(digest, None)

    def account(self, access_token: str) -> ProviderAccount:
        """GET /v1.0/me; ``account_id`` is the tenant (id_token ``tid``, else the access
        token's ``tid`` claim, else ``account_tenant_id``/a fixed tenant segment). A personal
        Microsoft account raises UnsupportedAccount: Graph refuses it onlineMeetings."""
        tenant = self._tenant_of(access_token)
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
        built = sansio.create_or_get_request(self._graph, access_token, request)
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
        built = sansio.get_meeting_request(self._graph, access_token, meeting_id)
        return self._call(built, _meeting("get meeting"))

    def delete_meeting(self, access_token: str, meeting_id: str) -> bool:
        """DELETE (204); False when it was already gone (404). Note: Teams may keep the join
        URL joinable after a delete (FACTS.md §2.5)."""
        built = sansio.delete_meeting_request(self._graph, access_token, meeting_id)
        return self._call(built, sansio.parse_deleted)

    def find_by_marker(self, access_token: str, marker: str) -> list[Meeting]:
        """createOrGet with the marker as ``externalId`` and nothing else: a meeting a lost
        create made comes back untouched (200; no PATCH). Graph has no read-only lookup by
        externalId, so when that create never landed this makes one (201; now, one hour,
        no subject, never shared), which the caller deletes at once."""
        built = sansio.find_request(self._graph, access_token, marker)
        meeting, _created = self._call(built, sansio.parse_create_or_get)
        return [meeting]

    # --- internals ------------------------------------------------------------------------

    def _credential(self) -> dict[str, str]:
        """The app's proof for one token request: its secret, or a fresh client assertion
        signed with its certificate (audience: the token endpoint)."""
        if self._certificate is None:
            return {"client_secret": self._client_secret or ""}
        audience = sansio.token_url(self._authority, self._tenant)
        now = self._clock.now()
        assertion = self._certificate.assertion(
            client_id=self._client_id, audience=audience, now=now
        )
        return {"client_assertion": assertion}

    def _patch(self, access_token: str, meeting_id: str, request: MeetingRequest) -> Meeting:
        built = sansio.update_meeting_request(self._graph, access_token, meeting_id, request)
        return self._call(built, _meeting("update meeting"))

    def _remember(self, tokens: sansio.Tokens) -> TokenSet:
        if tokens.tenant_id:
            with self._tenants_lock:
                self._tenants[_digest(tokens.token_set.access_token)] = tokens.tenant_id
                while len(self._tenants) > _TENANT_CACHE:
                    self._tenants.popitem(last=False)
        return tokens.token_set

    def _tenant_of(self, access_token: str) -> str | None:
        with self._tenants_lock:
            known = self._tenants.get(_digest(access_token))
        if known:
            return known
        claimed = sansio.jwt_claims(access_token).get("tid")
        if isinstance(claimed, str) and claimed:
            return claimed
        return self._account_tenant

    def _call(self, request: sansio.GraphRequest, parse: Parse[_T]) -> _T:
        response = send(
            self._http,
            method=request.method,
            url=request.url,
            headers=request.headers,
            body=request.body,
            provider_name="Microsoft",
            log=_log,
        )
        return parse(response.status_code, response.headers, response.content, self._clock.now())


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def _meeting(what: str) -> Parse[Meeting]:
    def parse(status: int, headers: Mapping[str, str], body: bytes, now: datetime) -> Meeting:
        return sansio.parse_meeting(status, headers, body, now, what=what)

    return parse


def _with_marker(meeting: Meeting, marker: str | None) -> Meeting:
    return attrs.evolve(meeting, marker=marker)
