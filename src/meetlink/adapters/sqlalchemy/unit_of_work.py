"""SQL storage: [`SqlStorage`][meetlink.adapters.sqlalchemy.unit_of_work.SqlStorage] hands out
[`SqlUnitOfWork`][meetlink.adapters.sqlalchemy.unit_of_work.SqlUnitOfWork] transactions.

Backends:

- ``sqlite://`` (in memory): one shared connection (``StaticPool``) and a lock that serialises
  units of work, so it is safe from several threads of one process.
- SQLite files: every unit of work starts with ``BEGIN IMMEDIATE`` (the pysqlite recipe from the
  SQLAlchemy docs makes transactions real) and waits on a busy timeout, so concurrent threads
  and processes serialise instead of failing.
- PostgreSQL (``postgresql+psycopg://``) and MariaDB/MySQL (``mysql+pymysql://``), with
  ``pool_pre_ping``; job claims use ``FOR UPDATE SKIP LOCKED``.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Mapping, Sequence
from contextlib import AbstractContextManager, nullcontext
from types import TracebackType
from typing import Any

from sqlalchemy import Connection, Engine, Transaction, create_engine, event, select, update
from sqlalchemy.engine import URL, make_url
from sqlalchemy.pool import StaticPool

from meetlink.adapters.sqlalchemy import tables as t
from meetlink.adapters.sqlalchemy._dialects import translate_errors
from meetlink.adapters.sqlalchemy.crypto import TokenCipher
from meetlink.adapters.sqlalchemy.jobs import SqlJobRepository
from meetlink.adapters.sqlalchemy.links import SqlAuthStateRepository, SqlLinkRepository
from meetlink.adapters.sqlalchemy.repositories import (
    SqlConferenceRepository,
    SqlDirectoryRepository,
    SqlErasureLog,
    SqlEventRepository,
    SqlHostEventLog,
    SqlPolicyRepository,
    SqlReminderLog,
    SqlSubscriptionRepository,
    SqlWebhookLog,
)
from meetlink.errors import ConfigurationError, CredentialError, StorageError

__all__ = ["SqlStorage", "SqlUnitOfWork"]

log = logging.getLogger(__name__)

_SQLITE_BUSY_SECONDS = 30.0
_READ_ONLY = "meetlink_read_only"
_ROTATE_BATCH = 200


def _sqlite_immediate(engine: Engine) -> None:
    """Make pysqlite transactions real and start each with BEGIN IMMEDIATE (SQLAlchemy docs,
    "Serializable isolation / Savepoints / Transactional DDL"). File databases use WAL with
    synchronous=NORMAL: readers never block the writer, and a commit needs no fsync of the
    main file (durable across a process crash; the last commits may be lost on power loss)."""
    memory = _is_memory_sqlite(engine)

    @event.listens_for(engine, "connect")
    def _no_implicit_begin(dbapi_connection: Any, connection_record: Any) -> None:
        dbapi_connection.isolation_level = None  # pysqlite must not emit BEGIN on its own
        if not memory:
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.close()

    def _begin_immediate(dbapi_connection: Any) -> None:
        # The dialect's do_begin, not a "begin" listener: any connection listener makes
        # SQLAlchemy dispatch its execute events on every statement the engine runs. A
        # read-only unit of work (its flag set just before, consumed here) takes no write
        # lock: in WAL mode it never blocks writers.
        read_only = dbapi_connection.info.pop(_READ_ONLY, False)
        dbapi_connection.execute("BEGIN" if read_only else "BEGIN IMMEDIATE")

    engine.dialect.do_begin = _begin_immediate  # type: ignore[method-assign]


# The drivers meetlink installs, for URLs that name only the database.
_DEFAULT_DRIVERS = {
    "postgresql": "postgresql+psycopg",
    "mysql": "mysql+pymysql",
    "mariadb": "mariadb+pymysql",
}


def normalize_url(url: str) -> URL:
    """``url`` parsed, with meetlink's driver filled in when the URL names none
    (``postgresql://`` -> psycopg 3, ``mysql://``/``mariadb://`` -> PyMySQL)."""
    try:
        parsed = make_url(url)
    except Exception as exc:  # an ArgumentError; never echo the URL (it may hold a password)
        raise ConfigurationError("the storage URL cannot be parsed") from exc
    driver = _DEFAULT_DRIVERS.get(parsed.drivername)
    return parsed.set(drivername=driver) if driver else parsed


def _make_engine(url: str, options: Mapping[str, Any]) -> Engine:
    parsed = normalize_url(url)
    kwargs: dict[str, Any] = {}
    if parsed.get_backend_name() == "sqlite":
        connect_args: dict[str, Any] = {"timeout": _SQLITE_BUSY_SECONDS}
        if parsed.database in (None, "", ":memory:"):
            connect_args["check_same_thread"] = False
            kwargs["poolclass"] = StaticPool
        kwargs["connect_args"] = connect_args
    else:
        kwargs["pool_pre_ping"] = True
        if parsed.get_backend_name() in ("mysql", "mariadb"):
            # InnoDB's default REPEATABLE READ takes next-key (gap) locks, so one worker's
            # claim would hide every other due job from SKIP LOCKED; READ COMMITTED (as on
            # PostgreSQL) locks only the rows a claim returns, and each statement sees the
            # latest commits (what the account lock in complete_link relies on).
            kwargs["isolation_level"] = "READ COMMITTED"
    kwargs.update(options)
    try:
        engine = create_engine(parsed, **kwargs)
    except Exception as exc:  # a missing driver, bad options
        raise ConfigurationError(f"cannot create a storage engine: {exc}") from exc
    if engine.dialect.name == "sqlite":
        _sqlite_immediate(engine)
    return engine


def _is_memory_sqlite(engine: Engine) -> bool:
    return engine.dialect.name == "sqlite" and engine.url.database in (None, "", ":memory:")


class SqlStorage:
    """Storage on SQLAlchemy: SQLite, PostgreSQL or MariaDB/MySQL.

    ``url`` is a SQLAlchemy URL or an ``Engine`` (a host engine is used
    as given; [`close`][meetlink.adapters.sqlalchemy.unit_of_work.SqlStorage.close] then leaves it
    open). ``encryption_keys`` (newest first) is required: tokens are encrypted at rest, see
    ``meetlink.adapters.sqlalchemy.crypto``. ``create_schema`` creates missing tables from
    ``metadata`` (tests, demos; production runs
    [`upgrade`][meetlink.adapters.sqlalchemy.migrate.upgrade]). ``engine_options`` go to
    ``create_engine``.
    """

    def __init__(
        self,
        url: str | Engine,
        *,
        encryption_keys: Sequence[str | bytes] | None = None,
        create_schema: bool = False,
        engine_options: Mapping[str, Any] | None = None,
    ) -> None:
        self.cipher = TokenCipher(encryption_keys)
        if isinstance(url, Engine):
            self.engine = url
            self._owns_engine = False
        else:
            self.engine = _make_engine(url, engine_options or {})
            self._owns_engine = True
        # sqlite:// has one shared connection: units of work must take turns.
        self._lock: AbstractContextManager[Any] = (
            threading.RLock() if _is_memory_sqlite(self.engine) else nullcontext()
        )
        if create_schema:
            self.create_schema()

    def unit_of_work(self, *, read_only: bool = False) -> SqlUnitOfWork:
        """A new unit of work (use it as a context manager). ``read_only``: it will not
        write (on SQLite it then starts with a plain BEGIN, taking no write lock)."""
        return SqlUnitOfWork(self, read_only=read_only)

    def close(self) -> None:
        """Release pooled connections (an engine passed in by the host stays usable)."""
        if self._owns_engine:
            self.engine.dispose()

    def create_schema(self) -> None:
        """Create the missing ``meetlink_*`` tables (without Alembic's version table)."""
        with self._lock, translate_errors("creating the schema"):
            t.metadata.create_all(self.engine)

    def drop_schema(self) -> None:
        """Drop every ``meetlink_*`` table (tests and demos only)."""
        with self._lock, translate_errors("dropping the schema"):
            t.metadata.drop_all(self.engine)

    def rotate_keys(self) -> int:
        """Re-encrypt every stored token and PKCE verifier under the first key; returns how
        many values were rewritten. A value no configured key can read is left as it is and
        logged by row id (never by content); the rest of the batch goes on."""
        rotated = 0
        for table, key, column in (
            (t.links, t.links.c.id, t.links.c.tokens),
            (t.auth_states, t.auth_states.c.state_hash, t.auth_states.c.code_verifier),
        ):
            after: str | None = None
            while True:
                with self.unit_of_work() as uow:
                    conn = uow.connection()
                    query = select(key, column).where(column.is_not(None)).order_by(key)
                    if after is not None:
                        query = query.where(key > after)
                    with translate_errors("rotating encryption keys"):
                        rows = conn.execute(query.limit(_ROTATE_BATCH).with_for_update()).all()
                        for row_key, ciphertext in rows:
                            try:
                                fresh = self.cipher.rotate(ciphertext)
                            except CredentialError:
                                log.warning(
                                    "cannot rotate the secret of %s row %s: no configured key "
                                    "reads it",
                                    table.name,
                                    row_key,
                                )
                                continue
                            conn.execute(
                                update(table).where(key == row_key).values({column: fresh})
                            )
                            rotated += 1
                    uow.commit()
                if len(rows) < _ROTATE_BATCH:
                    break
                after = rows[-1][0]
        return rotated


class SqlUnitOfWork:
    """One database transaction over every repository; rolls back unless committed."""

    def __init__(self, storage: SqlStorage, *, read_only: bool = False) -> None:
        self._storage = storage
        self._read_only = read_only
        self.cipher = storage.cipher
        self._conn: Connection | None = None
        self._tx: Transaction | None = None
        self._locked = False
        # The tenant policies read along with subscriptions in this unit of work (tenant ->
        # policy row's text or None): the issuance decision reads both, in one statement.
        self.policy_rows: dict[str, str | None] = {}
        # The (provider, account)s a link read in this unit of work found without a stored
        # wait, until one is stored: their wait needs no read of its own.
        self.waitless: set[tuple[str, str]] = set()
        self.subscriptions = SqlSubscriptionRepository(self)
        self.links = SqlLinkRepository(self)
        self.policies = SqlPolicyRepository(self)
        self.auth_states = SqlAuthStateRepository(self)
        self.events = SqlEventRepository(self)
        self.conferences = SqlConferenceRepository(self)
        self.jobs = SqlJobRepository(self)
        self.reminders = SqlReminderLog(self)
        self.webhooks = SqlWebhookLog(self)
        self.directory = SqlDirectoryRepository(self)
        self.feed = SqlHostEventLog(self)
        self.erasures = SqlErasureLog(self)

    def connection(self) -> Connection:
        """The open connection; StorageError outside the block. A conference write the
        repository holds back is written first (see ``SqlConferenceRepository.put``)."""
        conn = self.repository_connection()
        self.conferences.flush()
        return conn

    def repository_connection(self) -> Connection:
        """The open connection for the repositories (a held-back conference write stays
        held: the repositories that read conferences write it first)."""
        if self._conn is None:
            raise StorageError("the unit of work is not open (use it as a context manager)")
        if self._tx is None or not self._tx.is_active:
            with translate_errors("starting a transaction"):
                self._tx = self._begin(self._conn)
        return self._conn

    def __enter__(self) -> SqlUnitOfWork:
        if self._conn is not None:
            raise StorageError("a unit of work cannot be entered twice")
        self._storage._lock.__enter__()
        try:
            with translate_errors("opening a connection"):
                self._conn = self._storage.engine.connect()
                self._tx = self._begin(self._conn)
        except BaseException:
            self._close()
            raise
        return self

    def _begin(self, conn: Connection) -> Transaction:
        if not (self._read_only and conn.dialect.name == "sqlite"):
            return conn.begin()
        info = conn.connection.info
        info[_READ_ONLY] = True  # for _begin_immediate, this begin only
        try:
            return conn.begin()
        finally:
            info.pop(_READ_ONLY, None)  # never left for the pooled connection's next begin

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        try:
            self.rollback()
        finally:
            self._close()

    def _close(self) -> None:
        conn, self._conn, self._tx = self._conn, None, None
        try:
            if conn is not None:
                conn.close()
        except Exception:  # the connection is gone anyway; the pool will replace it
            log.debug("closing a storage connection failed", exc_info=True)
        finally:
            self._storage._lock.__exit__(None, None, None)

    def commit(self) -> None:
        """Make every change durable, atomically; ConcurrentUpdate if a race was lost."""
        if self._conn is None:
            raise StorageError("commit outside of a unit of work")
        self.conferences.flush()
        recorded = self.feed.flush()  # last: the feed heads stay locked only until the commit
        if self._tx is not None and self._tx.is_active:
            with translate_errors("committing"):
                self._tx.commit()
        self._tx = None
        self.policy_rows.clear()
        self.waitless.clear()
        self.feed.committed(recorded)

    def rollback(self) -> None:
        """Drop every change not yet committed."""
        self.feed.dropped()
        self.conferences.dropped()
        self.policy_rows.clear()
        self.waitless.clear()
        if self._tx is not None and self._tx.is_active:
            with translate_errors("rolling back"):
                self._tx.rollback()
        self._tx = None
