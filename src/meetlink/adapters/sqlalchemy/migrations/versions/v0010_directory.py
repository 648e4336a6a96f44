"""Organisation links: users' addresses in a provider's directory.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-07

An organisation link (one admin grant that serves a whole tenant) is a row of
``meetlink_links`` like a user's link (encrypted tokens, refresh lease, keep-alive), whose
user id is ``''`` (no host user can have it) and whose account is ``organisation:<id>``.
``meetlink_directory`` holds, per ``(tenant_id, provider, user_id)``, the address the host
gave for the user in the provider's directory (Zoom: the Zoom user's email; Microsoft: the
UPN) and what the organisation found for it (the provider user, when): a lookup cache every
process shares, and the list of users an organisation serves.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import mysql

from meetlink.adapters.sqlalchemy.tables import no_pad_collation

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_KEY = 191


def _utc() -> sa.types.TypeEngine[Any]:
    """Aware UTC datetimes: timestamptz on PostgreSQL, DATETIME(6) on MariaDB/MySQL."""
    return sa.DateTime(timezone=True).with_variant(mysql.DATETIME(fsp=6), "mysql", "mariadb")


def upgrade() -> None:
    """Add ``meetlink_directory``."""
    dialect = op.get_bind().dialect
    extra: dict[str, Any] = {}
    if dialect.name in ("mysql", "mariadb"):
        extra = {
            "mysql_engine": "InnoDB",
            "mysql_charset": "utf8mb4",
            "mysql_collate": no_pad_collation(dialect),
        }
    op.create_table(
        "meetlink_directory",
        sa.Column("tenant_id", sa.String(_KEY), nullable=False),
        sa.Column("provider", sa.String(32), nullable=False),
        sa.Column("user_id", sa.String(_KEY), nullable=False),
        sa.Column("address", sa.String(320), nullable=False),
        sa.Column("external_account_id", sa.String(_KEY), nullable=True),
        sa.Column("found", sa.Boolean(), nullable=False),
        sa.Column("resolved_at", _utc(), nullable=True),
        sa.PrimaryKeyConstraint("tenant_id", "provider", "user_id", name="pk_meetlink_directory"),
        **extra,
    )
    op.create_index(
        "ix_meetlink_directory_account",
        "meetlink_directory",
        ["tenant_id", "provider", "external_account_id"],
    )


def downgrade() -> None:
    """Back to revision 0009 (organisation links end with their directory: the links table
    keeps their rows, which no host user can reach)."""
    op.drop_index("ix_meetlink_directory_account", table_name="meetlink_directory")
    op.drop_table("meetlink_directory")
