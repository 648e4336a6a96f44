"""Zoom: the [`ZoomProvider`][meetlink.adapters.zoom.provider.ZoomProvider] adapter and its sans-I/O
core. The Zoom emulator lives in [`meetlink.emulators.zoom`][meetlink.emulators.zoom] (its old names
here still resolve, with a DeprecationWarning).

Importing this package imports httpx; ``import meetlink`` never does (composition roots import
``meetlink.adapters.zoom`` explicitly).
"""

from __future__ import annotations

from meetlink.adapters._moved import ZOOM_MOVED, moved_names, zoom_emulators

from .provider import ZOOM_CAPABILITIES, ZoomProvider
from .webhooks import MAX_BODY, TOLERANCE_SECONDS, parse_webhook, sign_webhook, url_validation_reply

__all__ = [
    "MAX_BODY",
    "TOLERANCE_SECONDS",
    "ZOOM_CAPABILITIES",
    "ZoomProvider",
    "parse_webhook",
    "sign_webhook",
    "url_validation_reply",
]


__getattr__ = moved_names(__name__, ZOOM_MOVED, zoom_emulators)
