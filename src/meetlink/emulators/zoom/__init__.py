"""The Zoom emulator ([`ZoomEmulator`][meetlink.emulators.zoom.emulator.ZoomEmulator]): a faithful
fake of Zoom's OAuth, REST and webhook behaviour on the shared scaffold
([`meetlink.emulators.core`][meetlink.emulators.core]).

- ``state``: users, grants, tokens, meetings, limits (the models);
- ``oauth``, ``api``, ``meetings``, ``settings``: the handlers;
- ``urls``: the route table and the answer to an injected failure;
- ``emulator``: [`ZoomEmulator`][meetlink.emulators.zoom.emulator.ZoomEmulator], what a test drives.
"""

from __future__ import annotations

from meetlink.emulators.core import ConsentBlocked, ConsentError, EmulatorServer

from .emulator import ZoomEmulator
from .state import ZoomUser

__all__ = ["ConsentBlocked", "ConsentError", "EmulatorServer", "ZoomEmulator", "ZoomUser"]
