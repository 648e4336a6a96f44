"""Roadmap R2/R3: tenants' own issuance policies; skipped and moved occurrences of events.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-26

Self-contained (no import of the live table definitions).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_MYSQL: dict[str, Any] = {
    "mysql_engine": "InnoDB",
    "mysql_charset": "utf8mb4",
    "mysql_collate": "utf8mb4_bin",
}


def upgrade() -> None:
    """Add meetlink_policies and the events' exdates/moved columns."""
    op.create_table(
        "meetlink_policies",
        sa.Column("tenant_id", sa.String(191), nullable=False),
        sa.Column("policy", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("tenant_id", name="pk_meetlink_policies"),
        **_MYSQL,
    )
    with op.batch_alter_table("meetlink_events") as batch:
        batch.add_column(sa.Column("exdates", sa.Text(), nullable=True))
        batch.add_column(sa.Column("moved", sa.Text(), nullable=True))


def downgrade() -> None:
    """Drop them again."""
    with op.batch_alter_table("meetlink_events") as batch:
        batch.drop_column("moved")
        batch.drop_column("exdates")
    op.drop_table("meetlink_policies")
