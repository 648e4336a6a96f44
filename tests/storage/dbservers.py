"""Real database servers for tests: reachability checks and private schemas/databases.

Each test run works in its own PostgreSQL schema or MariaDB database (``meetlink_test_<hex>``),
dropped afterwards, so parallel runs never see each other's rows. Servers come from
``MEETLINK_TEST_POSTGRES_URL`` / ``MEETLINK_TEST_MARIADB_URL`` (defaults: the local servers).
When a server cannot be reached the test is skipped, except under ``CI=true`` where it fails:
CI must never go green by skipping the real databases.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import create_engine, pool, text
from sqlalchemy.engine import make_url

__all__ = [
    "BACKENDS",
    "MARIADB_URL",
    "POSTGRES_URL",
    "private_database",
    "require_server",
    "server_problem",
]

POSTGRES_URL = os.environ.get(
    "MEETLINK_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
MARIADB_URL = os.environ.get(
    "MEETLINK_TEST_MARIADB_URL", "mysql+pymysql://root@127.0.0.1:3306/test"
)

#: Every SQL backend the storage is tested on.
BACKENDS = ("sqlite", "postgresql", "mariadb")

_SERVER_URLS = {"postgresql": POSTGRES_URL, "mariadb": MARIADB_URL}
_problems: dict[str, str | None] = {}


def server_problem(backend: str) -> str | None:
    """Why ``backend``'s server cannot be used (None when it answers); checked once."""
    if backend == "sqlite":
        return None
    if backend not in _problems:
        url = _SERVER_URLS[backend]
        engine = create_engine(url, poolclass=pool.NullPool, connect_args={"connect_timeout": 3})
        try:
            with engine.connect() as conn:
                conn.execute(text("SELECT 1"))
            _problems[backend] = None
        except Exception as exc:
            where = make_url(url).render_as_string(hide_password=True)
            _problems[backend] = f"{backend} server not reachable at {where}: {type(exc).__name__}"
        finally:
            engine.dispose()
    return _problems[backend]


def require_server(backend: str) -> None:
    """Skip (or, with CI=true, fail) the calling test when ``backend`` is unreachable."""
    problem = server_problem(backend)
    if problem is None:
        return
    if os.environ.get("CI") == "true":
        pytest.fail(f"{problem} (CI=true: the real database tests must run)", pytrace=False)
    pytest.skip(f"{problem}; set MEETLINK_TEST_*_URL or start the server")


def _private_name() -> str:
    return f"meetlink_test_{uuid.uuid4().hex[:12]}"


@contextmanager
def _postgres_schema() -> Iterator[str]:
    name = _private_name()
    admin = create_engine(POSTGRES_URL, poolclass=pool.NullPool)
    try:
        with admin.begin() as conn:
            conn.execute(text(f'CREATE SCHEMA "{name}"'))
        url = make_url(POSTGRES_URL).update_query_dict({"options": f"-csearch_path={name}"})
        yield url.render_as_string(hide_password=False)
    finally:
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA IF EXISTS "{name}" CASCADE'))
        admin.dispose()


@contextmanager
def _mariadb_database() -> Iterator[str]:
    name = _private_name()
    admin = create_engine(MARIADB_URL, poolclass=pool.NullPool)
    try:
        with admin.begin() as conn:
            conn.execute(
                text(f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4 COLLATE utf8mb4_bin")
            )
        url = make_url(MARIADB_URL).set(database=name).update_query_dict({"charset": "utf8mb4"})
        yield url.render_as_string(hide_password=False)
    finally:
        with admin.begin() as conn:
            conn.execute(text(f"DROP DATABASE IF EXISTS `{name}`"))
        admin.dispose()


@contextmanager
def private_database(backend: str, directory: Path) -> Iterator[str]:
    """A URL to an empty private database of ``backend`` (an SQLite file in ``directory``),
    dropped on exit. Call :func:`require_server` first."""
    if backend == "sqlite":
        yield f"sqlite:///{directory / (_private_name() + '.db')}"
    elif backend == "postgresql":
        with _postgres_schema() as url:
            yield url
    elif backend == "mariadb":
        with _mariadb_database() as url:
            yield url
    else:
        raise ValueError(f"unknown backend {backend!r}")
