"""Fixtures of the Zoom adapter and emulator tests (the contract every provider meets runs in
tests/providers): ``clock``, ``emulator``, ``provider``, ``mocked`` and ``target``."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from meetlink.adapters.clock import ManualClock
from tests.providers.fixtures import clock, emulator, mocked, provider
from tests.providers.targets import T0, ZOOM_TARGETS, ZoomTarget, make_target

__all__ = ["T0", "clock", "emulator", "mocked", "provider", "provider_kind", "target"]


@pytest.fixture
def provider_kind() -> str:
    return "zoom"


@pytest.fixture(params=ZOOM_TARGETS)
def target(request: pytest.FixtureRequest, clock: ManualClock) -> Iterator[ZoomTarget]:
    """Zoom in-process, over loopback HTTP, and the fake that mimics it."""
    with make_target(request.param, clock) as made:
        yield made
