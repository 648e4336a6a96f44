"""Fixtures of the Google Meet suite: a seeded emulator on a manual clock, a provider wired to
it through the schema-checking transport."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from meetlink.adapters.clock import ManualClock
from meetlink.adapters.google_meet import GoogleMeetProvider
from meetlink.emulators.google_meet import GoogleMeetEmulator
from tests.providers.schemas import SchemaChecking
from tests.providers.targets import T0

from .schemas import checking


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(T0)


@pytest.fixture
def meet(clock: ManualClock) -> GoogleMeetEmulator:
    return GoogleMeetEmulator(clock=clock, seed=42)


@pytest.fixture
def checker(meet: GoogleMeetEmulator) -> SchemaChecking:
    return checking(meet.transport())


@pytest.fixture
def provider(
    meet: GoogleMeetEmulator, clock: ManualClock, checker: SchemaChecking
) -> Iterator[GoogleMeetProvider]:
    with httpx.Client(transport=checker) as client:
        yield GoogleMeetProvider(
            client_id=meet.client_id,
            client_secret=meet.client_secret,
            redirect_uri=meet.redirect_uri,
            client=client,
            clock=clock,
        )
