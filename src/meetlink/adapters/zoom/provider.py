"""``ZoomProvider``: the [`VideoProvider`][meetlink.ports.provider.VideoProvider] for Zoom over
httpx.

Zoom's sans-I/O core ([`sansio`][meetlink.adapters.zoom.sansio],
[`oauth.ZoomOAuth`][meetlink.adapters.zoom.oauth.ZoomOAuth]) plugged into the provider shell
([`meetlink.adapters.shell`][meetlink.adapters.shell]: client, ``_call``, code exchange, refresh,
capabilities): each method here builds a request in the core, sends it through the shell and hands
the answer to a ``sansio.parse_*`` function. What is Zoom's own: the passcode policy per access
token, occurrence changes of a series, the revoke endpoint, webhooks.
"""

from __future__ import annotations

import copy
import logging
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime, timedelta
from typing import Literal

import attrs
import httpx

from meetlink.adapters.shell import BudgetSource, ProviderShell, TokenCache
from meetlink.domain.links import TokenSet
from meetlink.errors import (
    GrantRevoked,
    MeetingInProgress,
    NotInOrganisation,
    ProviderError,
    ProviderRejected,
)
from meetlink.ports.clock import Clock
from meetlink.ports.provider import (
    Capabilities,
    Meeting,
    MeetingRequest,
    ProviderAccount,
    WebhookMessage,
)

from . import sansio
from .budget import zoom_rate_budget
from .oauth import ZoomOAuth
from .recurrence import ZOOM_RECURRENCE

__all__ = ["POLICY_TTL", "ZOOM_CAPABILITIES", "BudgetSource", "ZoomProvider", "zoom_rate_budget"]

_log = logging.getLogger(__name__)
_MAX_PAGES = 50
_EXPIRY_MARGIN = 60  # seconds: an access token this close to expiry is refreshed to revoke
_IN_PROGRESS_RECHECK = timedelta(minutes=10)  # a meeting past its scheduled end is asked later
_INVALID_FIELD = 300  # Zoom's code for a refused field, e.g. a passcode the policy forbids
_NO_USER = 1001  # "User does not exist" (not in the account the token acts for)
#: How long the account's passcode policy (one GET of the user's settings) serves the creates
#: made with the same access token; a create it no longer fits is refused (300, nothing
#: created): the policy is then read again and the create tried once more.
POLICY_TTL = timedelta(minutes=10)
_POLICY_ENTRIES = 1024

_ZOOM_API = "https://api.zoom.us"

ZOOM_CAPABILITIES = Capabilities(
    display_name="Zoom",
    idempotent_create=False,
    host_start_url=True,
    free_plan_minutes=40,
    deauthorization_webhook=True,
    meeting_webhooks=True,  # meeting.deleted / meeting.updated (drift repair)
    supports_recurring=True,  # R2: one type 8 (or type 3) meeting per series
    recurrence=ZOOM_RECURRENCE,
    # 100 meeting creates and updates per user per UTC day. Zoom's per-second limits depend
    # on the account's plan, which meetlink does not know: a host passes
    # ZoomProvider(rate_budget=zoom_rate_budget(ZOOM_PRO_PER_SECOND)) (or Free, Business).
    rate_budget=zoom_rate_budget({}),
)


class ZoomProvider(ProviderShell):
    """Zoom (user-level OAuth app) as a [`VideoProvider`][meetlink.ports.provider.VideoProvider].

    ``webhook_secrets``: the app's secret token, or several during a rotation. Pass ``client``
    (an ``httpx.Client``, not closed by [`close`][meetlink.adapters.shell.ProviderShell.close]) or
    ``transport`` (e.g. ``ZoomEmulator.transport()``); otherwise a client with ``timeout`` seconds
    is made. ``rate_budget``: the limits meetlink spends from when it claims this provider's jobs
    (``budget``); by default Zoom's 100 creates and updates per user per day when talking
    to Zoom itself, none when pointed elsewhere (an emulator declares its own).
    ``org_client_id`` / ``org_client_secret``: the admin-managed (account-level) app that
    organisation links use (docs/org-install.md); without them only users link.
    """

    key_name = "zoom"

    def __init__(
        self,
        *,
        client_id: str,
        client_secret: str,
        redirect_uri: str,
        webhook_secrets: str | Sequence[str] = (),
        oauth_base_url: str = "https://zoom.us",
        api_base_url: str = _ZOOM_API,
        client: httpx.Client | None = None,
        transport: httpx.BaseTransport | None = None,
        clock: Clock | None = None,
        timeout: float = 10.0,
        rate_budget: BudgetSource | Literal["zoom"] = "zoom",
        org_client_id: str | None = None,
        org_client_secret: str | None = None,
    ) -> None:
        if isinstance(rate_budget, str):
            # Zoom's own limits when talking to Zoom; a provider pointed elsewhere (an
            # emulator, a proxy, a client of the host's) declares none unless given one.
            at_zoom = client is None and transport is None and api_base_url == _ZOOM_API
            rate_budget = ZOOM_CAPABILITIES.rate_budget if at_zoom else None
        self._oauth_core = ZoomOAuth(
            oauth_base=oauth_base_url.rstrip("/"),
            client_id=client_id,
            client_secret=client_secret,
            redirect_uri=redirect_uri,
        )
        self._org_core = (
            ZoomOAuth(
                oauth_base=oauth_base_url.rstrip("/"),
                client_id=org_client_id,
                client_secret=org_client_secret,
                redirect_uri=redirect_uri,
            )
            if org_client_id and org_client_secret
            else None
        )
        caps = ZOOM_CAPABILITIES
        if self._org_core is not None:
            caps = attrs.evolve(caps, organisation_install=True)
        super().__init__(self._oauth_core, caps, rate_budget, client, transport, clock, timeout)
        self._user = "me"  # whose meetings: the token's user, or one an admin app acts for
        secrets = [webhook_secrets] if isinstance(webhook_secrets, str) else webhook_secrets
        self._webhook_secrets = tuple(s for s in secrets if s)
        self._api = api_base_url.rstrip("/")
        self._policies: TokenCache[tuple[datetime, sansio.PasscodePolicy | None]] = TokenCache(
            _POLICY_ENTRIES
        )

    def __repr__(self) -> str:
        return f"ZoomProvider(api={self._api!r}, oauth={self._oauth_core.oauth_base!r})"

    # --- organisation links (the admin-managed app) ----------------------------------------

    def _sibling(self, *, core: ZoomOAuth | None = None, user: str | None = None) -> ZoomProvider:
        """This provider on the same client, with another app or acting for a user."""
        sibling = copy.copy(self)
        sibling._owns_client = False  # the client stays this provider's to close
        if core is not None:
            sibling._core = sibling._oauth_core = core
        if user is not None:
            sibling._user = user
        return sibling

    def organisation(self) -> ZoomProvider:
        """The admin-managed app (its consent URL, tokens, refresh and revoke): installed
        once by an owner or admin of a Zoom account, its token acts for every user of the
        account (granular scopes ending in ``:admin``)."""
        if self._org_core is None:
            raise ProviderRejected(
                "no admin-managed Zoom app configured (ZoomProvider(org_client_id=..., "
                "org_client_secret=...))",
                code="no_organisation_app",
            )
        return self._sibling(core=self._org_core)

    def find_user(self, access_token: str, address: str) -> ProviderAccount | None:
        """GET /v2/users/{email} with the admin-managed app's token: the account's user, or
        None when Zoom has no such user in the account (404, code 1001)."""
        try:
            return self._call(
                sansio.me_request(self._api, access_token, user=address), sansio.parse_account
            )
        except ProviderRejected as exc:
            if exc.provider_code == _NO_USER or exc.status == 404:
                return None
            raise

    def acting_for(self, user: str) -> ZoomProvider:
        """The meeting methods for the account's user ``user`` (Zoom user id or email), with
        the admin-managed app's token: ``/users/{userId}/meetings`` instead of
        ``/users/me/meetings``; a user Zoom does not know (1001) raises NotInOrganisation."""
        return self._sibling(user=user)

    # --- the port (key, capabilities, authorization_url, exchange_code, refresh and
    # link_error: ProviderShell with ZoomOAuth) ---------------------------------------------

    def revoke(self, tokens: TokenSet) -> None:
        """Revoke the grant with its access token, as Zoom documents (FACTS.md §1.5). An
        expired access token is first refreshed (Zoom would not know it); a refresh refused
        as invalid_grant means the grant is already dead. "Invalid Token!" from the revoke
        endpoint raises ProviderRejected: nothing was revoked."""
        access = tokens.access_token
        if tokens.expired(self._clock.now(), _EXPIRY_MARGIN):
            try:
                access = self.refresh(tokens.refresh_token).access_token
            except GrantRevoked:
                return
        self._call(self._oauth_core.revoke_request(access), sansio.parse_revoked)

    def account(self, access_token: str) -> ProviderAccount:
        """GET /v2/users/me."""
        return self._call(
            sansio.me_request(self._api, access_token, user=self._user), sansio.parse_account
        )

    def create_meeting(self, access_token: str, request: MeetingRequest) -> Meeting:
        """Create a meeting carrying ``request.marker`` in its agenda (type 2, or 8/3 for a
        series; skipped and moved occurrences are then changed one by one), with a passcode
        that meets the account's passcode policy (read from the user's settings, then kept
        for ``POLICY_TTL`` per access token; when the token may not read settings, a
        strong default is sent)."""
        cached = self._fresh_policy(access_token)
        policy = self._passcode_policy(access_token) if cached is None else cached[0]
        try:
            meeting, data = self._create(access_token, request, policy)
        except ProviderRejected as exc:
            if cached is None or exc.provider_code != _INVALID_FIELD:
                raise
            # Refused (nothing was created): the account's policy may have changed since it
            # was read. Read it again and try once more.
            self._policies.drop(access_token)
            meeting, data = self._create(access_token, request, self._passcode_policy(access_token))
        self._fix_occurrences(access_token, meeting.meeting_id, request, data)
        return meeting

    def _create(
        self, access_token: str, request: MeetingRequest, policy: sansio.PasscodePolicy | None
    ) -> tuple[Meeting, dict[str, object]]:
        passcode = sansio.generate_passcode(policy)
        built = sansio.create_meeting_request(
            self._api, access_token, request, passcode=passcode, user=self._user
        )
        try:
            return self._call(built, sansio.parse_created_json)
        except ProviderRejected as exc:
            if self._user != "me" and exc.provider_code == _NO_USER:
                raise NotInOrganisation(
                    f"Zoom has no user {self._user!r} in the organisation's account: {exc}",
                    code=exc.provider_code,
                    status=exc.status,
                ) from exc
            raise

    def update_meeting(self, access_token: str, meeting_id: str, request: MeetingRequest) -> None:
        """PATCH the meeting to say ``request.terms``. Missing meeting -> MeetingGone.
        A series PATCH lays its occurrences out anew, so skipped and moved ones are
        changed again after it (each occurrence change is one more request)."""
        built = sansio.update_meeting_request(self._api, access_token, meeting_id, request)
        self._call(built, _no_content("update meeting"))
        self._fix_occurrences(access_token, meeting_id, request, None)

    def _fix_occurrences(
        self,
        access_token: str,
        meeting_id: str,
        request: MeetingRequest,
        data: Mapping[str, object] | None,
    ) -> None:
        terms = request.terms
        if terms.recurrence is None or not (terms.exdates or terms.moved):
            return
        if data is None:
            built = sansio.get_meeting_request(self._api, access_token, meeting_id)
            data = self._call(built, sansio.parse_meeting_json)[1]
        for change in sansio.occurrence_requests(self._api, access_token, meeting_id, terms, data):
            self._call(change, _no_content("change an occurrence"))

    def get_meeting(self, access_token: str, meeting_id: str) -> Meeting:
        """The meeting as Zoom has it now. Missing meeting -> MeetingGone."""
        built = sansio.get_meeting_request(self._api, access_token, meeting_id)
        return self._call(built, sansio.parse_meeting)

    def delete_meeting(self, access_token: str, meeting_id: str) -> bool:
        """Delete the meeting; False when it was already gone (404 / 3001). A meeting in
        progress (3002) raises MeetingInProgress with ``retry_at`` at its scheduled end."""
        built = sansio.delete_meeting_request(self._api, access_token, meeting_id)
        try:
            return self._call(built, sansio.parse_deleted)
        except MeetingInProgress as exc:
            raise MeetingInProgress(
                str(exc), retry_at=self._after_end(access_token, meeting_id)
            ) from exc

    def list_meetings(self, access_token: str) -> list[Meeting]:
        """Every unexpired meeting of the token's user, past ones too (all pages)."""
        found: list[Meeting] = []
        page_token: str | None = None
        for _ in range(_MAX_PAGES):
            built = sansio.list_meetings_request(
                self._api, access_token, page_token, user=self._user
            )
            page, next_token = self._call(built, sansio.parse_meeting_page)
            found.extend(page)
            if next_token is None or next_token == page_token:
                break
            page_token = next_token
        return found

    def find_by_marker(self, access_token: str, marker: str) -> list[Meeting]:
        """The meetings whose agenda carries ``marker`` (by listing them: every unexpired
        one, those whose time has passed too)."""
        return [m for m in self.list_meetings(access_token) if m.marker == marker]

    def start_url(self, access_token: str, meeting_id: str) -> str:
        """A fresh host start URL (GET the meeting; Zoom's start URLs expire in 2 hours)."""
        built = sansio.get_meeting_request(self._api, access_token, meeting_id)
        return self._call(built, sansio.parse_start_url)

    def parse_webhook(
        self, headers: Mapping[str, str], body: bytes, now: datetime
    ) -> WebhookMessage:
        """Verify (any configured secret) and parse a Zoom webhook request."""
        org_client = self._org_core.client_id if self._org_core is not None else None
        return sansio.parse_webhook(headers, body, now, self._webhook_secrets, org_client)

    # --- internals ------------------------------------------------------------------------

    def _passcode_policy(self, access_token: str) -> sansio.PasscodePolicy | None:
        """The account's passcode policy, read from its settings (and kept for
        ``POLICY_TTL`` for this access token)."""
        policy: sansio.PasscodePolicy | None
        try:
            policy = self._call(sansio.settings_request(self._api, access_token, user=self._user),
                                sansio.parse_passcode_policy)  # fmt: skip
        except ProviderRejected as exc:  # e.g. no settings scope (4711): use the default
            _log.info("Zoom passcode policy unreadable (%s); sending a default passcode", exc)
            policy = None
        self._policies.put(access_token, (self._clock.now(), policy))
        return policy

    def _fresh_policy(self, access_token: str) -> tuple[sansio.PasscodePolicy | None] | None:
        """``(policy,)`` while one read for ``access_token`` is fresh (the policy may be
        None: unreadable), else None."""
        found = self._policies.get(access_token)
        now = self._clock.now()
        if found is None or now - found[0] >= POLICY_TTL or now < found[0]:
            return None
        return (found[1],)

    def _after_end(self, access_token: str, meeting_id: str) -> datetime:
        """When to ask again to delete a running meeting: its scheduled end, or a little
        later when it has overrun (or cannot be read)."""
        later = self._clock.now() + _IN_PROGRESS_RECHECK
        try:
            meeting = self.get_meeting(access_token, meeting_id)
        except ProviderError:  # gone meanwhile, or unreadable: ask again a little later
            return later
        if meeting.start is None or meeting.duration_minutes is None:
            return later
        end = meeting.start + timedelta(minutes=meeting.duration_minutes)
        return max(end, later)


def _no_content(what: str) -> Callable[[int, Mapping[str, str], bytes, datetime], None]:
    def parse(status: int, headers: Mapping[str, str], body: bytes, now: datetime) -> None:
        sansio.parse_no_content(status, headers, body, now, what=what)

    return parse
