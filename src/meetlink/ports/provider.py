"""**Protocol:** a video provider: Zoom, Microsoft Teams, or one the host adds (the extension
point: docs/providers.md).

Everything provider-specific stays behind this port; differences between providers are
[`Capabilities`][meetlink.ports.provider.Capabilities] (data), never ``if provider == "zoom"`` in
the application. The port is split by capability: every provider has the meeting methods
([`VideoProvider`][meetlink.ports.provider.VideoProvider]); one whose users link an account adds
[`OAuthProvider`][meetlink.ports.provider.OAuthProvider], and the optional parts are
[`StartUrlProvider`][meetlink.ports.provider.StartUrlProvider] and
[`WebhookProvider`][meetlink.ports.provider.WebhookProvider]. Everything a provider needs is
importable from here ([`TokenSet`][meetlink.domain.links.TokenSet] too). Errors are translated at
the adapter boundary into [`meetlink.errors`][meetlink.errors] ``ProviderError`` subclasses; no
httpx exception ever escapes.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from datetime import datetime
from typing import Protocol

import attrs

from meetlink.domain.budgets import Limit, Operation, RateBudget, Scope, Window
from meetlink.domain.conference import MeetingTerms
from meetlink.domain.links import TokenSet
from meetlink.domain.recurrence import RecurrenceLimits
from meetlink.errors import LinkError

__all__ = [
    "MAX_WEBHOOK_BYTES",
    "Capabilities",
    "Limit",
    "Meeting",
    "MeetingRequest",
    "OAuthProvider",
    "Operation",
    "OrganisationProvider",
    "ProviderAccount",
    "RateBudget",
    "Scope",
    "StartUrlProvider",
    "TokenSet",
    "VideoProvider",
    "WebhookKind",
    "WebhookMessage",
    "WebhookProvider",
    "Window",
]


@attrs.frozen(kw_only=True)
class Capabilities:
    """What a provider can do, as data the application reads (docs/providers.md).

    ``needs_link``, ``host_start_url`` and ``deauthorization_webhook`` also say which
    optional parts of the port the provider implements (checked when a MeetLink is made)."""

    display_name: str  # in participants' mails
    # False: no OAuth; the owner needs no link, and the provider gets "" as access token.
    needs_link: bool = True
    idempotent_create: bool = False  # Teams createOrGet(externalId); Zoom has none
    # Whether a create whose answer was lost on the wire can be found again by its marker
    # (Zoom: the agenda line; Teams: createOrGet). Google Meet cannot: a space carries no
    # marker and cannot be listed, so the retry makes another space and the lost one, which
    # nobody can name, serves nothing (docs/google-meet.md).
    finds_lost_creates: bool = True
    host_start_url: bool = True  # Zoom: a separate, short-lived start_url (StartUrlProvider)
    free_plan_minutes: int | None = None  # Zoom Basic: 40 (S22)
    deauthorization_webhook: bool = True  # Zoom app_deauthorized (S16); Teams: none
    # The provider tells meetlink when a meeting is deleted or changed on its own site (Zoom
    # meeting.deleted / meeting.updated webhooks). False: meetlink looks itself, for meetings
    # starting soon (the meeting check, docs/operations.md).
    meeting_webhooks: bool = False
    # A meeting can be deleted or moved on the provider's own site (drift). False (Google
    # Meet: a space has no time, and neither Meet's API nor its pages can delete one): there
    # is nothing to repair, and the meeting check never reads its meetings.
    meetings_drift: bool = True
    supports_recurring: bool = False  # one meeting for a whole series (R2)
    # What the provider's recurring meeting with fixed times can express (Zoom type 8);
    # None: its meeting carries no schedule of occurrences (Teams: one online meeting whose
    # URL serves every occurrence). A rule beyond the limits gets a meeting without fixed
    # times and Notice.RECURRENCE_NOT_EXPRESSIBLE.
    recurrence: RecurrenceLimits | None = None
    # The provider's rate limits as meetlink spends them when it claims a job (per account,
    # organisation or app; meetlink.domain.budgets). None: no budget, the provider's 429s
    # alone pace the work.
    rate_budget: RateBudget | None = None
    # One admin grant can serve a whole organisation (OrganisationProvider: Zoom's
    # admin-managed app, Microsoft's application permissions; docs/org-install.md).
    organisation_install: bool = False


@attrs.frozen(kw_only=True)
class ProviderAccount:
    """The account behind an access token (Zoom: GET /v2/users/me)."""

    external_account_id: str  # the provider's user id (Zoom user id)
    account_id: str  # the organisation/account the user belongs to
    email: str
    plan: str  # "basic" | "licensed" (providers without tiers: "licensed")


@attrs.frozen(kw_only=True)
class MeetingRequest:
    """A meeting to create or update. ``marker`` is meetlink's own key for this conference:
    the adapter stores it in the meeting (Zoom: a line in the agenda; Teams: externalId) so
    a lost create can be found again and adopted instead of duplicated. ``tenant_id``: the
    tenant whose event it is, for a provider whose meeting settings each tenant chooses
    (Google Meet's access type); None when a caller has no tenant to name."""

    terms: MeetingTerms
    marker: str
    tenant_id: str | None = None


@attrs.frozen(kw_only=True)
class Meeting:
    """A meeting as the provider reports it. ``meeting_id`` is a str (Zoom ids exceed 2^31).
    The host start URL is not here: ask
    [`StartUrlProvider.start_url`][meetlink.ports.provider.StartUrlProvider.start_url] when
    needed."""

    meeting_id: str
    join_url: str
    passcode: str | None
    topic: str
    start: datetime | None
    duration_minutes: int | None
    timezone: str | None
    marker: str | None = None  # the marker found in the meeting, if any


#: The largest webhook body meetlink reads: 65,536 bytes (64 KiB). Providers' webhooks are
#: small JSON documents; the routes stop reading past this, however the body is framed.
MAX_WEBHOOK_BYTES = 65_536


class WebhookKind(enum.Enum):
    """What a verified webhook asks of meetlink."""

    URL_VALIDATION = "url_validation"  # answer the challenge (reply_body)
    DEAUTHORIZED = "deauthorized"  # the user removed the app (S16)
    MEETING_DELETED = "meeting_deleted"  # deleted on the provider's site (meeting_id)
    MEETING_CHANGED = "meeting_changed"  # changed on the provider's site (meeting_id, start...)
    OTHER = "other"  # valid but of no interest: 200, nothing changes


@attrs.frozen(kw_only=True)
class WebhookMessage:
    """A verified webhook request, parsed."""

    kind: WebhookKind
    delivery_key: str  # stable for a delivery (for replay detection)
    # DEAUTHORIZED: the provider user id; MEETING_*: the meeting's host (or who changed it)
    external_account_id: str | None = None
    # DEAUTHORIZED for an organisation's grant (Zoom: the admin-managed app removed): the
    # provider organisation (account) whose organisation link ends.
    organisation_id: str | None = None
    occurred_at: datetime | None = None  # when the provider says it happened
    meeting_id: str | None = None  # MEETING_*: the provider's meeting id
    # DEAUTHORIZED: the user asked for their data to be deleted (Zoom user_data_retention
    # false): meetlink erases what it kept of the account (meetlink.domain.erasure).
    erase_data: bool = False
    # MEETING_CHANGED: what the meeting says now, where the provider told (None: not told)
    start: datetime | None = None
    duration_minutes: int | None = None
    reply_body: bytes = b'{"status":"ok"}'
    reply_content_type: str = "application/json"


class VideoProvider(Protocol):
    """**Protocol:** one provider (keyed by [`key`][meetlink.ports.provider.VideoProvider.key], e.g.
    ``"zoom"``): the meetings.

    What else a provider implements follows its
    [`Capabilities`][meetlink.ports.provider.Capabilities] (the registry checks it when a MeetLink
    is made): [`OAuthProvider`][meetlink.ports.provider.OAuthProvider] when it ``needs_link``,
    [`StartUrlProvider`][meetlink.ports.provider.StartUrlProvider] with a ``host_start_url``,
    [`WebhookProvider`][meetlink.ports.provider.WebhookProvider] with a ``deauthorization_webhook``
    (docs/providers.md).

    Methods taking ``access_token`` raise [`AuthExpired`][meetlink.errors.AuthExpired] when the
    token is refused; the application refreshes once and retries. A provider that needs no link
    gets ``""``.
    """

    @property
    def key(self) -> str:
        """The stable provider key stored in the database (e.g. "zoom"; at most 32
        characters)."""
        ...

    @property
    def capabilities(self) -> Capabilities:
        """What this provider can do."""
        ...

    def create_meeting(self, access_token: str, request: MeetingRequest) -> Meeting:
        """Create a meeting. A lost response raises ProviderUnavailable(maybe_applied=True)."""
        ...

    def update_meeting(self, access_token: str, meeting_id: str, request: MeetingRequest) -> None:
        """Make the meeting say ``request.terms``. Missing meeting -> MeetingGone."""
        ...

    def get_meeting(self, access_token: str, meeting_id: str) -> Meeting:
        """The meeting as it is now. Missing meeting -> MeetingGone."""
        ...

    def delete_meeting(self, access_token: str, meeting_id: str) -> bool:
        """Delete the meeting. False when it was already gone (404 counts as deleted)."""
        ...

    def find_by_marker(self, access_token: str, marker: str) -> list[Meeting]:
        """The meetings a create carrying ``marker`` made (those whose time has passed too),
        to adopt or delete them after a create whose answer was lost. Providers that can
        only look a meeting up by creating it (Teams createOrGet) say so in their docs: the
        caller deletes what this returns."""
        ...


class OAuthProvider(VideoProvider, Protocol):
    """**Protocol:** a provider whose users link an account through OAuth
    (``Capabilities.needs_link``, the default)."""

    def authorization_url(self, *, state: str, code_challenge: str) -> str:
        """The provider's consent page URL (PKCE S256, the configured redirect URI)."""
        ...

    def exchange_code(self, *, code: str, code_verifier: str) -> TokenSet:
        """Trade an authorization code for tokens. invalid_grant -> GrantRevoked."""
        ...

    def refresh(self, refresh_token: str) -> TokenSet:
        """New tokens (the refresh token may rotate: meetlink stores the new one before
        using it). A refused refresh token -> GrantRevoked."""
        ...

    def link_error(
        self, *, error: str, description: str | None = None, subcode: str | None = None
    ) -> LinkError:
        """The typed error for an OAuth callback that carried ``error`` (and the provider's
        ``error_description`` / ``error_subcode``): LinkDenied, AdminApprovalRequired, or
        LinkError. Each adapter reads its own provider's codes (Microsoft AADSTS...)."""
        ...

    def revoke(self, tokens: TokenSet) -> None:
        """Revoke the grant, with the token the provider documents for it. Raises a
        ProviderError when the provider did not confirm (the caller treats it as best
        effort and tells the operator); an already dead grant counts as revoked."""
        ...

    def account(self, access_token: str) -> ProviderAccount:
        """The account that the token belongs to."""
        ...


class StartUrlProvider(VideoProvider, Protocol):
    """**Protocol:** a provider with a separate host start URL (``host_start_url``; without
    it the host joins with the join URL)."""

    def start_url(self, access_token: str, meeting_id: str) -> str:
        """A fresh host start URL (S2). Short-lived: never store it."""
        ...


class WebhookProvider(VideoProvider, Protocol):
    """**Protocol:** a provider that sends webhooks (``deauthorization_webhook``: S16's
    Remove App, and the endpoint's URL validation)."""

    def parse_webhook(
        self, headers: Mapping[str, str], body: bytes, now: datetime
    ) -> WebhookMessage:
        """Verify signature and timestamp, then parse. Forged/stale -> WebhookRejected(401);
        malformed -> WebhookRejected(400)."""
        ...


class OrganisationProvider(OAuthProvider, Protocol):
    """**Protocol:** a provider where one admin grant serves every user of an organisation
    (``Capabilities.organisation_install``; docs/org-install.md). The organisation's grant is
    its own OAuth app: [`organisation`][meetlink.ports.provider.OrganisationProvider.organisation]
    gives it as an [`OAuthProvider`][meetlink.ports.provider.OAuthProvider] (consent, tokens,
    refresh, revoke; its ``account`` names the organisation in ``account_id``), whose token
    finds the organisation's users and acts for one of them."""

    def organisation(self) -> OAuthProvider:
        """The organisation's app (Zoom: the admin-managed app). ProviderRejected when the
        host configured none."""
        ...

    def find_user(self, access_token: str, address: str) -> ProviderAccount | None:
        """The organisation's user whose directory address (Zoom: email; Microsoft: UPN) is
        ``address``, with the organisation's token; None when the organisation has no such
        user (Zoom's 1001, Graph's 404)."""
        ...

    def acting_for(self, user: str) -> VideoProvider:
        """This provider's meeting methods, called with the organisation's token, for the
        organisation's user ``user`` (their provider id; Zoom also takes their email)."""
        ...
