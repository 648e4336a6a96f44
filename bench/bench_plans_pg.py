"""The hot queries on PostgreSQL at 10,000 and 1,000,000 rows: EXPLAIN (ANALYZE, BUFFERS) of
the statements the repositories really send, and their median time over 30 calls.

    .venv/bin/python bench/bench_plans_pg.py [--due N] [ROWS ...]   (default: 10000 1000000)

Each size gets a private schema (created, filled with INSERT ... SELECT generate_series,
ANALYZEd, dropped). Per size: ROWS jobs (N due, 1% running under a live lease, the rest
later), ROWS events (N reminders due, half without a reminder), ROWS links (N idle past
the keep-alive cutoff), ROWS rate-budget rows; N is 50 unless --due gives a backlog.
Queries: jobs due (the claim: pending range, then expired leases), reminders due, an
account's parked jobs, idle links (keep-alive), one job's rate-budget rows (the claim's lock).
"""

from __future__ import annotations

import os
import statistics
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import event, text

from meetlink.adapters.sqlalchemy import SqlStorage, generate_key
from meetlink.ports.storage import UnitOfWork
from meetlink.testing.databases import private_database

SERVER = os.environ.get(
    "MEETLINK_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
NOW = datetime(2026, 12, 1, 12, tzinfo=UTC)
DUE = 50

FILL = """
INSERT INTO meetlink_jobs (id, tenant_id, kind, key, payload, status, run_at, attempts, waits,
    generation, last_error, lease_until, provider, account, created_at)
SELECT md5(i::text), 't' || (i % 1000), CASE WHEN i % 3 = 0 THEN 'mail' ELSE 'sync' END,
    'k' || i, '{}',
    CASE WHEN i % 100 = 7 THEN 'running' ELSE 'pending' END,
    CASE WHEN i <= :due THEN :now - interval '1 minute' ELSE :now + i * interval '1 second' END,
    0, 0, 0, NULL,
    CASE WHEN i % 100 = 7 THEN :now + interval '5 minutes' END,
    CASE WHEN i % 3 = 0 THEN NULL ELSE 'zoom' END,
    CASE WHEN i % 3 = 0 THEN NULL ELSE 'acct' || (i % 100000) END, :now
FROM generate_series(1, :rows) AS i;

INSERT INTO meetlink_events (event_id, tenant_id, owner_id, title, start, "end", timezone, span,
    recurrence, source, participants, web_meeting, description, sequence, remind_at,
    updated_at)
SELECT 'ev' || i, 't' || (i % 1000), 'u' || (i % 100000), 'Meeting ' || i,
    :now + i * interval '1 minute', :now + i * interval '1 minute' + interval '30 minutes',
    'Asia/Tokyo', 'timed', NULL, 'manual', '[]', 'zoom', '', 0,
    CASE WHEN i <= :due THEN :now - interval '1 minute'
         WHEN i % 2 = 0 THEN :now + i * interval '1 minute' END, :now
FROM generate_series(1, :rows) AS i;

INSERT INTO meetlink_links (id, user_id, tenant_id, provider, external_account_id, account_id,
    email, plan, linked_at, tokens, token_version, active, unlinked_at, unlink_reason,
    reauth_required, refresh_lease_until, refreshed_at, active_user_id, active_account_id)
SELECT md5('l' || i), 'u' || i, 't' || (i % 1000), 'zoom', 'acct' || i, 'org' || (i % 1000),
    'u' || i || '@example.com', 'licensed', :now - interval '40 days', NULL, 0, true, NULL,
    NULL, false, NULL,
    CASE WHEN i <= :due THEN :now - interval '31 days'
         ELSE :now - (i % 1000) * interval '1 minute' END,
    'u' || i, 'acct' || i
FROM generate_series(1, :rows) AS i;

INSERT INTO meetlink_rate_budgets (provider, limit_name, scope_key, mark, used)
SELECT 'zoom', 'meetings-per-day', 'acct' || i, date_trunc('day', :now), i % 100
FROM generate_series(1, :rows) AS i;
"""


def _fill(storage: SqlStorage, rows: int) -> float:
    t = time.perf_counter()
    with storage.engine.begin() as conn:
        for statement in FILL.split(";\n"):
            if statement.strip():
                conn.execute(text(statement), {"rows": rows, "due": DUE, "now": NOW})
    with storage.engine.connect() as conn:
        conn.execution_options(isolation_level="AUTOCOMMIT").exec_driver_sql("ANALYZE")
    return time.perf_counter() - t


QUERIES: dict[str, Callable[[UnitOfWork], object]] = {
    "jobs due (claim)": lambda uow: uow.jobs.due(NOW, 1),
    "reminders due": lambda uow: uow.events.due_reminders(NOW, 100),
    "an account's parked jobs": lambda uow: uow.jobs.for_account(
        "zoom", "acct1", kind="sync", after=NOW, limit=500
    ),
    "idle links (keep-alive)": lambda uow: uow.links.idle(NOW - timedelta(days=30), limit=100),
    "a job's budget rows (claim)": lambda uow: uow.jobs.budget_usages(
        "zoom", [("meetings-per-day", "acct1")], for_update=True
    ),
}


def _captured(storage: SqlStorage, call: Callable[[UnitOfWork], object]) -> list[tuple[str, Any]]:
    seen: list[tuple[str, Any]] = []

    def listen(conn: Any, cursor: Any, statement: str, params: Any, *_: Any) -> None:
        if statement.lstrip().upper().startswith(("SELECT", "UPDATE", "INSERT")):
            seen.append((statement, params))

    event.listen(storage.engine, "before_cursor_execute", listen)
    try:
        with storage.unit_of_work() as uow:
            call(uow)
    finally:
        event.remove(storage.engine, "before_cursor_execute", listen)
    return seen


def _explain(storage: SqlStorage, statement: str, params: Any) -> list[str]:
    with storage.engine.connect() as conn:
        rows = conn.exec_driver_sql("EXPLAIN (ANALYZE, BUFFERS) " + statement, params).all()
        conn.rollback()
    return [row[0] for row in rows]


def _median_ms(storage: SqlStorage, call: Callable[[UnitOfWork], object]) -> float:
    times = []
    for _ in range(30):
        with storage.unit_of_work() as uow:
            t = time.perf_counter()
            call(uow)
            times.append(time.perf_counter() - t)
    return 1000 * statistics.median(times)


def measure(rows: int) -> dict[str, float]:
    timings: dict[str, float] = {}
    with private_database(SERVER) as url:
        storage = SqlStorage(url, encryption_keys=[generate_key()], create_schema=True)
        try:
            print(
                f"== {rows:,} rows per table (filled and analyzed in {_fill(storage, rows):.1f} s)"
            )
            for name, call in QUERIES.items():
                timings[name] = _median_ms(storage, call)
                print(f"-- {name}: median {timings[name]:.2f} ms (30 calls)")
                for statement, params in _captured(storage, call):
                    print("   " + " ".join(statement.split()))
                    for line in _explain(storage, statement, params):
                        print("     " + line)
        finally:
            storage.close()
    return timings


def main() -> None:
    global DUE
    args = sys.argv[1:]
    if args[:1] == ["--due"]:
        DUE = int(args[1])
        args = args[2:]
    sizes = [int(a) for a in args] or [10_000, 1_000_000]
    print(f"PostgreSQL query plans; {datetime.now(UTC):%Y-%m-%d %H:%M} UTC, "
          f"load {os.getloadavg()[0]:.1f}, {DUE:,} due")  # fmt: skip
    results = {rows: measure(rows) for rows in sizes}
    print("\n| query | " + " | ".join(f"{rows:,} rows" for rows in sizes) + " | ratio |")
    print("|---|" + "---|" * len(sizes) + "---|")
    for name in QUERIES:
        cells = [results[rows][name] for rows in sizes]
        print(f"| {name} | " + " | ".join(f"{c:.2f} ms" for c in cells)
              + f" | {cells[-1] / cells[0]:.2f} |")  # fmt: skip


if __name__ == "__main__":
    main()
