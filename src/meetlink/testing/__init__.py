"""The test kit for hosts (like moto for AWS): a fully wired MeetLink with no network.

    from meetlink.testing import Sandbox

    with Sandbox() as sb:
        sb.meetlink.start_trial("t1")
        user = sb.zoom.add_user("alice@corp.example")
        request = sb.meetlink.begin_link("t1", "alice")
        params = sb.zoom.consent(request.authorize_url, user)
        sb.meetlink.complete_link(params["state"], code=params["code"],
                                  user_id="alice", tenant_id="t1")

Importing this module is the only way the test kit pulls in httpx and SQLAlchemy.
"""

from meetlink.adapters.clock import ManualClock
from meetlink.emulators.google_meet import GoogleMeetEmulator, GoogleUser
from meetlink.emulators.teams import TeamsEmulator, TeamsUser
from meetlink.emulators.zoom import ZoomEmulator, ZoomUser
from meetlink.testing.contract import (
    ContractFailure,
    ProviderContract,
    ProviderTarget,
    check_provider,
)
from meetlink.testing.sandbox import Sandbox

__all__ = [
    "ContractFailure",
    "GoogleMeetEmulator",
    "GoogleUser",
    "ManualClock",
    "ProviderContract",
    "ProviderTarget",
    "Sandbox",
    "TeamsEmulator",
    "TeamsUser",
    "ZoomEmulator",
    "ZoomUser",
    "check_provider",
]
