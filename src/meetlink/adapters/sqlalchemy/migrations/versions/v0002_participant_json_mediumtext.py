"""JSON columns that grow with an event's participants become MEDIUMTEXT on MariaDB/MySQL.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-27

TEXT holds 64 KB on MariaDB/MySQL: about 1,000 named participants. ``meetlink_events.
participants``, ``meetlink_conferences.mailed`` and ``meetlink_jobs.payload`` become
MEDIUMTEXT (16 MB) there; PostgreSQL and SQLite TEXT have no such limit (nothing changes).
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import mysql

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_COLUMNS = (
    ("meetlink_events", "participants", False),
    ("meetlink_conferences", "mailed", True),
    ("meetlink_jobs", "payload", False),
)


def _alter(to: sa.types.TypeEngine[str], existing: sa.types.TypeEngine[str]) -> None:
    if op.get_context().dialect.name not in ("mysql", "mariadb"):
        return  # TEXT is unbounded enough on PostgreSQL and SQLite
    for table, column, nullable in _COLUMNS:
        op.alter_column(table, column, type_=to, existing_type=existing, existing_nullable=nullable)


def upgrade() -> None:
    """TEXT -> MEDIUMTEXT on MariaDB/MySQL."""
    _alter(mysql.MEDIUMTEXT(), sa.Text())


def downgrade() -> None:
    """MEDIUMTEXT -> TEXT on MariaDB/MySQL (fails if a value no longer fits)."""
    _alter(sa.Text(), mysql.MEDIUMTEXT())
