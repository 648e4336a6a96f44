"""The host event feed.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-07

``meetlink_host_events`` holds the feed ``MeetLink.events()`` reads: entry ``seq`` of a
tenant's feed, keyed by ``(tenant_id, seq)``, with ``ix_meetlink_host_events_at`` for
``purge()``. ``meetlink_host_event_heads`` keeps the last number each tenant's feed gave; a
unit of work locks its tenant's row while it numbers its entries, until it commits, so the
entries of a tenant commit in the order of their numbers. On MariaDB/MySQL both tables use the
binary NO PAD collation like every other table (revision 0009).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import mysql

from meetlink.adapters.sqlalchemy.tables import no_pad_collation

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_MYSQL: dict[str, Any] = {
    "mysql_engine": "InnoDB",
    "mysql_charset": "utf8mb4",
    "mysql_collate": "utf8mb4_bin",
}
_TABLES = ("meetlink_host_events", "meetlink_host_event_heads")


def _utc() -> sa.types.TypeEngine[Any]:
    """Aware UTC datetimes: timestamptz on PostgreSQL, DATETIME(6) on MariaDB/MySQL."""
    return sa.DateTime(timezone=True).with_variant(mysql.DATETIME(fsp=6), "mysql", "mariadb")


def upgrade() -> None:
    """Add ``meetlink_host_events`` and ``meetlink_host_event_heads``."""
    op.create_table(
        "meetlink_host_events",
        sa.Column("tenant_id", sa.String(191), nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("user_id", sa.String(191), nullable=True),
        sa.Column("event_id", sa.String(191), nullable=True),
        sa.Column("provider", sa.String(32), nullable=True),
        sa.Column("at", _utc(), nullable=False),
        sa.Column("detail", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("tenant_id", "seq", name="pk_meetlink_host_events"),
        **_MYSQL,
    )
    op.create_index("ix_meetlink_host_events_at", "meetlink_host_events", ["at"])
    op.create_table(
        "meetlink_host_event_heads",
        sa.Column("tenant_id", sa.String(191), nullable=False),
        sa.Column("last_seq", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("tenant_id", name="pk_meetlink_host_event_heads"),
        **_MYSQL,
    )
    bind = op.get_bind()
    if bind.dialect.name in ("mysql", "mariadb"):
        collation = no_pad_collation(bind.dialect)
        for table in _TABLES:
            op.execute(f"ALTER TABLE {table} CONVERT TO CHARACTER SET utf8mb4 COLLATE {collation}")


def downgrade() -> None:
    """Back to revision 0010 (the feed is dropped)."""
    op.drop_table("meetlink_host_event_heads")
    op.drop_index("ix_meetlink_host_events_at", table_name="meetlink_host_events")
    op.drop_table("meetlink_host_events")
