"""Every migration step from 0001 to 0008 upgrades a database that the schema before it
filled, on SQLite, PostgreSQL and MariaDB, and keeps every row: after each revision a row
goes into every meetlink table (the values each column's type takes; JSON columns an empty
document), then the next revision runs and every table still holds all its rows. What a step
does to the rows is tested on its own where it changes them (0003, 0005 in
test_migrations.py, 0009 with its own rows)."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy import create_engine, pool
from sqlalchemy.engine.interfaces import ReflectedColumn

from meetlink.adapters.sqlalchemy import upgrade
from meetlink.adapters.sqlalchemy.tables import VERSION_TABLE

AT = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)
STEPS = ["0001", "0002", "0003", "0004", "0005", "0006", "0007", "0008"]
#: JSON documents the migrations may read: a list for participants, an object elsewhere.
_JSON = {"participants": "[]", "payload": "{}", "policy": "{}"}


def _value(column: ReflectedColumn, step: int) -> Any:
    if column["name"] in _JSON:
        return _JSON[column["name"]]
    if column["nullable"]:
        return None
    kind = column["type"]
    if isinstance(kind, sa.Boolean):
        return False
    if isinstance(kind, sa.Integer):
        return step
    if isinstance(kind, sa.DateTime):
        return AT
    return f"s{step}"  # strings and text: short, unique per step (keys)


def _fill(engine: sa.Engine, step: int) -> dict[str, int]:
    """One row in every meetlink table; the row count of each table afterwards."""
    counts: dict[str, int] = {}
    with engine.begin() as conn:
        inspector = sa.inspect(conn)
        for name in inspector.get_table_names():
            if not name.startswith("meetlink_") or name == VERSION_TABLE:
                continue
            columns = inspector.get_columns(name)
            table = sa.table(name, *(sa.column(c["name"], c["type"]) for c in columns))
            conn.execute(table.insert().values({c["name"]: _value(c, step) for c in columns}))
            counts[name] = conn.execute(sa.select(sa.func.count()).select_from(table)).scalar_one()
    return counts


def _counts(engine: sa.Engine, tables: set[str]) -> dict[str, int]:
    with engine.connect() as conn:
        present = set(sa.inspect(conn).get_table_names())
        return {
            name: conn.execute(sa.text(f"SELECT COUNT(*) FROM {name}")).scalar_one()
            for name in sorted(tables & present)
        }


def test_every_step_upgrades_a_filled_database_and_keeps_its_rows(
    fresh_database_url: str,
) -> None:
    engine = create_engine(fresh_database_url, poolclass=pool.NullPool)
    try:
        for step, (revision, following) in enumerate(itertools.pairwise(STEPS), 1):
            upgrade(fresh_database_url, revision)
            before = _fill(engine, step)
            upgrade(fresh_database_url, following)
            after = _counts(engine, set(before))
            assert after == before, (revision, "->", following)
    finally:
        engine.dispose()
