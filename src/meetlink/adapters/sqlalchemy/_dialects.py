"""What differs between SQLite, PostgreSQL and MariaDB: upserts, insert-or-ignore, locking,
and how a driver error maps onto meetlink's errors."""

from __future__ import annotations

import functools
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Connection, Executable, Table, insert
from sqlalchemy.dialects import mysql, postgresql, sqlite
from sqlalchemy.exc import DBAPIError, IntegrityError, SQLAlchemyError

from meetlink.errors import ConcurrentUpdate, StorageError

__all__ = ["insert_ignore", "is_mysql", "translate_errors", "upsert"]

# Driver codes that mean "another transaction got there first: retry the unit of work".
_PG_RETRY = {"23505", "40001", "40P01", "55P03"}  # unique, serialization, deadlock, lock
_MYSQL_RETRY = {1062, 1213, 1205}  # duplicate key, deadlock, lock wait timeout
_SQLITE_UNIQUE = {"SQLITE_CONSTRAINT_PRIMARYKEY", "SQLITE_CONSTRAINT_UNIQUE"}
# "No such table / column": the schema is missing or older than the code.
_PG_MISSING = {"42P01", "42703"}  # undefined_table, undefined_column
_MYSQL_MISSING = {1146, 1054}  # ER_NO_SUCH_TABLE, ER_BAD_FIELD_ERROR


def is_mysql(conn: Connection) -> bool:
    """True on MariaDB/MySQL."""
    return conn.dialect.name in ("mysql", "mariadb")


def _is_race(exc: DBAPIError) -> bool:
    orig = exc.orig
    errorname = getattr(orig, "sqlite_errorname", None)
    if errorname is not None:
        return errorname in _SQLITE_UNIQUE
    if type(orig).__module__.split(".")[0] in ("pymysql", "MySQLdb", "mysql"):
        args: tuple[Any, ...] = tuple(getattr(orig, "args", None) or ())
        return bool(args) and args[0] in _MYSQL_RETRY
    return getattr(orig, "sqlstate", None) in _PG_RETRY


def _missing_table(exc: DBAPIError) -> bool:
    """True when the database says a table (or column) does not exist: the schema was never
    migrated, or is older than this version of meetlink."""
    orig = exc.orig
    if getattr(orig, "sqlstate", None) in _PG_MISSING:
        return True
    args: tuple[Any, ...] = tuple(getattr(orig, "args", None) or ())
    if type(orig).__module__.split(".")[0] in ("pymysql", "MySQLdb", "mysql"):
        return bool(args) and args[0] in _MYSQL_MISSING
    text = str(args[0]) if args else ""
    return getattr(orig, "sqlite_errorname", None) == "SQLITE_ERROR" and text.startswith(
        ("no such table", "no such column")
    )


def _lost_race(exc: BaseException) -> bool:
    """True when ``exc`` or an error it interrupted lost a race. (MariaDB rolls the whole
    transaction back on a deadlock, so rolling back to the savepoint then fails too.)"""
    seen: BaseException | None = exc
    for _ in range(5):
        if seen is None:
            return False
        if isinstance(seen, DBAPIError) and _is_race(seen):
            return True
        seen = seen.__cause__ or seen.__context__
    return False


@contextmanager
def translate_errors(action: str) -> Iterator[None]:
    """Turn a lost uniqueness race into ConcurrentUpdate and any other database failure into
    StorageError (``action`` says what was being done; no SQL or values in the message)."""
    try:
        yield
    except DBAPIError as exc:
        if _lost_race(exc):
            raise ConcurrentUpdate(
                f"{action}: another transaction changed the same rows first; retry"
            ) from exc
        if _missing_table(exc):
            raise StorageError(
                f"{action}: meetlink's tables are missing or out of date; run "
                "`meetlink migrate DATABASE_URL` (or pass create_schema=True to SqlStorage "
                "in tests)"
            ) from exc
        kind = "constraint violated" if isinstance(exc, IntegrityError) else "database error"
        raise StorageError(f"{action}: {kind} ({type(exc.orig).__name__})") from exc
    except SQLAlchemyError as exc:
        raise StorageError(f"{action}: {type(exc).__name__}") from exc


@functools.lru_cache(maxsize=256)
def _upsert_statement(
    dialect: str, table: Table, keys: tuple[str, ...], columns: tuple[str, ...]
) -> Executable:
    """One compiled-once upsert per table and column set; values travel as parameters (so
    SQLAlchemy's statement cache is hit instead of re-coercing every value)."""
    changes = [name for name in columns if name not in keys]
    if dialect == "postgresql":
        pg = postgresql.insert(table)
        return pg.on_conflict_do_update(
            index_elements=list(keys), set_={name: pg.excluded[name] for name in changes}
        )
    if dialect == "sqlite":
        lite = sqlite.insert(table)
        return lite.on_conflict_do_update(
            index_elements=list(keys), set_={name: lite.excluded[name] for name in changes}
        )
    my = mysql.insert(table)
    return my.on_duplicate_key_update({name: my.inserted[name] for name in changes})


def upsert(conn: Connection, table: Table, row: dict[str, Any], keys: Sequence[str]) -> None:
    """Insert ``row`` or replace the non-key columns of the row with the same ``keys``."""
    name = "mysql" if is_mysql(conn) else conn.dialect.name
    if name in ("postgresql", "sqlite", "mysql"):
        conn.execute(_upsert_statement(name, table, tuple(keys), tuple(sorted(row))), row)
        return
    changes = {column: value for column, value in row.items() if column not in keys}
    if conn.execute(  # pragma: no cover - other dialects are not supported, but stay correct
        table.update().where(*(table.c[k] == row[k] for k in keys)).values(changes)
    ).rowcount == 0:  # fmt: skip
        conn.execute(insert(table), row)  # pragma: no cover


@functools.lru_cache(maxsize=64)
def _insert_ignore_statement(dialect: str, table: Table) -> Executable:
    """One built-once insert-or-ignore per table; values travel as parameters."""
    key = next(iter(table.primary_key.columns))
    if dialect == "postgresql":
        return postgresql.insert(table).on_conflict_do_nothing().returning(key)
    if dialect == "sqlite":
        return sqlite.insert(table).on_conflict_do_nothing().returning(key)
    return insert(table).prefix_with("IGNORE")


def insert_ignore(conn: Connection, table: Table, row: dict[str, Any]) -> bool:
    """Insert ``row`` unless its key exists (even concurrently); True when inserted."""
    if conn.dialect.name in ("postgresql", "sqlite"):
        statement = _insert_ignore_statement(conn.dialect.name, table)
        return conn.execute(statement, row).first() is not None
    if is_mysql(conn):
        return conn.execute(_insert_ignore_statement("mysql", table), row).rowcount == 1
    return conn.execute(insert(table).values(row)).rowcount == 1  # pragma: no cover
