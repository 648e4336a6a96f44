"""The background worker behind ``meetlink worker``: a loop over a MeetLink's due work.

Each pass runs the steps in order: reminders that are due (S14) are queued, links whose
refresh token idled for ``token_keepalive`` are refreshed one at a time, then jobs run one
at a time (provider retries, deletions, mail, and whatever ``run_pending()`` does) until none
is due. Between passes the worker sleeps ``interval`` seconds. A stop request (SIGTERM,
SIGINT, or [`Worker.stop`][meetlink.worker.Worker.stop]) lets the job at hand finish, then the loop
ends; nothing is cut off half-way. A pass that fails (the database is down) is logged and tried
again after ``interval``; with ``once`` it fails the run instead.

Run several workers against one database to go faster: jobs are claimed atomically
(docs/operations.md). Within one worker, ``concurrency`` (``meetlink worker --concurrency N``)
keeps up to N jobs in flight at once, each in a thread of its own: a job spends most of its
time waiting on the provider, so one process can keep several provider calls going while the
rate budgets and leases, which live in the database, hold as they do between processes.
"""

from __future__ import annotations

import argparse
import logging
import signal
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from types import FrameType
from typing import Any

import attrs

from meetlink.aio import AsyncMeetLink
from meetlink.app.facade import MeetLink
from meetlink.errors import ConfigurationError, MeetLinkError

__all__ = ["Step", "Worker", "concurrency_argument"]

log = logging.getLogger("meetlink.worker")

MAX_CONCURRENCY = 64
"""The most jobs one worker keeps in flight (each holds a database connection while it
records its result: keep ``concurrency`` within the database pool's size)."""


def concurrency_argument(text: str) -> int:
    """``--concurrency N`` as a command line gives it (``meetlink worker``, ``manage.py
    meetlink_worker``): a whole number from 1 to
    [`MAX_CONCURRENCY`][meetlink.worker.MAX_CONCURRENCY], else an argparse error naming it."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
    if not 1 <= value <= MAX_CONCURRENCY:
        raise argparse.ArgumentTypeError(f"from 1 to {MAX_CONCURRENCY}, not {value}")
    return value


@attrs.frozen
class Step:
    """One kind of work in a pass: ``run()`` does some and returns how much it did;
    ``repeat`` steps run again until they return 0 (checking for a stop in between).
    ``parallel`` repeat steps run in the worker's ``concurrency`` threads at once (``run``
    must then be safe to call from several threads, as a MeetLink's methods are)."""

    name: str
    run: Callable[[], int]
    repeat: bool = False
    parallel: bool = False


class Worker:
    """Runs a [`MeetLink`][meetlink.MeetLink]'s background work until stopped.

    ``steps`` defaults to the reminders (``send_due_reminders``), the keep-alive of idle
    links (``keep_alive``) and the jobs
    (``run_pending``, one job at a time so a stop never waits for more than the job at hand);
    a host may add its own [`Step`][meetlink.worker.Step] (e.g. ``purge`` once a day).
    ``concurrency``: how many jobs run at once (threads; default 1). Each thread takes one
    job at a time, so a stop request waits for at most ``concurrency`` jobs at hand.

    An [`AsyncMeetLink`][meetlink.aio.AsyncMeetLink] works too: the worker runs the
    MeetLink it wraps, in the worker's own thread (the work is blocking by nature); anything
    else is a ConfigurationError."""

    def __init__(
        self,
        meetlink: MeetLink | AsyncMeetLink,
        *,
        interval: float = 5.0,
        steps: list[Step] | None = None,
        concurrency: int = 1,
    ) -> None:
        if interval <= 0:
            raise ValueError("interval must be positive")
        if isinstance(concurrency, bool) or not isinstance(concurrency, int):
            raise ValueError("concurrency must be a whole number of jobs")
        if not 1 <= concurrency <= MAX_CONCURRENCY:
            raise ValueError(f"concurrency must be from 1 to {MAX_CONCURRENCY}")
        if isinstance(meetlink, AsyncMeetLink):
            meetlink = meetlink.meetlink
        if not isinstance(meetlink, MeetLink):
            kind = type(meetlink).__name__
            raise ConfigurationError(f"a Worker runs a MeetLink or an AsyncMeetLink, not {kind}")
        self.meetlink = meetlink
        self.interval = interval
        self.concurrency = concurrency
        self.steps: list[Step] = (
            steps
            if steps is not None
            else [
                Step("reminders", meetlink.send_due_reminders),
                # run_pending() keeps links alive too, but a link at a time here: a stop
                # request waits for one refresh, and a backlog goes at full speed.
                Step("keep-alive", lambda: meetlink.keep_alive(max_links=1), repeat=True),
                # One job per call: a stop request waits for the job(s) at hand only.
                Step("jobs", lambda: meetlink.run_pending(max_jobs=1), repeat=True, parallel=True),
            ]
        )
        self._stop = threading.Event()

    @property
    def stopping(self) -> bool:
        """True once a stop was asked for."""
        return self._stop.is_set()

    def stop(self) -> None:
        """Finish the job at hand, then end [`run`][meetlink.worker.Worker.run] (safe from signal
        handlers and other threads)."""
        self._stop.set()

    def run_once(self) -> dict[str, int]:
        """One pass over every step; returns how much each did. Errors propagate."""
        done: dict[str, int] = {}
        for step in self.steps:
            if step.parallel and step.repeat and self.concurrency > 1:
                done[step.name] = self._in_parallel(step)
            else:
                done[step.name] = self._repeat(step)
            if self.stopping:
                break
        if any(done.values()):
            log.info("pass: %s", ", ".join(f"{name} {n}" for name, n in done.items()))
        return done

    def _repeat(self, step: Step) -> int:
        count = 0
        while not self.stopping:
            did = step.run()
            count += did
            if not step.repeat or did == 0:
                break
        return count

    def _in_parallel(self, step: Step) -> int:
        """``step`` in ``concurrency`` threads, each until it finds nothing to do (or a stop);
        the first error propagates once every thread has ended."""
        with ThreadPoolExecutor(self.concurrency, thread_name_prefix="meetlink-job") as pool:
            futures = [pool.submit(self._repeat, step) for _ in range(self.concurrency)]
        return sum(future.result() for future in futures)

    def run(self, *, once: bool = False) -> None:
        """Pass after pass until [`stop`][meetlink.worker.Worker.stop] (or one pass with ``once``;
        its error, if any, propagates)."""
        log.info("worker started (every %ss, %s at a time)", self.interval, self.concurrency)
        while not self.stopping:
            try:
                self.run_once()
            except MeetLinkError as exc:
                if once:
                    raise
                log.error("pass failed: %s; next try in %ss", exc, self.interval)
            if once:
                break
            self._stop.wait(self.interval)
        log.info("worker stopped")

    @contextmanager
    def signals_stop(self) -> Iterator[None]:
        """While in the block, SIGTERM and SIGINT ask for a graceful stop; a second one
        ends the process at once (the default action). Main thread only."""
        previous: dict[signal.Signals, Any] = {}

        def handler(signum: int, frame: FrameType | None) -> None:
            name = signal.Signals(signum).name
            log.info("%s: finishing the job at hand, then stopping", name)
            self.stop()
            for number, old in previous.items():  # a second signal is not graceful
                signal.signal(number, old)

        for sig in (signal.SIGTERM, signal.SIGINT):
            previous[sig] = signal.signal(sig, handler)
        try:
            yield
        finally:
            for number, old in previous.items():
                signal.signal(number, old)
