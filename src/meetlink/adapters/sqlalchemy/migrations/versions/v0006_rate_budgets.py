"""Provider rate budgets: what each declared limit has spent, per account, organisation or app.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-26

``meetlink_rate_budgets`` holds one row per provider, limit and scope key (the provider
account, its organisation, or "" for the app): ``mark`` and ``used`` as
[`meetlink.domain.budgets.Usage`][meetlink.domain.budgets.Usage] defines them. Workers lock the rows
of a job's limits while they claim it, so every process spends from the same budget.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import mysql

revision: str = "0006"
down_revision: str | None = "0005"
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
    """Add ``meetlink_rate_budgets``."""
    op.create_table(
        "meetlink_rate_budgets",
        sa.Column("provider", sa.String(32), nullable=False),
        sa.Column("limit_name", sa.String(32), nullable=False),
        sa.Column("scope_key", sa.String(191), nullable=False),
        sa.Column("mark", _utc(), nullable=False),
        sa.Column("used", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint(
            "provider", "limit_name", "scope_key", name="pk_meetlink_rate_budgets"
        ),
        **_MYSQL,
    )


def downgrade() -> None:
    """Back to revision 0005."""
    op.drop_table("meetlink_rate_budgets")
