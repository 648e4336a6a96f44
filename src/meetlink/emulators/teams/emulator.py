"""``TeamsEmulator``: a fake of Entra ID (v2.0 auth code + PKCE) and the Graph endpoints
meetlink uses (``/v1.0/me``, ``/v1.0/me/onlineMeetings``), after FACTS.md §8.

It runs in-process
([`TeamsEmulator.transport`][meetlink.emulators.core.base.BaseEmulator.transport]) or over loopback
HTTP ([`TeamsEmulator.serve`][meetlink.emulators.core.base.BaseEmulator.serve]). All state is on the
instance behind one lock; with a ``seed`` every id, code and token repeats. Times follow the
injected clock (code TTL, token expiry, refresh inactivity, revocation delay, meeting creation
times). Besides the user flow it serves admin consent (``/{tenant}/v2.0/adminconsent``),
certificate client assertions
([`register_certificate`][meetlink.emulators.teams.TeamsEmulator.register_certificate]),
and Graph's refusal of personal accounts.

Wiring a provider to it::

    teams = TeamsEmulator(clock=clock)
    provider = teams.provider(clock=clock)       # or, by hand:
    provider = TeamsProvider(client_id=teams.client_id, client_secret=teams.client_secret,
                             redirect_uri=teams.redirect_uri, transport=teams.transport(),
                             clock=clock)
"""

from __future__ import annotations

import copy
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, unquote, urlsplit

from meetlink.emulators.core import BaseEmulator, Fault, Incoming
from meetlink.ports.clock import Clock

from .admin import decide_admin
from .clients import register_certificate
from .graph import graph_time
from .identity import REFRESH_FAULTS, decide
from .state import MSA_TENANT, RefreshFault, Reply, TeamsState, TeamsUser
from .urls import ROUTES, fault_reply, graph_request_ids

if TYPE_CHECKING:
    from meetlink.adapters.teams.provider import TeamsProvider

__all__ = ["TeamsEmulator"]


class TeamsEmulator(BaseEmulator[TeamsState, TeamsUser]):
    """A fake Microsoft Teams (Entra ID + Graph) for tests and demos.

    ``expires_in``: fixed access-token lifetime in seconds (None: random 3600-5400 like Entra).
    ``invalid_client_status``: the HTTP status of ``invalid_client`` (400 or 401; unconfirmed).
    ``passcodes``: every new meeting gets a passcode (a tenant policy); else only meetings
    created with ``joinMeetingIdSettings.isPasscodeRequired``.
    """

    provider_name = "teams"
    #: What ``POST /_emulator/users`` takes beyond the email (``add_user``'s keywords).
    control_user_options = ("tenant_id", "admin", "mail")
    routes = ROUTES

    def __init__(
        self,
        *,
        clock: Clock | None = None,
        seed: int | None = None,
        client_id: str | None = None,
        client_secret: str | None = None,
        redirect_uri: str = "http://127.0.0.1/meetlink/teams/callback",
        expires_in: int | None = 3600,
        invalid_client_status: int = 401,
        passcodes: bool = False,
        latency: float = 0.0,
    ) -> None:
        state = TeamsState.fresh(
            clock=clock,
            seed=seed,
            redirect_uri=redirect_uri,
            latency=latency,
            default_tenant="",
            expires_in=expires_in,
            invalid_client_status=invalid_client_status,
            passcodes=passcodes,
        )
        self._state = state
        state.client_id = client_id or state.guid()
        state.client_secret = client_secret or state.token("", 30)
        state.default_tenant = state.guid()
        state.tenant_domains["contoso.onmicrosoft.com"] = state.default_tenant

    # --- the registered app (client_id, client_secret, redirect_uri: BaseEmulator) -------

    @property
    def tenant_id(self) -> str:
        """The default tenant's id (its domain is ``contoso.onmicrosoft.com``)."""
        return self._state.default_tenant

    @property
    def revocation_delay(self) -> timedelta:
        """How long a revoked grant
        ([`revoke_consent`][meetlink.emulators.teams.emulator.TeamsEmulator.revoke_consent],
        [`fail_refresh`][meetlink.emulators.teams.emulator.TeamsEmulator.fail_refresh]) keeps
        refreshing before Entra notices (FACTS.md §4: it lags by minutes). Default 0."""
        return self._state.revocation_delay

    @revocation_delay.setter
    def revocation_delay(self, delay: timedelta) -> None:
        with self._state.lock:
            self._state.revocation_delay = delay

    def register_certificate(self, certificate_pem: bytes) -> None:
        """Upload a certificate to the app registration: token requests may then
        authenticate with a client assertion signed by its key instead of the secret."""
        with self._state.lock:
            register_certificate(self._state, certificate_pem)

    # --- users and consent ----------------------------------------------------------------

    def add_user(
        self,
        email: str,
        *,
        tenant_id: str | None = None,
        mail: bool = True,
        personal: bool = False,
        admin: bool = False,
    ) -> TeamsUser:
        """A work/school user (``email`` is the UPN) in the default or the given tenant.
        ``mail=False``: Graph's ``mail`` is null. ``personal``: a Microsoft account (MSA),
        which Graph refuses on onlineMeetings. ``admin``: may grant admin consent."""
        with self._state.lock:
            name = email.split("@", 1)[0].replace(".", " ").title()
            user = TeamsUser(
                id=self._state.guid(),
                email=email,
                tenant_id=MSA_TENANT if personal else (tenant_id or self._state.default_tenant),
                display_name=name,
                mail=email if mail else None,
                personal=personal,
                admin=admin and not personal,
            )
            self._state.users[user.id] = user
            return user

    def consent(
        self,
        authorize_url: str,
        user: TeamsUser,
        *,
        allow: bool = True,
        decline: str = "cancel",
        return_to_app: bool = False,
    ) -> dict[str, str]:
        """``user`` signs in on Entra's page and presses Accept (or Cancel): the query
        parameters Entra redirects back with.

        - Accept: ``{"code", "state"}``.
        - Cancel (``decline="cancel"``): ``{"error": "access_denied", "error_subcode":
          "cancel", "error_description": "AADSTS65004: User declined to consent ...",
          "state"}``; ``decline="declined"``: the same without the sub-code (FACTS.md §1.3
          leaves open which form the plain user flow sends, so both are offered; both carry
          the decline code, which sets them apart from the way back below).
        - User consent disabled in the tenant
          ([`require_admin_consent`][meetlink.emulators.teams.TeamsEmulator.require_admin_consent]):
          Entra shows "Need admin approval" (AADSTS90094) and does not redirect ->
          ``ConsentBlocked``.
          ``return_to_app=True`` models "Return to the application without granting consent":
          ``{"error": "access_denied", "error_subcode": "cancel", "state"}`` (UNCONFIRMED).
        - A request Entra refuses on its own page -> ``ConsentError``.
        """
        parts = urlsplit(authorize_url)
        params = dict(parse_qsl(parts.query, keep_blank_values=True))
        segment = unquote(parts.path.strip("/").split("/", 1)[0])
        with self._state.lock:
            self._state.record("GET", parts.path, parts.query)
            return decide(
                self._state,
                segment,
                params,
                user,
                allow=allow,
                decline=decline,
                return_to_app=return_to_app,
            )

    def require_admin_consent(self, tenant_id: str | None = None) -> None:
        """Turn user consent off in a tenant: users without a grant get "Need admin
        approval" (FACTS.md §1.3; e.g. issue microsoft-graph-docs#10037)."""
        with self._state.lock:
            self._state.admin_only.add(tenant_id or self._state.default_tenant)

    def grant_admin_consent(self, tenant_id: str | None = None) -> None:
        """An admin consents for the whole tenant (what /adminconsent achieves)."""
        with self._state.lock:
            self._state.admin_consented.add(tenant_id or self._state.default_tenant)

    def withdraw_admin_consent(self, tenant_id: str | None = None) -> None:
        """The tenant's administrator removes the app (Entra admin center > Enterprise
        applications > Delete): client-credentials requests for the tenant fail
        (AADSTS700016); tokens already issued live until they expire."""
        with self._state.lock:
            self._state.admin_consented.discard(tenant_id or self._state.default_tenant)

    def grant_access_policy(
        self, user: TeamsUser | None = None, *, tenant_id: str | None = None
    ) -> None:
        """The tenant's Teams administrator grants the app an application access policy
        (``New-CsApplicationAccessPolicy -AppIds <app>``, then
        ``Grant-CsApplicationAccessPolicy -PolicyName ... -Identity <user>``; without
        ``user``, ``-Global`` for the tenant): app-only onlineMeetings calls for the user
        then pass; without it Graph answers 403 ("No application access policy found for
        this app.")."""
        with self._state.lock:
            if user is not None:
                self._state.policy_users.add(user.id)
            else:
                self._state.policy_tenants.add(tenant_id or self._state.default_tenant)

    def admin_consent(
        self, admin_consent_url: str, admin: TeamsUser, *, allow: bool = True
    ) -> dict[str, str]:
        """``admin`` opens the admin consent URL and presses Accept (or Cancel) for the
        organisation: the query parameters Entra redirects back with (``admin_consent``,
        ``tenant``, ``scope``, ``state``; or ``error=access_denied`` with AADSTS65004).
        Raises ``ConsentError`` for what Entra refuses on its own page (a
        non-administrator: AADSTS90094; ``/common``)."""
        parts = urlsplit(admin_consent_url)
        params = dict(parse_qsl(parts.query, keep_blank_values=True))
        segment = unquote(parts.path.strip("/").split("/", 1)[0])
        with self._state.lock:
            self._state.record("GET", parts.path, parts.query)
            return decide_admin(self._state, segment, params, admin, allow=allow)

    def revoke_consent(self, user: TeamsUser) -> None:
        """The user removes the app (myapplications.microsoft.com): once
        [`revocation_delay`][meetlink.emulators.teams.emulator.TeamsEmulator.revocation_delay] has
        passed, refreshes fail with invalid_grant AADSTS65001 ``consent_required``; access tokens
        already issued stay valid at Graph until they expire (FACTS.md §4). Consenting again heals
        it."""
        self.fail_refresh(user, 65001)

    def remove_app(self, user: TeamsUser) -> None:
        """The user removes the app (the Zoom emulator's ``remove_app``): Microsoft sends no
        webhook, so this returns None; the link's next refresh fails
        ([`revoke_consent`][meetlink.emulators.teams.emulator.TeamsEmulator.revoke_consent])."""
        self.revoke_consent(user)

    def fail_refresh(self, user: TeamsUser, aadsts: int) -> None:
        """Every refresh of ``user`` fails with one of ``REFRESH_FAULTS`` (65001 consent
        revoked, 50173 tokens revoked, 50076 MFA, 53003 conditional access, 70043 sign-in
        frequency, 700016 app removed from the tenant) from
        [`revocation_delay`][meetlink.emulators.teams.emulator.TeamsEmulator.revocation_delay] on,
        until they consent again."""
        if aadsts not in REFRESH_FAULTS:
            raise ValueError(f"no scripted refresh fault AADSTS{aadsts}")
        with self._state.lock:
            state = self._state
            state.refresh_faults[user.id] = RefreshFault(
                aadsts, state.now() + state.revocation_delay
            )
            if aadsts in (65001, 700016):
                state.consented.discard(user.id)

    def forbid(self, user: TeamsUser) -> None:
        """``user`` may not organise meetings (no licence, a guest): onlineMeetings calls
        answer a bare 403 with an empty message (FACTS.md §2.7)."""
        with self._state.lock:
            self._state.unentitled.add(user.id)

    def allow(self, user: TeamsUser) -> None:
        """``user`` may organise meetings again (a licence assigned: undoes
        [`forbid`][meetlink.emulators.teams.emulator.TeamsEmulator.forbid])."""
        with self._state.lock:
            self._state.unentitled.discard(user.id)

    # --- changes on the provider's own side (drift) ----------------------------------------

    def delete_meeting_on_site(self, meeting_id: str) -> None:
        """Someone deletes the online meeting in Teams (Graph answers 404 for it from now on;
        its URL still joins, as in real Teams). Microsoft sends no webhook."""
        with self._state.lock:
            meeting = self._state.meetings.pop(meeting_id, None)
            if meeting is None:
                raise KeyError(f"no meeting {meeting_id}")
            self._state.deleted[meeting_id] = meeting["joinWebUrl"]
            self._state.external = {
                k: v for k, v in self._state.external.items() if v != meeting_id
            }

    def change_meeting_on_site(self, meeting_id: str, *, start: datetime, end: datetime) -> None:
        """Someone moves the online meeting in Teams to ``start``-``end``. Microsoft sends no
        webhook."""
        with self._state.lock:
            meeting = self._state.meetings.get(meeting_id)
            if meeting is None:
                raise KeyError(f"no meeting {meeting_id}")
            meeting["startDateTime"], meeting["endDateTime"] = graph_time(start), graph_time(end)

    # --- observation ----------------------------------------------------------------------

    def meetings(self, user: TeamsUser | None = None) -> list[dict[str, Any]]:
        """Meetings that exist now (all, or ``user``'s), as Graph's onlineMeeting JSON."""
        with self._state.lock:
            state = self._state
            return [
                copy.deepcopy(m)
                for i, m in state.meetings.items()
                if user is None or state.owners[i] == user.id
            ]

    def still_joinable(self, join_url: str) -> bool:
        """Whether ``join_url`` still admits people: True for live meetings and, as in real
        Teams, for deleted ones (FACTS.md §2.5, §7.1)."""
        with self._state.lock:
            live = any(m["joinWebUrl"] == join_url for m in self._state.meetings.values())
            return live or join_url in self._state.deleted.values()

    # --- faults and transports ------------------------------------------------------------

    def _fault_reply(self, fault: Fault, request: Incoming) -> Reply:
        return fault_reply(self._state, fault, request)

    def _prepare(self, request: Incoming) -> tuple[Incoming, dict[str, str]]:
        return graph_request_ids(self._state, request)

    def _control_extra(self) -> dict[str, str]:
        return {"tenant_id": self.tenant_id}

    def provider(self, *, clock: Clock | None = None, base_url: str | None = None) -> TeamsProvider:
        """A ``TeamsProvider`` registered as this emulator's app: in-process, or over
        HTTP when ``base_url`` (from [`serve`][meetlink.emulators.core.base.BaseEmulator.serve]) is
        given."""
        from meetlink.adapters.teams.provider import TeamsProvider

        common: dict[str, Any] = {
            "client_id": self.client_id,
            "client_secret": self.client_secret,
            "redirect_uri": self.redirect_uri,
            "clock": clock or self._state.clock,
            "organisation_links": True,
        }
        if base_url is not None:
            return TeamsProvider(authority_base_url=base_url, graph_base_url=base_url, **common)
        return TeamsProvider(transport=self.transport(), **common)
