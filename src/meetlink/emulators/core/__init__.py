"""The scaffold every provider emulator stands on (after moto's ``core``).

- ``wire``: [`Incoming`][meetlink.emulators.core.wire.Incoming] and
  [`Reply`][meetlink.emulators.core.wire.Reply], what handlers read and answer;
- ``state``: [`BaseState`][meetlink.emulators.core.state.BaseState] (clock, random source, app,
  request log, faults, latency, reset) and [`Fault`][meetlink.emulators.core.state.Fault];
- ``routes``: the route table ([`route`][meetlink.emulators.core.routes.route],
  [`Routes`][meetlink.emulators.core.routes.Routes]);
- ``oauth``: the authorization-server pieces every provider shares (PKCE, Basic client
  credentials, consent page and forms, the redirect back;
  [`ConsentError`][meetlink.emulators.core.oauth.ConsentError]);
- ``loopback``: the in-process httpx transport and the loopback HTTP server;
- ``control``: the ``/_emulator/*`` control endpoints;
- ``base``: [`BaseEmulator`][meetlink.emulators.core.base.BaseEmulator], the controls every emulator
  offers.
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
