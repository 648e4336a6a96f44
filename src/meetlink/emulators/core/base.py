"""What every provider emulator offers a test alike (after moto's ``BaseBackend`` and
``moto/server.py``): the registered app, the request log, the clock, a settable latency and
refresh-token idle lifetime, ``fail_next`` / ``clear_faults`` / ``pending_faults``,
``reset``, an in-process transport and a loopback HTTP server with the control endpoints.

A provider's emulator subclasses [`BaseEmulator`][meetlink.emulators.core.base.BaseEmulator] and
gives:

- ``provider_name`` (``"zoom"``), ``routes`` (its [`Routes`][meetlink.emulators.core.routes.Routes]
  table) and ``default_retry_after`` (the ``Retry-After`` its injected failures carry by default);
- ``_fault_reply(fault, request)``: how the provider answers an injected failure;
- optionally ``_prepare(request)``: headers every answer carries and what the handlers see
  (Graph's request ids), and ``_control_extra()``: what ``GET /_emulator`` shows beyond
  the app's credentials (Zoom's webhook secret);
- its own users, consent, meetings and provider factory.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any, ClassVar, Generic, TypeVar

import attrs
import httpx

from meetlink.ports.clock import Clock

from .loopback import EmulatorServer, LoopbackTransport, serve
from .routes import Routes
from .state import BaseState, Fault, Recorded
from .wire import Dispatch, Incoming, Reply

__all__ = ["BaseEmulator"]

StateT = TypeVar("StateT", bound=BaseState[Any])
UserT = TypeVar("UserT")


class BaseEmulator(Generic[StateT, UserT]):
    """The common controls of every provider emulator (one lock, all state on the
    instance)."""

    provider_name: ClassVar[str]
    default_retry_after: ClassVar[str | None] = None
    routes: ClassVar[Routes[Any]]
    _state: StateT

    def __repr__(self) -> str:
        state = self._state
        return f"{type(self).__name__}(users={len(state.users)}, meetings={len(state.meetings)})"

    # --- hooks --------------------------------------------------------------------------

    def _fault_reply(self, fault: Fault, request: Incoming) -> Reply:
        """The provider's answer to a request an injected fault fails."""
        raise NotImplementedError

    def _prepare(self, request: Incoming) -> tuple[Incoming, dict[str, str]]:
        """The request as the handlers see it, and headers every answer to it carries."""
        return request, {}

    def _control_extra(self) -> dict[str, str]:
        """What ``GET /_emulator`` shows beyond the app's credentials."""
        return {}

    # --- what each provider implements ----------------------------------------------------

    def add_user(self, email: str) -> UserT:
        """A new user of the provider."""
        raise NotImplementedError

    def consent(self, authorize_url: str, user: UserT, *, allow: bool = True) -> dict[str, str]:
        """``user`` answers the provider's consent page: the query parameters of the
        redirect back to the app."""
        raise NotImplementedError

    def meetings(self, user: UserT | None = None) -> list[dict[str, Any]]:
        """Meetings that exist now (all, or ``user``'s), in the provider's JSON shape."""
        raise NotImplementedError

    def remove_app(self, user: UserT) -> tuple[dict[str, str], bytes] | None:
        """``user`` removes the app at the provider: the signed webhook the provider sends
        (headers, body), or None for a provider that sends none."""
        raise NotImplementedError

    # --- the registered app -------------------------------------------------------------

    @property
    def client_id(self) -> str:
        """The app's OAuth client id."""
        return self._state.client_id

    @property
    def client_secret(self) -> str:
        """The app's OAuth client secret."""
        return self._state.client_secret

    @property
    def redirect_uri(self) -> str:
        """The app's registered redirect URI (matched exactly)."""
        return self._state.redirect_uri

    # --- observation --------------------------------------------------------------------

    def users(self) -> list[UserT]:
        """Every user added so far, in order."""
        with self._state.lock:
            return list(self._state.users.values())

    @property
    def requests(self) -> list[tuple[str, str]]:
        """Every request received so far, in order, as ``(method, path)``."""
        with self._state.lock:
            return [(r.method, r.path) for r in self._state.log]

    def request_log(self) -> list[Recorded]:
        """Every request received so far, in order, with its query string."""
        with self._state.lock:
            return list(self._state.log)

    @property
    def throttled(self) -> int:
        """How many requests were answered 429 so far (rate limits and injected faults)."""
        return self._state.throttled

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

    # --- faults -------------------------------------------------------------------------

    def fail_next(
        self,
        count: int = 1,
        *,
        status: int = 500,
        method: str | None = None,
        path: str | None = None,
        retry_after: float | str | None = None,
    ) -> None:
        """The next ``count`` requests matching ``method`` (exact) and ``path`` (a prefix of
        the path as the provider serves it) fail with ``status``; ``status=0`` applies the
        request, then drops the connection (a lost answer). ``retry_after``: the
        ``Retry-After`` the failure carries (an integer, a fraction such as 0.249, or any
        text); None: the provider's usual (Zoom: 1 on a 429; Microsoft: none)."""
        if count < 1:
            raise ValueError("count must be at least 1")
        header = self.default_retry_after if retry_after is None else str(retry_after)
        with self._state.lock:
            self._state.faults.append(Fault(count, status, method, path, header))

    def clear_faults(self) -> None:
        """Forget every ``fail_next`` rule not used up yet (the provider is healthy again)."""
        with self._state.lock:
            self._state.faults.clear()

    def pending_faults(self) -> int:
        """How many requests the ``fail_next`` rules will still fail."""
        with self._state.lock:
            return sum(fault.remaining for fault in self._state.faults)

    def reset(self) -> None:
        """Forget every user, grant, token, meeting, fault and logged request; the
        registered app and the settings (latency, limits, scopes) stay."""
        with self._state.lock:
            self._state.reset()

    # --- serving ------------------------------------------------------------------------

    def handle(self, request: Incoming) -> Reply:
        """Serve one request: wait the latency, log it, apply a matching fault, route."""
        if self._state.latency > 0:
            time.sleep(self._state.latency)  # outside the lock: concurrent requests overlap
        state = self._state
        with state.lock:
            state.record(request.method, request.path, request.query_string)
            request, extra = self._prepare(request)
            fault = state.take_fault(request)
            if fault is not None and fault.status != 0:
                reply = self._fault_reply(fault, request)
            else:
                reply = self.routes(state, request)
                if fault is not None:  # status 0: applied, the answer is lost
                    reply = attrs.evolve(reply, drop=True)
            state.throttled += reply.status == 429
            return reply.with_headers(extra)

    def _dispatch(self) -> Dispatch:
        def dispatch(method: str, target: str, headers: dict[str, str], body: bytes) -> Reply:
            return self.handle(Incoming.parse(method, target, headers, body))

        return dispatch

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
        (``meetlink.emulators.core.control``), which POST the webhooks the provider
        sends to ``webhook_url`` (Zoom's; Microsoft sends none)."""
        dispatch = self._dispatch()
        control_api = None
        if control:
            from .control import EmulatorControl

            control_api = EmulatorControl(
                self,
                provider=self.provider_name,
                extra=self._control_extra(),
                webhook_url=webhook_url,
            )
            dispatch = control_api.wrap(dispatch)
        with serve(dispatch, name=f"{self.provider_name}-emulator", port=port) as server:
            if control_api is not None:
                control_api.serving_at(server.port)  # the only address it answers at
            yield server
