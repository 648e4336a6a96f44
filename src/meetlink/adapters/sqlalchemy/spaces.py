"""``SqlSpaceLedger``: the Google Meet adapter's space ledger in the host's database, shared by
every process that uses it.

A Meet space carries no marker and Meet v2 cannot list a user's spaces, so the adapter keeps
which space each conference marker's create made
([`meetlink.adapters.google_meet.ledger`][meetlink.adapters.google_meet.ledger]). Kept in one
process, that record is lost with the process and unseen by the others: a create whose space
was made by a worker that died before meetlink stored it, or retried by another process,
makes a second space and leaves the first serving nothing. Here the record is in two tables
(``meetlink_meet_creates``, ``meetlink_meet_spaces``), each call its own short transaction
committed before the caller goes on: ``begin`` before the ``POST``, ``made`` as soon as the
answer is read.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING, TypeVar

from sqlalchemy import Connection, delete, null, select, union_all, update

from meetlink.adapters.google_meet.ledger import LedgerEntry

from . import tables as t
from ._dialects import insert_ignore, translate_errors

if TYPE_CHECKING:
    from .unit_of_work import SqlStorage

__all__ = ["SqlSpaceLedger"]

T = TypeVar("T")


class SqlSpaceLedger:
    """A [`SpaceLedger`][meetlink.adapters.google_meet.ledger.SpaceLedger] in ``storage``'s
    database (the tables come with ``meetlink migrate``). Pass it to every
    ``GoogleMeetProvider`` of every process that shares the database:
    ``GoogleMeetProvider(..., ledger=SqlSpaceLedger(storage))``. ``now``: the clock of
    ``closed_at`` and ``begun_at`` (default: the system's, UTC)."""

    def __init__(self, storage: SqlStorage, *, now: Callable[[], datetime] | None = None) -> None:
        self._storage = storage
        self._now = now or (lambda: datetime.now(UTC))

    def _run(self, action: str, work: Callable[[Connection], T]) -> T:
        storage = self._storage
        with storage._lock, translate_errors(action), storage.engine.begin() as conn:
            return work(conn)

    def begin(self, marker: str) -> None:
        """One more create is begun for ``marker`` (committed before the request goes)."""
        c = t.meet_creates.c

        def work(conn: Connection) -> None:
            row = {"marker": marker, "attempts": 1, "begun_at": self._now()}
            if not insert_ignore(conn, t.meet_creates, row):
                conn.execute(
                    update(t.meet_creates)
                    .where(c.marker == marker)
                    .values(attempts=c.attempts + 1, begun_at=row["begun_at"])
                )

        self._run("recording a Google Meet create", work)

    def made(self, marker: str, name: str, meeting_uri: str) -> None:
        """The create for ``marker`` made space ``name`` (kept once, in the order made)."""

        def work(conn: Connection) -> None:
            begun = {"marker": marker, "attempts": 1, "begun_at": self._now()}
            insert_ignore(conn, t.meet_creates, begun)  # made without begin: one attempt
            space = {"name": name, "marker": marker, "meeting_uri": meeting_uri,
                     "seq": time.time_ns(), "closed_at": None}  # fmt: skip
            insert_ignore(conn, t.meet_spaces, space)

        self._run("recording a Google Meet space", work)

    def entry(self, marker: str) -> LedgerEntry:
        """The creates begun for ``marker``, the spaces they made and which of those are
        closed (empty when none), in one statement: the create row and the space rows,
        each read by the marker (neither assumed from the other)."""
        creates, spaces = t.meet_creates.c, t.meet_spaces.c

        def work(conn: Connection) -> LedgerEntry:
            begun = select(
                creates.attempts, null().label("name"), null().label("meeting_uri"),
                null().label("closed_at"), null().label("seq"),
            ).where(creates.marker == marker)  # fmt: skip
            made = select(
                null().label("attempts"), spaces.name, spaces.meeting_uri, spaces.closed_at,
                spaces.seq,
            ).where(spaces.marker == marker)  # fmt: skip
            rows = conn.execute(union_all(begun, made)).all()
            attempts = next((int(a) for a, *_ in rows if a is not None), 0)
            found = sorted((int(q), str(n), str(u), c) for _a, n, u, c, q in rows if n is not None)
            return LedgerEntry(
                attempts=attempts,
                spaces=tuple((n, u) for _q, n, u, _c in found),
                closed=frozenset(n for _q, n, _u, c in found if c is not None),
            )

        return self._run("reading the Google Meet space ledger", work)

    def marker_of(self, name: str) -> str | None:
        """The marker whose create made space ``name`` (None: not made here, or closed
        without being known)."""
        spaces = t.meet_spaces.c

        def work(conn: Connection) -> str | None:
            found = conn.execute(select(spaces.marker).where(spaces.name == name)).scalar()
            return str(found) if found else None

        return self._run("reading the Google Meet space ledger", work)

    def close(self, name: str) -> bool:
        """Space ``name`` was closed; False when it already was (by any process)."""
        spaces = t.meet_spaces.c

        def work(conn: Connection) -> bool:
            now = self._now()
            closed = conn.execute(
                update(t.meet_spaces)
                .where(spaces.name == name, spaces.closed_at.is_(None))
                .values(closed_at=now)
            ).rowcount
            if closed:
                return True
            # Not recorded here (made before the ledger was shared): remember it as closed.
            unknown = {"name": name, "marker": "", "meeting_uri": "", "seq": time.time_ns(),
                       "closed_at": now}  # fmt: skip
            return insert_ignore(conn, t.meet_spaces, unknown)

        return self._run("closing a Google Meet space", work)

    def is_closed(self, name: str) -> bool:
        """Whether meetlink closed space ``name``."""
        spaces = t.meet_spaces.c

        def work(conn: Connection) -> bool:
            closed = conn.execute(select(spaces.closed_at).where(spaces.name == name)).first()
            return closed is not None and closed[0] is not None

        return self._run("reading the Google Meet space ledger", work)

    def purge(self, before: datetime) -> int:
        """Forget spaces closed before ``before``, and the creates of markers begun before it
        that no space remembers: a closed space's name is not used again, and a marker's
        conference is long settled. Returns the number of rows removed."""
        spaces, creates = t.meet_spaces.c, t.meet_creates.c

        def work(conn: Connection) -> int:
            gone = conn.execute(
                delete(t.meet_spaces).where(
                    spaces.closed_at.is_not(None), spaces.closed_at < before
                )
            ).rowcount
            kept = select(spaces.marker).where(spaces.marker == creates.marker).exists()
            gone += conn.execute(
                delete(t.meet_creates).where(creates.begun_at < before, ~kept)
            ).rowcount
            return int(gone)

        return self._run("purging the Google Meet space ledger", work)
