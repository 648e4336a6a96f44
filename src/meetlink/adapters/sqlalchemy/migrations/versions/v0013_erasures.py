"""Erasure records.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-07

``meetlink_erasures`` records each erasure a provider asked for (Zoom's ``app_deauthorized``
with ``user_data_retention: false``): the provider, a SHA-256 standing for the account,
when the deauthorization happened, when the erasure was due and when it happened. No personal
data is kept in it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import mysql

from meetlink.adapters.sqlalchemy.tables import no_pad_collation

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_MYSQL: dict[str, Any] = {
    "mysql_engine": "InnoDB",
    "mysql_charset": "utf8mb4",
    "mysql_collate": "utf8mb4_bin",
}


def _utc() -> sa.types.TypeEngine[Any]:
    """Aware UTC datetimes: timestamptz on PostgreSQL, DATETIME(6) on MariaDB/MySQL."""
    return sa.DateTime(timezone=True).with_variant(mysql.DATETIME(fsp=6), "mysql", "mariadb")


def upgrade() -> None:
    """Add ``meetlink_erasures``."""
    op.create_table(
        "meetlink_erasures",
        sa.Column("provider", sa.String(32), nullable=False),
        sa.Column("account_key", sa.String(64), nullable=False),
        sa.Column("deauthorized_at", _utc(), nullable=False),
        sa.Column("due_at", _utc(), nullable=False),
        sa.Column("erased_at", _utc(), nullable=True),
        sa.PrimaryKeyConstraint(
            "provider", "account_key", "deauthorized_at", name="pk_meetlink_erasures"
        ),
        **_MYSQL,
    )
    bind = op.get_bind()
    if bind.dialect.name in ("mysql", "mariadb"):
        collation = no_pad_collation(bind.dialect)
        op.execute(
            "ALTER TABLE meetlink_erasures CONVERT TO CHARACTER SET utf8mb4 COLLATE " + collation
        )


def downgrade() -> None:
    """Back to revision 0012 (the records are dropped)."""
    op.drop_table("meetlink_erasures")
