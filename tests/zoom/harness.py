"""Contract-suite targets: one VideoProvider plus the controls a test needs to drive it.

Add a target by writing a small class with these methods and listing it in ``TARGETS``.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any, Protocol

import httpx

from meetlink.adapters.clock import ManualClock
from meetlink.adapters.zoom import ZoomProvider
from meetlink.emulators.zoom import ZoomEmulator
from meetlink.errors import ProviderUnavailable
from meetlink.ports.provider import VideoProvider

from .schemas import SchemaCheckingTransport


def pkce() -> tuple[str, str]:
    """A PKCE (verifier, S256 challenge) pair."""
    verifier = secrets.token_urlsafe(48)
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return verifier, base64.urlsafe_b64encode(digest).decode("ascii").rstrip("=")


class Target(Protocol):
    """What the contract suite needs from a target."""

    provider: VideoProvider
    clock: ManualClock

    def add_account(self, email: str, *, plan: str = "licensed") -> Any: ...
    def consent(self, url: str, account: Any, *, allow: bool = True) -> dict[str, str]: ...
    def remove_app(self, account: Any) -> tuple[dict[str, str], bytes]: ...
    def expire_access_tokens(self) -> None: ...
    def lose_next_create_response(self) -> None: ...
    def live_meeting_count(self, account: Any) -> int: ...


class EmulatorTarget:
    """ZoomProvider against the ZoomEmulator (in-process transport or loopback HTTP)."""

    def __init__(self, clock: ManualClock, emulator: ZoomEmulator, provider: ZoomProvider) -> None:
        self.clock = clock
        self.emulator = emulator
        self.provider: VideoProvider = provider

    def add_account(self, email: str, *, plan: str = "licensed") -> Any:
        return self.emulator.add_user(email, plan=plan)

    def consent(self, url: str, account: Any, *, allow: bool = True) -> dict[str, str]:
        return self.emulator.consent(url, account, allow=allow)

    def remove_app(self, account: Any) -> tuple[dict[str, str], bytes]:
        return self.emulator.remove_app(account)

    def expire_access_tokens(self) -> None:
        self.clock.advance(timedelta(hours=1, seconds=1))

    def lose_next_create_response(self) -> None:
        self.emulator.fail_next(status=0, method="POST", path="/v2/users/me/meetings")

    def live_meeting_count(self, account: Any) -> int:
        return len(self.emulator.meetings(account))


class FakeTarget:
    """The generic in-memory FakeVideoProvider (src/meetlink/adapters/memory/provider.py)."""

    def __init__(self, clock: ManualClock) -> None:
        from meetlink.adapters.memory.provider import FakeVideoProvider

        self.clock = clock
        self.fake = FakeVideoProvider(clock)
        self.provider: VideoProvider = self.fake

    def add_account(self, email: str, *, plan: str = "licensed") -> Any:
        return self.fake.add_account(email, plan=plan)

    def consent(self, url: str, account: Any, *, allow: bool = True) -> dict[str, str]:
        return self.fake.authorize(url, account, allow=allow)

    def remove_app(self, account: Any) -> tuple[dict[str, str], bytes]:
        self.fake.revoke_account(account)
        return self.fake.deauthorization(account)

    def expire_access_tokens(self) -> None:
        self.fake.expire_tokens()

    def lose_next_create_response(self) -> None:
        lost = ProviderUnavailable("response lost", maybe_applied=True)
        self.fake.fail_next(lost, method="create_meeting", apply=True)

    def live_meeting_count(self, account: Any) -> int:
        return len(self.fake.live_meetings(account))


@contextmanager
def make_target(kind: str, clock: ManualClock) -> Iterator[Target]:
    """A ready target of ``kind``: "emulator", "emulator-http" or "fake"."""
    if kind == "fake":
        yield FakeTarget(clock)
        return
    emulator = ZoomEmulator(clock=clock, seed=7)
    common: dict[str, Any] = {
        "client_id": emulator.client_id,
        "client_secret": emulator.client_secret,
        "redirect_uri": emulator.redirect_uri,
        "webhook_secrets": emulator.webhook_secret,
        "clock": clock,
    }
    if kind == "emulator":
        transport = SchemaCheckingTransport(emulator.transport())
        with httpx.Client(transport=transport) as client:
            yield EmulatorTarget(clock, emulator, ZoomProvider(client=client, **common))
        return
    with emulator.serve() as server:
        transport = SchemaCheckingTransport(httpx.HTTPTransport())
        with httpx.Client(transport=transport, timeout=10) as client:
            provider = ZoomProvider(
                client=client,
                oauth_base_url=server.base_url,
                api_base_url=server.base_url,
                **common,
            )
            yield EmulatorTarget(clock, emulator, provider)


TARGETS = ["emulator", "emulator-http", "fake"]
