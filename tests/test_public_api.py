"""The public surface: exactly the names API.md promises (plus documented extensions)."""

from __future__ import annotations

import subprocess
import sys

import meetlink

CONTRACT = {
    "MeetLink", "Event", "Participant", "Span", "Source", "SaveResult", "Refusal", "Notice",
    "Conference", "ConferenceStatus", "Subscription", "SubscriptionState", "AccountLink",
    "LinkRequest", "WebhookReply", "MeetLinkError", "InvalidEvent", "TrialUnavailable",
    "InvalidTransition", "AddonInactive", "InvalidLinkState", "LinkDenied",
    "AdminApprovalRequired", "NotMeetingHost", "TenantMeetLink",
}  # fmt: skip
EXTENSIONS = {
    "AuthExpired", "ConcurrentUpdate", "ConfigurationError", "CredentialError", "GrantRevoked",
    "HostNotice", "HostNoticeKind", "IllegalMove", "InvalidInput", "InvalidSetting",
    "IssuancePolicy", "LinkError", "MailDeliveryFailed", "MeetingGone", "MovedOccurrence",
    "NoConference", "NotLinked", "ProviderError", "ProviderRejected", "ProviderUnavailable",
    "RateLimited", "RetryPolicy", "Settings", "StorageError", "SubscriptionError",
    "UnknownEvent", "UnknownProvider", "UnlinkReason", "WebhookRejected",
    "MeetingInProgress", "UnsupportedAccount", "LinkNotNeeded",
    "NotInOrganisation", "OrganisationLink", "DirectoryEntry", "AccessPolicyMissing",
    "HostingNotAllowed",
    "HostEvent", "HostEventKind", "Relink",
}  # fmt: skip


def test_all_is_exactly_the_public_names() -> None:
    assert set(meetlink.__all__) == CONTRACT | EXTENSIONS
    assert list(meetlink.__all__) == sorted(meetlink.__all__)
    for name in meetlink.__all__:
        assert getattr(meetlink, name) is not None


def test_every_error_is_a_meetlink_error() -> None:
    import meetlink.errors as errors

    for name in errors.__all__:
        cls = getattr(errors, name)
        assert issubclass(cls, meetlink.MeetLinkError), name
        assert getattr(meetlink, name) is cls, f"{name} must be importable from meetlink"
    assert issubclass(meetlink.InvalidEvent, ValueError)


def test_testing_surface() -> None:
    from meetlink.testing import (
        ManualClock,
        ProviderContract,
        Sandbox,
        ZoomEmulator,
        check_provider,
    )

    assert callable(Sandbox) and callable(ZoomEmulator) and callable(ManualClock)
    assert callable(check_provider) and hasattr(ProviderContract, "make_target")


def test_import_meetlink_stays_light() -> None:
    code = (
        "import sys, meetlink; "
        "print(','.join(m for m in ('httpx', 'sqlalchemy', 'jinja2') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""
