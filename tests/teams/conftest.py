"""Fixtures of the Teams adapter and emulator tests (the contract every provider meets runs in
tests/providers): ``clock``, ``teams`` (the emulator), ``provider``, ``mocked``, ``target``."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from meetlink.adapters.clock import ManualClock
from meetlink.emulators.teams import TeamsEmulator
from tests.providers.fixtures import clock, emulator, mocked, provider
from tests.providers.targets import T0, TEAMS_TARGETS, TeamsTarget, make_target

__all__ = ["T0", "clock", "emulator", "mocked", "provider", "provider_kind", "target", "teams"]


@pytest.fixture
def provider_kind() -> str:
    return "teams"


@pytest.fixture
def teams(emulator: TeamsEmulator) -> TeamsEmulator:
    """The seeded Teams emulator (``emulator`` by its provider's name)."""
    return emulator


@pytest.fixture(params=TEAMS_TARGETS)
def target(request: pytest.FixtureRequest, clock: ManualClock) -> Iterator[TeamsTarget]:
    """Teams in-process and over loopback HTTP."""
    with make_target(request.param, clock) as made:
        yield made
