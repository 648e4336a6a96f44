"""The Microsoft Teams emulator (:class:`TeamsEmulator`): Entra ID (v2.0 auth code + PKCE,
admin consent, certificate client assertions) and the Graph endpoints meetlink uses, on the
shared scaffold (:mod:`meetlink.emulators.core`).

- :mod:`.state`: tenants, users, codes, tokens, meetings (the models);
- :mod:`.identity`, :mod:`.admin`, :mod:`.clients`, :mod:`.graph`: the handlers;
- :mod:`.urls`: the route table, the answer to an injected failure, Graph's request ids;
- :mod:`.emulator`: :class:`TeamsEmulator`, what a test drives.
"""

from __future__ import annotations

from meetlink.emulators.core import ConsentBlocked, ConsentError, EmulatorServer

from .emulator import TeamsEmulator
from .state import TeamsUser

__all__ = ["ConsentBlocked", "ConsentError", "EmulatorServer", "TeamsEmulator", "TeamsUser"]
