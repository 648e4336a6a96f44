"""Private databases for sandboxes on a shared server: each Sandbox on PostgreSQL gets its own
schema, each on MariaDB/MySQL its own database, dropped when the sandbox closes. So two
sandboxes (or two test runs) on the same server never see each other's rows."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import create_engine, pool, text

from meetlink.adapters.sqlalchemy.unit_of_work import normalize_url

__all__ = ["private_database"]


@contextmanager
def private_database(url: str) -> Iterator[str]:
    """A URL to an empty private schema (PostgreSQL) or database (MariaDB/MySQL) on the
    server at ``url``, dropped on exit. SQLite URLs are yielded unchanged."""
    parsed = normalize_url(url)
    backend = parsed.get_backend_name()
    if backend not in ("postgresql", "mysql", "mariadb"):
        yield url
        return
    name = f"meetlink_sb_{uuid.uuid4().hex[:12]}"
    admin = create_engine(parsed, poolclass=pool.NullPool)
    try:
        if backend == "postgresql":
            with admin.begin() as conn:
                conn.execute(text(f'CREATE SCHEMA "{name}"'))
            private = parsed.update_query_dict({"options": f"-csearch_path={name}"})
            drop = f'DROP SCHEMA IF EXISTS "{name}" CASCADE'
        else:
            with admin.begin() as conn:
                conn.execute(
                    text(f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4 COLLATE utf8mb4_bin")
                )
            private = parsed.set(database=name).update_query_dict({"charset": "utf8mb4"})
            drop = f"DROP DATABASE IF EXISTS `{name}`"
        try:
            yield private.render_as_string(hide_password=False)
        finally:
            with admin.begin() as conn:
                conn.execute(text(drop))
    finally:
        admin.dispose()
