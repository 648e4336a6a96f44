"""The hot queries are index range scans, not table scans (DESIGN 4: jobs due, reminders due,
conferences by account)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from sqlalchemy import Connection, and_, select, text
from sqlalchemy.sql import Select

from meetlink.adapters.sqlalchemy import SqlStorage
from meetlink.adapters.sqlalchemy import tables as t

NOW = datetime(2026, 1, 1, tzinfo=UTC)

QUERIES = {
    "ix_meetlink_jobs_due": select(t.jobs.c.id).where(
        and_(t.jobs.c.status == "pending", t.jobs.c.run_at <= NOW)
    ),
    "ix_meetlink_events_remind_at": select(t.events.c.tenant_id, t.events.c.event_id)
    .where(t.events.c.remind_at.is_not(None), t.events.c.remind_at <= NOW)  # due_reminders
    .order_by(t.events.c.remind_at, t.events.c.tenant_id, t.events.c.event_id)
    .limit(100),
    "ix_meetlink_conferences_account": select(t.conferences.c.event_id).where(
        t.conferences.c.provider == "zoom", t.conferences.c.external_account_id == "a"
    ),
    "uq_meetlink_links_active_account": select(t.links.c.id).where(
        t.links.c.provider == "zoom", t.links.c.active_account_id == "a"
    ),
}


@pytest.fixture
def connection(database_url: str, encryption_key: str) -> Iterator[Connection]:
    """A connection to the module's database, with the tables in place."""
    storage = SqlStorage(database_url, encryption_keys=[encryption_key], create_schema=True)
    with storage.engine.connect() as conn:
        if conn.dialect.name == "postgresql":
            conn.execute(text("SET enable_seqscan = off"))  # empty tables: force the choice
        yield conn
    storage.close()


def _plan(conn: Connection, query: Select[tuple[str]]) -> str:
    sql = str(query.compile(conn, compile_kwargs={"literal_binds": True}))
    prefix = "EXPLAIN QUERY PLAN " if conn.dialect.name == "sqlite" else "EXPLAIN "
    return "\n".join(" ".join(str(v) for v in row) for row in conn.exec_driver_sql(prefix + sql))


@pytest.mark.parametrize("index", sorted(QUERIES))
def test_query_uses_its_index(connection: Connection, index: str) -> None:
    if connection.dialect.name != "sqlite" and connection.dialect.name != "postgresql":
        pytest.skip("MariaDB picks plans by table statistics; checked on SQLite and PostgreSQL")
    plan = _plan(connection, QUERIES[index])
    if index.startswith("uq_") or (index == "ix_meetlink_jobs_due" and "Index" in plan):
        # On empty tables PostgreSQL may pick either of two equally good indexes.
        # An index-only scan is as good (ix_meetlink_jobs_due holds id since migration 0008).
        scans = ("USING INDEX", "Index Scan", "Index Only Scan", "Bitmap")
        assert any(scan in plan for scan in scans), plan
    else:
        assert index in plan, plan
    assert "Seq Scan" not in plan and "SCAN meetlink" not in plan, plan


def test_due_reminders_come_out_of_the_index_in_order(connection: Connection) -> None:
    """The index holds the query's whole order (remind_at, tenant_id, event_id): the due range
    is read in order up to the LIMIT, never sorted, however large the backlog."""
    if connection.dialect.name != "sqlite" and connection.dialect.name != "postgresql":
        pytest.skip("MariaDB picks plans by table statistics; checked on SQLite and PostgreSQL")
    if connection.dialect.name == "postgresql":
        # Empty tables make sorting a few rows look cheapest; with sorts discouraged a Sort
        # is still planned when no index gives the order.
        connection.execute(text("SET enable_sort = off"))
    plan = _plan(connection, QUERIES["ix_meetlink_events_remind_at"])
    assert "ix_meetlink_events_remind_at" in plan, plan
    assert "Sort" not in plan and "TEMP B-TREE" not in plan, plan
