"""Due reminders: the index on ``meetlink_events.remind_at`` also holds ``event_id``.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-26

The due-reminders query orders by ``(remind_at, event_id)``. With ``remind_at`` alone in
``ix_meetlink_events_remind_at`` a database reads the whole due range and sorts it before the
``LIMIT``: after a long outage of the worker, every reminder of the backlog. On
``(remind_at, event_id)`` the range comes out in the query's order and the read stops at the
limit. The index keeps its name (the naming convention names it after its first column).
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_INDEX = "ix_meetlink_events_remind_at"
_TABLE = "meetlink_events"


def upgrade() -> None:
    """Rebuild ``ix_meetlink_events_remind_at`` on ``(remind_at, event_id)``."""
    op.drop_index(_INDEX, table_name=_TABLE)
    op.create_index(_INDEX, _TABLE, ["remind_at", "event_id"])


def downgrade() -> None:
    """Back to revision 0006: the index on ``remind_at`` alone."""
    op.drop_index(_INDEX, table_name=_TABLE)
    op.create_index(_INDEX, _TABLE, ["remind_at"])
