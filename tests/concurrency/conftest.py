"""Fixtures: one private database per test on each backend, and the session's worker pool."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from meetlink.adapters.sqlalchemy import generate_key
from tests.storage.dbservers import BACKENDS, private_database, require_server

from .pool import WorkerPool

#: Racing processes in the takeover test; run_pending uses the first few.
POOL_SIZE = 20

_MARKS = {"postgresql": [pytest.mark.postgres], "mariadb": [pytest.mark.mariadb], "sqlite": []}


@pytest.fixture(params=[pytest.param(b, id=b, marks=_MARKS[b]) for b in BACKENDS])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An empty private database (SQLite file, PostgreSQL schema, MariaDB database), dropped
    after the test; skipped (or failed under CI=true) when the server is unreachable."""
    require_server(request.param)
    with private_database(request.param, tmp_path) as url:
        yield url


@pytest.fixture
def encryption_key() -> str:
    """The Fernet key the parent and every child open the storage with."""
    return generate_key()


@pytest.fixture(scope="session")
def worker_pool() -> Iterator[WorkerPool]:
    """Spawned worker processes, started once for the session."""
    pool = WorkerPool(POOL_SIZE)
    yield pool
    pool.close()
