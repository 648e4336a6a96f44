"""Work run in separate processes by the concurrency tests (importable by spawned children)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from meetlink.adapters.sqlalchemy import SqlStorage
from meetlink.app.queue import JobQueue
from meetlink.domain.retry import RetryPolicy
from meetlink.errors import ConcurrentUpdate

#: The job rules through the port, as run_pending applies them.
QUEUE = JobQueue(RetryPolicy(), timedelta(minutes=10))


def claim_and_finish(url: str, key: str, barrier: Any, results: Any, batch: int = 3) -> None:
    """Open an own SqlStorage on ``url``, then claim and finish jobs until none is left;
    put ``("ok", [claimed ids])`` or ``("error", repr)`` on ``results``."""
    storage = SqlStorage(url, encryption_keys=[key])
    claimed: list[str] = []
    try:
        barrier.wait(timeout=60)
        while True:
            now = datetime.now(UTC)
            try:
                with storage.unit_of_work() as uow:
                    jobs = QUEUE.claim(uow, now, batch)
                    uow.commit()
            except ConcurrentUpdate:
                continue
            if not jobs:
                break
            for job in jobs:
                claimed.append(job.id)
                with storage.unit_of_work() as uow:
                    QUEUE.finish(uow, job.id, job.generation)
                    uow.commit()
        results.put(("ok", claimed))
    except BaseException as exc:
        results.put(("error", repr(exc)))
    finally:
        storage.close()
