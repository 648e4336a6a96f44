"""Index-backed due queries: time of "reminders due now" and "jobs due now" at 10,000 and at
1,000,000 stored rows (SQLite file). The ratio should stay near 1 (target <= 3).

    .venv/bin/python bench/bench_reminders.py [BIG]
"""

from __future__ import annotations

import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

import sqlalchemy as sa

from meetlink.adapters.sqlalchemy import SqlStorage, generate_key
from meetlink.adapters.sqlalchemy.tables import metadata
from meetlink.app.queue import JobQueue
from meetlink.domain.jobs import JobRequest
from meetlink.domain.retry import RetryPolicy

sys.path.insert(0, str(Path(__file__).parent))
from _common import T0

QUEUE = JobQueue(RetryPolicy(), timedelta(minutes=5))


def fill(storage: SqlStorage, n: int) -> None:
    """``n`` events and ``n`` jobs, almost all in the future, 50 due now: raw inserts."""
    events = metadata.tables["meetlink_events"]
    jobs = metadata.tables["meetlink_jobs"]
    template_event = _template(storage, events)
    template_job = _template(storage, jobs)
    with storage.engine.begin() as conn:
        batch_e, batch_j = [], []
        for i in range(n):
            due = i < 50
            when = T0 - timedelta(minutes=1) if due else T0 + timedelta(minutes=10 + i)
            batch_e.append({**template_event, "event_id": f"ev-{i}", "remind_at": when})
            batch_j.append({**template_job, "id": f"job-{i}", "key": f"k{i}", "run_at": when})
            if len(batch_e) == 20000:
                conn.execute(events.insert(), batch_e)
                conn.execute(jobs.insert(), batch_j)
                batch_e, batch_j = [], []
        if batch_e:
            conn.execute(events.insert(), batch_e)
            conn.execute(jobs.insert(), batch_j)


def _template(storage: SqlStorage, table: sa.Table) -> dict[str, object]:
    """One valid row of ``table``, written through the repositories and read back raw."""
    with storage.engine.connect() as conn:
        row = conn.execute(sa.select(table).limit(1)).mappings().first()
    assert row is not None, f"no template row in {table.name}"
    return dict(row)


def seed_templates(storage: SqlStorage) -> None:
    """One event and one job through the real code, to copy their row shape."""
    from _common import event

    from meetlink.domain.records import EventRecord

    with storage.unit_of_work() as uow:
        uow.events.put(EventRecord(event=event(-1, T0 + timedelta(days=400)), updated_at=T0))
        request = JobRequest(
            tenant_id="t1", kind="sync", key="template", run_at=T0 + timedelta(days=400)
        )
        QUEUE.ask(uow, request, T0)
        uow.commit()


def measure(n: int, directory: Path) -> tuple[float, float]:
    storage = SqlStorage(
        f"sqlite:///{directory / f'r{n}.sqlite'}",
        encryption_keys=[generate_key()],
        create_schema=True,
    )
    seed_templates(storage)
    fill(storage, n)
    timings_r, timings_j = [], []
    for _ in range(30):
        with storage.unit_of_work() as uow:
            t = time.perf_counter()
            due = uow.events.due_reminders(T0, 100)
            timings_r.append(time.perf_counter() - t)
            assert len(due) == 50
        with storage.unit_of_work() as uow:
            t = time.perf_counter()
            claimed = QUEUE.claim(uow, T0, 100)
            timings_j.append(time.perf_counter() - t)
            assert len(claimed) == 50
            uow.rollback()
    storage.close()
    timings_r.sort()
    timings_j.sort()
    return timings_r[len(timings_r) // 2], timings_j[len(timings_j) // 2]


def main() -> None:
    big = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
    with tempfile.TemporaryDirectory() as d:
        small_r, small_j = measure(10_000, Path(d))
        big_r, big_j = measure(big, Path(d))
    print(f"due queries, median of 30 (SQLite file), 10,000 vs {big:,} rows, 50 due")
    for name, small, large in (
        ("reminders due", small_r, big_r),
        ("jobs claimed ", small_j, big_j),
    ):
        print(f"  {name}: {small * 1000:.2f} ms vs {large * 1000:.2f} ms", end="")
        print(f"  ratio {large / small:.2f}")
    print("  (target: ratio <= 3)")


if __name__ == "__main__":
    main()
