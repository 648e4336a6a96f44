"""Shared fixtures for the Zoom adapter tests."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest

from meetlink.adapters.clock import ManualClock
from meetlink.adapters.zoom import ZoomProvider
from meetlink.emulators.zoom import ZoomEmulator

from .harness import TARGETS, Target, make_target

T0 = datetime(2025, 3, 10, 9, 0, 0, tzinfo=UTC)


@pytest.fixture
def clock() -> ManualClock:
    """A manual clock at a fixed Monday morning (UTC)."""
    return ManualClock(T0)


@pytest.fixture
def emulator(clock: ManualClock) -> ZoomEmulator:
    """A seeded emulator on the manual clock."""
    return ZoomEmulator(clock=clock, seed=42)


@pytest.fixture
def provider(emulator: ZoomEmulator, clock: ManualClock) -> Iterator[ZoomProvider]:
    """A ZoomProvider wired to the emulator in-process."""
    with emulator.provider(clock=clock) as made:
        yield made


@pytest.fixture(params=TARGETS)
def target(request: pytest.FixtureRequest, clock: ManualClock) -> Iterator[Target]:
    """Each contract-suite target in turn."""
    with make_target(request.param, clock) as made:
        yield made
