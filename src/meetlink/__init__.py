"""meetlink: attach web conference URLs (Zoom; Microsoft Teams next) to calendar events.

Importing meetlink loads neither httpx, SQLAlchemy nor Jinja2: adapters are imported by the
host's composition root (or lazily), and the test kit lives in
[`meetlink.testing`][meetlink.testing].
"""

from meetlink.app.settings import Settings
from meetlink.app.tenant import TenantMeetLink
from meetlink.compose import MeetLink
from meetlink.domain.conference import Conference, ConferenceStatus
from meetlink.domain.event import Event, MovedOccurrence, Participant, Source, Span
from meetlink.domain.issuance import IssuancePolicy, Notice, Refusal
from meetlink.domain.links import AccountLink, DirectoryEntry, OrganisationLink, UnlinkReason
from meetlink.domain.results import (
    HostNotice,
    HostNoticeKind,
    LinkRequest,
    SaveResult,
    WebhookReply,
)
from meetlink.domain.retry import RetryPolicy
from meetlink.domain.subscription import Subscription, SubscriptionState
from meetlink.errors import (
    AddonInactive,
    AdminApprovalRequired,
    AuthExpired,
    ConcurrentUpdate,
    ConfigurationError,
    CredentialError,
    GrantRevoked,
    IllegalMove,
    InvalidEvent,
    InvalidInput,
    InvalidLinkState,
    InvalidSetting,
    InvalidTransition,
    LinkDenied,
    LinkError,
    LinkNotNeeded,
    MailDeliveryFailed,
    MeetingGone,
    MeetingInProgress,
    MeetLinkError,
    NoConference,
    NotInOrganisation,
    NotLinked,
    NotMeetingHost,
    ProviderError,
    ProviderRejected,
    ProviderUnavailable,
    RateLimited,
    StorageError,
    SubscriptionError,
    TrialUnavailable,
    UnknownEvent,
    UnknownProvider,
    UnsupportedAccount,
    WebhookRejected,
)

__all__ = [
    "AccountLink",
    "AddonInactive",
    "AdminApprovalRequired",
    "AuthExpired",
    "ConcurrentUpdate",
    "Conference",
    "ConferenceStatus",
    "ConfigurationError",
    "CredentialError",
    "DirectoryEntry",
    "Event",
    "GrantRevoked",
    "HostNotice",
    "HostNoticeKind",
    "IllegalMove",
    "InvalidEvent",
    "InvalidInput",
    "InvalidLinkState",
    "InvalidSetting",
    "InvalidTransition",
    "IssuancePolicy",
    "LinkDenied",
    "LinkError",
    "LinkNotNeeded",
    "LinkRequest",
    "MailDeliveryFailed",
    "MeetLink",
    "MeetLinkError",
    "MeetingGone",
    "MeetingInProgress",
    "MovedOccurrence",
    "NoConference",
    "NotInOrganisation",
    "NotLinked",
    "NotMeetingHost",
    "Notice",
    "OrganisationLink",
    "Participant",
    "ProviderError",
    "ProviderRejected",
    "ProviderUnavailable",
    "RateLimited",
    "Refusal",
    "RetryPolicy",
    "SaveResult",
    "Settings",
    "Source",
    "Span",
    "StorageError",
    "Subscription",
    "SubscriptionError",
    "SubscriptionState",
    "TenantMeetLink",
    "TrialUnavailable",
    "UnknownEvent",
    "UnknownProvider",
    "UnlinkReason",
    "UnsupportedAccount",
    "WebhookRejected",
    "WebhookReply",
]
__version__ = "0.1.0"
