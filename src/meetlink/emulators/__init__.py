"""Provider emulators: fakes of Zoom, Microsoft Teams and Google Meet for tests, demos and
benchmarks (like moto for AWS), in-process (an httpx transport) or over loopback HTTP.

Production code never imports this package; emulators may import adapters (webhook
signing, rate budgets). Each provider is a thin package on one scaffold:

- [`meetlink.emulators.core`][meetlink.emulators.core]: wire types, base state, route table,
  loopback transport and server, control endpoints,
  [`BaseEmulator`][meetlink.emulators.core.base.BaseEmulator];
- [`meetlink.emulators.zoom`][meetlink.emulators.zoom]:
  [`ZoomEmulator`][meetlink.emulators.zoom.emulator.ZoomEmulator];
- [`meetlink.emulators.teams`][meetlink.emulators.teams]:
  [`TeamsEmulator`][meetlink.emulators.teams.emulator.TeamsEmulator];
- [`meetlink.emulators.google_meet`][meetlink.emulators.google_meet]:
  [`GoogleMeetEmulator`][meetlink.emulators.google_meet.emulator.GoogleMeetEmulator].

Importing this package imports httpx (``import meetlink`` never does).
"""

from __future__ import annotations

from .core import BaseEmulator, ConsentBlocked, ConsentError, EmulatorServer
from .google_meet import GoogleMeetEmulator, GoogleUser
from .teams import TeamsEmulator, TeamsUser
from .zoom import ZoomEmulator, ZoomUser

__all__ = [
    "BaseEmulator",
    "ConsentBlocked",
    "ConsentError",
    "EmulatorServer",
    "GoogleMeetEmulator",
    "GoogleUser",
    "TeamsEmulator",
    "TeamsUser",
    "ZoomEmulator",
    "ZoomUser",
]
