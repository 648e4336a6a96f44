"""Shared set-up for the benchmarks: a MeetLink on SQLite + the in-process Zoom emulator."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import Engine
from sqlalchemy import event as sa_event

from meetlink import Event, MeetLink, Participant
from meetlink.adapters.clock import ManualClock
from meetlink.adapters.mail import JinjaMailComposer, RecordingMailer
from meetlink.adapters.sqlalchemy import SqlStorage, generate_key
from meetlink.emulators.zoom import ZoomEmulator
from meetlink.ports.mailer import Mailer

T0 = datetime(2026, 12, 1, tzinfo=UTC)


def build(
    db: Path | str, *, latency: float = 0.0, mailer: Mailer | None = None, **settings: object
) -> tuple[MeetLink, ZoomEmulator, ManualClock]:
    """A MeetLink on an SQLite file (or a database URL) with alice linked, tenant t1
    contracted (``mailer``: an in-memory outbox by default)."""
    clock = ManualClock(T0)
    zoom = ZoomEmulator(clock=clock, seed=1, latency=latency, daily_meeting_cap=10**9)
    storage = SqlStorage(
        db if isinstance(db, str) else f"sqlite:///{db}",
        encryption_keys=[generate_key()],
        create_schema=True,
    )
    ml = MeetLink(
        storage=storage,
        providers=[zoom.provider(clock=clock)],
        mailer=mailer or RecordingMailer(),
        composer=JinjaMailComposer(),
        clock=clock,
        **settings,  # type: ignore[arg-type]
    )
    ml.contract("t1")
    user = zoom.add_user("alice@example.com")
    request = ml.begin_link("t1", "alice")
    params = zoom.consent(request.authorize_url, user)
    ml.complete_link(params["state"], code=params["code"], user_id="alice", tenant_id="t1")
    return ml, zoom, clock


def event(i: int, start: datetime, participants: int = 2) -> Event:
    """Event number ``i``."""
    return Event(
        f"ev-{i}",
        "t1",
        "alice",
        f"Meeting {i}",
        start,
        start + timedelta(minutes=30),
        participants=tuple(Participant(f"p{j}@example.com") for j in range(participants)),
        web_meeting="zoom",
    )


def best_of(repeats: int, run: Callable[[], float]) -> float:
    """The median of ``repeats`` timings (seconds)."""
    return statistics.median(run() for _ in range(repeats))


def timed(fn: Callable[[], object]) -> float:
    """Seconds ``fn`` took."""
    t = time.perf_counter()
    fn()
    return time.perf_counter() - t


class StatementCounter:
    """Counts the SQL statements and transactions an engine runs (BEGIN/COMMIT/ROLLBACK
    issued as statements, e.g. SQLite's BEGIN IMMEDIATE, are not counted as statements)."""

    def __init__(self, engine: Engine) -> None:
        self.statements = 0
        self.transactions = 0
        self.commits = 0
        self.log: list[str] = []
        sa_event.listen(engine, "before_cursor_execute", self._statement)
        sa_event.listen(engine, "begin", self._begin)
        sa_event.listen(engine, "commit", self._commit)

    def _statement(self, conn: object, cursor: object, statement: str, *rest: object) -> None:
        if statement.split(None, 1)[0].upper() in ("BEGIN", "COMMIT", "ROLLBACK"):
            return
        self.statements += 1
        self.log.append(statement)

    def _begin(self, conn: object) -> None:
        self.transactions += 1

    def _commit(self, conn: object) -> None:
        self.commits += 1

    def reset(self) -> None:
        """Start counting from zero."""
        self.statements = self.transactions = self.commits = 0
        self.log.clear()
