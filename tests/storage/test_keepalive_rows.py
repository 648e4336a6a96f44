"""The keep-alive query reads the links that are due and nothing else (an index range of
``ix_meetlink_links_idle``), however many links there are: counted on PostgreSQL
(``pg_stat_xact_user_tables``: rows read by sequential and index scans in the transaction)
and MariaDB (the session's ``Handler_read_*`` counters), and shown as an index SEARCH in
SQLite's plan. Run with ``-s`` to see the counts."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import Connection, text

from meetlink.adapters.sqlalchemy import SqlStorage, generate_key
from meetlink.adapters.sqlalchemy import tables as t
from meetlink.adapters.sqlalchemy.unit_of_work import SqlUnitOfWork

from .dbservers import private_database, require_server
from .factories import T0

LINKS = 5000  # fresh, ended and due links in all
DUE = 7
CUTOFF = T0 - timedelta(days=30)


def _row(n: int, *, refreshed_days: int | None, active: bool = True) -> dict[str, object]:
    return {
        "id": f"link-{n:05}",
        "user_id": f"u{n}",
        "tenant_id": f"t{n % 40}",
        "provider": "zoom",
        "external_account_id": f"acct-{n}",
        "account_id": "a",
        "email": f"u{n}@example.com",
        "plan": "licensed",
        "linked_at": T0 - timedelta(days=400),
        "tokens": None,
        "token_version": 0,
        "active": active,
        "reauth_required": False,
        "refreshed_at": None if refreshed_days is None else T0 - timedelta(days=refreshed_days),
        "active_user_id": f"u{n}" if active else None,
        "active_account_id": f"acct-{n}" if active else None,
    }


@pytest.fixture(params=["postgresql", "mariadb", "sqlite"])
def storage(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[SqlStorage]:
    """Thousands of links, ``DUE`` of them idle for more than 30 days."""
    require_server(request.param)
    with private_database(request.param, tmp_path) as url:
        storage = SqlStorage(url, encryption_keys=[generate_key()], create_schema=True)
        rows = [_row(n, refreshed_days=n % 29) for n in range(LINKS - DUE - LINKS // 5)]
        rows += [_row(LINKS + n, refreshed_days=None, active=False) for n in range(LINKS // 5)]
        rows += [_row(2 * LINKS + n, refreshed_days=31 + n) for n in range(DUE)]
        with storage.engine.begin() as conn:
            conn.execute(t.links.insert(), rows)
            if conn.dialect.name == "postgresql":
                conn.exec_driver_sql("ANALYZE meetlink_links")
            elif conn.dialect.name == "mariadb" or conn.dialect.name == "mysql":
                conn.exec_driver_sql("ANALYZE TABLE meetlink_links")
        yield storage
        storage.close()


def _pg_rows(conn: Connection) -> int:
    query = text(
        "SELECT coalesce(sum(seq_tup_read), 0) + coalesce(sum(idx_tup_fetch), 0)"
        " FROM pg_stat_xact_user_tables WHERE schemaname = current_schema()"
    )
    return int(conn.execute(query).scalar_one())


def _maria_rows(conn: Connection) -> int:
    status = conn.exec_driver_sql("SHOW SESSION STATUS LIKE 'Handler_read%%'").all()
    return sum(int(value) for name, value in status if name != "Handler_read_key")


def _count(uow: SqlUnitOfWork, run: object) -> int:
    """Rows the server read while ``run()`` ran (minus what the counting itself reads)."""
    conn = uow.connection()
    counter = _pg_rows if conn.dialect.name == "postgresql" else _maria_rows
    assert callable(run)
    idle = counter(conn)
    baseline = counter(conn) - idle  # the counter's own reads, if any
    before = counter(conn)
    run()
    return counter(conn) - before - baseline


def test_the_keepalive_query_reads_only_the_due_links(storage: SqlStorage) -> None:
    with storage.unit_of_work() as uow:
        conn = uow.connection()
        if conn.dialect.name == "sqlite":
            query = (
                "EXPLAIN QUERY PLAN SELECT id FROM meetlink_links WHERE refreshed_at <= ? AND "
                "active = 1 AND refreshed_at >= ? AND (refreshed_at, id) > (?, ?) "
                "ORDER BY refreshed_at, id LIMIT 50"
            )
            when = CUTOFF.replace(tzinfo=None)
            plan = " ".join(str(r) for r in conn.exec_driver_sql(query, (when, when, when, "x")))
            assert "USING INDEX ix_meetlink_links_idle" in plan, plan
            assert "SCAN meetlink_links" not in plan and "TEMP B-TREE" not in plan, plan
            assert len(uow.links.idle(CUTOFF, limit=50)) == DUE
            return
        found: list[int] = []
        rows = _count(uow, lambda: found.append(len(uow.links.idle(CUTOFF, limit=50))))
        first = uow.links.idle(CUTOFF, limit=3)
    cursor = (first[-1].refreshed_at, first[-1].id)
    assert cursor[0] is not None
    with storage.unit_of_work() as uow:
        page = lambda: uow.links.idle(CUTOFF, limit=50, after=cursor)  # type: ignore[arg-type]  # noqa: E731
        paged = _count(uow, page)
    print(f"\n{conn.dialect.name}: keep-alive query read {rows} rows for {DUE} due links "
          f"among {LINKS} (next page: {paged})")  # fmt: skip
    assert found == [DUE]
    assert rows <= DUE + 2, rows  # the due rows (and the one that ends the range)
    assert paged <= DUE - 3 + 2, paged
