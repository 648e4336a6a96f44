"""Alembic environment for meetlink's own migration lineage.

Run through [`meetlink.adapters.sqlalchemy.upgrade`][meetlink.adapters.sqlalchemy.migrate.upgrade] /
``downgrade`` (which pass a connection in ``config.attributes["connection"]``), or by the
``alembic`` command with ``script_location`` pointing here and ``sqlalchemy.url`` set. Only
``meetlink_*`` tables are considered, and the version table is ``meetlink_alembic_version``, so a
host's own Alembic lineage and tables are never touched.
"""

from __future__ import annotations

from typing import Any

from alembic import context
from sqlalchemy import Connection, create_engine, pool

from meetlink.adapters.sqlalchemy.tables import VERSION_TABLE, metadata

config = context.config


def include_name(name: str | None, type_: str, parent_names: Any) -> bool:
    """Autogenerate looks at meetlink's tables only."""
    if type_ == "table":
        return name is not None and name.startswith("meetlink_") and name != VERSION_TABLE
    return True


def _configure(**kwargs: Any) -> None:
    context.configure(
        target_metadata=metadata,
        version_table=VERSION_TABLE,
        include_name=include_name,
        compare_type=True,
        **kwargs,
    )


def _run(connection: Connection) -> None:
    _configure(connection=connection, render_as_batch=connection.dialect.name == "sqlite")
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    """Migrate over the given connection, or one made from ``sqlalchemy.url``."""
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    url = config.get_main_option("sqlalchemy.url")
    if not url:
        raise RuntimeError("set sqlalchemy.url (or pass a connection) to run meetlink migrations")
    engine = create_engine(url, poolclass=pool.NullPool)
    try:
        with engine.connect() as connection:
            _run(connection)
    finally:
        engine.dispose()


def run_migrations_offline() -> None:
    """Emit the SQL instead of running it (``alembic upgrade --sql``)."""
    _configure(url=config.get_main_option("sqlalchemy.url"), literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
