"""A small pool of spawned worker processes with a start gate (a barrier over queues).

Spawning a Python process that imports meetlink, SQLAlchemy, httpx and the database drivers
costs about half a second of CPU; the tests need 20 racing processes per backend. The pool
spawns its processes once per session and hands each test's tasks to them. Every task still
builds its own MeetLink (own SqlStorage engine, own ZoomProvider) and closes it afterwards,
so no state but the imported modules outlives a task.

The gate: a task calls ``gate()`` when it is ready to race; the worker tells the parent and
blocks until the parent, having heard "ready" from every worker of the round, sends "go" to
all of them at once.
"""

from __future__ import annotations

import importlib
import itertools
import multiprocessing
import queue
import time
import traceback
from collections.abc import Callable, Sequence
from typing import Any

TASKS_MODULE = "tests.concurrency.workers"
_GATE_SECONDS = 120.0


def _serve(index: int, inbox: Any, outbox: Any) -> None:
    """The worker process's loop: run named tasks from ``inbox`` until it receives None."""
    tasks = importlib.import_module(TASKS_MODULE)
    while True:
        message = inbox.get()
        if message is None:
            return
        task_id, name, kwargs = message

        def gate(task_id: int = task_id) -> None:
            outbox.put((index, task_id, "ready", None))
            go = inbox.get(timeout=_GATE_SECONDS)
            if go != ("go", task_id):
                raise RuntimeError(f"worker {index}: expected the go of task {task_id}, got {go}")

        try:
            result: tuple[str, Any] = ("ok", getattr(tasks, name)(gate=gate, **kwargs))
        except BaseException as exc:
            result = ("crash", f"{type(exc).__name__}: {exc}\n{traceback.format_exc()}")
        outbox.put((index, task_id, "done", result))


class WorkerPool:
    """``size`` spawned processes running :func:`_serve`."""

    def __init__(self, size: int) -> None:
        context = multiprocessing.get_context("spawn")
        self.size = size
        self._ids = itertools.count(1)
        self._broken = False
        self._outbox = context.Queue()
        self._inboxes = [context.Queue() for _ in range(size)]
        self._processes = [
            context.Process(
                target=_serve, args=(n, self._inboxes[n], self._outbox), name=f"meetlink-w{n}"
            )
            for n in range(size)
        ]
        for process in self._processes:
            process.start()

    def run(
        self, tasks: Sequence[tuple[str, dict[str, Any]]], *, timeout: float = 900.0
    ) -> list[tuple[str, Any]]:
        """Run ``tasks`` (task function name, keyword arguments) on workers 0..n-1, release
        them together at their gate, and return each one's ``("ok", result)`` or
        ``("crash", traceback)``, in task order. ``timeout`` only keeps a hung worker from
        hanging the run (it measures nothing): generous, as a loaded shared machine needs."""
        if self._broken:
            raise RuntimeError("the worker pool broke in an earlier test")
        if len(tasks) > self.size:
            raise ValueError(f"{len(tasks)} tasks for {self.size} workers")
        task_id = next(self._ids)
        for n, (name, kwargs) in enumerate(tasks):
            self._inboxes[n].put((task_id, name, kwargs))
        deadline = time.monotonic() + timeout
        ready: set[int] = set()
        done: dict[int, tuple[str, Any]] = {}
        try:
            self._collect(task_id, deadline, lambda: len(ready) + len(done) < len(tasks),
                          ready, done)  # fmt: skip
            for n in sorted(ready):
                self._inboxes[n].put(("go", task_id))
            self._collect(task_id, deadline, lambda: len(done) < len(tasks), ready, done)
        except BaseException:
            self._broken = True
            raise
        return [done[n] for n in range(len(tasks))]

    def _collect(
        self,
        task_id: int,
        deadline: float,
        waiting: Callable[[], bool],
        ready: set[int],
        done: dict[int, tuple[str, Any]],
    ) -> None:
        while waiting():
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError(f"workers still busy: ready={sorted(ready)} done={sorted(done)}")
            try:
                index, got_id, kind, payload = self._outbox.get(timeout=min(remaining, 1.0))
            except queue.Empty:
                dead = [p.name for p in self._processes if not p.is_alive()]
                if dead:
                    raise RuntimeError(f"worker processes died: {dead}") from None
                continue
            if got_id != task_id:
                raise RuntimeError(f"worker {index} answered task {got_id} during {task_id}")
            if kind == "ready":
                ready.add(index)
            else:
                ready.discard(index)
                done[index] = payload

    def close(self) -> None:
        """Stop every worker and release the queues."""
        for inbox in self._inboxes:
            inbox.put(None)
        for process in self._processes:
            process.join(timeout=10)
            if process.is_alive():
                process.terminate()
                process.join(timeout=5)
            process.close()
        for q in (*self._inboxes, self._outbox):
            q.close()
            q.join_thread()
