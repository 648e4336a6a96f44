"""Microsoft Teams: the [`TeamsProvider`][meetlink.adapters.teams.provider.TeamsProvider] adapter
(Entra ID v2.0 + Microsoft Graph onlineMeetings) and its sans-I/O core. The Teams emulator lives in
[`meetlink.emulators.teams`][meetlink.emulators.teams] (its old names here still resolve, with a
DeprecationWarning).

Importing this package imports httpx; ``import meetlink`` never does (composition roots import
``meetlink.adapters.teams`` explicitly).
"""

from __future__ import annotations

from meetlink.adapters._moved import TEAMS_MOVED, moved_names, teams_emulators

from .certificate import ClientCertificate
from .provider import TEAMS_CAPABILITIES, TeamsProvider
from .sansio import SCOPES

__all__ = [
    "SCOPES",
    "TEAMS_CAPABILITIES",
    "ClientCertificate",
    "TeamsProvider",
]


__getattr__ = moved_names(__name__, TEAMS_MOVED, teams_emulators)
