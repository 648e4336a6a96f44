"""The scaffold every provider emulator stands on (after moto's ``core``).

- :mod:`.wire`: :class:`Incoming` and :class:`Reply`, what handlers read and answer;
- :mod:`.state`: :class:`BaseState` (clock, random source, app, request log, faults,
  latency, reset) and :class:`Fault`;
- :mod:`.routes`: the route table (:func:`route`, :class:`Routes`);
- :mod:`.oauth`: the authorization-server pieces every provider shares (PKCE, Basic client
  credentials, consent page and forms, the redirect back; :class:`ConsentError`);
- :mod:`.loopback`: the in-process httpx transport and the loopback HTTP server;
- :mod:`.control`: the ``/_emulator/*`` control endpoints;
- :mod:`.base`: :class:`BaseEmulator`, the controls every emulator offers.
"""

from __future__ import annotations

from .base import BaseEmulator
from .loopback import EmulatorServer, LoopbackTransport
from .oauth import ConsentBlocked, ConsentError
from .routes import Route, Routes, route
from .state import REFRESH_TOKEN_IDLE, BaseState, Fault, Recorded, data
from .wire import Dispatch, Incoming, Reply

__all__ = [
    "REFRESH_TOKEN_IDLE",
    "BaseEmulator",
    "BaseState",
    "ConsentBlocked",
    "ConsentError",
    "Dispatch",
    "EmulatorServer",
    "Fault",
    "Incoming",
    "LoopbackTransport",
    "Recorded",
    "Reply",
    "Route",
    "Routes",
    "data",
    "route",
]
