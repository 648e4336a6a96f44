"""``ZoomProvider``: the :class:`~meetlink.ports.provider.VideoProvider` for Zoom over httpx.

A thin sync transport around :mod:`.sansio`: each method builds a request there, sends it,
and hands status, headers and body back to a ``sansio.parse_*`` function. httpx exceptions are
translated here (``raise ... from exc``) and never leave the adapter.
"""

from __future__ import annotations

import hashlib
import logging
import threading
from collections import OrderedDict
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime, timedelta
from types import TracebackType
from typing import Literal, TypeVar

import attrs
import httpx

from meetlink.adapters.clock import SystemClock
from meetlink.adapters.http import send
from meetlink.adapters.oauth_callback import oauth_link_error
from meetlink.domain.links import TokenSet
from meetlink.errors import (
    GrantRevoked,
    LinkError,
    MeetingInProgress,
    ProviderError,
    ProviderRejected,
)
from meetlink.ports.clock import Clock
from meetlink.ports.provider import (
    Capabilities,
    Meeting,
    MeetingRequest,
    ProviderAccount,
    RateBudget,
    WebhookMessage,
)

from . import sansio
from .budget import zoom_rate_budget
from .recurrence import ZOOM_RECURRENCE

__all__ = ["POLICY_TTL", "ZOOM_CAPABILITIES", "BudgetSource", "ZoomProvider", "zoom_rate_budget"]

_log = logging.getLogger(__name__)
_T = TypeVar("_T")
_MAX_PAGES = 50
_EXPIRY_MARGIN = 60  # seconds: an access token this close to expiry is refreshed to revoke
_IN_PROGRESS_RECHECK = timedelta(minutes=10)  # a meeting past its scheduled end is asked later
_INVALID_FIELD = 300  # Zoom's code for a refused field, e.g. a passcode the policy forbids
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
    supports_recurring=True,  # R2: one type 8 (or type 3) meeting per series
    recurrence=ZOOM_RECURRENCE,
    # 100 meeting creates and updates per user per UTC day. Zoom's per-second limits depend
    # on the account's plan, which meetlink does not know: a host passes
    # ZoomProvider(rate_budget=zoom_rate_budget(ZOOM_PRO_PER_SECOND)) (or Free, Business).
    rate_budget=zoom_rate_budget({}),
)

#: What ``ZoomProvider(rate_budget=...)`` takes: a budget, None (no budget), or a callable
#: asked for the budget in force each time (an emulator whose limits a test changes).
BudgetSource = RateBudget | None | Callable[[], RateBudget | None]

# Connect failures never reached Zoom; anything after the request was sent may have run.


class ZoomProvider:
    """Zoom (user-level OAuth app) as a :class:`~meetlink.ports.provider.VideoProvider`.

    ``webhook_secrets``: the app's secret token, or several during a rotation. Pass ``client``
    (an ``httpx.Client``, not closed by :meth:`close`) or ``transport`` (e.g.
    ``ZoomEmulator.transport()``); otherwise a client with ``timeout`` seconds is made.
    ``rate_budget``: the limits meetlink spends from when it claims this provider's jobs
    (:mod:`.budget`); by default Zoom's 100 creates and updates per user per day when talking
    to Zoom itself, none when pointed elsewhere (an emulator declares its own).
    """

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
    ) -> None:
        if isinstance(rate_budget, str):
            # Zoom's own limits when talking to Zoom; a provider pointed elsewhere (an
            # emulator, a proxy, a client of the host's) declares none unless given one.
            at_zoom = client is None and transport is None and api_base_url == _ZOOM_API
            rate_budget = ZOOM_CAPABILITIES.rate_budget if at_zoom else None
        self._budget: BudgetSource = rate_budget
        self._caps = ZOOM_CAPABILITIES
        self._client_id = client_id
        self._client_secret = client_secret
        self._redirect_uri = redirect_uri
        secrets = [webhook_secrets] if isinstance(webhook_secrets, str) else webhook_secrets
        self._webhook_secrets = tuple(s for s in secrets if s)
        self._oauth = oauth_base_url.rstrip("/")
        self._api = api_base_url.rstrip("/")
        self._clock: Clock = clock or SystemClock()
        self._policies = _PolicyCache()
        self._owns_client = client is None
        self._http = client or httpx.Client(
            transport=transport,
            timeout=httpx.Timeout(timeout, connect=min(timeout, 5.0)),
            follow_redirects=False,
        )

    def __repr__(self) -> str:
        return f"ZoomProvider(api={self._api!r}, oauth={self._oauth!r})"

    # --- lifecycle ------------------------------------------------------------------------

    def close(self) -> None:
        """Close the HTTP client when this provider made it."""
        if self._owns_client:
            self._http.close()

    def __enter__(self) -> ZoomProvider:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    # --- the port -------------------------------------------------------------------------

    @property
    def key(self) -> str:
        """``"zoom"``."""
        return "zoom"

    @property
    def capabilities(self) -> Capabilities:
        """Zoom: no idempotent create, host start URL, 40-minute Basic plan, deauth webhook,
        and the rate budget in force (by default the 100-a-day create/update cap when talking
        to Zoom itself, no per-second limits; see ``rate_budget`` and :mod:`.budget`)."""
        budget = self._budget() if callable(self._budget) else self._budget
        if budget is not self._caps.rate_budget:  # made once per budget object
            self._caps = attrs.evolve(ZOOM_CAPABILITIES, rate_budget=budget)
        return self._caps

    def authorization_url(self, *, state: str, code_challenge: str) -> str:
        """Zoom's consent page URL (PKCE S256, the configured redirect URI)."""
        return sansio.authorization_url(
            self._oauth,
            client_id=self._client_id,
            redirect_uri=self._redirect_uri,
            state=state,
            code_challenge=code_challenge,
        )

    def exchange_code(self, *, code: str, code_verifier: str) -> TokenSet:
        """Trade an authorization code for tokens. invalid_grant -> GrantRevoked."""
        request = sansio.exchange_request(
            self._oauth,
            client_id=self._client_id,
            client_secret=self._client_secret,
            redirect_uri=self._redirect_uri,
            code=code,
            code_verifier=code_verifier,
        )
        return self._call(request, sansio.parse_tokens)

    def refresh(self, refresh_token: str) -> TokenSet:
        """New tokens; Zoom rotates the refresh token (the old one is dead at once)."""
        request = sansio.refresh_request(
            self._oauth,
            client_id=self._client_id,
            client_secret=self._client_secret,
            refresh_token=refresh_token,
        )
        return self._call(request, sansio.parse_tokens)

    def link_error(
        self, *, error: str, description: str | None = None, subcode: str | None = None
    ) -> LinkError:
        """Zoom redirects back only with OAuth's plain ``error`` (``access_denied`` when the
        user declines; Pre-Approval keeps the user on Zoom's page, S23)."""
        return oauth_link_error(error, provider_name="Zoom")

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
        request = sansio.revoke_request(
            self._oauth, client_id=self._client_id, client_secret=self._client_secret, token=access
        )
        self._call(request, sansio.parse_revoked)

    def account(self, access_token: str) -> ProviderAccount:
        """GET /v2/users/me."""
        return self._call(sansio.me_request(self._api, access_token), sansio.parse_account)

    def create_meeting(self, access_token: str, request: MeetingRequest) -> Meeting:
        """Create a meeting carrying ``request.marker`` in its agenda (type 2, or 8/3 for a
        series; skipped and moved occurrences are then changed one by one), with a passcode
        that meets the account's passcode policy (read from the user's settings, then kept
        for :data:`POLICY_TTL` per access token; when the token may not read settings, a
        strong default is sent)."""
        cached = self._policies.get(access_token, self._clock.now())
        policy = self._passcode_policy(access_token) if cached is None else cached[0]
        try:
            meeting, data = self._create(access_token, request, policy)
        except ProviderRejected as exc:
            if cached is None or exc.code != _INVALID_FIELD:
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
        built = sansio.create_meeting_request(self._api, access_token, request, passcode=passcode)
        return self._call(built, sansio.parse_created_json)

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
            built = sansio.list_meetings_request(self._api, access_token, page_token)
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
        return sansio.parse_webhook(headers, body, now, self._webhook_secrets)

    # --- internals ------------------------------------------------------------------------

    def _passcode_policy(self, access_token: str) -> sansio.PasscodePolicy | None:
        """The account's passcode policy, read from its settings (and kept for
        :data:`POLICY_TTL` for this access token)."""
        policy: sansio.PasscodePolicy | None
        try:
            policy = self._call(sansio.settings_request(self._api, access_token),
                                sansio.parse_passcode_policy)  # fmt: skip
        except ProviderRejected as exc:  # e.g. no settings scope (4711): use the default
            _log.info("Zoom passcode policy unreadable (%s); sending a default passcode", exc)
            policy = None
        self._policies.put(access_token, self._clock.now(), policy)
        return policy

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

    # --- transport ------------------------------------------------------------------------

    def _call(
        self,
        request: sansio.ZoomRequest,
        parse: Callable[[int, Mapping[str, str], bytes, datetime], _T],
    ) -> _T:
        response = send(
            self._http,
            method=request.method,
            url=request.url,
            headers=request.headers,
            body=request.body,
            provider_name="Zoom",
            log=_log,
        )
        return parse(response.status_code, response.headers, response.content, self._clock.now())


class _PolicyCache:
    """Passcode policies by access token (its SHA-256: no secret kept as a key), each for
    :data:`POLICY_TTL`, at most :data:`_POLICY_ENTRIES` (the oldest go). Thread-safe."""

    def __init__(self) -> None:
        self._entries: OrderedDict[bytes, tuple[datetime, sansio.PasscodePolicy | None]] = (
            OrderedDict()
        )
        self._lock = threading.Lock()

    @staticmethod
    def _key(access_token: str) -> bytes:
        return hashlib.sha256(access_token.encode("utf-8")).digest()

    def get(self, access_token: str, now: datetime) -> tuple[sansio.PasscodePolicy | None] | None:
        """``(policy,)`` while a fresh one is kept (the policy may be None: unreadable)."""
        with self._lock:
            found = self._entries.get(self._key(access_token))
        if found is None or now - found[0] >= POLICY_TTL or now < found[0]:
            return None
        return (found[1],)

    def put(self, access_token: str, now: datetime, policy: sansio.PasscodePolicy | None) -> None:
        """Keep ``policy`` read at ``now``."""
        key = self._key(access_token)
        with self._lock:
            self._entries[key] = (now, policy)
            self._entries.move_to_end(key)
            while len(self._entries) > _POLICY_ENTRIES:
                self._entries.popitem(last=False)

    def drop(self, access_token: str) -> None:
        """Forget the policy kept for ``access_token``."""
        with self._lock:
            self._entries.pop(self._key(access_token), None)


def _no_content(what: str) -> Callable[[int, Mapping[str, str], bytes, datetime], None]:
    def parse(status: int, headers: Mapping[str, str], body: bytes, now: datetime) -> None:
        sansio.parse_no_content(status, headers, body, now, what=what)

    return parse
