"""The SQL work of the hot paths, pinned: statements and transactions per ``save_event``,
per job run by ``run_pending()`` and per reminder, counted on the engine.

A count is deterministic (a time is not), so a change that adds a round trip to a hot path
fails here and must update the figure on purpose (docs/performance.md explains them).
Statements are what reaches the driver's cursor, except the BEGIN/COMMIT/ROLLBACK SQLite is
sent as text; transactions are the engine's begins, ``commits`` those that wrote.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import attrs
import pytest
from sqlalchemy import Engine
from sqlalchemy import event as sa_event

from meetlink import Event, MeetLink, Participant
from meetlink.adapters.clock import ManualClock
from meetlink.adapters.mail import RecordingMailer
from meetlink.adapters.sqlalchemy import SqlStorage
from meetlink.emulators.zoom import ZoomEmulator

from .dbservers import private_database, require_server

T0 = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
START = T0 + timedelta(days=1)


class Counter:
    """Statements and transactions run on ``engine`` since the last :meth:`take`."""

    def __init__(self, engine: Engine) -> None:
        self.statements = self.transactions = self.commits = 0
        sa_event.listen(engine, "before_cursor_execute", self._statement)
        sa_event.listen(engine, "begin", self._begin)
        sa_event.listen(engine, "commit", self._commit)

    def _statement(self, conn: object, cursor: object, statement: str, *rest: object) -> None:
        if statement.split(None, 1)[0].upper() not in ("BEGIN", "COMMIT", "ROLLBACK"):
            self.statements += 1

    def _begin(self, conn: object) -> None:
        self.transactions += 1

    def _commit(self, conn: object) -> None:
        self.commits += 1

    def take(self) -> dict[str, int]:
        """The counts so far, then zero."""
        counts = {
            "statements": self.statements,
            "transactions": self.transactions,
            "commits": self.commits,
        }
        self.statements = self.transactions = self.commits = 0
        return counts


_BACKENDS = [
    pytest.param("sqlite", id="sqlite"),
    pytest.param("postgresql", id="postgresql", marks=pytest.mark.postgres),
    pytest.param("mariadb", id="mariadb", marks=pytest.mark.mariadb),
]


@pytest.fixture(params=_BACKENDS)
def url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A private empty database of each backend."""
    require_server(request.param)
    with private_database(request.param, tmp_path) as found:
        yield found


def _meetlink(url: str, key: str, **settings: object) -> tuple[MeetLink, ManualClock, Counter]:
    """alice linked to Zoom (emulator), tenant t1 contracted, counting from here on."""
    clock = ManualClock(T0)
    zoom = ZoomEmulator(clock=clock, seed=1)
    storage = SqlStorage(url, encryption_keys=[key], create_schema=True)
    ml = MeetLink(
        storage=storage,
        providers=[zoom.provider(clock=clock)],
        mailer=RecordingMailer(),
        clock=clock,
        **settings,  # type: ignore[arg-type]
    )
    ml.contract("t1")
    request = ml.begin_link("t1", "alice")
    params = zoom.consent(request.authorize_url, zoom.add_user("alice@example.com"))
    ml.complete_link(params["state"], code=params["code"], user_id="alice", tenant_id="t1")
    ml.run_pending()  # the keep-alive's look (once a minute at most): not counted below
    return ml, clock, Counter(storage.engine)


def _event(n: int) -> Event:
    return Event(
        f"ev-{n}",
        "t1",
        "alice",
        f"Meeting {n}",
        START,
        START + timedelta(minutes=30),
        participants=(Participant("p0@example.com"), Participant("p1@example.com")),
        web_meeting="zoom",
    )


# (statements, transactions, commits): the same on SQLite, PostgreSQL and MariaDB (a backend
# whose figure differs gets its own entry in OVERRIDES).
COUNTS = {
    # save_event of a new event: the meeting issued inline (1 of them: the account's daily
    # rate budget spent, in one statement, when the sync job is claimed; 2: the host event
    # conference_issued, its tenant's feed head made or moved on and returned, the event
    # inserted). The event and its conference are one read, the subscription and the tenant's
    # policy one read, the conference written once per unit of work (its ``requested`` and
    # ``creating`` moves in the save's unit are one write); the account's wait is not read,
    # the owner's link read having found none.
    "save_issuing": (13, 2, 2),
    "save_unchanged": (6, 1, 1),  # the same event saved again: nothing to do
    "save_queued": (7, 1, 1),  # sync_inline=False: the event and its sync job stored
    # run_pending() running that job: issue, queue 2 invitations (1 of them: the account's
    # first use of its rate budget, whose row is made and spent by one statement; 2: the host
    # event conference_issued)
    "sync_job": (13, 3, 3),
    "mail_job": (3, 2, 2),  # run_pending() delivering one queued mail
    "reminders": (6, 1, 1),  # send_due_reminders(): 1 event due, 2 reminders queued
    # run_pending() delivering a mailing of 40: the first mail claimed alone (select, lease)
    # and finished (delete); then batches of up to 32 while claims bring only mail: a claim
    # (select; a second select for expired leases when fewer than asked were due; a lease
    # per job) and one unit of work finishing the batch (a delete per job); the last claim
    # finds nothing. Two units of work per batch, not two per mail.
    "mailing_40": (2 + 1 + (1 + 32 + 32) + (2 + 7 + 7) + 2, 7, 7),
}
OVERRIDES: dict[tuple[str, str], tuple[int, int, int]] = {
    # PostgreSQL reads an event's conference after the event's lock is held, by a statement
    # of its own (a join that waited for the lock keeps its snapshot's conference:
    # tests/storage/test_locked_reads.py): one more per locked read of an existing event
    # (the save's second unit of work, the sync job's two). And it records a unit of work's
    # only host event in one statement (the head moved on in a data-modifying WITH, the
    # entry inserted from it): one fewer per unit of work that records one.
    ("save_issuing", "postgresql"): (13, 2, 2),
    ("save_unchanged", "postgresql"): (7, 1, 1),
    ("sync_job", "postgresql"): (14, 3, 3),
    # MariaDB has no UPDATE/INSERT ... RETURNING of the moved head: it reads the feed head
    # locked, then moves it on (one more statement per unit of work that records host events).
    # Nor a conditional upsert: a rate budget's one-statement spend is an update of a stored
    # usage, so an account's first use tries it, then makes, reads and spends the row (+4).
    ("save_issuing", "mariadb"): (14, 2, 2),
    ("sync_job", "mariadb"): (18, 3, 3),
}


def _expect(what: str, url: str) -> dict[str, int]:
    backend = url.split(":", 1)[0].split("+", 1)[0]
    backend = "mariadb" if backend == "mysql" else backend
    statements, transactions, commits = OVERRIDES.get((what, backend), COUNTS[what])
    return {"statements": statements, "transactions": transactions, "commits": commits}


def test_save_event_with_issuance(url: str, encryption_key: str) -> None:
    ml, _, counter = _meetlink(url, encryption_key)
    ml.save_event(_event(0))  # the first save warms nothing up: counts are per call
    counter.take()
    result = ml.save_event(_event(1))
    assert result.conference is not None and result.conference.join_url
    assert counter.take() == _expect("save_issuing", url)
    # Saved again unchanged: no provider work, no mail.
    ml.save_event(_event(1))
    assert counter.take() == _expect("save_unchanged", url)
    ml.close()


def test_run_pending_jobs(url: str, encryption_key: str) -> None:
    ml, _, counter = _meetlink(url, encryption_key, sync_inline=False)
    ml.save_event(_event(1))  # queues the sync job
    assert counter.take() == _expect("save_queued", url)
    assert ml.run_pending(max_jobs=1) == 1  # the sync job: issue, queue two invitations
    assert counter.take() == _expect("sync_job", url)
    assert ml.run_pending(max_jobs=1) == 1  # one invitation delivered
    assert counter.take() == _expect("mail_job", url)
    ml.close()


def test_reminders(url: str, encryption_key: str) -> None:
    ml, clock, counter = _meetlink(url, encryption_key)
    ml.save_event(_event(1))
    assert ml.run_pending() == 2  # the invitations
    clock.advance(START - T0 - timedelta(minutes=5))
    ml.run_pending()  # the keep-alive looks again after the clock moved: not counted
    counter.take()
    assert ml.send_due_reminders() == 2  # one event due, two participants
    assert counter.take() == _expect("reminders", url)
    assert ml.run_pending(max_jobs=1) == 1  # one reminder delivered: a mail job
    assert counter.take() == _expect("mail_job", url)
    ml.close()


def test_a_mailing_goes_in_batches(url: str, encryption_key: str) -> None:
    ml, _, counter = _meetlink(url, encryption_key)
    people = tuple(Participant(f"p{i}@example.com") for i in range(40))
    event = _event(1)
    ml.save_event(attrs.evolve(event, participants=people))
    counter.take()
    assert ml.run_pending() == 40
    assert counter.take() == _expect("mailing_40", url)
    ml.close()
