"""``GoogleMeetProvider``: the [`VideoProvider`][meetlink.ports.provider.VideoProvider] for Google
Meet (Meet REST API v2, user OAuth) over httpx.

Google's sans-I/O core ([`oauth`][meetlink.adapters.google_meet.oauth],
[`sansio`][meetlink.adapters.google_meet.sansio]) plugged into the provider shell
([`meetlink.adapters.shell`][meetlink.adapters.shell]), like ``ZoomProvider`` and
``TeamsProvider``. What is Meet's own (docs/google-meet.md):

- a space has no time and no title: one space serves an event (a whole series), an update
  changes nothing at Google (participants still get the updated invitation by mail), and a
  [`Meeting`][meetlink.ports.provider.Meeting] read back has no topic and no start;
- there is no delete: "deleting" ends the active conference (if any) and restricts the space
  (``accessType`` RESTRICTED: only invitees join without knocking). The link itself cannot be
  destroyed;
- a space carries no marker: the [`SpaceLedger`][meetlink.adapters.google_meet.ledger.SpaceLedger]
  remembers which space a marker's create made, and which spaces meetlink closed.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator, Mapping
from datetime import datetime, timedelta

import httpx

from meetlink.adapters.shell import BudgetSource, Parse, ProviderShell
from meetlink.domain.links import TokenSet
from meetlink.errors import ConfigurationError, MeetingGone, ProviderRejected
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
)

from . import sansio
from .ledger import MemorySpaceLedger, SpaceLedger
from .oauth import SCOPES, GoogleOAuth, parse_revoked
from .sansio import ACCESS_TYPES, Space

__all__ = [
    "GOOGLE_MEET_CAPABILITIES",
    "GOOGLE_MEET_RATE_BUDGET",
    "AccessTypeSource",
    "GoogleMeetProvider",
]

_log = logging.getLogger(__name__)
#: The longest marker the ledger keeps (``SqlSpaceLedger``'s column; meetlink's are 16).
_MAX_MARKER = 64
_MINUTE = timedelta(minutes=1)
#: The access type of new spaces: one for every tenant, or chosen per tenant (called with the
#: tenant of the event, None when the caller names none).
AccessTypeSource = str | Callable[[str | None], str]

#: Google's published Meet REST API quotas as meetlink spends them (docs/google-meet.md,
#: "Limits"): ``spaces.create`` ("reduced write requests") 10 per minute per user and 100
#: per minute per project; writes (end a conference, restrict a space: two per delete) 100
#: per minute per user and 1,000 per project. Evenly paced, so no minute ever holds more.
GOOGLE_MEET_RATE_BUDGET = RateBudget(
    (
        Limit(
            name="space-creates-per-user",
            scope=Scope.ACCOUNT,
            count=10,
            per=_MINUTE,
            operations=frozenset({Operation.CREATE}),
        ),
        Limit(
            name="space-creates-per-project",
            scope=Scope.APP,
            count=100,
            per=_MINUTE,
            operations=frozenset({Operation.CREATE}),
        ),
        Limit(
            name="writes-per-user",
            scope=Scope.ACCOUNT,
            count=100,
            per=_MINUTE,
            burst=2,
            cost=2,
            operations=frozenset({Operation.DELETE}),
        ),
        Limit(
            name="writes-per-project",
            scope=Scope.APP,
            count=1000,
            per=_MINUTE,
            burst=2,
            cost=2,
            operations=frozenset({Operation.DELETE}),
        ),
    )
)

GOOGLE_MEET_CAPABILITIES = Capabilities(
    display_name="Google Meet",
    idempotent_create=False,  # no key at Google: the ledger finds a marker's space
    finds_lost_creates=False,  # an answer lost on the wire leaves a space nobody can name
    host_start_url=False,  # the organizer joins with the meeting URI
    free_plan_minutes=None,  # what a consumer account's calls allow is not visible via the API
    deauthorization_webhook=False,  # a revoked grant shows up as invalid_grant on refresh
    supports_recurring=True,  # a space has no time: one space serves the whole series
    meetings_drift=False,  # no time to move, no way to delete a space: nothing to check
    rate_budget=GOOGLE_MEET_RATE_BUDGET,
)


class GoogleMeetProvider(ProviderShell):
    """Google Meet as a [`VideoProvider`][meetlink.ports.provider.VideoProvider].

    ``client_id``/``client_secret``/``redirect_uri``: the OAuth client of type "Web
    application" from the Google Cloud console. ``access_type``: who joins a new space without
    knocking (``"TRUSTED"``, the default: the host's organisation, invitees and dial-in users;
    ``"OPEN"``: anyone with the link; ``"RESTRICTED"``: invitees only), or a function of the
    event's tenant returning one (each tenant chooses; a value it returns that is none of
    these fails that create with ProviderRejected). ``ledger``: where the
    adapter writes which space each create made (default: in this process; share one between
    processes, see ``meetlink.adapters.google_meet.ledger``). The base URLs stand for
    ``https://accounts.google.com``, ``https://oauth2.googleapis.com``,
    ``https://openidconnect.googleapis.com`` and ``https://meet.googleapis.com``. Pass
    ``client`` (not closed by [`close`][meetlink.adapters.shell.ProviderShell.close]) or
    ``transport`` (e.g. ``GoogleMeetEmulator.transport()``). ``rate_budget``: the limits
    meetlink spends from (default: Google's published quotas).
    """

    key_name = "google_meet"

    def __init__(
        self,
        *,
        client_id: str,
        client_secret: str,
        redirect_uri: str,
        access_type: AccessTypeSource = "TRUSTED",
        ledger: SpaceLedger | None = None,
        accounts_base_url: str = "https://accounts.google.com",
        oauth2_base_url: str = "https://oauth2.googleapis.com",
        userinfo_base_url: str = "https://openidconnect.googleapis.com",
        meet_base_url: str = "https://meet.googleapis.com",
        scope: str = SCOPES,
        client: httpx.Client | None = None,
        transport: httpx.BaseTransport | None = None,
        clock: Clock | None = None,
        timeout: float = 10.0,
        rate_budget: BudgetSource = GOOGLE_MEET_RATE_BUDGET,
    ) -> None:
        if not callable(access_type) and access_type not in ACCESS_TYPES:
            raise ConfigurationError(f"access_type must be one of {', '.join(ACCESS_TYPES)}")
        self._oauth = GoogleOAuth(
            accounts_base=accounts_base_url.rstrip("/"),
            oauth2_base=oauth2_base_url.rstrip("/"),
            client_id=client_id,
            client_secret=client_secret,
            redirect_uri=redirect_uri,
            scope=scope,
        )
        super().__init__(
            self._oauth, GOOGLE_MEET_CAPABILITIES, rate_budget, client, transport, clock, timeout
        )
        self._access_type = access_type
        self._ledger: SpaceLedger = ledger if ledger is not None else MemorySpaceLedger()
        self._userinfo = userinfo_base_url.rstrip("/")
        self._meet = meet_base_url.rstrip("/")

    def __repr__(self) -> str:
        shown = "per tenant" if callable(self._access_type) else self._access_type
        return f"GoogleMeetProvider(meet={self._meet!r}, access_type={shown!r})"

    @property
    def ledger(self) -> SpaceLedger:
        """Where this provider writes the spaces it made and closed."""
        return self._ledger

    # --- the port: linking (key, capabilities, authorization_url, exchange_code, refresh
    # and link_error: ProviderShell with GoogleOAuth) ----------------------------------------

    def revoke(self, tokens: TokenSet) -> None:
        """POST /revoke with the refresh token: the whole grant goes (its access tokens with
        it). A token Google no longer knows (``invalid_token``) counts as revoked."""
        self._call(self._oauth.revoke_request(tokens.refresh_token), parse_revoked)

    def account(self, access_token: str) -> ProviderAccount:
        """GET /v1/userinfo: ``sub`` is the account, the Workspace domain (``hd``) the
        organisation (a consumer account is its own)."""
        return self._call(
            sansio.userinfo_request(self._userinfo, access_token), sansio.parse_account
        )

    # --- the port: meetings ---------------------------------------------------------------

    def create_meeting(self, access_token: str, request: MeetingRequest) -> Meeting:
        """A new space with the access type configured (for the request's tenant). The
        ledger is written before the call and as soon as the answer is read; a marker whose
        space the ledger already holds (and meetlink did not close) gets that space back
        instead of a second one."""
        if not 0 < len(request.marker) <= _MAX_MARKER:
            raise ProviderRejected(
                f"a Google Meet marker has 1 to {_MAX_MARKER} characters", code="marker"
            )
        for space in self._own_spaces(access_token, request.marker):
            return self._meeting(space, request.marker)
        source = self._access_type
        access = source(request.tenant_id) if callable(source) else source
        built = sansio.create_request(self._meet, access_token, access)
        self._ledger.begin(request.marker)
        space = self._call(built, sansio.parse_created)
        self._ledger.made(request.marker, space.name, space.meeting_uri)
        return self._meeting(space, request.marker)

    def update_meeting(self, access_token: str, meeting_id: str, request: MeetingRequest) -> None:
        """Nothing to change at Google: a space has no time or title (the participants get
        the updated invitation by mail). A space meetlink closed is gone (MeetingGone)."""
        if self._ledger.is_closed(meeting_id):
            raise MeetingGone("the Google Meet space was closed by meetlink")

    def get_meeting(self, access_token: str, meeting_id: str) -> Meeting:
        """GET the space (MeetingGone when Google does not know it, or meetlink closed it)."""
        if self._ledger.is_closed(meeting_id):
            raise MeetingGone("the Google Meet space was closed by meetlink")
        return self._meeting(self._get(access_token, meeting_id), None)

    def delete_meeting(self, access_token: str, meeting_id: str) -> bool:
        """End the active conference (if any) and restrict the space to invitees: all Meet v2
        allows, since a space cannot be deleted (the URI stays; people not invited must knock
        and be admitted by someone inside). False when meetlink had closed it already or
        Google does not know it."""
        if self._ledger.is_closed(meeting_id):
            return False
        try:
            built = sansio.end_conference_request(self._meet, access_token, meeting_id)
            self._call(built, sansio.parse_ended)
            closing = sansio.close_request(self._meet, access_token, meeting_id)
            self._call(closing, _space("restrict space"))
        except MeetingGone:
            return False
        return self._ledger.close(meeting_id)

    def find_by_marker(self, access_token: str, marker: str) -> list[Meeting]:
        """The spaces the ledger says creates with ``marker`` made and meetlink did not close
        (those Google still knows). A create whose answer was lost on the wire is not among
        them: nobody can name its space (docs/google-meet.md, "Lost creates")."""
        return [self._meeting(space, marker) for space in self._own_spaces(access_token, marker)]

    # --- internals ------------------------------------------------------------------------

    def _own_spaces(self, access_token: str, marker: str) -> Iterator[Space]:
        """The spaces the ledger says creates with ``marker`` made, not closed, that Google
        still knows and that belong to the caller's account (read lazily, in the order
        made). The ledger is keyed by marker alone, so a marker another account's create
        used (a caller that chose it) lists that account's spaces too: Google lets anyone
        read a space but shows its settings only to its owner (the meeting roles table,
        docs/google-meet.md), so a space read without its ``config`` is not the caller's."""
        for name, _uri in self._ledger.entry(marker).open_spaces():
            try:
                space = self._get(access_token, name)
            except MeetingGone:
                continue
            if space.access_type is not None:
                yield space

    def _get(self, access_token: str, name: str) -> Space:
        return self._call(sansio.get_request(self._meet, access_token, name), _space("get space"))

    def _meeting(self, space: Space, marker: str | None) -> Meeting:
        return Meeting(
            meeting_id=space.name,
            join_url=space.meeting_uri,
            passcode=None,
            topic="",
            start=None,
            duration_minutes=None,
            timezone=None,
            # Whose marker a space was made for is told to its owner only.
            marker=marker
            or (self._ledger.marker_of(space.name) if space.access_type is not None else None),
        )


def _space(what: str) -> Parse[Space]:
    def parse(status: int, headers: Mapping[str, str], body: bytes, now: datetime) -> Space:
        return sansio.parse_space(status, headers, body, now, what=what)

    return parse
