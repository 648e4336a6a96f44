"""What every provider emulator offers a test alike: its request log, its clock, a settable
latency, a settable idle lifetime for refresh tokens, an in-process transport and a loopback
HTTP server with the control endpoints (one place for Zoom and Teams)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import TYPE_CHECKING, ClassVar, Protocol, cast

import httpx

from meetlink.adapters.loopback import Dispatch, EmulatorServer, LoopbackTransport, serve
from meetlink.ports.clock import Clock

if TYPE_CHECKING:
    from meetlink.adapters.emulator_control import ControlledEmulator

__all__ = ["EmulatorFront", "SharedState"]


class SharedState(Protocol):
    """**Protocol:** the part of an emulator's state every emulator has."""

    lock: threading.RLock
    requests: list[tuple[str, str]]
    clock: Clock
    latency: float
    refresh_idle: timedelta


class EmulatorFront:
    """The common controls of ``ZoomEmulator`` and ``TeamsEmulator``.

    A subclass names its provider (``_provider_name``), gives the function that serves one
    request (``_dispatch``) and what ``GET /_emulator`` shows beyond the app's credentials
    (``_control_extra``)."""

    _state: SharedState
    _provider_name: ClassVar[str]

    def _dispatch(self) -> Dispatch:
        raise NotImplementedError

    def _control_extra(self) -> dict[str, str]:
        return {}

    @property
    def requests(self) -> list[tuple[str, str]]:
        """Every request received so far, in order, as ``(method, path)``."""
        return self._state.requests

    @property
    def clock(self) -> Clock:
        """The clock the emulator follows (codes, tokens, limits, timestamps)."""
        return self._state.clock

    @property
    def latency(self) -> float:
        """Seconds slept per request before it is answered (outside the lock, so concurrent
        requests overlap, as at a slow provider); settable at any time."""
        return self._state.latency

    @latency.setter
    def latency(self, seconds: float) -> None:
        self._state.latency = max(0.0, float(seconds))

    @property
    def refresh_token_idle(self) -> timedelta:
        """A refresh token left unused this long is dead, as at Zoom and Microsoft (default
        90 days); settable at any time."""
        return self._state.refresh_idle

    @refresh_token_idle.setter
    def refresh_token_idle(self, idle: timedelta) -> None:
        with self._state.lock:
            self._state.refresh_idle = idle

    def transport(self) -> httpx.BaseTransport:
        """An in-process httpx transport serving every host of the emulated provider by path
        (a status-0 ``fail_next`` applies the request, then raises
        ``httpx.RemoteProtocolError``)."""
        return LoopbackTransport(self._dispatch())

    @contextmanager
    def serve(
        self, *, port: int = 0, control: bool = False, webhook_url: str | None = None
    ) -> Iterator[EmulatorServer]:
        """This emulator over real HTTP on 127.0.0.1 (``port`` 0: a free one); yields an
        object with ``base_url``, which serves every host of the provider by path.
        ``control``: also serve the ``/_emulator/*`` endpoints
        (:mod:`meetlink.adapters.emulator_control`), which POST the webhooks the provider
        sends to ``webhook_url`` (Zoom's; Microsoft sends none)."""
        dispatch = self._dispatch()
        if control:
            from meetlink.adapters.emulator_control import EmulatorControl

            control_api = EmulatorControl(
                cast("ControlledEmulator", self),
                provider=self._provider_name,
                extra=self._control_extra(),
                webhook_url=webhook_url,
            )
            dispatch = control_api.wrap(dispatch)
        with serve(dispatch, name=f"{self._provider_name}-emulator", port=port) as server:
            yield server
