"""Fixtures: private databases per backend, and a ``storage`` fixture that runs the same test
against the in-memory reference and SqlStorage on SQLite, PostgreSQL and MariaDB."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path

import pytest
from sqlalchemy import delete

from meetlink.adapters.memory.storage import InMemoryStorage
from meetlink.adapters.sqlalchemy import SqlStorage, generate_key, metadata
from meetlink.ports.storage import Storage

from .dbservers import BACKENDS, private_database, require_server

_MARKS = {"postgresql": [pytest.mark.postgres], "mariadb": [pytest.mark.mariadb], "sqlite": []}


def _backend_params(names: tuple[str, ...]) -> list[object]:
    return [pytest.param(name, id=name, marks=_MARKS.get(name, [])) for name in names]


@pytest.fixture(scope="session")
def encryption_key() -> str:
    """One Fernet key for the whole run."""
    return generate_key()


@pytest.fixture(scope="module", params=_backend_params(BACKENDS))
def database_url(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """An empty private database (SQLite file, PostgreSQL schema, MariaDB database) for the
    test module, dropped afterwards."""
    backend: str = request.param
    require_server(backend)
    with private_database(backend, tmp_path_factory.mktemp(backend)) as url:
        yield url


@pytest.fixture
def sql_storage(database_url: str, encryption_key: str) -> Iterator[SqlStorage]:
    """SqlStorage on the module's private database, emptied."""
    storage = SqlStorage(database_url, encryption_keys=[encryption_key], create_schema=True)
    with storage.engine.begin() as conn:
        for table in reversed(metadata.sorted_tables):
            conn.execute(delete(table))
    yield storage
    storage.close()


@pytest.fixture
def fresh_database_url(database_url: str, tmp_path: Path) -> Iterator[str]:
    """An empty private database of the module's backend for one test."""
    backend = _backend_of(database_url)
    with private_database(backend, tmp_path) as url:
        yield url


def _backend_of(url: str) -> str:
    if url.startswith("sqlite"):
        return "sqlite"
    return "postgresql" if url.startswith("postgresql") else "mariadb"


class _SharedSql:
    """One SqlStorage per backend for the session, emptied before each test."""

    def __init__(self, directory: Path, key: str) -> None:
        self._directory = directory
        self._key = key
        self._stack = ExitStack()
        self._storages: dict[str, SqlStorage] = {}

    def get(self, backend: str) -> SqlStorage:
        if backend not in self._storages:
            url = self._stack.enter_context(private_database(backend, self._directory))
            storage = SqlStorage(url, encryption_keys=[self._key], create_schema=True)
            self._stack.callback(storage.close)
            self._storages[backend] = storage
        storage = self._storages[backend]
        with storage.engine.begin() as conn:
            for table in reversed(metadata.sorted_tables):
                conn.execute(delete(table))
        return storage

    def close(self) -> None:
        self._stack.close()


@pytest.fixture(scope="session")
def _shared_sql(
    tmp_path_factory: pytest.TempPathFactory, encryption_key: str
) -> Iterator[_SharedSql]:
    shared = _SharedSql(tmp_path_factory.mktemp("shared"), encryption_key)
    yield shared
    shared.close()


@pytest.fixture(params=_backend_params(("memory", *BACKENDS)))
def storage(request: pytest.FixtureRequest, _shared_sql: _SharedSql) -> Storage:
    """An empty storage: the in-memory reference, or SqlStorage on a real database."""
    backend: str = request.param
    if backend == "memory":
        return InMemoryStorage()
    require_server(backend)
    return _shared_sql.get(backend)
