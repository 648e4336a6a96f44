"""Migration 0003 on a database filled by the previous schema (0002), on SQLite, PostgreSQL
and MariaDB: the ``failed`` flag of a pending conference becomes the status ``failed`` (and
only of a pending one), and existing jobs get the provider account they call (a delete job
from its payload, a sync job from its event's conference; none for a mail job or a sync job
whose conference is gone). The filled database then upgrades to the head."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import sqlalchemy as sa
from sqlalchemy import create_engine, pool

from meetlink.adapters.sqlalchemy import upgrade
from meetlink.adapters.sqlalchemy.tables import UtcDateTime

AT = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)

# The tables as revision 0002 has them.
_conferences = sa.table(
    "meetlink_conferences",
    *(
        sa.column(c)
        for c in (
            "event_id",
            "provider",
            "external_account_id",
            "status",
            "marker",
            "maybe_created",
            "failed",
        )
    ),
    sa.column("created_at", UtcDateTime()),
)
_jobs = sa.table(
    "meetlink_jobs",
    *(sa.column(c) for c in ("id", "kind", "key", "payload", "status", "attempts", "generation")),
    sa.column("run_at", UtcDateTime()),
    sa.column("created_at", UtcDateTime()),
)


def _conference(event_id: str, status: str, failed: bool, account: str) -> dict[str, object]:
    return {"event_id": event_id, "provider": "zoom", "external_account_id": account,
            "status": status, "marker": f"m-{event_id}", "maybe_created": False,
            "failed": failed, "created_at": AT}  # fmt: skip


def _job(job_id: str, kind: str, key: str, payload: dict[str, object]) -> dict[str, object]:
    return {"id": job_id, "kind": kind, "key": key, "payload": json.dumps(payload),
            "status": "pending", "attempts": 0, "generation": 0, "run_at": AT,
            "created_at": AT}  # fmt: skip


def test_0003_turns_failed_flags_into_statuses_and_fills_job_accounts(
    fresh_database_url: str,
) -> None:
    url = fresh_database_url
    upgrade(url, "0002")
    engine = create_engine(url, poolclass=pool.NullPool)
    try:
        with engine.begin() as conn:
            conn.execute(_conferences.insert(), [
                _conference("gave-up", "pending", True, "acct-1"),
                _conference("waiting", "pending", False, "acct-2"),
                _conference("issued", "issued", False, "acct-3"),
                _conference("issued-flagged", "issued", True, "acct-4"),
            ])  # fmt: skip
            conn.execute(_jobs.insert(), [
                _job("j-delete", "delete", "zoom:555",
                     {"provider": "zoom", "account": "acct-9", "meeting_id": "555"}),
                _job("j-sync", "sync", "waiting", {}),
                _job("j-sync-gone", "sync", "no-such-event", {}),
                _job("j-mail", "mail", "waiting/bob", {"to": "bob@example.com"}),
            ])  # fmt: skip
        upgrade(url, "0003")
        with engine.connect() as conn:
            found = conn.execute(sa.text("SELECT event_id, status FROM meetlink_conferences"))
            statuses = {event_id: status for event_id, status in found}
            jobs = {
                row[0]: tuple(row[1:])
                for row in conn.execute(
                    sa.text("SELECT id, provider, account, waits FROM meetlink_jobs")
                ).all()
            }
            columns = {c["name"] for c in sa.inspect(conn).get_columns("meetlink_conferences")}
        assert statuses == {
            "gave-up": "failed",
            "waiting": "pending",
            "issued": "issued",  # an issued URL stays issued whatever the old flag said
            "issued-flagged": "issued",
        }
        assert "failed" not in columns and "kept" in columns
        assert jobs == {
            "j-delete": ("zoom", "acct-9", 0),
            "j-sync": ("zoom", "acct-2", 0),
            "j-sync-gone": (None, None, 0),
            "j-mail": (None, None, 0),
        }
    finally:
        engine.dispose()
    upgrade(url)  # and on to the head with these rows
