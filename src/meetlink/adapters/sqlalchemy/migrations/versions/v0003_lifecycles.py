"""Lifecycle tables: FAILED conferences, kept URLs, job accounts and waits, refresh leases.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-02

- ``meetlink_conferences``: the ``failed`` flag becomes the status ``failed`` (a conference
  whose work gave up); ``kept`` holds the issued meeting while a replacement is pending (S21).
- ``meetlink_jobs``: ``provider``/``account`` (the account a job calls, indexed with run_at)
  and ``waits`` (waits that are not attempts); existing sync and delete jobs are filled in.
- ``meetlink_account_waits``: provider accounts that asked to wait (429, daily caps).
- ``meetlink_links.refresh_lease_until``: single-flight refresh without a lock held.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import mysql

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_MYSQL: dict[str, Any] = {
    "mysql_engine": "InnoDB",
    "mysql_charset": "utf8mb4",
    "mysql_collate": "utf8mb4_bin",
}

_conferences = sa.table(
    "meetlink_conferences",
    sa.column("event_id", sa.String),
    sa.column("provider", sa.String),
    sa.column("external_account_id", sa.String),
    sa.column("status", sa.String),
    sa.column("failed", sa.Boolean),
)
_jobs = sa.table(
    "meetlink_jobs",
    sa.column("id", sa.String),
    sa.column("kind", sa.String),
    sa.column("key", sa.String),
    sa.column("payload", sa.Text),
    sa.column("provider", sa.String),
    sa.column("account", sa.String),
)


def _utc() -> sa.types.TypeEngine[Any]:
    """Aware UTC datetimes: timestamptz on PostgreSQL, DATETIME(6) on MariaDB/MySQL."""
    return sa.DateTime(timezone=True).with_variant(mysql.DATETIME(fsp=6), "mysql", "mariadb")


def upgrade() -> None:
    """Add the lifecycle columns and tables; carry the old flags over."""
    op.add_column("meetlink_links", sa.Column("refresh_lease_until", _utc(), nullable=True))

    op.add_column("meetlink_conferences", sa.Column("kept", sa.Text(), nullable=True))
    op.execute(
        _conferences.update()
        .where(_conferences.c.failed.is_(True), _conferences.c.status == "pending")
        .values(status="failed")
    )
    with op.batch_alter_table("meetlink_conferences") as batch:
        batch.drop_column("failed")

    op.add_column(
        "meetlink_jobs", sa.Column("waits", sa.Integer(), nullable=False, server_default="0")
    )
    op.add_column("meetlink_jobs", sa.Column("provider", sa.String(32), nullable=True))
    op.add_column("meetlink_jobs", sa.Column("account", sa.String(191), nullable=True))
    op.create_index("ix_meetlink_jobs_account", "meetlink_jobs", ["provider", "account", "run_at"])
    _fill_job_accounts()

    op.create_table(
        "meetlink_account_waits",
        sa.Column("provider", sa.String(32), nullable=False),
        sa.Column("account", sa.String(191), nullable=False),
        sa.Column("until", _utc(), nullable=False),
        sa.Column("next_slot", _utc(), nullable=False),
        sa.PrimaryKeyConstraint("provider", "account", name="pk_meetlink_account_waits"),
        **_MYSQL,
    )


def _fill_job_accounts() -> None:
    """Delete jobs name their account in the payload; sync jobs act on their conference's."""
    bind = op.get_bind()
    for job_id, payload in bind.execute(
        sa.select(_jobs.c.id, _jobs.c.payload).where(_jobs.c.kind == "delete")
    ).all():
        data = json.loads(payload)
        bind.execute(
            _jobs.update()
            .where(_jobs.c.id == job_id)
            .values(provider=data.get("provider"), account=data.get("account"))
        )
    rows = bind.execute(
        sa.select(_jobs.c.id, _conferences.c.provider, _conferences.c.external_account_id)
        .select_from(_jobs.join(_conferences, _conferences.c.event_id == _jobs.c.key))
        .where(_jobs.c.kind == "sync")
    ).all()
    for job_id, provider, account in rows:
        bind.execute(
            _jobs.update().where(_jobs.c.id == job_id).values(provider=provider, account=account)
        )


def downgrade() -> None:
    """Back to revision 0002 (FAILED conferences become pending ones flagged failed)."""
    op.drop_table("meetlink_account_waits")
    op.drop_index("ix_meetlink_jobs_account", table_name="meetlink_jobs")
    with op.batch_alter_table("meetlink_jobs") as batch:
        batch.drop_column("account")
        batch.drop_column("provider")
        batch.drop_column("waits")
    op.add_column(
        "meetlink_conferences",
        sa.Column("failed", sa.Boolean(), nullable=False, server_default=sa.false()),
    )
    op.execute(
        _conferences.update()
        .where(_conferences.c.status == "failed")
        .values(status="pending", failed=True)
    )
    with op.batch_alter_table("meetlink_conferences") as batch:
        batch.drop_column("kept")
    with op.batch_alter_table("meetlink_links") as batch:
        batch.drop_column("refresh_lease_until")
