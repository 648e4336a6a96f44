"""Storage guarantees under real concurrency (RELIABILITY 4.1, 5.4; scenarios 22 and 28).

- 4 processes (spawned, each with its own SqlStorage) claim and finish 200 jobs: each job is
  claimed exactly once (SKIP LOCKED on PostgreSQL/MariaDB, BEGIN IMMEDIATE on SQLite files).
- 20 threads each make themselves the one active link of the same external account by
  "deactivate the holder, insert mine, commit", retrying on ConcurrentUpdate: exactly one
  active link holds it afterwards and nothing else escapes.
"""

from __future__ import annotations

import multiprocessing
import queue
import threading
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta

import pytest

from meetlink.adapters.sqlalchemy import SqlStorage, generate_key
from meetlink.domain.jobs import JobRequest
from meetlink.domain.links import LinkRecord, UnlinkReason, violations
from meetlink.errors import ConcurrentUpdate
from meetlink.ports.storage import Storage

from .factories import T0, link, tokens
from .workers import QUEUE, claim_and_finish

JOBS = 200
PROCESSES = 4
THREADS = 20


@pytest.mark.slow
def test_processes_claim_each_job_exactly_once(
    sql_storage: SqlStorage, database_url: str, encryption_key: str
) -> None:
    now = datetime.now(UTC) - timedelta(minutes=1)
    with sql_storage.unit_of_work() as uow:
        created = {
            QUEUE.ask(
                uow,
                JobRequest(tenant_id="t1", kind="work", key=str(n),
                           run_at=now + timedelta(microseconds=n), payload={"n": n}),
                now,
            ).id
            for n in range(JOBS)
        }  # fmt: skip
        uow.commit()
    spawn = multiprocessing.get_context("spawn")
    barrier = spawn.Barrier(PROCESSES)
    results = spawn.Queue()
    workers = [
        spawn.Process(
            target=claim_and_finish, args=(database_url, encryption_key, barrier, results)
        )
        for _ in range(PROCESSES)
    ]
    for worker in workers:
        worker.start()
    outcomes = [results.get(timeout=120) for _ in workers]
    for worker in workers:
        worker.join(timeout=30)
    assert [kind for kind, _ in outcomes] == ["ok"] * PROCESSES, outcomes
    claimed = [job_id for _, ids in outcomes for job_id in ids]
    assert len(claimed) == JOBS  # nobody got a job twice...
    assert set(claimed) == created  # ...and every job was handed out
    if not database_url.startswith("sqlite"):
        # Servers run the claimers side by side. (SQLite's busy handler is not fair: one
        # process may take every turn, which is still correct, just not a race.)
        assert sum(1 for _, ids in outcomes if ids) >= 2
    with sql_storage.unit_of_work() as uow:
        assert uow.jobs.all() == []


def _contend(storage: Storage, threads: int = THREADS) -> list[LinkRecord]:
    """Every thread makes itself the holder of account "shared"; returns all links after."""
    barrier = threading.Barrier(threads)
    problems: list[str] = []

    def contender(n: int) -> None:
        try:
            barrier.wait(timeout=30)
            for _ in range(500):
                try:
                    with storage.unit_of_work() as uow:
                        holder = uow.links.active_for_account("zoom", "shared")
                        if holder is not None:
                            uow.links.update(holder.ended(UnlinkReason.TAKEN_OVER, T0))
                        uow.links.add(link(f"l{n}", user_id=f"u{n}", external_account_id="shared"))
                        uow.commit()
                    return
                except ConcurrentUpdate:
                    continue
            problems.append(f"contender {n} never got through")
        except BaseException as exc:  # anything but ConcurrentUpdate is a failure
            problems.append(f"contender {n}: {exc!r}")

    pool = [threading.Thread(target=contender, args=(n,)) for n in range(threads)]
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join(timeout=120)
    assert problems == []
    with storage.unit_of_work() as uow:
        return [record for n in range(threads) for record in uow.links.history("t1", f"u{n}")]


def _assert_one_holder(storage: Storage, links: list[LinkRecord]) -> None:
    assert len(links) == THREADS  # every contender's link was stored once
    assert violations(links) == []
    active = [record for record in links if record.active]
    assert len(active) == 1
    with storage.unit_of_work() as uow:
        assert uow.links.active_for_account("zoom", "shared") == active[0]


@pytest.mark.slow
def test_threads_leave_exactly_one_active_link(storage: Storage) -> None:
    _assert_one_holder(storage, _contend(storage))


@pytest.fixture
def memory_sql() -> Iterator[SqlStorage]:
    """``sqlite://``: one shared connection for every thread."""
    storage = SqlStorage("sqlite://", encryption_keys=[generate_key()], create_schema=True)
    yield storage
    storage.close()


def test_in_memory_sqlite_serves_many_threads(memory_sql: SqlStorage) -> None:
    _assert_one_holder(memory_sql, _contend(memory_sql))
    now = datetime.now(UTC)
    with memory_sql.unit_of_work() as uow:
        for n in range(60):
            QUEUE.ask(uow, JobRequest(tenant_id="t1", kind="work", key=str(n), run_at=now), now)
        uow.commit()
    claimed: queue.Queue[str] = queue.Queue()

    def claimer() -> None:
        while True:
            with memory_sql.unit_of_work() as uow:
                jobs = QUEUE.claim(uow, now, 2)
                uow.commit()
            if not jobs:
                return
            for job in jobs:
                claimed.put(job.id)

    _run_threads(claimer, 6)
    ids = [claimed.get_nowait() for _ in range(claimed.qsize())]
    assert len(ids) == len(set(ids)) == 60


def _run_threads(target: Callable[[], None], count: int) -> None:
    threads = [threading.Thread(target=target) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)


def test_concurrent_replays_are_noted_once(storage: Storage) -> None:
    """Scenario 28: the same delivery noted by 10 transactions at once: one True, no error."""
    outcomes: queue.Queue[object] = queue.Queue()
    barrier = threading.Barrier(10)

    def note() -> None:
        try:
            barrier.wait(timeout=30)
            with storage.unit_of_work() as uow:
                fresh = uow.webhooks.record("zoom", "delivery-1", T0)
                first = uow.reminders.record("t1", "e1", "a@example.com", T0)
                uow.commit()
            outcomes.put((fresh, first))
        except BaseException as exc:
            outcomes.put(exc)

    _run_threads(note, 10)
    results = [outcomes.get_nowait() for _ in range(outcomes.qsize())]
    assert sorted(results, key=str) == [(False, False)] * 9 + [(True, True)]


def test_row_lock_makes_token_refresh_single_flight(storage: Storage) -> None:
    """Scenario 4 (storage side): a second worker reading the link ``for_update`` waits for
    the first one's refresh and then sees the new tokens and version."""
    with storage.unit_of_work() as uow:
        uow.links.add(link("l1"))
        uow.commit()
    locked = threading.Event()
    seen: queue.Queue[object] = queue.Queue()

    def second_worker() -> None:
        locked.wait(timeout=30)
        try:
            with storage.unit_of_work() as uow:
                record = uow.links.get("l1", for_update=True)
                seen.put(None if record is None else record.token_version)
        except BaseException as exc:
            seen.put(exc)

    other = threading.Thread(target=second_worker)
    other.start()
    with storage.unit_of_work() as uow:
        first = uow.links.get("l1", for_update=True)
        assert first is not None
        locked.set()
        other.join(timeout=0.5)
        assert other.is_alive()  # still waiting for the row
        assert uow.links.swap_tokens("l1", first.token_version, tokens(2), refreshed_at=T0)
        uow.commit()
    other.join(timeout=30)
    assert seen.get_nowait() == first.token_version + 1
