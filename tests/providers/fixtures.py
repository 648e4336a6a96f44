"""Fixtures the per-provider suites (tests/zoom, tests/teams) import into their conftest; a
suite names its provider with a ``provider_kind`` fixture (``"zoom"``, ``"teams"``)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from meetlink.adapters.clock import ManualClock
from meetlink.emulators import BaseEmulator, TeamsEmulator, ZoomEmulator

from .mocked import KINDS, Handler
from .targets import T0

__all__ = ["clock", "emulator", "mocked", "provider"]

_EMULATORS: dict[str, type[BaseEmulator[Any, Any]]] = {"zoom": ZoomEmulator, "teams": TeamsEmulator}


@pytest.fixture
def clock() -> ManualClock:
    """A manual clock at a fixed Monday morning (UTC)."""
    return ManualClock(T0)


@pytest.fixture
def emulator(provider_kind: str, clock: ManualClock) -> BaseEmulator[Any, Any]:
    """A seeded emulator of the suite's provider on the manual clock."""
    return _EMULATORS[provider_kind](clock=clock, seed=42)  # type: ignore[call-arg]


@pytest.fixture
def provider(emulator: Any, clock: ManualClock) -> Iterator[Any]:
    """The suite's provider wired to the emulator in-process."""
    with emulator.provider(clock=clock) as made:
        yield made


@pytest.fixture
def mocked(provider_kind: str, clock: ManualClock) -> Iterator[Callable[[Handler], Any]]:
    """Builds the suite's provider on an ``httpx.MockTransport`` handler (closed after)."""
    made: list[Any] = []

    def build(handler: Handler) -> Any:
        built = KINDS[provider_kind].build(handler, clock)
        made.append(built)
        return built

    yield build
    for each in made:
        each.close()
