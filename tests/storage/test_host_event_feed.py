"""The host event feed as stored (in memory, SQLite, PostgreSQL, MariaDB): recorded only by a
commit, numbered per tenant, never renumbered; under concurrent writers a reader that resumes
after the last id it saw misses nothing; a process killed between the commit and the listener
leaves the event in the feed."""

from __future__ import annotations

import os
import random
import subprocess
import sys
import textwrap
import threading
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event

from meetlink.adapters.sqlalchemy import SqlStorage
from meetlink.domain.results import HostEvent, HostEventKind, HostNotice
from meetlink.errors import ConcurrentUpdate
from meetlink.ports.storage import Storage

from .factories import T0

ROOT = Path(__file__).resolve().parents[2]


def _notice(tenant: str, detail: str = "", kind: HostEventKind = HostEventKind.WORK_FAILED) -> Any:
    return HostNotice(kind=kind, tenant_id=tenant, user_id="u", event_id="e", detail=detail)


def _record(storage: Storage, *notices: HostNotice, at: Any = T0) -> list[HostEvent]:
    with storage.unit_of_work() as uow:
        for notice in notices:
            uow.feed.add(notice, at)
        uow.commit()
        return uow.feed.written()


def _read(storage: Storage, tenant: str, after: int = 0, limit: int = 1000) -> list[HostEvent]:
    with storage.unit_of_work(read_only=True) as uow:
        return uow.feed.after(tenant, after, limit)


def test_only_a_commit_records_and_numbers_per_tenant(storage: Storage) -> None:
    with storage.unit_of_work() as uow:
        uow.feed.add(_notice("t1", "rolled back"), T0)
        uow.rollback()
    with storage.unit_of_work() as uow:
        uow.feed.add(_notice("t1", "never committed"), T0)
    assert _read(storage, "t1") == []
    written = _record(storage, _notice("t1", "a"), _notice("T1", "b"), _notice("t1", "c"))
    assert [(e.tenant_id, e.id, e.detail) for e in written] == [
        ("t1", "1", "a"), ("T1", "1", "b"), ("t1", "2", "c")]  # fmt: skip
    assert _read(storage, "t1") == [written[0], written[2]]  # what was told is what is kept
    assert _read(storage, "T1") == [written[1]]  # ids compare exactly: another tenant
    assert _read(storage, "t1", after=1) == [written[2]]
    assert _read(storage, "t1", after=0, limit=1) == [written[0]]
    assert written[0].kind is HostEventKind.WORK_FAILED and written[0].at == T0
    assert (written[0].user_id, written[0].event_id, written[0].provider) == ("u", "e", None)


def test_purge_keeps_the_numbering(storage: Storage) -> None:
    _record(storage, _notice("t1", "old"), at=T0)
    _record(storage, _notice("t1", "new"), at=T0 + timedelta(days=2))
    with storage.unit_of_work() as uow:
        assert uow.feed.purge(T0 + timedelta(days=1)) == 1
        uow.commit()
    [again] = _record(storage, _notice("t1", "after the purge"))
    assert [e.id for e in _read(storage, "t1")] == ["2", "3"] and again.id == "3"


def test_an_entry_without_a_tenant_is_refused(storage: Storage) -> None:
    from meetlink.errors import StorageError

    with storage.unit_of_work() as uow, pytest.raises(StorageError, match="tenant"):
        uow.feed.add(HostNotice(kind=HostEventKind.WORK_FAILED), T0)


# --- concurrent writers, one reader -------------------------------------------------------

WRITERS = 6
UNITS = 15


def test_a_reader_resuming_after_its_last_id_misses_nothing(sql_storage: SqlStorage) -> None:
    """Writers commit slowly (a pause between numbering and the commit, where a later number
    could overtake an earlier one if nothing ordered them). The reader polls with ``after``
    its last id: it must never see a gap (an id skipped it would never read again)."""
    rng = random.Random(7)

    @event.listens_for(sql_storage.engine, "commit")
    def _slow_commit(conn: Any) -> None:
        time.sleep(rng.uniform(0, 0.01))

    errors: list[BaseException] = []
    done = threading.Event()

    def write(n: int) -> None:
        try:
            for unit in range(UNITS):
                for _ in range(20):
                    try:
                        count = 1 + (n + unit) % 3
                        _record(sql_storage, *(_notice("t1", f"{n}/{unit}") for _ in range(count)))
                        break
                    except ConcurrentUpdate:  # the first head row, raced: retry the unit
                        continue
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    seen: list[int] = []

    def read() -> None:
        try:
            last = 0
            while True:
                finished = done.is_set()
                page = _read(sql_storage, "t1", after=last, limit=7)
                numbers = [int(e.id) for e in page]
                assert numbers == list(range(last + 1, last + 1 + len(numbers))), (last, numbers)
                seen.extend(numbers)
                if numbers:
                    last = numbers[-1]
                elif finished:
                    return
        except BaseException as exc:
            errors.append(exc)

    reader = threading.Thread(target=read)
    writers = [threading.Thread(target=write, args=(n,)) for n in range(WRITERS)]
    reader.start()
    for thread in writers:
        thread.start()
    for thread in writers:
        thread.join()
    done.set()
    reader.join()
    assert errors == []
    total = sum(1 + (n + unit) % 3 for n in range(WRITERS) for unit in range(UNITS))
    assert seen == list(range(1, total + 1))


# --- a crash between the commit and the listener -------------------------------------------

_CHILD = textwrap.dedent(
    """
    import os, sys
    sys.path.insert(0, {root!r})
    from meetlink.adapters.sqlalchemy import SqlStorage
    from tests.app.conftest import make_world

    storage = SqlStorage({url!r}, encryption_keys=[{key!r}], create_schema=True)
    real = storage.unit_of_work

    def unit_of_work(*, read_only=False):
        uow = real(read_only=read_only)
        commit = uow.commit

        def commit_then_die():
            commit()
            if uow.feed.written():  # committed with host events: die before the listener
                os._exit(17)

        uow.commit = commit_then_die
        return uow

    storage.unit_of_work = unit_of_work
    told = open({told!r}, "a")
    w = make_world(storage=storage, listener=lambda e: told.write(e.kind.value + "\\n"))
    w.meetlink.contract("t1")
    w.link("alice", w.zoom.add_account("alice@corp.example"))
    w.meetlink.save_event(w.event())
    """
)


def test_a_process_killed_after_the_commit_leaves_the_event_in_the_feed(
    tmp_path: Path, encryption_key: str
) -> None:
    url = f"sqlite:///{tmp_path / 'crash.db'}"
    told = tmp_path / "told.txt"
    script = _CHILD.format(root=str(ROOT), url=url, key=encryption_key, told=str(told))
    child = subprocess.run([sys.executable, "-c", script], env={**os.environ}, timeout=120)
    assert child.returncode == 17  # it died right after the commit that issued the URL
    assert not told.exists() or told.read_text() == ""  # the listener never ran
    from tests.app.conftest import make_world

    storage = SqlStorage(url, encryption_keys=[encryption_key])
    w = make_world(storage=storage)
    try:
        [issued] = w.meetlink.events(tenant_id="t1")
        assert (issued.kind, issued.event_id, issued.user_id) == (
            HostEventKind.CONFERENCE_ISSUED, "e1", "alice")  # fmt: skip
        conference = w.meetlink.conference("e1", tenant_id="t1")
        assert conference is not None and conference.join_url is not None
    finally:
        w.meetlink.close()
