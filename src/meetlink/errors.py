"""Every error meetlink raises on purpose.

The tree::

    MeetLinkError
    ├── InvalidInput                 (also ValueError)   a bad argument to the facade
    │   └── InvalidEvent                                 bad Event input; names the field
    ├── ConfigurationError           (also ValueError)   bad settings, missing/wrong keys
    │   └── InvalidSetting           (also InvalidInput) a setting of the wrong type or range
    ├── UnknownProvider              (also LookupError)  provider key nobody registered
    ├── SubscriptionError
    │   ├── TrialUnavailable                             a tenant gets one trial (S4)
    │   └── InvalidTransition                            e.g. cancel without contract
    ├── AddonInactive                                    add-on not in trial/contract (S3-S5)
    ├── IllegalMove                  (also RuntimeError) a lifecycle move its table forbids (a bug)
    ├── LinkError
    │   ├── InvalidLinkState                             unknown, expired or reused OAuth state
    │   ├── LinkDenied                                   the user pressed Deny
    │   ├── AdminApprovalRequired                        Zoom Pre-Approval pending (S23)
    │   ├── UnsupportedAccount                           the account cannot host meetings
    │   ├── LinkNotNeeded                                the provider needs no link (no OAuth)
    │   └── NotLinked                                    the user has no active link
    ├── NotMeetingHost               (also PermissionError) start URL for a non-owner (S2)
    ├── UnknownEvent                 (also LookupError)
    ├── NoConference                 (also LookupError)  the event has no meeting (yet)
    ├── WebhookRejected                                  carries the HTTP status (400/401/413)
    ├── MailDeliveryFailed                               ``permanent`` says whether to retry
    ├── StorageError
    │   ├── ConcurrentUpdate                             a unique constraint lost a race; retry
    │   └── CredentialError                              unreadable token ciphertext (bad key)
    └── ProviderError                                    translated at the adapter boundary
        ├── ProviderUnavailable                          5xx, timeouts, dropped connections (retry)
        │   └── RateLimited                              429; ``retry_at`` says when
        │       └── MeetingInProgress                    delete after the meeting ends
        ├── AuthExpired                                  401 / code 124: refresh and retry once
        ├── GrantRevoked                                 invalid_grant: the link is broken
        ├── MeetingGone                                  404 / code 3001: counts as deleted
        └── ProviderRejected                             any other refusal; ``provider_code``
            ├── NotInOrganisation                        an organisation link has no such user
            ├── AccessPolicyMissing                      Teams: no application access policy
            └── HostingNotAllowed                        the account's plan cannot host meetings

No exception of httpx, SQLAlchemy, smtplib or a database driver leaves an adapter: each is
translated here with ``raise ... from exc``.

Every error has a stable ``code`` (``"error.invalid_event"``) and ``params`` (what its text
needs: ``field``, ``reason``, ``provider``...): ``meetlink.messages.text(error, locale)``
gives the text to show a user, in Japanese or English. ``str(error)`` is English prose for
logs and developers.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, ClassVar

__all__ = [
    "AccessPolicyMissing",
    "AddonInactive",
    "AdminApprovalRequired",
    "AuthExpired",
    "ConcurrentUpdate",
    "ConfigurationError",
    "CredentialError",
    "GrantRevoked",
    "HostingNotAllowed",
    "IllegalMove",
    "InvalidEvent",
    "InvalidInput",
    "InvalidLinkState",
    "InvalidSetting",
    "InvalidTransition",
    "LinkDenied",
    "LinkError",
    "LinkNotNeeded",
    "MailDeliveryFailed",
    "MeetLinkError",
    "MeetingGone",
    "MeetingInProgress",
    "NoConference",
    "NotInOrganisation",
    "NotLinked",
    "NotMeetingHost",
    "ProviderError",
    "ProviderRejected",
    "ProviderUnavailable",
    "RateLimited",
    "StorageError",
    "SubscriptionError",
    "TrialUnavailable",
    "UnknownEvent",
    "UnknownProvider",
    "UnsupportedAccount",
    "WebhookRejected",
]


class MeetLinkError(Exception):
    """Root of every error meetlink raises on purpose.

    ``code``: the stable code of its user-facing text (``meetlink.messages``); ``params``:
    the values that text is filled with (``reason`` picks a more precise text when the
    catalogue has one)."""

    code: ClassVar[str] = "error.meetlink_error"

    def __init__(self, *args: object, reason: str | None = None, **params: Any) -> None:
        super().__init__(*args)
        self.params: dict[str, Any] = dict(params)
        if reason is not None:
            self.params["reason"] = reason


class InvalidInput(MeetLinkError, ValueError):
    """An argument to the facade is not acceptable; the message names it."""

    code: ClassVar[str] = "error.invalid_input"


class InvalidEvent(InvalidInput):
    """An Event (or one of its participants) failed validation; ``field`` names the culprit."""

    code: ClassVar[str] = "error.invalid_event"

    def __init__(
        self, field: str, message: str, *, reason: str | None = None, **params: Any
    ) -> None:
        super().__init__(f"{field}: {message}", reason=reason, field=field, **params)
        self.field = field


class ConfigurationError(MeetLinkError, ValueError):
    """The library was wired or configured wrongly (a missing key, a bad setting)."""

    code: ClassVar[str] = "error.configuration_error"


class InvalidSetting(ConfigurationError, InvalidInput):
    """A setting has the wrong type or an impossible value; ``setting`` names it."""

    code: ClassVar[str] = "error.invalid_setting"

    def __init__(self, setting: str, message: str) -> None:
        super().__init__(f"setting {setting}: {message}", setting=setting)
        self.setting = setting


class UnknownProvider(MeetLinkError, LookupError):
    """No video provider is registered under that key."""

    code: ClassVar[str] = "error.unknown_provider"

    def __init__(self, key: str, known: tuple[str, ...] = ()) -> None:
        hint = f"; known providers: {', '.join(known)}" if known else ""
        super().__init__(f"unknown video provider {key!r}{hint}", provider=key)
        self.key = key


class SubscriptionError(MeetLinkError):
    """A subscription (add-on contract) operation is not allowed."""

    code: ClassVar[str] = "error.subscription_error"


class TrialUnavailable(SubscriptionError):
    """The tenant already used its one trial, or is contracted (S4)."""

    code: ClassVar[str] = "error.trial_unavailable"


class InvalidTransition(SubscriptionError):
    """The subscription cannot move from its current state by this action."""

    code: ClassVar[str] = "error.invalid_transition"


class AddonInactive(MeetLinkError):
    """The tenant's web conference add-on is neither in trial nor contracted (S3-S5)."""

    code: ClassVar[str] = "error.addon_inactive"


class IllegalMove(MeetLinkError, RuntimeError):
    """A conference or job lifecycle was asked for a move its transition table does not
    allow: a bug in meetlink, never bad input (the message names the stage and the move)."""

    code: ClassVar[str] = "error.illegal_move"


class LinkError(MeetLinkError):
    """Linking a user to a provider account failed."""

    code: ClassVar[str] = "error.link_error"


class InvalidLinkState(LinkError):
    """The OAuth ``state`` is unknown, expired, or was already used."""

    code: ClassVar[str] = "error.invalid_link_state"


class LinkDenied(LinkError):
    """The user refused the authorization on the provider's page."""

    code: ClassVar[str] = "error.link_denied"


class AdminApprovalRequired(LinkError):
    """The provider account's admin must approve the app first (Zoom Pre-Approval, S23;
    Microsoft "Need admin approval"). ``admin_consent_url``: where an administrator can
    approve the app for the whole organisation, when the provider has such a page."""

    code: ClassVar[str] = "error.admin_approval_required"

    def __init__(
        self, message: str, *, admin_consent_url: str | None = None, **params: Any
    ) -> None:
        super().__init__(message, **params)
        self.admin_consent_url = admin_consent_url


class UnsupportedAccount(LinkError):
    """The account signed in at the provider cannot host meetings through meetlink (e.g. a
    personal Microsoft account for Teams); the user must link another kind of account."""

    code: ClassVar[str] = "error.unsupported_account"


class LinkNotNeeded(LinkError):
    """``begin_link`` for a provider that needs no link (no OAuth): its meetings need no
    account, so there is nothing to link (``Capabilities.needs_link`` is False)."""

    code: ClassVar[str] = "error.link_not_needed"


class NotLinked(LinkError):
    """The user has no active link to that provider."""

    code: ClassVar[str] = "error.not_linked"


class NotMeetingHost(MeetLinkError, PermissionError):
    """Only the event owner, through the link that hosts the meeting, may start it (S2)."""

    code: ClassVar[str] = "error.not_meeting_host"


class UnknownEvent(MeetLinkError, LookupError):
    """No event with that id is stored."""

    code: ClassVar[str] = "error.unknown_event"


class NoConference(MeetLinkError, LookupError):
    """The event has no issued meeting to act on."""

    code: ClassVar[str] = "error.no_conference"


class WebhookRejected(MeetLinkError):
    """A webhook request was forged, stale, oversized or malformed; ``status`` is the reply."""

    code: ClassVar[str] = "error.webhook_rejected"

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message, status=status)
        self.status = status


class MailDeliveryFailed(MeetLinkError):
    """A mail could not be handed to the mail server. ``permanent`` False: retry later."""

    code: ClassVar[str] = "error.mail_delivery_failed"

    def __init__(self, message: str, *, permanent: bool = False, **params: Any) -> None:
        super().__init__(message, **params)
        self.permanent = permanent


class StorageError(MeetLinkError):
    """The storage adapter failed."""

    code: ClassVar[str] = "error.storage_error"


class ConcurrentUpdate(StorageError):
    """Another transaction changed the same rows first (a unique constraint lost a race)."""

    code: ClassVar[str] = "error.concurrent_update"


class CredentialError(StorageError):
    """Stored token ciphertext cannot be read: the encryption key is missing, wrong or rotated
    out. The message names the problem, never the token."""

    code: ClassVar[str] = "error.credential_error"


class ProviderError(MeetLinkError):
    """A video provider call failed; the subclasses say whether retrying can help."""

    code: ClassVar[str] = "error.provider_error"


class ProviderUnavailable(ProviderError):
    """The provider could not be reached or answered 5xx; the call may be retried later.

    ``maybe_applied`` is True when the request may have been processed anyway (the response was
    lost), so a retry of a create must first look for what the lost call made."""

    code: ClassVar[str] = "error.provider_unavailable"

    def __init__(self, message: str, *, maybe_applied: bool = False, **params: Any) -> None:
        super().__init__(message, **params)
        self.maybe_applied = maybe_applied


class RateLimited(ProviderUnavailable):
    """The provider said to wait (429, or a subclass's reason); do not call again before
    ``retry_at`` (aware UTC; None: back off as usual). ``account_wide``: the wait holds
    every call on the account (a rate limit), not only the one that was refused."""

    code: ClassVar[str] = "error.rate_limited"

    account_wide = True

    def __init__(self, message: str, *, retry_at: datetime | None, **params: Any) -> None:
        super().__init__(message, **params)
        self.retry_at = retry_at


class MeetingInProgress(RateLimited):
    """The meeting is running now and the provider refuses to delete it (Zoom code 3002):
    wait, and delete it after it ends. ``retry_at`` is its scheduled end when known. Only
    this deletion waits: the account's other work goes on."""

    code: ClassVar[str] = "error.meeting_in_progress"

    account_wide = False


class AuthExpired(ProviderError):
    """The access token was refused (401 / Zoom code 124): refresh once and retry."""

    code: ClassVar[str] = "error.auth_expired"


class GrantRevoked(ProviderError):
    """The refresh token or grant is no longer valid (``invalid_grant``): the link is broken."""

    code: ClassVar[str] = "error.grant_revoked"


class MeetingGone(ProviderError):
    """The meeting does not exist at the provider (Zoom 404 / code 3001)."""

    code: ClassVar[str] = "error.meeting_gone"


class ProviderRejected(ProviderError):
    """The provider refused the request for a reason retrying cannot fix.

    ``provider_code`` and ``status``: the provider's own error code and the HTTP status (the
    constructor takes the former as ``code=``); ``code`` is the stable message code, as on
    every error."""

    code: ClassVar[str] = "error.provider_rejected"

    def __init__(
        self,
        message: str,
        *,
        code: str | int | None = None,
        status: int | None = None,
        **params: Any,
    ):
        super().__init__(message, **params)
        self.provider_code = code
        self.status = status


class NotInOrganisation(ProviderRejected):
    """The user's directory address names nobody in the organisation that the tenant's
    organisation link is for (Zoom's 1001 "User does not exist", Graph's 404 on
    ``/users/{upn}``): their event's conference is FAILED with this reason, and the user gets
    a URL once they are added there (or link their own account)."""

    code: ClassVar[str] = "error.not_in_organisation"


class AccessPolicyMissing(ProviderRejected):
    """Microsoft Graph refused to act for the user with the organisation's application
    permission (403): the customer's Teams administrator has not granted the app an
    application access policy for this user. The message names the cmdlets to run
    (``New-CsApplicationAccessPolicy``, then ``Grant-CsApplicationAccessPolicy``;
    docs/org-install.md)."""

    code: ClassVar[str] = "error.access_policy_missing"


class HostingNotAllowed(ProviderRejected):
    """The provider account may not host meetings: its plan or licence does not include them
    (Zoom's 400 code 3161 "Meeting hosting and scheduling capabilities are not allowed for
    your user account"; Microsoft Graph's bare 403 ``Forbidden`` with an empty message on
    ``onlineMeetings``, which Graph answers for a user without a Teams licence that includes
    meetings, or a guest). Retrying cannot help: the conference is FAILED with this reason
    until the organisation's administrator gives the user a plan that hosts meetings (or the
    user links an account that has one); then
    [`retry`][meetlink.app.facade.MeetLink.retry] issues it."""

    code: ClassVar[str] = "error.hosting_not_allowed"
