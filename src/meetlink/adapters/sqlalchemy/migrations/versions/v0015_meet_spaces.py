"""The Google Meet space ledger in the database.

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-07

``meetlink_meet_creates`` (creates begun per conference marker) and ``meetlink_meet_spaces``
(the spaces they made, and when meetlink closed one): what ``SqlSpaceLedger`` shares between
the processes of one installation, so that a space made by one process is found by the
others (a Meet space carries no marker, and Meet v2 cannot list spaces).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import mysql

from meetlink.adapters.sqlalchemy.tables import no_pad_collation

revision: str = "0015"
down_revision: str | None = "0014"
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
    """Add ``meetlink_meet_creates`` and ``meetlink_meet_spaces``."""
    op.create_table(
        "meetlink_meet_creates",
        sa.Column("marker", sa.String(64), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("begun_at", _utc(), nullable=False),
        sa.PrimaryKeyConstraint("marker", name="pk_meetlink_meet_creates"),
        **_MYSQL,
    )
    op.create_table(
        "meetlink_meet_spaces",
        sa.Column("name", sa.String(191), nullable=False),
        sa.Column("marker", sa.String(64), nullable=False),
        sa.Column("meeting_uri", sa.Text(), nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.Column("closed_at", _utc(), nullable=True),
        sa.PrimaryKeyConstraint("name", name="pk_meetlink_meet_spaces"),
        **_MYSQL,
    )
    op.create_index("ix_meetlink_meet_spaces_marker", "meetlink_meet_spaces", ["marker", "seq"])
    bind = op.get_bind()
    if bind.dialect.name in ("mysql", "mariadb"):
        collation = no_pad_collation(bind.dialect)
        for table in ("meetlink_meet_creates", "meetlink_meet_spaces"):
            op.execute(f"ALTER TABLE {table} CONVERT TO CHARACTER SET utf8mb4 COLLATE " + collation)


def downgrade() -> None:
    """Back to revision 0014 (the ledger is dropped: spaces made before are then unknown)."""
    op.drop_index("ix_meetlink_meet_spaces_marker", table_name="meetlink_meet_spaces")
    op.drop_table("meetlink_meet_spaces")
    op.drop_table("meetlink_meet_creates")
