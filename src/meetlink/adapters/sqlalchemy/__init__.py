"""SQL storage on SQLAlchemy 2 (SQLite, PostgreSQL, MariaDB/MySQL), with shipped migrations.

Wiring::

    from meetlink.adapters.sqlalchemy import SqlStorage, generate_key, upgrade

    upgrade("postgresql+psycopg://app@db/app")            # once per deploy (own version table)
    storage = SqlStorage("postgresql+psycopg://app@db/app", encryption_keys=[key_from_env])

    # tests and demos:
    storage = SqlStorage("sqlite://", encryption_keys=[generate_key()], create_schema=True)

``metadata`` holds the ``meetlink_*`` tables for hosts that run their own Alembic lineage.
"""

from meetlink.adapters.sqlalchemy.crypto import generate_key
from meetlink.adapters.sqlalchemy.migrate import (
    current_revision,
    downgrade,
    exclude_meetlink,
    ignore_meetlink_version,
    migrate_to,
    upgrade,
)
from meetlink.adapters.sqlalchemy.spaces import SqlSpaceLedger
from meetlink.adapters.sqlalchemy.tables import metadata
from meetlink.adapters.sqlalchemy.unit_of_work import SqlStorage, SqlUnitOfWork

__all__ = [
    "SqlSpaceLedger",
    "SqlStorage",
    "SqlUnitOfWork",
    "current_revision",
    "downgrade",
    "exclude_meetlink",
    "generate_key",
    "ignore_meetlink_version",
    "metadata",
    "migrate_to",
    "upgrade",
]
