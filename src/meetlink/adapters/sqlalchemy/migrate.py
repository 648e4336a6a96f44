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
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, MetaData, Table, create_engine, pool

from meetlink.adapters.sqlalchemy.tables import VERSION_TABLE
from meetlink.adapters.sqlalchemy.unit_of_work import normalize_url
from meetlink.errors import MeetLinkError, StorageError

__all__ = [
    "MIGRATIONS",
    "alembic_config",
    "current_revision",
    "downgrade",
    "exclude_meetlink",
    "ignore_meetlink_version",
    "migrate_to",
    "upgrade",
]

#: The directory of the shipped Alembic environment (``script_location``).
MIGRATIONS = Path(__file__).resolve().parent / "migrations"


def alembic_config() -> Config:
    """An Alembic ``Config`` for meetlink's migrations (add ``sqlalchemy.url`` to use it with
    the ``alembic.command`` functions)."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return config


def _engine(url: str | Engine) -> Engine:
    """The host's engine, or one for ``url`` read as ``SqlStorage`` reads it
    (``postgresql://`` and ``mysql://`` get meetlink's drivers)."""
    if isinstance(url, Engine):
        return url
    try:
        return create_engine(normalize_url(url), poolclass=pool.NullPool)
    except MeetLinkError:
        raise
    except Exception as exc:  # a missing driver; never echo the URL (it may hold a password)
        raise StorageError("cannot open the database (is its driver installed?)") from exc


def _run(url: str | Engine, revision: str, upgrading: bool) -> None:
    engine = _engine(url)
    config = alembic_config()
    try:
        with engine.begin() as connection:
            config.attributes["connection"] = connection
            if upgrading:
                command.upgrade(config, revision)
            else:
                command.downgrade(config, revision)
                if revision == "base":  # nothing of meetlink's is left: neither its record
                    Table(VERSION_TABLE, MetaData()).drop(connection, checkfirst=True)
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
    """Downgrade the meetlink tables at ``url`` to ``revision`` (``"base"`` drops them all,
    and the version table ``meetlink_alembic_version`` with them)."""
    _run(url, revision, upgrading=False)


def current_revision(url: str | Engine) -> str | None:
    """The revision meetlink's tables are at (None: never migrated, or downgraded to base)."""
    engine = _engine(url)
    try:
        with engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"version_table": VERSION_TABLE})
            return context.get_current_revision()
    except Exception as exc:
        raise StorageError("cannot reach the database to read meetlink's revision") from exc
    finally:
        if engine is not url:
            engine.dispose()


def migrate_to(url: str | Engine, revision: str = "head") -> str:
    """Move meetlink's tables to ``revision``, upgrading or downgrading as needed
    (``"base"`` drops them all); returns ``"upgrade"``, ``"downgrade"`` or ``"none"``."""
    if revision.startswith(("-", "+")):  # relative steps: Alembic resolves them
        (downgrade if revision.startswith("-") else upgrade)(url, revision)
        return "downgrade" if revision.startswith("-") else "upgrade"
    current = current_revision(url)
    script = ScriptDirectory.from_config(alembic_config())
    try:
        target = script.get_revision(revision) if revision != "base" else None
    except Exception as exc:  # alembic's CommandError / ResolutionError: an unknown revision
        raise StorageError(f"unknown meetlink revision {revision!r}") from exc
    target_id = None if target is None else target.revision
    if target_id == current:
        return "none"
    below = (
        set()
        if current is None
        else {r.revision for r in script.iterate_revisions(current, "base")}
    )
    if target_id is None or target_id in below:
        downgrade(url, revision)
        return "downgrade"
    upgrade(url, revision)
    return "upgrade"


def ignore_meetlink_version(name: str | None, type_: str, parent_names: Any) -> bool:
    """For a host's Alembic ``include_name`` when the host includes
    ``metadata`` in its ``target_metadata`` and meetlink's
    tables were made by ``meetlink migrate``: autogenerate then ignores meetlink's own version
    table (``meetlink_alembic_version``), which no metadata describes, instead of proposing to
    drop it.

        context.configure(..., include_name=ignore_meetlink_version)
    """
    return not (type_ == "table" and name == VERSION_TABLE)


def exclude_meetlink(name: str | None, type_: str, parent_names: Any) -> bool:
    """For a host's Alembic ``include_name`` when meetlink's tables are migrated by
    ``meetlink migrate`` rather than by the host: autogenerate then neither creates nor drops
    ``meetlink_*`` tables (or meetlink's version table).

        context.configure(..., include_name=exclude_meetlink)
    """
    if type_ == "table" and name is not None:
        return not name.startswith("meetlink_")
    return True
