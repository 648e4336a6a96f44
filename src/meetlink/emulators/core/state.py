"""What every emulator's state holds, whatever the provider (after moto's ``BaseBackend``):
its clock and random source, the registered app, the request log, the pending faults, the
latency, the idle lifetime of refresh tokens and the count of 429 answers; plus
[`BaseState.reset`][meetlink.emulators.core.state.BaseState.reset], which forgets everything that
happened (users, grants, tokens, meetings, faults, the log) and keeps the app and its settings.

A provider's state subclasses [`BaseState`][meetlink.emulators.core.state.BaseState] and declares
what it adds with [`data`][meetlink.emulators.core.state.data] (forgotten by ``reset``) or a plain
``attrs`` field (kept: configuration).
"""

from __future__ import annotations

import base64
import random
import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any, Generic, Self, TypeVar

import attrs

from meetlink.adapters.clock import SystemClock
from meetlink.ports.clock import Clock

from .wire import Incoming

__all__ = ["REFRESH_TOKEN_IDLE", "BaseState", "Fault", "Recorded", "data"]

#: Refresh tokens left unused this long die, at Zoom and at Microsoft (90 days).
REFRESH_TOKEN_IDLE = timedelta(days=90)
_RESET = "meetlink.emulator.reset"
UserT = TypeVar("UserT")


def data(factory: Callable[[], Any]) -> Any:
    """A state field that [`BaseState.reset`][meetlink.emulators.core.state.BaseState.reset] sets
    back to ``factory()``."""
    return attrs.field(factory=factory, metadata={_RESET: factory})


@attrs.define
class Fault:
    """A pending ``fail_next`` rule: the next ``remaining`` requests whose method is
    ``method`` (any when None) and whose path starts with ``path`` (any when None) fail with
    ``status`` (0: applied, then the connection drops). ``retry_after``: the ``Retry-After``
    header value the failure carries, as sent (None: the provider's usual answer)."""

    remaining: int
    status: int
    method: str | None
    path: str | None
    retry_after: str | None

    def matches(self, method: str, path: str) -> bool:
        """Whether a request ``method path`` triggers this fault."""
        if self.method is not None and self.method.upper() != method.upper():
            return False
        return self.path is None or path.startswith(self.path)


@attrs.frozen
class Recorded:
    """One request the emulator served: method, path and query string as received."""

    method: str
    path: str
    query: str = ""


@attrs.define(kw_only=True)
class BaseState(Generic[UserT]):
    """The state every emulator has, behind its one lock (handlers run with it held)."""

    clock: Clock
    rng: random.Random
    client_id: str
    client_secret: str
    redirect_uri: str
    latency: float = 0.0
    refresh_idle: timedelta = REFRESH_TOKEN_IDLE
    lock: threading.RLock = attrs.field(factory=threading.RLock)
    log: list[Recorded] = data(list)
    faults: list[Fault] = data(list)
    throttled: int = data(int)
    users: dict[str, UserT] = data(dict)
    meetings: dict[Any, dict[str, Any]] = data(dict)  # by the provider's meeting id

    @classmethod
    def fresh(
        cls,
        *,
        clock: Clock | None,
        seed: int | None,
        redirect_uri: str,
        latency: float,
        **settings: Any,
    ) -> Self:
        """A state with nothing in it yet, on ``clock`` (default: the system's); with a
        ``seed`` every id, code and token repeats from run to run. The app's id and secret
        are empty: the emulator sets them (given, or drawn from the random source)."""
        rng = random.Random(seed) if seed is not None else random.SystemRandom()
        return cls(
            clock=clock or SystemClock(),
            rng=rng,
            client_id="",
            client_secret="",
            redirect_uri=redirect_uri,
            latency=latency,
            **settings,
        )

    def token(self, prefix: str, nbytes: int = 32) -> str:
        """A random URL-safe token with a recognisable prefix."""
        raw = bytes(self.rng.getrandbits(8) for _ in range(nbytes))
        return prefix + base64.urlsafe_b64encode(raw).decode("ascii").rstrip("=")

    def now(self) -> datetime:
        """The emulator's time (its clock), aware UTC."""
        return self.clock.now().astimezone(UTC)

    def record(self, method: str, path: str, query: str = "") -> None:
        """Log one request (also one served outside the transport, such as a consent)."""
        self.log.append(Recorded(method, path, query))

    def take_fault(self, request: Incoming) -> Fault | None:
        """The first pending fault ``request`` triggers, used up by one."""
        fault = next((f for f in self.faults if f.matches(request.method, request.path)), None)
        if fault is not None:
            fault.remaining -= 1
            if fault.remaining <= 0:
                self.faults.remove(fault)
        return fault

    def reset(self) -> None:
        """Forget everything that happened; keep the registered app and the settings."""
        for field in attrs.fields(type(self)):
            factory = field.metadata.get(_RESET)
            if factory is not None:
                setattr(self, field.name, factory())
