"""Events by start time, for the meeting check.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-07

``ix_meetlink_events_start`` on ``(start, tenant_id, event_id)``: the meeting check (drift
repair for providers that send no meeting webhooks) pages through the events starting within
its window by that key, an index range instead of a scan of the events.
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Add ``ix_meetlink_events_start``."""
    op.create_index(
        "ix_meetlink_events_start", "meetlink_events", ["start", "tenant_id", "event_id"]
    )


def downgrade() -> None:
    """Back to revision 0011."""
    op.drop_index("ix_meetlink_events_start", table_name="meetlink_events")
