"""No request path scans a whole table: the rows each public operation of MeetLink reads are
counted on a small tenant of its own, in a database that also holds a background of unrelated
rows (tenants, links, events, conferences, reminders, webhook deliveries, and jobs pending,
running, failed or parked on other accounts), at two background sizes. An operation that reads
by key reads the same rows at both sizes; one that scans reads more with the bigger table.

Rows read are counted like the keep-alive test does (test_keepalive_rows.py): on PostgreSQL per
table from ``pg_stat_xact_user_tables`` (rows read by sequential scans + rows fetched by index
scans; and the index entries read, from ``pg_stat_get_xact_tuples_returned`` of each index),
as the difference of the counters at the start and the end of every transaction the
operation ran; on MariaDB in total from the session's ``Handler_read_*`` counters (index
lookups, and rows read by ranges and scans), the same way. Run with ``-s`` to see the table
of counts.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Connection, Engine
from sqlalchemy import event as sa_event

from meetlink import Event, Participant
from meetlink.adapters.sqlalchemy import tables as t
from meetlink.testing import Sandbox

from .dbservers import private_database, require_server

T0 = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
START = T0 + timedelta(days=1)
FAR = T0 + timedelta(days=60)  # background work is never due during the test
SIZES = (1000, 4000)
TENANT = "small"

_BACKENDS = [
    pytest.param("postgresql", id="postgresql", marks=pytest.mark.postgres),
    pytest.param("mariadb", id="mariadb", marks=pytest.mark.mariadb),
]

# -- counting -------------------------------------------------------------------------------

_PG_ROWS = (
    "SELECT relname, seq_tup_read + coalesce(idx_tup_fetch, 0)"
    " FROM pg_stat_xact_user_tables WHERE schemaname = current_schema()"
)
# Index entries read, per table: an index-only scan fetches no table row, so a long range of
# an index shows here only.
INDEX = " (index)"
# Index entries a scan returns include dead ones (below, _same) until they are cleaned up,
# and whether an index scan may skip them depends on the oldest snapshot any session of the
# server holds (other test runs on the same server keep them visible): runs of the same
# operation read 12 to 20 entries of the jobs index at either size. A read that grows with the
# table differs by hundreds at least (a quarter of the 3,000 more rows per table is 750), so
# the slack stays far below what the check is for.
INDEX_SLACK = 16
_PG_INDEX_ENTRIES = (
    f"SELECT c.relname || '{INDEX}', sum(pg_stat_get_xact_tuples_returned(i.indexrelid))"
    " FROM pg_index i JOIN pg_class c ON c.oid = i.indrelid"
    " JOIN pg_namespace n ON n.oid = c.relnamespace"
    " WHERE n.nspname = current_schema() GROUP BY c.relname"
)
_MARIA_ROWS = "SHOW SESSION STATUS LIKE 'Handler_read%'"
# MariaDB's counters are per session, not per table:
KEY_LOOKUPS = "(index lookups)"
ROWS_READ = "(rows read)"


def _pg_rows(dbapi_connection: Any) -> list[tuple[str, int]]:
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute(_PG_ROWS)
        found = list(cursor.fetchall())
        cursor.execute(_PG_INDEX_ENTRIES)
        return found + list(cursor.fetchall())
    finally:
        cursor.close()


def _maria_counts(dbapi_connection: Any) -> Counter[str]:
    """The session's index lookups (``Handler_read_key``) and rows read otherwise (the
    other ``Handler_read_*``: index ranges, table scans, positioned reads)."""
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute(_MARIA_ROWS)
        found: Counter[str] = Counter()
        for name, value in cursor.fetchall():
            found[KEY_LOOKUPS if name == "Handler_read_key" else ROWS_READ] += int(value)
        return found
    finally:
        cursor.close()


class RowsRead:
    """Rows the server read for ``engine``'s transactions since the last :meth:`take`, per
    table (PostgreSQL) or in total (MariaDB), as the difference of the counters at the end
    and at the start of each transaction. The counters are read on the driver's own cursor,
    so the engine's events never see those reads."""

    def __init__(self, engine: Engine) -> None:
        self.backend = "postgresql" if engine.dialect.name == "postgresql" else "mariadb"
        self.rows: Counter[str] = Counter()
        self._started: dict[int, Counter[str]] = {}  # per DBAPI connection: at BEGIN
        self._overhead: dict[int, Counter[str]] = {}  # MariaDB: what one reading reads
        sa_event.listen(engine, "begin", self._begin)
        sa_event.listen(engine, "commit", self._end)
        sa_event.listen(engine, "rollback", self._end)

    def _read(self, dbapi: Any) -> Counter[str]:
        # PostgreSQL 15 shows in pg_stat_xact_* what the session has not yet flushed to the
        # cumulative statistics (earlier transactions too), which never happens inside a
        # transaction: the difference between two readings in one transaction is exact.
        if self.backend == "postgresql":
            return Counter(
                {table.removeprefix("meetlink_"): int(rows) for table, rows in _pg_rows(dbapi)}
            )
        return _maria_counts(dbapi)

    def _begin(self, conn: Connection) -> None:
        dbapi = conn.connection.dbapi_connection
        key = id(dbapi)
        if self.backend == "mariadb" and key not in self._overhead:
            first = _maria_counts(dbapi)
            self._overhead[key] = _maria_counts(dbapi) - first
        self._started[key] = self._read(dbapi)

    def _end(self, conn: Connection) -> None:
        dbapi = conn.connection.dbapi_connection
        key = id(dbapi)
        started = self._started.pop(key, None)
        if started is None:
            return
        now = self._read(dbapi)
        for table, rows in now.items():
            self.rows[table] += rows - started.get(table, 0)
        if self.backend == "mariadb":
            self.rows.subtract(self._overhead[key])

    def take(self) -> dict[str, int]:
        """Rows read per table since the last call, then zero."""
        found = {table: rows for table, rows in self.rows.items() if rows}
        self.rows.clear()
        return found


# -- the background -------------------------------------------------------------------------


def _background(engine: Engine, n: int) -> None:
    """``n`` rows of unrelated tenants in each table a request path reads (bulk inserts)."""
    links, events, conferences, jobs, reminders, subs, deliveries = [], [], [], [], [], [], []
    for i in range(n):
        tenant, user, account = f"bg-t{i % 97}", f"bg-u{i}", f"bg-acct-{i}"
        subs.append({"tenant_id": f"bg-t{i}", "state": "contracted", "trial_started_at": None,
                     "trial_ends_at": None, "contracted_at": T0 - timedelta(days=100),
                     "cancelled_at": None})  # fmt: skip
        active = i % 5 != 0
        links.append({
            "id": f"bg-link-{i:06}", "user_id": user, "tenant_id": tenant, "provider": "zoom",
            "external_account_id": account, "account_id": f"bg-org-{i % 13}",
            "email": f"{user}@example.com", "plan": "licensed",
            "linked_at": T0 - timedelta(days=10), "tokens": None, "token_version": 0,
            "active": active, "reauth_required": False,
            "refreshed_at": T0 - timedelta(hours=1 + i % 50) if active else None,
            "active_user_id": user if active else None,
            "active_account_id": account if active else None,
        })  # fmt: skip
        start = FAR + timedelta(minutes=i)
        events.append({
            "event_id": f"bg-ev-{i:06}", "tenant_id": tenant, "owner_id": user,
            "title": f"Background {i}", "start": start, "end": start + timedelta(minutes=30),
            "timezone": "UTC", "span": "internal", "recurrence": None, "source": "calendar",
            "participants": '[{"email": "p@example.com", "name": null, "locale": null}]',
            "web_meeting": "zoom", "description": "", "sequence": 0,
            "remind_at": start - timedelta(minutes=10), "updated_at": T0 - timedelta(days=1),
            "exdates": None, "moved": None,
        })  # fmt: skip
        conferences.append({
            "tenant_id": tenant, "event_id": f"bg-ev-{i:06}", "provider": "zoom",
            "external_account_id": account,
            "status": ("issued", "detached", "pending", "failed")[i % 4],
            "marker": f"bg-marker-{i}", "meeting_id": str(80_000_000_000 + i),
            "join_url": f"https://zoom.example/j/{i}", "passcode": None, "synced": None,
            "maybe_created": False, "mailed": None, "last_error": None, "kept": None,
            "created_at": T0 - timedelta(days=1),
        })  # fmt: skip
        status, run_at, error, lease = (
            ("pending", FAR, None, None),  # waiting for later
            ("pending", FAR, "parked: no active link", None),  # a parked deletion
            ("failed", T0 - timedelta(days=2), "gave up", None),
            ("running", T0 - timedelta(minutes=1), None, FAR),  # another worker's
        )[i % 4]
        kind = ("sync", "delete", "mail", "sync")[i % 4]
        jobs.append({
            "id": f"bg-job-{i:06}", "tenant_id": tenant, "kind": kind, "key": f"bg-key-{i}",
            "payload": "{}", "status": status, "run_at": run_at, "attempts": 0, "waits": 0,
            "generation": 0, "last_error": error, "lease_until": lease,
            "provider": None if kind == "mail" else "zoom",
            "account": None if kind == "mail" else account,
            "created_at": T0 - timedelta(days=3),
        })  # fmt: skip
        reminders.append({"tenant_id": tenant, "event_id": f"bg-ev-{i:06}",
                          "email": "p@example.com",
                          "start": T0 - timedelta(days=i % 20)})  # fmt: skip
        deliveries.append({"provider": "zoom", "delivery_key": f"bg-delivery-{i}",
                           "received_at": T0 - timedelta(hours=i % 48)})  # fmt: skip
    with engine.begin() as conn:
        for table, rows in (
            (t.subscriptions, subs),
            (t.links, links),
            (t.events, events),
            (t.conferences, conferences),
            (t.jobs, jobs),
            (t.reminders, reminders),
            (t.webhook_deliveries, deliveries),
        ):
            conn.execute(table.insert(), rows)
    # The planner sees the tables as they are; on PostgreSQL, VACUUM also leaves autovacuum
    # nothing to do during the test (its visibility map would change what index-only scans
    # fetch).
    names = ", ".join(table.name for table in t.metadata.sorted_tables)
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        if conn.dialect.name == "postgresql":
            conn.exec_driver_sql(f"VACUUM (ANALYZE) {names}")
        else:
            conn.exec_driver_sql(f"ANALYZE TABLE {names}").all()


# -- the operations -------------------------------------------------------------------------


def _event(event_id: str, owner: str, start: datetime) -> Event:
    return Event(
        event_id,
        TENANT,
        owner,
        f"Meeting {event_id}",
        start,
        start + timedelta(minutes=30),
        participants=(Participant("guest@example.com"),),
        web_meeting="zoom",
    )


def _operations(url: str, n: int) -> dict[str, dict[str, int]]:
    """The rows each operation read, on the small tenant, with ``n`` background rows."""
    with Sandbox(database_url=url, isolate=False, now=T0, seed=1) as sb:
        _background(sb.storage.engine, n)
        ml, zoom = sb.meetlink, sb.zoom
        ml.contract(TENANT)
        alice, bob = zoom.add_user("alice@example.com"), zoom.add_user("bob@example.com")
        ml.run_pending()  # the keep-alive's look (once a minute at most): not counted
        reads = RowsRead(sb.storage.engine)
        counts: dict[str, dict[str, int]] = {}

        def measure(name: str, run: Callable[[], Any]) -> Any:
            reads.take()
            result = run()
            counts[name] = reads.take()
            return result

        def consent(user_id: str, user: Any) -> dict[str, str]:
            request = measure(f"begin_link ({user_id})", lambda: ml.begin_link(TENANT, user_id))
            params: dict[str, str] = zoom.consent(request.authorize_url, user)
            return params

        params = consent("alice", alice)
        measure(
            "complete_link",
            lambda: ml.complete_link(
                params["state"], code=params["code"], user_id="alice", tenant_id=TENANT
            ),
        )

        saved = measure("save_event (issued inline)",
                        lambda: ml.save_event(_event("ev-1", "alice", START)))  # fmt: skip
        assert saved.conference is not None and saved.conference.join_url
        found = measure("conference()", lambda: ml.conference("ev-1", tenant_id=TENANT))
        assert found is not None and found.join_url == saved.conference.join_url
        ran = measure("run_pending() (1 invitation)", ml.run_pending)
        assert ran == 1 and len(sb.outbox) == 1

        failed = measure("failed_jobs(limit=10)", lambda: ml.failed_jobs(limit=10))
        assert len(failed) == 10
        pending = measure("pending_jobs(limit=10)", lambda: ml.pending_jobs(limit=10))
        assert len(pending) == 10
        # A page half-way through the list (its cursor read unmeasured): a range that
        # starts at the cursor reads the page, not the jobs before it.
        middle = ml.failed_jobs(limit=n // 8)[-1]
        measure("failed_jobs() page half-way", lambda: ml.failed_jobs(limit=10, after=middle))
        middle = ml.pending_jobs(limit=n // 8)[-1]
        measure("pending_jobs() page half-way",
                lambda: ml.pending_jobs(limit=10, after=middle))  # fmt: skip

        assert measure("unlink", lambda: ml.unlink("alice", tenant_id=TENANT))
        assert measure(
            "delete_event (delete parked)", lambda: ml.delete_event("ev-1", tenant_id=TENANT)
        )
        assert len(zoom.meetings()) == 1  # the meeting waits for a link to its account
        params = consent("alice", alice)
        measure("complete_link (wakes the parked delete)",
                lambda: ml.complete_link(params["state"], code=params["code"], user_id="alice",
                                         tenant_id=TENANT))  # fmt: skip
        ran = measure("run_pending() (1 delete)", ml.run_pending)
        assert ran >= 1 and zoom.meetings() == []

        params = consent("bob", bob)
        ml.complete_link(params["state"], code=params["code"], user_id="bob", tenant_id=TENANT)
        headers, body = zoom.remove_app(bob)
        reply = measure("deauthorization webhook", lambda: ml.handle_webhook("zoom", headers, body))
        assert reply.status == 200 and ml.link("bob", tenant_id=TENANT) is None

        ml.save_event(_event("ev-2", "alice", START))
        ml.run_pending()  # its invitation
        sb.clock.advance(START - T0 - timedelta(minutes=5))
        ml.run_pending()  # the keep-alive looks again after the clock moved: not counted
        queued = measure("send_due_reminders()", ml.send_due_reminders)
        assert queued == 1
        return counts


@pytest.mark.parametrize("backend", _BACKENDS)
def test_request_paths_read_the_same_rows_whatever_the_table_sizes(
    backend: str, tmp_path: Path
) -> None:
    require_server(backend)
    by_size: dict[int, dict[str, dict[str, int]]] = {}
    for n in SIZES:
        with private_database(backend, tmp_path) as url:
            by_size[n] = _operations(url, n)
    small, big = (by_size[n] for n in SIZES)
    width = max(len(name) for name in small)
    print(f"\n{backend}: rows read per operation, background of {SIZES[0]:,} / {SIZES[1]:,}"
          " rows per table")  # fmt: skip
    for name in small:
        tables = sorted(set(small[name]) | set(big[name]))
        cells = ", ".join(f"{table} {small[name].get(table, 0)}/{big[name].get(table, 0)}"
                          for table in tables)  # fmt: skip
        total = f"{sum(small[name].values())}/{sum(big[name].values())}"
        print(f"  {name:<{width}}  {total:>9}  {cells}")
    assert list(small) == list(big)
    grew = {name: (small[name], big[name]) for name in small if not _same(small[name], big[name])}
    assert not grew, grew


def _same(small: dict[str, int], big: dict[str, int]) -> bool:
    """The same rows read at both sizes. Index entries may differ by up to ``INDEX_SLACK``:
    an update the tenant's own rows get is HOT or not depending on the room left in their
    table page, and a non-HOT update leaves a dead index entry that a scan returns until it is
    cleaned up; a read proportional to the table differs by hundreds."""
    for table in set(small) | set(big):
        found, more = small.get(table, 0), big.get(table, 0)
        if table.endswith(INDEX) and abs(more - found) <= INDEX_SLACK:
            continue
        if found != more:
            return False
    return True
