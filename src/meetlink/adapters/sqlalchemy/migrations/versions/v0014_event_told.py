"""What participants hold of an event whose URL was withdrawn.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-07

``meetlink_events.told`` (JSON, nullable): a URL withdrawn from an event that stays is an
update of the event without it, not a cancellation, so participants keep the event in their
calendars. The column says what they hold (times, addresses, the provider whose meeting was
removed), so deleting the event later cancels it for them, removing one of them cancels it
for that one, and a new URL reaches them as an update. NULL for every existing event: before
this revision a withdrawal was a cancellation.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import mysql

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Add ``meetlink_events.told`` (TEXT; MEDIUMTEXT on MariaDB/MySQL)."""
    column_type = sa.Text().with_variant(mysql.MEDIUMTEXT(), "mysql", "mariadb")
    op.add_column("meetlink_events", sa.Column("told", column_type, nullable=True))


def downgrade() -> None:
    """Back to revision 0013: drop ``meetlink_events.told``."""
    op.drop_column("meetlink_events", "told")
