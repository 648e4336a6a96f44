"""Contract-suite targets for Teams: TeamsProvider against the TeamsEmulator, in-process and
over loopback HTTP, with every Graph body checked against the schema extract."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

import httpx

from meetlink.adapters.clock import ManualClock
from meetlink.adapters.teams import TeamsProvider
from meetlink.emulators.teams import TeamsEmulator, TeamsUser
from meetlink.ports.provider import VideoProvider

from .schemas import SchemaCheckingTransport

TARGETS = ["emulator", "emulator-http"]


class TeamsTarget:
    """TeamsProvider + TeamsEmulator and the controls the contract suite drives."""

    def __init__(
        self,
        clock: ManualClock,
        emulator: TeamsEmulator,
        provider: TeamsProvider,
        checker: SchemaCheckingTransport,
    ) -> None:
        self.clock = clock
        self.emulator = emulator
        self.provider: VideoProvider = provider
        self.checker = checker

    def add_account(self, email: str) -> TeamsUser:
        return self.emulator.add_user(email)

    def consent(self, url: str, account: Any, *, allow: bool = True) -> dict[str, str]:
        return self.emulator.consent(url, account, allow=allow)

    def revoke_consent(self, account: Any) -> None:
        self.emulator.revoke_consent(account)

    def expire_access_tokens(self) -> None:
        self.clock.advance(timedelta(hours=1, seconds=1))  # the emulator issues 3600 s tokens

    def lose_next_create_response(self) -> None:
        self.emulator.fail_next(status=0, method="POST", path="/v1.0/me/onlineMeetings")

    def live_meeting_count(self, account: Any) -> int:
        return len(self.emulator.meetings(account))


@contextmanager
def make_target(kind: str, clock: ManualClock) -> Iterator[TeamsTarget]:
    """A ready target: "emulator" (in-process) or "emulator-http" (loopback)."""
    emulator = TeamsEmulator(clock=clock, seed=7)
    common: dict[str, Any] = {
        "client_id": emulator.client_id,
        "client_secret": emulator.client_secret,
        "redirect_uri": emulator.redirect_uri,
        "clock": clock,
    }
    if kind == "emulator":
        checker = SchemaCheckingTransport(emulator.transport())
        with httpx.Client(transport=checker) as client:
            yield TeamsTarget(clock, emulator, TeamsProvider(client=client, **common), checker)
        return
    with emulator.serve() as server:
        checker = SchemaCheckingTransport(httpx.HTTPTransport())
        with httpx.Client(transport=checker, timeout=10) as client:
            provider = TeamsProvider(
                client=client,
                authority_base_url=server.base_url,
                graph_base_url=server.base_url,
                **common,
            )
            yield TeamsTarget(clock, emulator, provider, checker)
