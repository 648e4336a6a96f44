"""pytest fixtures for hosts testing their meetlink integration (registered through the
``pytest11`` entry point as ``meetlink``).

Fixtures:
- ``meetlink_sandbox``: a fresh :class:`~meetlink.testing.Sandbox` per test (SQLite in memory;
  set ``--meetlink-database-url`` to run on another database).
- ``zoom_emulator``: the sandbox's :class:`~meetlink.testing.ZoomEmulator`.
- ``meetlink_clock``: the sandbox's :class:`~meetlink.testing.ManualClock`.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest


def pytest_addoption(parser: Any) -> None:
    """``--meetlink-database-url``: where the sandbox stores (default: SQLite in memory)."""
    parser.addoption(
        "--meetlink-database-url",
        default="sqlite://",
        help="database URL for the meetlink_sandbox fixture (default: sqlite://)",
    )


@pytest.fixture
def meetlink_sandbox(request: pytest.FixtureRequest) -> Iterator[Any]:
    """A fully wired MeetLink on the Zoom emulator, closed after the test."""
    from meetlink.testing import Sandbox

    url = request.config.getoption("--meetlink-database-url")
    with Sandbox(database_url=url) as sandbox:
        yield sandbox


@pytest.fixture
def zoom_emulator(meetlink_sandbox: Any) -> Any:
    """The sandbox's Zoom emulator."""
    return meetlink_sandbox.zoom


@pytest.fixture
def meetlink_clock(meetlink_sandbox: Any) -> Any:
    """The sandbox's manual clock."""
    return meetlink_sandbox.clock
