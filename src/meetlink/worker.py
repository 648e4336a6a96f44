"""The background worker behind ``meetlink worker``: a loop over a MeetLink's due work.

Each pass runs the steps in order: reminders that are due (S14) are queued, links whose
refresh token idled for ``token_keepalive`` are refreshed one at a time, then jobs run one
at a time (provider retries, deletions, mail, and whatever ``run_pending()`` does) until none
is due. Between passes the worker sleeps ``interval`` seconds. A stop request (SIGTERM,
SIGINT, or [`Worker.stop`][meetlink.worker.Worker.stop]) lets the job at hand finish, then the loop
ends; nothing is cut off half-way. A pass that fails (the database is down) is logged and tried
again after ``interval``; with ``once`` it fails the run instead.

Run several workers against one database to go faster: jobs are claimed atomically
(docs/operations.md).
"""

from __future__ import annotations

import logging
import signal
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from types import FrameType
from typing import Any

import attrs

from meetlink.aio import AsyncMeetLink
from meetlink.app.facade import MeetLink
from meetlink.errors import ConfigurationError, MeetLinkError

__all__ = ["Step", "Worker"]

log = logging.getLogger("meetlink.worker")


@attrs.frozen
class Step:
    """One kind of work in a pass: ``run()`` does some and returns how much it did;
    ``repeat`` steps run again until they return 0 (checking for a stop in between)."""

    name: str
    run: Callable[[], int]
    repeat: bool = False


class Worker:
    """Runs a [`MeetLink`][meetlink.MeetLink]'s background work until stopped.

    ``steps`` defaults to the reminders (``send_due_reminders``), the keep-alive of idle
    links (``keep_alive``) and the jobs
    (``run_pending``, one job at a time so a stop never waits for more than the job at hand);
    a host may add its own [`Step`][meetlink.worker.Step] (e.g. ``purge`` once a day).

    An [`AsyncMeetLink`][meetlink.aio.AsyncMeetLink] works too: the worker runs the
    MeetLink it wraps, in the worker's own thread (the work is blocking by nature); anything
    else is a ConfigurationError."""

    def __init__(
        self,
        meetlink: MeetLink | AsyncMeetLink,
        *,
        interval: float = 5.0,
        steps: list[Step] | None = None,
    ) -> None:
        if interval <= 0:
            raise ValueError("interval must be positive")
        if isinstance(meetlink, AsyncMeetLink):
            meetlink = meetlink.meetlink
        if not isinstance(meetlink, MeetLink):
            kind = type(meetlink).__name__
            raise ConfigurationError(f"a Worker runs a MeetLink or an AsyncMeetLink, not {kind}")
        self.meetlink = meetlink
        self.interval = interval
        self.steps: list[Step] = (
            steps
            if steps is not None
            else [
                Step("reminders", meetlink.send_due_reminders),
                # run_pending() keeps links alive too, but a link at a time here: a stop
                # request waits for one refresh, and a backlog goes at full speed.
                Step("keep-alive", lambda: meetlink.keep_alive(max_links=1), repeat=True),
                # One job per call: a stop request waits for the job at hand only.
                Step("jobs", lambda: meetlink.run_pending(max_jobs=1), repeat=True),
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
            count = 0
            while not self.stopping:
                did = step.run()
                count += did
                if not step.repeat or did == 0:
                    break
            done[step.name] = count
            if self.stopping:
                break
        if any(done.values()):
            log.info("pass: %s", ", ".join(f"{name} {n}" for name, n in done.items()))
        return done

    def run(self, *, once: bool = False) -> None:
        """Pass after pass until [`stop`][meetlink.worker.Worker.stop] (or one pass with ``once``;
        its error, if any, propagates)."""
        log.info("worker started (every %ss)", self.interval)
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
