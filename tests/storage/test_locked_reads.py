"""A locked read of an event sees its conference as the lock's previous holder left it.

An event's row is the lock of everything about its conference (ports/storage.py): a unit of
work that changes the conference holds the event's row. So a unit of work that reads the
event ``for_update`` and waits for that lock must then see the conference as committed by
the one it waited for, never as it was when its statement began. PostgreSQL, at READ
COMMITTED, locks the newest version of the event's row but keeps the rest of a join as its
statement's snapshot saw it: a conference deleted (or changed) meanwhile came back from the
dead, and a sync job's result put it back (the chaos suite saw an ISSUED conference on an
event whose URL was withdrawn, and participants whose last mail was a cancellation).

The test makes the interleaving happen on purpose: unit of work A locks the event and
deletes (or changes) its conference; B asks for the event and its conference ``for_update``
and is seen waiting for A's lock in the server's own lock tables; A commits; B must see A's
conference.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator

import attrs
import pytest
from sqlalchemy import text

from meetlink.adapters.sqlalchemy import SqlStorage
from meetlink.domain.conference import ConferenceRecord
from meetlink.domain.records import EventRecord

from .conftest import _backend_of
from .factories import conference, event_record

TENANT, EVENT = "t1", "e1"


@pytest.fixture
def storage(fresh_database_url: str, encryption_key: str) -> Iterator[SqlStorage]:
    found = SqlStorage(fresh_database_url, encryption_keys=[encryption_key], create_schema=True)
    yield found
    found.close()


def _session_id(storage: SqlStorage, uow: object) -> int | None:
    """The server's id of the unit of work's session (None on SQLite)."""
    backend = _backend_of(str(storage.engine.url))
    if backend == "sqlite":
        return None
    query = "SELECT pg_backend_pid()" if backend == "postgresql" else "SELECT CONNECTION_ID()"
    return int(uow.connection().execute(text(query)).scalar_one())  # type: ignore[attr-defined]


def _waits_for_a_lock(storage: SqlStorage, session: int) -> bool:
    """Whether the server lists ``session`` as waiting for a row lock now."""
    if _backend_of(str(storage.engine.url)) == "postgresql":
        query = "SELECT count(*) FROM pg_stat_activity WHERE pid = :s AND wait_event_type = 'Lock'"
    else:
        query = (
            "SELECT count(*) FROM information_schema.innodb_trx"
            " WHERE trx_mysql_thread_id = :s AND trx_state = 'LOCK WAIT'"
        )
    with storage.engine.connect() as conn:
        return int(conn.execute(text(query), {"s": session}).scalar_one()) > 0


def _interleave(
    storage: SqlStorage, change: Callable[[ConferenceRecord], ConferenceRecord | None]
) -> tuple[EventRecord | None, ConferenceRecord | None]:
    """A holds the event and changes its conference; B's locked read waits for A; A commits.
    Returns what B read."""
    with storage.unit_of_work() as uow:
        uow.events.add(event_record(EVENT, TENANT))
        uow.conferences.put(conference(EVENT, tenant_id=TENANT))
        uow.commit()
    backend = _backend_of(str(storage.engine.url))
    seen: list[tuple[EventRecord | None, ConferenceRecord | None]] = []
    failures: list[BaseException] = []
    sessions: list[int | None] = []
    started = threading.Event()

    def reader() -> None:
        try:
            with storage.unit_of_work() as uow:
                sessions.append(_session_id(storage, uow))
                started.set()
                seen.append(uow.events.get_with_conference(TENANT, EVENT, for_update=True))
                uow.commit()
        except BaseException as exc:
            failures.append(exc)
            started.set()

    with storage.unit_of_work() as uow:
        uow.events.get(TENANT, EVENT, for_update=True)
        old = uow.conferences.get(TENANT, EVENT)
        assert old is not None
        new = change(old)
        if new is None:
            uow.conferences.delete(TENANT, EVENT)
        else:
            uow.conferences.put(new)
        thread = threading.Thread(target=reader)
        thread.start()
        if backend != "sqlite":
            # Synchronisation, not a timing check: B's statement has begun once the server
            # lists B's session as waiting for a lock.
            assert started.wait(60) and not failures, failures
            session = sessions[0]
            assert session is not None
            for _ in range(2_000):
                if _waits_for_a_lock(storage, session):
                    break
                time.sleep(0.005)
            else:
                pytest.fail("the locked read never waited for the event's lock")
        uow.commit()
    thread.join(60)
    assert not thread.is_alive() and not failures, failures
    return seen[0]


def test_a_conference_deleted_while_waiting_for_the_event_is_gone(storage: SqlStorage) -> None:
    record, conf = _interleave(storage, lambda old: None)
    assert record is not None
    assert conf is None


def test_a_conference_changed_while_waiting_for_the_event_is_read_changed(
    storage: SqlStorage,
) -> None:
    record, conf = _interleave(storage, lambda old: attrs.evolve(old, marker="after"))
    assert record is not None and conf is not None
    assert conf.marker == "after"
