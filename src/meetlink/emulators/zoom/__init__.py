"""The Zoom emulator (:class:`ZoomEmulator`): a faithful fake of Zoom's OAuth, REST and
webhook behaviour on the shared scaffold (:mod:`meetlink.emulators.core`).

- :mod:`.state`: users, grants, tokens, meetings, limits (the models);
- :mod:`.oauth`, :mod:`.api`, :mod:`.meetings`, :mod:`.settings`: the handlers;
- :mod:`.urls`: the route table and the answer to an injected failure;
- :mod:`.emulator`: :class:`ZoomEmulator`, what a test drives.
"""

from __future__ import annotations

from meetlink.emulators.core import ConsentBlocked, ConsentError, EmulatorServer

from .emulator import ZoomEmulator
from .state import ZoomUser

__all__ = ["ConsentBlocked", "ConsentError", "EmulatorServer", "ZoomEmulator", "ZoomUser"]
