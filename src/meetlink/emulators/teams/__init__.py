"""The Microsoft Teams emulator
([`TeamsEmulator`][meetlink.emulators.teams.emulator.TeamsEmulator]): Entra ID (v2.0 auth code +
PKCE, admin consent, certificate client assertions) and the Graph endpoints meetlink uses, on the
shared scaffold ([`meetlink.emulators.core`][meetlink.emulators.core]).

- ``state``: tenants, users, codes, tokens, meetings (the models);
- ``identity``, ``admin``, ``clients``, ``graph``: the handlers;
- ``urls``: the route table, the answer to an injected failure, Graph's request ids;
- ``emulator``: [`TeamsEmulator`][meetlink.emulators.teams.emulator.TeamsEmulator], what a test
  drives.
"""

from __future__ import annotations

from meetlink.emulators.core import ConsentBlocked, ConsentError, EmulatorServer

from .emulator import TeamsEmulator
from .state import TeamsUser

__all__ = ["ConsentBlocked", "ConsentError", "EmulatorServer", "TeamsEmulator", "TeamsUser"]
