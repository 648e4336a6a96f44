"""Job ids sort by creation, so jobs asked for at one instant (the same ``run_at``) run in
the order they were asked: the stores order such ties by id."""

from __future__ import annotations

import re
import threading

from meetlink.app.queue import new_job_id


def test_job_ids_increase_in_the_order_they_are_made() -> None:
    ids = [new_job_id() for _ in range(2000)]
    assert all(re.fullmatch(r"[0-9a-f]{32}", job_id) for job_id in ids)
    assert ids == sorted(ids) and len(set(ids)) == len(ids)


def test_job_ids_made_by_threads_never_collide() -> None:
    made: list[list[str]] = [[] for _ in range(4)]

    def make(into: list[str]) -> None:
        into.extend(new_job_id() for _ in range(500))

    threads = [threading.Thread(target=make, args=(into,)) for into in made]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    every = [job_id for into in made for job_id in into]
    assert len(set(every)) == len(every)
    assert all(into == sorted(into) for into in made)
