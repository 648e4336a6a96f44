"""Zoom: the :class:`ZoomProvider` adapter, its sans-I/O core, and the :class:`ZoomEmulator`.

Importing this package imports httpx; ``import meetlink`` never does (composition roots import
``meetlink.adapters.zoom`` explicitly).
"""

from __future__ import annotations

from .emulator import ConsentBlocked, ConsentError, EmulatorServer, ZoomEmulator
from .emulator_state import ZoomUser
from .provider import ZOOM_CAPABILITIES, ZoomProvider
from .webhooks import MAX_BODY, TOLERANCE_SECONDS, parse_webhook, sign_webhook, url_validation_reply

__all__ = [
    "MAX_BODY",
    "TOLERANCE_SECONDS",
    "ZOOM_CAPABILITIES",
    "ConsentBlocked",
    "ConsentError",
    "EmulatorServer",
    "ZoomEmulator",
    "ZoomProvider",
    "ZoomUser",
    "parse_webhook",
    "sign_webhook",
    "url_validation_reply",
]
