"""The Google Meet emulator:
[`GoogleMeetEmulator`][meetlink.emulators.google_meet.emulator.GoogleMeetEmulator] (Google OAuth,
OpenID userinfo, Meet REST API v2 spaces) on the emulator scaffold
([`meetlink.emulators.core`][meetlink.emulators.core])."""

from __future__ import annotations

from .emulator import GoogleMeetEmulator
from .state import GoogleUser

__all__ = ["GoogleMeetEmulator", "GoogleUser"]
