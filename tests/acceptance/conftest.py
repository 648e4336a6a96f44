"""Sandboxes on every database the library supports."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from meetlink.testing import Sandbox
from tests.storage.dbservers import private_database, require_server

T0 = datetime(2026, 12, 1, 0, 0, tzinfo=UTC)


@pytest.fixture(params=["sqlite-memory", "sqlite", "postgresql", "mariadb"])
def sandbox(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Sandbox]:
    """A Sandbox on one backend (the real servers under CI)."""
    backend = request.param
    if backend == "sqlite-memory":
        with Sandbox(now=T0, seed=1) as sb:
            yield sb
        return
    require_server(backend)
    with (
        private_database(backend, tmp_path) as url,
        Sandbox(now=T0, database_url=url, seed=1) as sb,
    ):
        yield sb
