"""Microsoft Teams: the :class:`TeamsProvider` adapter (Entra ID v2.0 + Microsoft Graph
onlineMeetings), its sans-I/O core, and the :class:`TeamsEmulator`.

Importing this package imports httpx; ``import meetlink`` never does (composition roots import
``meetlink.adapters.teams`` explicitly).
"""

from __future__ import annotations

from .certificate import ClientCertificate
from .emulator import ConsentBlocked, ConsentError, EmulatorServer, TeamsEmulator
from .emulator_state import TeamsUser
from .provider import TEAMS_CAPABILITIES, TeamsProvider
from .sansio import SCOPES

__all__ = [
    "SCOPES",
    "TEAMS_CAPABILITIES",
    "ClientCertificate",
    "ConsentBlocked",
    "ConsentError",
    "EmulatorServer",
    "TeamsEmulator",
    "TeamsProvider",
    "TeamsUser",
]
