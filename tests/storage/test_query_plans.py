"""The hot queries are index range scans on the index meant for them, not table scans nor a
neighbouring index (DESIGN 4: jobs due, reminders due, conferences by account, the active link
of an account).

Planners choose by table statistics: on empty tables PostgreSQL takes either of two equally
cheap indexes. So the tables are first filled with rows shaped like a running installation
(most jobs done or not yet due, most events without a due reminder, links spread over many
accounts) and analysed; then each plan must name its index."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import Connection, and_, func, insert, select, text
from sqlalchemy.sql import Select
from sqlalchemy.sql.schema import ColumnCollectionConstraint

from meetlink.adapters.sqlalchemy import SqlStorage
from meetlink.adapters.sqlalchemy import tables as t

NOW = datetime(2026, 1, 1, tzinfo=UTC)
ROWS = 3000  # per table: enough pages that an index range beats reading the table

QUERIES = {
    "ix_meetlink_jobs_due": select(t.jobs.c.id).where(
        and_(t.jobs.c.status == "pending", t.jobs.c.run_at <= NOW)
    ),
    "ix_meetlink_events_remind_at": select(t.events.c.tenant_id, t.events.c.event_id)
    .where(t.events.c.remind_at.is_not(None), t.events.c.remind_at <= NOW)  # due_reminders
    .order_by(t.events.c.remind_at, t.events.c.tenant_id, t.events.c.event_id)
    .limit(100),
    "ix_meetlink_conferences_account": select(t.conferences.c.event_id).where(
        t.conferences.c.provider == "zoom", t.conferences.c.external_account_id == "a7"
    ),
    "uq_meetlink_links_active_account": select(t.links.c.id).where(
        t.links.c.provider == "zoom", t.links.c.active_account_id == "a7"
    ),
}


def _rows() -> dict[Any, list[dict[str, Any]]]:
    """A running installation in miniature. Each query's own index is the selective one:
    1 job in 60 pending and of those 1 in 10 due (the rest wait, or hold a lease, which
    ix_meetlink_jobs_lease would find); a third of the events have a due reminder, far more
    than the LIMIT of the due-reminders query; every link and conference is on Zoom, so an
    index led by the provider alone narrows nothing."""
    jobs, events, conferences, links = [], [], [], []
    for i in range(ROWS):
        pending = i % 60 == 0
        jobs.append(
            {
                "id": f"job{i:05d}",
                "tenant_id": f"t{i % 40}",
                "kind": "sync",
                "key": f"k{i}",
                "payload": "{}",
                "status": "pending" if pending else "done",
                "run_at": NOW + timedelta(minutes=-5 if i % 600 == 0 else i + 1),
                "attempts": 0,
                "waits": 0,
                "generation": 1,
                "last_error": None,
                "lease_until": NOW + timedelta(minutes=1) if i % 7 == 0 else None,
                "provider": "zoom",
                "account": f"a{i % 300}",
                "created_at": NOW,
            }
        )
        events.append(
            {
                "event_id": f"ev{i:05d}",
                "tenant_id": f"t{i % 40}",
                "owner_id": f"u{i % 300}",
                "title": "Call",
                "start": NOW + timedelta(days=1),
                "end": NOW + timedelta(days=1),
                "timezone": "UTC",
                "span": "single",
                "recurrence": None,
                "source": "ui",
                "participants": "[]",
                "web_meeting": "zoom",
                "description": "",
                "sequence": 0,
                # A backlog: a third due (in many distinct minutes), a third later, a third none.
                "remind_at": (
                    NOW - timedelta(minutes=i)
                    if i % 3 == 0
                    else NOW + timedelta(hours=i)
                    if i % 3 == 1
                    else None
                ),
                "updated_at": NOW,
                "exdates": None,
                "moved": None,
            }
        )
        conferences.append(
            {
                "tenant_id": f"t{i % 40}",
                "event_id": f"ev{i:05d}",
                "provider": "zoom",
                "external_account_id": f"a{i % 300}",
                "status": "issued",
                "marker": f"m{i}",
                "meeting_id": str(i),
                "join_url": None,
                "passcode": None,
                "synced": None,
                "maybe_created": False,
                "mailed": None,
                "last_error": None,
                "kept": None,
                "created_at": NOW,
            }
        )
        active = i % 3 != 0
        links.append(
            {
                "id": f"link{i:05d}",
                "user_id": f"u{i}",
                "tenant_id": f"t{i % 40}",
                "provider": "zoom",
                "external_account_id": f"a{i}",
                "account_id": f"z{i}",
                "email": f"u{i}@example.com",
                "plan": "licensed",
                "linked_at": NOW,
                "tokens": None,
                "token_version": 1,
                "active": active,
                "unlinked_at": None if active else NOW,
                "unlink_reason": None,
                "reauth_required": False,
                "refresh_lease_until": None,
                "refreshed_at": NOW if active else None,
                "active_user_id": f"u{i}" if active else None,
                "active_account_id": f"a{i}" if active else None,
            }
        )
    return {t.jobs: jobs, t.events: events, t.conferences: conferences, t.links: links}


@pytest.fixture(scope="module")
def filled_url(database_url: str, encryption_key: str) -> Iterator[str]:
    """The module's database with the tables in place, filled and analysed."""
    storage = SqlStorage(database_url, encryption_keys=[encryption_key], create_schema=True)
    with storage.engine.begin() as conn:
        for table, rows in _rows().items():
            conn.execute(insert(table), rows)
    with storage.engine.begin() as conn:
        if conn.dialect.name == "sqlite":
            conn.execute(text("ANALYZE"))
        else:
            for table in (t.jobs, t.events, t.conferences, t.links):
                word = "ANALYZE" if conn.dialect.name == "postgresql" else "ANALYZE TABLE"
                conn.execute(text(f"{word} {table.name}"))
    storage.close()
    yield database_url


@pytest.fixture
def connection(filled_url: str, encryption_key: str) -> Iterator[Connection]:
    """A connection to the filled database."""
    storage = SqlStorage(filled_url, encryption_keys=[encryption_key])
    with storage.engine.connect() as conn:
        yield conn
    storage.close()


def _plan(conn: Connection, query: Select[tuple[str]]) -> str:
    """The plan as text; MariaDB's in the words the assertions look for (a full scan, type
    ALL, reads as a scan; a filesort as a sort): the index it uses, not the ones it weighed."""
    sql = str(query.compile(conn, compile_kwargs={"literal_binds": True}))
    prefix = "EXPLAIN QUERY PLAN " if conn.dialect.name == "sqlite" else "EXPLAIN "
    rows = conn.exec_driver_sql(prefix + sql).mappings().all()
    if conn.dialect.name in ("mysql", "mariadb"):
        return "\n".join(
            f"key={row['key']} type={row['type']} extra={row['Extra']}"
            + (" SCAN meetlink" if row["type"] == "ALL" else "")
            + (" Sort" if "filesort" in str(row["Extra"]) else "")
            for row in rows
        )
    return "\n".join(" ".join(str(v) for v in row.values()) for row in rows)


def test_the_tables_are_filled(connection: Connection) -> None:
    """The plans below are read on tables with rows: the planner's statistics are real."""
    for table in (t.jobs, t.events, t.conferences, t.links):
        count = connection.execute(select(func.count()).select_from(table)).scalar_one()
        assert count == ROWS, table.name


def _planned_name(conn: Connection, name: str) -> str:
    """The name a plan gives the index ``name``: SQLite names the index behind a UNIQUE
    constraint ``sqlite_autoindex_<table>_<n>``, found here by its columns."""
    if conn.dialect.name != "sqlite" or not name.startswith("uq_"):
        return name
    found = [
        (table, c)
        for table in t.metadata.sorted_tables
        for c in table.constraints
        if c.name == name
    ]
    assert found, f"no constraint {name}"
    table, constraint = found[0]
    assert isinstance(constraint, ColumnCollectionConstraint), constraint
    columns = [column.name for column in constraint.columns]
    for row in conn.exec_driver_sql(f"PRAGMA index_list({table.name})"):
        info = conn.exec_driver_sql(f"PRAGMA index_info({row[1]})").all()
        if [r[2] for r in sorted(info)] == columns:
            return str(row[1])
    raise AssertionError(f"no index on {columns} in {table.name}")


@pytest.mark.parametrize("index", sorted(QUERIES))
def test_query_uses_its_index(connection: Connection, index: str) -> None:
    """Exactly the named index: not a neighbour on the same leading column, not a scan."""
    plan = _plan(connection, QUERIES[index])
    named = _planned_name(connection, index)
    assert named in plan, plan
    others = {
        _planned_name(connection, name)
        for table in t.metadata.sorted_tables
        for name in [*(i.name for i in table.indexes), *(c.name for c in table.constraints)]
        if isinstance(name, str) and name.startswith(("ix_", "uq_"))
    } - {named}
    assert not [other for other in others if other in plan], plan
    assert "Seq Scan" not in plan and "SCAN meetlink" not in plan, plan


def test_due_reminders_come_out_of_the_index_in_order(connection: Connection) -> None:
    """The index holds the query's whole order (remind_at, tenant_id, event_id): the due range
    is read in order up to the LIMIT, never sorted, however large the backlog."""
    plan = _plan(connection, QUERIES["ix_meetlink_events_remind_at"])
    assert "ix_meetlink_events_remind_at" in plan, plan
    assert "Sort" not in plan and "TEMP B-TREE" not in plan, plan
