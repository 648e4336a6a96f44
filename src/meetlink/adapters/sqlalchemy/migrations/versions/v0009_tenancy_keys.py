"""Tenancy by construction: every id is the host's id inside one tenant; ids compare exactly.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-10

Every row that belongs to a tenant is keyed by it; nothing is lost on the way:

- ``meetlink_links``: one active link per ``(provider, tenant_id, active_user_id)`` (was per
  ``(provider, active_user_id)``: user ids were one namespace for every tenant);
  ``ix_meetlink_links_user`` on ``(user_id, tenant_id, linked_at)`` (a user's history;
  user_id first, so the active-link lookup never reads a tenant's links through it). Rows
  already carry their tenant. One active link per provider account stays global.
- ``meetlink_events``: primary key ``(tenant_id, event_id)``; ``ix_meetlink_events_remind_at``
  on ``(remind_at, tenant_id, event_id)`` (the due-reminders query's whole order).
- ``meetlink_conferences`` and ``meetlink_reminders`` gain ``tenant_id``, their event's, and
  the keys ``(tenant_id, event_id)`` and ``(tenant_id, event_id, email, start)``.
- ``meetlink_jobs`` gains ``tenant_id`` and is unique on ``(tenant_id, kind, key)``: a sync
  job's tenant is its event's (the key is the event id); a mail's is its event's, else the
  one its payload names (the iCalendar UID ``<event id>@<tenant id>.meetlink``); a deletion's
  is the tenant of the link that holds (else last held) the meeting's account, the event
  having gone with the conference that named it.
  Rows whose tenant cannot be known (an event and every link gone) keep ``''``: they still
  run as before and nothing else can match them.
- MariaDB/MySQL: every table is converted to the binary NO PAD collation
  (``utf8mb4_nopad_bin``, MySQL 8 ``utf8mb4_0900_bin``): ``utf8mb4_bin`` is PAD SPACE, so
  ``'alice '`` was ``'alice'`` there and not on SQLite or PostgreSQL.

Downgrading is possible only while no event id, job or active user id is shared by two
tenants, and no two ids differ by trailing spaces alone (the old keys cannot hold them: the
database refuses, and nothing changes).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

from meetlink.adapters.sqlalchemy.tables import no_pad_collation

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_KEY = 191
_UNKNOWN = ""  # the tenant of a row whose event and links are all gone

_events = sa.table("meetlink_events", sa.column("event_id", sa.String), sa.column("tenant_id"))
_conferences = sa.table(
    "meetlink_conferences", sa.column("event_id", sa.String), sa.column("tenant_id", sa.String)
)
_reminders = sa.table(
    "meetlink_reminders", sa.column("event_id", sa.String), sa.column("tenant_id", sa.String)
)
_jobs = sa.table(
    "meetlink_jobs",
    sa.column("id", sa.String),
    sa.column("kind", sa.String),
    sa.column("key", sa.String),
    sa.column("payload", sa.Text),
    sa.column("provider", sa.String),
    sa.column("account", sa.String),
    sa.column("tenant_id", sa.String),
)
_links = sa.table(
    "meetlink_links",
    sa.column("tenant_id", sa.String),
    sa.column("provider", sa.String),
    sa.column("external_account_id", sa.String),
    sa.column("active", sa.Boolean),
    sa.column("linked_at", sa.DateTime),
    sa.column("id", sa.String),
)

#: Every meetlink table (converted to the NO PAD collation on MariaDB/MySQL).
_TABLES = (
    "meetlink_subscriptions",
    "meetlink_links",
    "meetlink_auth_states",
    "meetlink_events",
    "meetlink_conferences",
    "meetlink_jobs",
    "meetlink_account_waits",
    "meetlink_rate_budgets",
    "meetlink_reminders",
    "meetlink_policies",
    "meetlink_webhook_deliveries",
)


def _event_tenant(event_id: Any) -> Any:
    """The tenant of the event ``event_id`` names (event ids were unique across tenants)."""
    return sa.func.coalesce(
        sa.select(_events.c.tenant_id).where(_events.c.event_id == event_id).scalar_subquery(),
        _UNKNOWN,
    )


def upgrade() -> None:
    """Key every tenant's rows by the tenant; compare ids exactly on MariaDB/MySQL."""
    for name in ("meetlink_conferences", "meetlink_reminders", "meetlink_jobs"):
        op.add_column(name, sa.Column("tenant_id", sa.String(_KEY), nullable=True))
    for table in (_conferences, _reminders):
        op.execute(table.update().values(tenant_id=_event_tenant(table.c.event_id)))
    _fill_job_tenants()

    with op.batch_alter_table("meetlink_links") as batch:
        batch.drop_constraint("uq_meetlink_links_active_user", type_="unique")
        batch.create_unique_constraint(
            "uq_meetlink_links_active_user", ["provider", "tenant_id", "active_user_id"]
        )
    op.drop_index("ix_meetlink_links_user", table_name="meetlink_links")
    op.create_index(
        "ix_meetlink_links_user", "meetlink_links", ["user_id", "tenant_id", "linked_at"]
    )

    op.drop_index("ix_meetlink_events_remind_at", table_name="meetlink_events")
    _rekey("meetlink_events", ["tenant_id", "event_id"])
    op.create_index(
        "ix_meetlink_events_remind_at", "meetlink_events", ["remind_at", "tenant_id", "event_id"]
    )
    _rekey("meetlink_conferences", ["tenant_id", "event_id"], not_null="tenant_id")
    _rekey("meetlink_reminders", ["tenant_id", "event_id", "email", "start"], not_null="tenant_id")

    with op.batch_alter_table("meetlink_jobs") as batch:
        batch.alter_column(
            "tenant_id", existing_type=sa.String(_KEY), existing_nullable=True, nullable=False
        )
        batch.drop_constraint("uq_meetlink_jobs_kind_key", type_="unique")
        batch.create_unique_constraint(
            "uq_meetlink_jobs_tenant_kind_key", ["tenant_id", "kind", "key"]
        )
    _collate(upgrading=True)


def _rekey(table: str, columns: list[str], *, not_null: str | None = None) -> None:
    """Make ``columns`` the primary key of ``table`` (``not_null``: a new column, filled,
    that becomes NOT NULL first)."""
    with op.batch_alter_table(table) as batch:
        if not_null is not None:
            batch.alter_column(
                not_null, existing_type=sa.String(_KEY), existing_nullable=True, nullable=False
            )
        batch.drop_constraint(f"pk_{table}", type_="primary")
        batch.create_primary_key(f"pk_{table}", columns)


def _fill_job_tenants() -> None:
    """Sync jobs: their event's tenant. Mail: the event's, else the payload's UID. Deletions:
    the tenant of the link holding (else last holding) the meeting's account."""
    op.execute(
        _jobs.update().where(_jobs.c.kind == "sync").values(tenant_id=_event_tenant(_jobs.c.key))
    )
    bind = op.get_bind()
    rows = bind.execute(
        sa.select(_jobs.c.id, _jobs.c.kind, _jobs.c.payload, _jobs.c.provider, _jobs.c.account)
        .where(_jobs.c.tenant_id.is_(None))
        .order_by(_jobs.c.id)
    ).all()
    for job_id, kind, payload, provider, account in rows:
        data = _json(payload)
        if kind == "mail":
            tenant = _mail_tenant(bind, data)
        elif kind == "delete":
            where = (data.get("provider", provider), data.get("account", account))
            tenant = _account_tenant(bind, *where)
        else:
            tenant = None
        bind.execute(
            _jobs.update().where(_jobs.c.id == job_id).values(tenant_id=tenant or _UNKNOWN)
        )


def _json(payload: str | None) -> dict[str, Any]:
    try:
        data = json.loads(payload or "{}")
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}


def _mail_tenant(bind: sa.Connection, data: dict[str, Any]) -> str | None:
    """A queued mail's tenant: its event's while the event is stored, else the tenant its
    iCalendar UID names (``<event id>@<tenant id>.meetlink``, built with both)."""
    event_id, uid = data.get("event_id"), data.get("uid")
    if not isinstance(event_id, str):
        return None
    found = bind.execute(
        sa.select(_events.c.tenant_id).where(_events.c.event_id == event_id)
    ).scalar()
    if found is not None:
        return str(found)
    head, tail = f"{event_id}@", ".meetlink"
    if isinstance(uid, str) and uid.startswith(head) and uid.endswith(tail):
        return uid[len(head) : -len(tail)] or None
    return None


def _account_tenant(bind: sa.Connection, provider: Any, account: Any) -> str | None:
    """The tenant of the link that holds the account now, else of the one that held it
    last (a parked deletion waits for that account to be linked again)."""
    if not isinstance(provider, str) or not isinstance(account, str):
        return None
    found = bind.execute(
        sa.select(_links.c.tenant_id)
        .where(_links.c.provider == provider, _links.c.external_account_id == account)
        .order_by(_links.c.active.desc(), _links.c.linked_at.desc(), _links.c.id.desc())
        .limit(1)
    ).scalar()
    return None if found is None else str(found)


def _collate(*, upgrading: bool) -> None:
    """MariaDB/MySQL: every table (and its string columns) to the NO PAD binary collation
    (back to ``utf8mb4_bin`` when downgrading)."""
    bind = op.get_bind()
    if bind.dialect.name not in ("mysql", "mariadb"):
        return
    collation = no_pad_collation(bind.dialect) if upgrading else "utf8mb4_bin"
    for table in _TABLES:
        op.execute(f"ALTER TABLE {table} CONVERT TO CHARACTER SET utf8mb4 COLLATE {collation}")


def downgrade() -> None:
    """Back to revision 0008 (see the module docstring: refused while two tenants share an
    event id, a job key or an active user id)."""
    _collate(upgrading=False)
    with op.batch_alter_table("meetlink_jobs") as batch:
        batch.drop_constraint("uq_meetlink_jobs_tenant_kind_key", type_="unique")
        batch.create_unique_constraint("uq_meetlink_jobs_kind_key", ["kind", "key"])
        batch.drop_column("tenant_id")
    for table, columns in (
        ("meetlink_reminders", ["event_id", "email", "start"]),
        ("meetlink_conferences", ["event_id"]),
    ):
        with op.batch_alter_table(table) as batch:
            batch.drop_constraint(f"pk_{table}", type_="primary")
            batch.create_primary_key(f"pk_{table}", columns)
            batch.drop_column("tenant_id")
    op.drop_index("ix_meetlink_events_remind_at", table_name="meetlink_events")
    _rekey("meetlink_events", ["event_id"])
    op.create_index("ix_meetlink_events_remind_at", "meetlink_events", ["remind_at", "event_id"])
    op.drop_index("ix_meetlink_links_user", table_name="meetlink_links")
    op.create_index("ix_meetlink_links_user", "meetlink_links", ["user_id", "linked_at"])
    with op.batch_alter_table("meetlink_links") as batch:
        batch.drop_constraint("uq_meetlink_links_active_user", type_="unique")
        batch.create_unique_constraint(
            "uq_meetlink_links_active_user", ["provider", "active_user_id"]
        )
