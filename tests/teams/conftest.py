"""Shared fixtures for the Teams adapter tests."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest

from meetlink.adapters.clock import ManualClock
from meetlink.adapters.teams import TeamsProvider
from meetlink.emulators.teams import TeamsEmulator

from .harness import TARGETS, TeamsTarget, make_target

T0 = datetime(2025, 3, 10, 9, 0, 0, tzinfo=UTC)


@pytest.fixture
def clock() -> ManualClock:
    """A manual clock at a fixed Monday morning (UTC)."""
    return ManualClock(T0)


@pytest.fixture
def teams(clock: ManualClock) -> TeamsEmulator:
    """A seeded Teams emulator on the manual clock."""
    return TeamsEmulator(clock=clock, seed=42)


@pytest.fixture
def provider(teams: TeamsEmulator, clock: ManualClock) -> Iterator[TeamsProvider]:
    """A TeamsProvider wired to the emulator in-process."""
    with teams.provider(clock=clock) as made:
        yield made


@pytest.fixture(params=TARGETS)
def target(request: pytest.FixtureRequest, clock: ManualClock) -> Iterator[TeamsTarget]:
    """Each contract-suite target in turn."""
    with make_target(request.param, clock) as made:
        yield made
