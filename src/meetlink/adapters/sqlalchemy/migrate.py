"""Apply meetlink's shipped Alembic migrations programmatically (no ``alembic.ini`` needed).

meetlink keeps its own lineage and version table (``meetlink_alembic_version``), so it never
collides with the host's ``alembic_version``::

    from meetlink.adapters.sqlalchemy import upgrade
    upgrade("postgresql+psycopg://app@db/app")
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, create_engine, pool

from meetlink.errors import StorageError

__all__ = ["MIGRATIONS", "alembic_config", "downgrade", "exclude_meetlink", "upgrade"]

#: The directory of the shipped Alembic environment (``script_location``).
MIGRATIONS = Path(__file__).resolve().parent / "migrations"


def alembic_config() -> Config:
    """An Alembic ``Config`` for meetlink's migrations (add ``sqlalchemy.url`` to use it with
    the ``alembic.command`` functions)."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return config


def _run(url: str | Engine, revision: str, upgrading: bool) -> None:
    engine = url if isinstance(url, Engine) else create_engine(url, poolclass=pool.NullPool)
    config = alembic_config()
    try:
        with engine.begin() as connection:
            config.attributes["connection"] = connection
            if upgrading:
                command.upgrade(config, revision)
            else:
                command.downgrade(config, revision)
    except Exception as exc:
        direction = "upgrade" if upgrading else "downgrade"
        raise StorageError(f"meetlink migration {direction} to {revision!r} failed") from exc
    finally:
        if engine is not url:
            engine.dispose()


def upgrade(url: str | Engine, revision: str = "head") -> None:
    """Upgrade the meetlink tables at ``url`` (a URL or an Engine) to ``revision``."""
    _run(url, revision, upgrading=True)


def downgrade(url: str | Engine, revision: str) -> None:
    """Downgrade the meetlink tables at ``url`` to ``revision`` (``"base"`` drops them all)."""
    _run(url, revision, upgrading=False)


def exclude_meetlink(name: str | None, type_: str, parent_names: Any) -> bool:
    """For a host's Alembic ``include_name`` when meetlink's tables are migrated by
    ``meetlink migrate`` rather than by the host: autogenerate then neither creates nor drops
    ``meetlink_*`` tables (or meetlink's version table).

        context.configure(..., include_name=exclude_meetlink)
    """
    if type_ == "table" and name is not None:
        return not name.startswith("meetlink_")
    return True
