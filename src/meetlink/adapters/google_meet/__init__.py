"""Google Meet: the
[`GoogleMeetProvider`][meetlink.adapters.google_meet.provider.GoogleMeetProvider] adapter
(Google OAuth 2.0 for web server apps + the Meet REST API v2) and its sans-I/O core. The
emulator lives in [`meetlink.emulators.google_meet`][meetlink.emulators.google_meet]; the facts and
their sources in docs/google-meet.md.

Importing this package imports httpx; ``import meetlink`` never does (composition roots import
``meetlink.adapters.google_meet`` explicitly).
"""

from __future__ import annotations

from .ledger import LedgerEntry, MemorySpaceLedger, SpaceLedger
from .oauth import MEET_SCOPE, SCOPES
from .provider import (
    GOOGLE_MEET_CAPABILITIES,
    GOOGLE_MEET_RATE_BUDGET,
    AccessTypeSource,
    GoogleMeetProvider,
)

__all__ = [
    "GOOGLE_MEET_CAPABILITIES",
    "GOOGLE_MEET_RATE_BUDGET",
    "MEET_SCOPE",
    "SCOPES",
    "AccessTypeSource",
    "GoogleMeetProvider",
    "LedgerEntry",
    "MemorySpaceLedger",
    "SpaceLedger",
]
