"""Jobs paged by ``(run_at, id)`` through an index range.

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-26

``ix_meetlink_jobs_due`` becomes ``(status, run_at, id)``. ``failed_jobs()`` and
``pending_jobs()`` page by ``(run_at, id)``; without ``id`` in the index PostgreSQL read every
job of the status that shares the page's ``run_at`` (all the invitations one save queued, a
batch that failed together) to sort them. The due claim uses the same index as before.
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """``ix_meetlink_jobs_due`` on ``(status, run_at, id)``."""
    op.drop_index("ix_meetlink_jobs_due", table_name="meetlink_jobs")
    op.create_index("ix_meetlink_jobs_due", "meetlink_jobs", ["status", "run_at", "id"])


def downgrade() -> None:
    """Back to revision 0007: ``ix_meetlink_jobs_due`` on ``(status, run_at)``."""
    op.drop_index("ix_meetlink_jobs_due", table_name="meetlink_jobs")
    op.create_index("ix_meetlink_jobs_due", "meetlink_jobs", ["status", "run_at"])
