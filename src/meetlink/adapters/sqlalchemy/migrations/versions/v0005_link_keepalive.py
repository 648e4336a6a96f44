"""Keep-alive: when each link's refresh token was issued, indexed for the idle range.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-05

``meetlink_links.refreshed_at`` holds when the stored refresh token was issued (its last use:
Zoom and Microsoft rotate it at every refresh). Keep-alive refreshes the active links whose
token has idled for ``token_keepalive`` through ``ix_meetlink_links_idle``
(``refreshed_at, id``). Links that were active before this revision get their ``linked_at``:
their last refresh is not known, and the older time only makes the first keep-alive come
sooner.

``meetlink_conferences.meeting_id`` becomes TEXT: Microsoft Graph's onlineMeeting ids are
base64 strings of about 150 characters (VARCHAR(32) held Zoom's numeric ids only).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import mysql

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_links = sa.table(
    "meetlink_links",
    sa.column("active", sa.Boolean),
    sa.column("linked_at", sa.DateTime),
    sa.column("refreshed_at", sa.DateTime),
)


def _utc() -> sa.types.TypeEngine[Any]:
    """Aware UTC datetimes: timestamptz on PostgreSQL, DATETIME(6) on MariaDB/MySQL."""
    return sa.DateTime(timezone=True).with_variant(mysql.DATETIME(fsp=6), "mysql", "mariadb")


def upgrade() -> None:
    """Add ``refreshed_at`` (active links: their ``linked_at``) and its index."""
    op.add_column("meetlink_links", sa.Column("refreshed_at", _utc(), nullable=True))
    op.execute(
        _links.update().where(_links.c.active.is_(True)).values(refreshed_at=_links.c.linked_at)
    )
    op.create_index("ix_meetlink_links_idle", "meetlink_links", ["refreshed_at", "id"])
    with op.batch_alter_table("meetlink_conferences") as batch:
        batch.alter_column(
            "meeting_id", type_=sa.Text(), existing_type=sa.String(32), existing_nullable=True
        )


def downgrade() -> None:
    """Back to revision 0004. ``meeting_id`` stays TEXT: cutting Graph's ids back to 32
    characters would lose the meetings they name."""
    op.drop_index("ix_meetlink_links_idle", table_name="meetlink_links")
    with op.batch_alter_table("meetlink_links") as batch:
        batch.drop_column("refreshed_at")
