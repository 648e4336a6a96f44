"""Initial meetlink tables.

Revision ID: 0001
Revises: (none)
Create Date: 2026-11-25

Written to produce exactly ``meetlink.adapters.sqlalchemy.tables.metadata``. Self-contained: it
does not import the live table definitions, so later model changes cannot rewrite history.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import mysql

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# MariaDB/MySQL: InnoDB, utf8mb4, case-sensitive (binary) collation.
_MYSQL: dict[str, Any] = {
    "mysql_engine": "InnoDB",
    "mysql_charset": "utf8mb4",
    "mysql_collate": "utf8mb4_bin",
}


def _utc() -> sa.types.TypeEngine[Any]:
    """Aware UTC datetimes: timestamptz on PostgreSQL, DATETIME(6) on MariaDB/MySQL."""
    return sa.DateTime(timezone=True).with_variant(mysql.DATETIME(fsp=6), "mysql", "mariadb")


def upgrade() -> None:
    """Create the meetlink tables."""
    op.create_table(
        "meetlink_subscriptions",
        sa.Column("tenant_id", sa.String(191), nullable=False),
        sa.Column("state", sa.String(32), nullable=False),
        sa.Column("trial_started_at", _utc(), nullable=True),
        sa.Column("trial_ends_at", _utc(), nullable=True),
        sa.Column("contracted_at", _utc(), nullable=True),
        sa.Column("cancelled_at", _utc(), nullable=True),
        sa.PrimaryKeyConstraint("tenant_id", name="pk_meetlink_subscriptions"),
        **_MYSQL,
    )
    op.create_table(
        "meetlink_links",
        sa.Column("id", sa.String(64), nullable=False),
        sa.Column("user_id", sa.String(191), nullable=False),
        sa.Column("tenant_id", sa.String(191), nullable=False),
        sa.Column("provider", sa.String(32), nullable=False),
        sa.Column("external_account_id", sa.String(191), nullable=False),
        sa.Column("account_id", sa.String(191), nullable=False),
        sa.Column("email", sa.String(320), nullable=False),
        sa.Column("plan", sa.String(64), nullable=False),
        sa.Column("linked_at", _utc(), nullable=False),
        sa.Column("tokens", sa.Text(), nullable=True),
        sa.Column("token_version", sa.Integer(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("unlinked_at", _utc(), nullable=True),
        sa.Column("unlink_reason", sa.String(32), nullable=True),
        sa.Column("reauth_required", sa.Boolean(), nullable=False),
        sa.Column("active_user_id", sa.String(191), nullable=True),
        sa.Column("active_account_id", sa.String(191), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_meetlink_links"),
        sa.UniqueConstraint("provider", "active_user_id", name="uq_meetlink_links_active_user"),
        sa.UniqueConstraint(
            "provider", "active_account_id", name="uq_meetlink_links_active_account"
        ),
        **_MYSQL,
    )
    op.create_index("ix_meetlink_links_user", "meetlink_links", ["user_id", "linked_at"])
    op.create_index(
        "ix_meetlink_links_account", "meetlink_links", ["provider", "external_account_id"]
    )
    op.create_table(
        "meetlink_auth_states",
        sa.Column("state_hash", sa.String(64), nullable=False),
        sa.Column("tenant_id", sa.String(191), nullable=False),
        sa.Column("user_id", sa.String(191), nullable=False),
        sa.Column("provider", sa.String(32), nullable=False),
        sa.Column("code_verifier", sa.Text(), nullable=False),
        sa.Column("created_at", _utc(), nullable=False),
        sa.Column("expires_at", _utc(), nullable=False),
        sa.PrimaryKeyConstraint("state_hash", name="pk_meetlink_auth_states"),
        **_MYSQL,
    )
    op.create_index("ix_meetlink_auth_states_expires", "meetlink_auth_states", ["expires_at"])
    op.create_table(
        "meetlink_events",
        sa.Column("event_id", sa.String(191), nullable=False),
        sa.Column("tenant_id", sa.String(191), nullable=False),
        sa.Column("owner_id", sa.String(191), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("start", _utc(), nullable=False),
        sa.Column("end", _utc(), nullable=False),
        sa.Column("timezone", sa.String(64), nullable=False),
        sa.Column("span", sa.String(32), nullable=False),
        sa.Column("recurrence", sa.Text(), nullable=True),
        sa.Column("source", sa.String(32), nullable=False),
        sa.Column("participants", sa.Text(), nullable=False),
        sa.Column("web_meeting", sa.String(32), nullable=True),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("sequence", sa.Integer(), nullable=False),
        sa.Column("remind_at", _utc(), nullable=True),
        sa.Column("updated_at", _utc(), nullable=False),
        sa.PrimaryKeyConstraint("event_id", name="pk_meetlink_events"),
        **_MYSQL,
    )
    op.create_index("ix_meetlink_events_remind_at", "meetlink_events", ["remind_at"])
    op.create_table(
        "meetlink_conferences",
        sa.Column("event_id", sa.String(191), nullable=False),
        sa.Column("provider", sa.String(32), nullable=False),
        sa.Column("external_account_id", sa.String(191), nullable=False),
        sa.Column("status", sa.String(32), nullable=False),
        sa.Column("marker", sa.String(191), nullable=False),
        sa.Column("meeting_id", sa.String(32), nullable=True),
        sa.Column("join_url", sa.Text(), nullable=True),
        sa.Column("passcode", sa.String(64), nullable=True),
        sa.Column("synced", sa.Text(), nullable=True),
        sa.Column("maybe_created", sa.Boolean(), nullable=False),
        sa.Column("mailed", sa.Text(), nullable=True),
        sa.Column("failed", sa.Boolean(), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("created_at", _utc(), nullable=False),
        sa.PrimaryKeyConstraint("event_id", name="pk_meetlink_conferences"),
        **_MYSQL,
    )
    op.create_index(
        "ix_meetlink_conferences_account",
        "meetlink_conferences",
        ["provider", "external_account_id"],
    )
    op.create_table(
        "meetlink_jobs",
        sa.Column("id", sa.String(64), nullable=False),
        sa.Column("kind", sa.String(64), nullable=False),
        sa.Column("key", sa.String(191), nullable=False),
        sa.Column("payload", sa.Text(), nullable=False),
        sa.Column("status", sa.String(32), nullable=False),
        sa.Column("run_at", _utc(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("generation", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("lease_until", _utc(), nullable=True),
        sa.Column("created_at", _utc(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_meetlink_jobs"),
        sa.UniqueConstraint("kind", "key", name="uq_meetlink_jobs_kind_key"),
        **_MYSQL,
    )
    op.create_index("ix_meetlink_jobs_due", "meetlink_jobs", ["status", "run_at"])
    op.create_index("ix_meetlink_jobs_lease", "meetlink_jobs", ["status", "lease_until"])
    op.create_table(
        "meetlink_reminders",
        sa.Column("event_id", sa.String(191), nullable=False),
        sa.Column("email", sa.String(191), nullable=False),
        sa.Column("start", _utc(), nullable=False),
        sa.PrimaryKeyConstraint("event_id", "email", "start", name="pk_meetlink_reminders"),
        **_MYSQL,
    )
    op.create_table(
        "meetlink_webhook_deliveries",
        sa.Column("provider", sa.String(32), nullable=False),
        sa.Column("delivery_key", sa.String(191), nullable=False),
        sa.Column("received_at", _utc(), nullable=False),
        sa.PrimaryKeyConstraint("provider", "delivery_key", name="pk_meetlink_webhook_deliveries"),
        **_MYSQL,
    )
    op.create_index(
        "ix_meetlink_webhook_deliveries_received", "meetlink_webhook_deliveries", ["received_at"]
    )


def downgrade() -> None:
    """Drop the meetlink tables (their indexes go with them)."""
    for table in (
        "meetlink_webhook_deliveries",
        "meetlink_reminders",
        "meetlink_jobs",
        "meetlink_conferences",
        "meetlink_events",
        "meetlink_auth_states",
        "meetlink_links",
        "meetlink_subscriptions",
    ):
        op.drop_table(table)
