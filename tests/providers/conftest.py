"""Fixtures of the provider suites that run on every provider."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from meetlink.adapters.clock import ManualClock

from .fixtures import clock, mocked
from .targets import TARGETS, AnyTarget, make_target

__all__ = ["clock", "mocked", "target"]


@pytest.fixture(params=TARGETS)
def target(request: pytest.FixtureRequest, clock: ManualClock) -> Iterator[AnyTarget]:
    """Each contract-suite target in turn."""
    with make_target(request.param, clock) as made:
        yield made
