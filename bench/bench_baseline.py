"""save_event with issuance: meetlink against a fair hand-written baseline, in one run.

The baseline is what a host would write on the same stack (SQLAlchemy Core + httpx) to do the
same durable work correctly, no more:

1. one transaction: check the tenant's subscription and the owner's active link, lock/read
   the event and its conference, store the event and the conference *intent* (status
   ``creating``, a marker, a retry time for a sweeper), commit;
2. decrypt the link's tokens (Fernet, the row binding checked: the cost of meetlink's scheme);
3. POST the meeting over httpx to the same Zoom emulator (the marker in the agenda, so a lost
   answer can be found again);
4. one transaction: store the meeting on the conference (only if the marker still matches)
   and one outbox row per participant (the invitation's content as JSON), commit.

Both run interleaved (baseline, meetlink, meetlink, baseline, ...) against the same emulator
and the same database (meetlink's engine: the same pool, pragmas and BEGIN IMMEDIATE on
SQLite; the baseline's tables are ``bl_*`` beside ``meetlink_*``). On PostgreSQL and MariaDB
the run uses a private schema/database, dropped afterwards. Statements and transactions are
counted on the engine for each side. Prints ms per save and the ratio meetlink/baseline.

    .venv/bin/python bench/bench_baseline.py [N] [--rounds R] [--backend sqlite,postgresql]

N x R saves per side (default 200 x 5).

``--drop budget,feed,wait,job`` measures what the durable work the baseline does not do costs:
it takes that work out of meetlink *for the measurement only*, by replacing the storage
methods that do it (the Zoom provider declares no rate budget; the host event feed records
nothing; the account's wait is never read; the sync job row is neither inserted nor deleted).
Such a meetlink is not safe to run: never a configuration.

Servers: MEETLINK_BENCH_POSTGRES_URL (default postgresql+psycopg://postgres@127.0.0.1:5432/test),
MEETLINK_BENCH_MARIADB_URL (default mysql+pymysql://root@127.0.0.1:3306/test).
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import json
import os
import secrets
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import (
    Column,
    DateTime,
    Engine,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    bindparam,
    create_engine,
    insert,
    pool,
    select,
    text,
    update,
)
from sqlalchemy.engine import make_url

from meetlink import Event
from meetlink.adapters.sqlalchemy.crypto import TokenCipher
from meetlink.app.mailing import content_to_payload
from meetlink.domain.notification import MailKind
from meetlink.emulators.zoom import ZoomEmulator
from meetlink.ports.mailer import MailContent

sys.path.insert(0, str(Path(__file__).parent))
from _common import T0, StatementCounter, build, event

POSTGRES_URL = os.environ.get(
    "MEETLINK_BENCH_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
MARIADB_URL = os.environ.get(
    "MEETLINK_BENCH_MARIADB_URL", "mysql+pymysql://root@127.0.0.1:3306/test"
)

# -- the baseline's own tables --------------------------------------------------------------

bl = MetaData()
bl_subscriptions = Table(
    "bl_subscriptions",
    bl,
    Column("tenant_id", String(191), primary_key=True),
    Column("state", String(20), nullable=False),
    Column("trial_ends_at", DateTime(timezone=True)),
)
bl_links = Table(
    "bl_links",
    bl,
    Column("id", String(64), primary_key=True),
    Column("user_id", String(191), nullable=False),
    Column("provider", String(32), nullable=False),
    Column("external_account_id", String(191), nullable=False),
    Column("tokens", Text, nullable=False),  # Fernet ciphertext bound to the row
    Column("active", Integer, nullable=False),
    Index("ix_bl_links_user", "user_id", "provider", "active"),
)
bl_events = Table(
    "bl_events",
    bl,
    Column("event_id", String(191), primary_key=True),
    Column("tenant_id", String(191), nullable=False),
    Column("owner_id", String(191), nullable=False),
    Column("title", Text, nullable=False),
    Column("start", DateTime(timezone=True), nullable=False),
    Column("end", DateTime(timezone=True), nullable=False),
    Column("timezone", String(64), nullable=False),
    Column("participants", Text, nullable=False),
    Column("web_meeting", String(32)),
    Column("sequence", Integer, nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)
bl_conferences = Table(
    "bl_conferences",
    bl,
    Column("event_id", String(191), primary_key=True),
    Column("provider", String(32), nullable=False),
    Column("account", String(191), nullable=False),
    Column("status", String(20), nullable=False),
    Column("marker", String(32), nullable=False),
    Column("meeting_id", String(64)),
    Column("join_url", Text),
    Column("passcode", String(32)),
    Column("attempts", Integer, nullable=False),
    Column("retry_at", DateTime(timezone=True)),  # a sweeper retries intents left behind
    Index("ix_bl_conferences_retry", "status", "retry_at"),
)
bl_outbox = Table(
    "bl_outbox",
    bl,
    Column("id", String(32), primary_key=True),
    Column("event_id", String(191), nullable=False),
    Column("email", String(191), nullable=False),
    Column("payload", Text, nullable=False),
    Column("status", String(20), nullable=False),
    Column("run_at", DateTime(timezone=True), nullable=False),
    Index("ix_bl_outbox_due", "status", "run_at"),
)

_SUBSCRIPTION = select(bl_subscriptions).where(bl_subscriptions.c.tenant_id == bindparam("t"))
_LINK = select(bl_links).where(
    bl_links.c.user_id == bindparam("u"),
    bl_links.c.provider == "zoom",
    bl_links.c.active == 1,
)
_EVENT = select(bl_events).where(bl_events.c.event_id == bindparam("e")).with_for_update()
_CONFERENCE = select(bl_conferences).where(bl_conferences.c.event_id == bindparam("e"))
_ISSUED = (
    update(bl_conferences)
    .where(bl_conferences.c.event_id == bindparam("e"), bl_conferences.c.marker == bindparam("m"))
    .values(
        status="issued",
        meeting_id=bindparam("meeting_id"),
        join_url=bindparam("join_url"),
        passcode=bindparam("passcode"),
        retry_at=None,
    )
)


class Baseline:
    """The hand-written integration: one method, ``save``."""

    def __init__(self, engine: Engine, zoom: ZoomEmulator, cipher: TokenCipher) -> None:
        self.engine = engine
        self.cipher = cipher
        self.client = httpx.Client(transport=zoom.transport())
        bl.create_all(engine)
        self._seed(zoom)

    def _seed(self, zoom: ZoomEmulator) -> None:
        """A contracted tenant and bob's link, with a token from the emulator's OAuth."""
        user = zoom.add_user(f"bob-{uuid.uuid4().hex[:8]}@example.com")
        oauth = zoom.provider()
        verifier = secrets.token_urlsafe(48)
        challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest())
        start = oauth.authorization_url(state="s", code_challenge=challenge.rstrip(b"=").decode())
        params = zoom.consent(start, user)
        tokens = oauth.exchange_code(code=params["code"], code_verifier=verifier)
        oauth.close()
        link_id = uuid.uuid4().hex
        sealed = self.cipher.encrypt(
            f"link:{link_id}",
            {
                "access_token": tokens.access_token,
                "refresh_token": tokens.refresh_token,
                "expires_at": tokens.expires_at.isoformat(),
            },
        )
        with self.engine.begin() as conn:
            conn.execute(insert(bl_subscriptions), {"tenant_id": "t1", "state": "contracted"})
            conn.execute(
                insert(bl_links),
                {
                    "id": link_id,
                    "user_id": "alice",
                    "provider": "zoom",
                    "external_account_id": user.id,
                    "tokens": sealed,
                    "active": 1,
                },
            )

    def save(self, e: Event, now: datetime) -> str:
        """Store the event and issue its meeting; returns the join URL."""
        marker = uuid.uuid4().hex[:16]
        participants = json.dumps(
            [{"email": p.email, "name": p.name, "locale": p.locale} for p in e.participants]
        )
        # 1. checks, the event and the intent: committed before the provider is called
        with self.engine.begin() as conn:
            sub = conn.execute(_SUBSCRIPTION, {"t": e.tenant_id}).first()
            if sub is None or sub.state not in ("contracted", "trial"):
                raise RuntimeError("add-on not active")
            link = conn.execute(_LINK, {"u": e.owner_id}).first()
            if link is None:
                raise RuntimeError("not linked")
            old = conn.execute(_EVENT, {"e": e.id}).first()
            if old is not None or conn.execute(_CONFERENCE, {"e": e.id}).first() is not None:
                raise RuntimeError("the bench saves new events only")
            conn.execute(
                insert(bl_events),
                {
                    "event_id": e.id,
                    "tenant_id": e.tenant_id,
                    "owner_id": e.owner_id,
                    "title": e.title,
                    "start": e.start,
                    "end": e.end,
                    "timezone": e.timezone,
                    "participants": participants,
                    "web_meeting": e.web_meeting,
                    "sequence": 0,
                    "updated_at": now,
                },
            )
            conn.execute(
                insert(bl_conferences),
                {
                    "event_id": e.id,
                    "provider": "zoom",
                    "account": link.external_account_id,
                    "status": "creating",
                    "marker": marker,
                    "attempts": 1,
                    "retry_at": now + timedelta(minutes=1),
                },
            )
        # 2. the token, decrypted and bound to its row (no transaction open from here)
        tokens = self.cipher.decrypt(f"link:{link.id}", link.tokens, "tokens")
        if datetime.fromisoformat(tokens["expires_at"]) <= now + timedelta(minutes=5):
            raise RuntimeError("the bench never needs a refresh")
        # 3. the provider call
        r = self.client.post(
            "https://api.zoom.us/v2/users/me/meetings",
            headers={"Authorization": f"Bearer {tokens['access_token']}"},
            json={
                "topic": e.title,
                "type": 2,
                "start_time": e.start.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
                "timezone": e.timezone,
                "duration": int((e.end - e.start).total_seconds() // 60),
                "agenda": f"[meetlink:{marker}]",
                "password": uuid.uuid4().hex[:10],
                "settings": {"join_before_host": False, "approval_type": 2},
            },
        )
        if r.status_code != 201:
            raise RuntimeError(f"create failed: {r.status_code}")
        body = r.json()
        join_url, passcode = body["join_url"], body.get("password")
        # 4. the result and the participants' mail rows, in one transaction
        rows = [
            {
                "id": uuid.uuid4().hex,
                "event_id": e.id,
                "email": p.email,
                "payload": json.dumps(content_to_payload(_content(e, p, join_url, passcode, now))),
                "status": "pending",
                "run_at": now,
            }
            for p in e.participants
        ]
        with self.engine.begin() as conn:
            done = conn.execute(
                _ISSUED,
                {
                    "e": e.id,
                    "m": marker,
                    "meeting_id": str(body["id"]),
                    "join_url": join_url,
                    "passcode": passcode,
                },
            )
            if done.rowcount == 1 and rows:
                conn.execute(insert(bl_outbox), rows)
        return str(join_url)

    def close(self) -> None:
        self.client.close()


def _content(e: Event, p: Any, join_url: str, passcode: str | None, now: datetime) -> MailContent:
    return MailContent(
        kind=MailKind.INVITATION,
        to_email=p.email,
        to_name=p.name,
        locale=p.locale,
        event_id=e.id,
        uid=f"{e.id}@{e.tenant_id}.meetlink",
        sequence=0,
        title=e.title,
        start=e.start,
        end=e.end,
        timezone=e.timezone,
        description=e.description,
        provider_name="Zoom",
        join_url=join_url,
        passcode=passcode,
        organizer_email="no-reply@example.com",
        organizer_name="Calendar",
        attendee_emails=tuple(q.email for q in e.participants),
        message_id=f"<{uuid.uuid4().hex}@example.com>",
        created_at=now,
    )


# -- databases ---------------------------------------------------------------------------


@contextmanager
def database(backend: str, directory: Path) -> Iterator[tuple[str, dict[str, Any]]]:
    """A URL (and engine options) for a private database of ``backend``, dropped on exit."""
    name = f"meetlink_bench_{uuid.uuid4().hex[:10]}"
    if backend == "sqlite":
        yield f"sqlite:///{directory / 'bench.sqlite'}", {}
        return
    admin_url = POSTGRES_URL if backend == "postgresql" else MARIADB_URL
    admin = create_engine(admin_url, poolclass=pool.NullPool)
    try:
        with admin.begin() as conn:
            if backend == "postgresql":
                conn.execute(text(f'CREATE SCHEMA "{name}"'))
            else:
                conn.execute(text(f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4"))
        if backend == "postgresql":
            url = make_url(admin_url).update_query_dict({"options": f"-csearch_path={name}"})
        else:
            url = make_url(admin_url).set(database=name)
        yield url.render_as_string(hide_password=False), {}
    finally:
        with admin.begin() as conn:
            if backend == "postgresql":
                conn.execute(text(f'DROP SCHEMA IF EXISTS "{name}" CASCADE'))
            else:
                conn.execute(text(f"DROP DATABASE IF EXISTS `{name}`"))
        admin.dispose()


# -- the run -----------------------------------------------------------------------------


#: What ``--drop`` can take out of meetlink for a measurement (see the module doc).
DROPS = ("budget", "feed", "wait", "job")


def drop(parts: set[str]) -> None:
    """Take the durable work ``parts`` names out of meetlink, in this process, for a
    measurement of its cost (the module doc): unsafe, never a configuration."""
    from meetlink.adapters.sqlalchemy.jobs import SqlJobRepository
    from meetlink.adapters.sqlalchemy.repositories import SqlHostEventLog
    from meetlink.adapters.zoom.provider import ZoomProvider

    if "budget" in parts:
        made = ZoomProvider.__init__

        def without_budget(self: ZoomProvider, *args: Any, **kwargs: Any) -> None:
            made(self, *args, **{**kwargs, "rate_budget": None})

        ZoomProvider.__init__ = without_budget  # type: ignore[method-assign]
    if "feed" in parts:
        SqlHostEventLog.flush = lambda self: []  # type: ignore[method-assign]
    if "wait" in parts:
        SqlJobRepository.account_wait = lambda self, *a, **k: None  # type: ignore[method-assign]
    if "job" in parts:
        SqlJobRepository.add_new = lambda self, job: True  # type: ignore[method-assign]
        SqlJobRepository.remove_done = lambda self, *a: True  # type: ignore[method-assign]


def run_backend(backend: str, n: int, rounds: int) -> dict[str, Any]:
    """``rounds`` x ``n`` saves per side, interleaved save by save (the side that goes
    first alternates), so both see the same load; per-save wall and CPU times, and the
    statements and transactions per save."""
    with tempfile.TemporaryDirectory() as d, database(backend, Path(d)) as (url, _):
        ml, zoom, clock = build(url)
        storage = ml._ctx.storage
        base = Baseline(storage.engine, zoom, storage.cipher)  # type: ignore[attr-defined]
        counter: StatementCounter | None = None  # attached after the timed saves (below)
        start = T0 + timedelta(days=1)
        wall: dict[str, list[float]] = {"meetlink": [], "baseline": []}
        cpu: dict[str, list[float]] = {"meetlink": [], "baseline": []}
        counts: dict[str, list[tuple[int, int]]] = {"meetlink": [], "baseline": []}
        now = clock.now()

        def save(side: str, i: int) -> None:
            x = event(i, start)
            x = Event(f"{side}-{x.id}", x.tenant_id, x.owner_id, x.title, x.start, x.end,
                      participants=x.participants, web_meeting="zoom")  # fmt: skip
            if counter is not None:
                counter.reset()
            t, c = time.perf_counter(), time.process_time()
            if side == "meetlink":
                result = ml.save_event(x)
            else:
                base.save(x, now)
            wall[side].append(time.perf_counter() - t)
            cpu[side].append(time.process_time() - c)
            if counter is not None:
                counts[side].append((counter.statements, counter.transactions))
            if side == "meetlink":
                assert result.conference is not None and result.conference.join_url

        for i in range(20):  # warm-up: statement caches, the pool, the emulator
            save("baseline", -1 - i)
            save("meetlink", -1 - i)
        for side in wall:
            wall[side].clear()
            cpu[side].clear()
            counts[side].clear()
        for i in range(n * rounds):
            order = ("baseline", "meetlink") if i % 2 == 0 else ("meetlink", "baseline")
            for side in order:
                save(side, i)
        # Counted after the timing: a listener on the engine makes SQLAlchemy dispatch its
        # execute events on every statement from then on, which no production engine pays.
        counter = StatementCounter(storage.engine)  # type: ignore[attr-defined]
        timed = {side: (list(wall[side]), list(cpu[side])) for side in wall}
        for i in range(n * rounds, n * rounds + 20):
            save("baseline", i)
            save("meetlink", i)
        for side, (w, c) in timed.items():
            wall[side], cpu[side] = w, c
        base.close()
        ml.close()
    return {"wall": wall, "cpu": cpu, "counts": counts}


def hot_path_counts(backend: str) -> dict[str, tuple[int, int]]:
    """Statements and transactions of meetlink's other hot paths (a fresh database):
    a save that queues its sync job, run_pending() running it, one mail job, and a reminder
    pass queueing two reminders (the test pins the same figures)."""
    with tempfile.TemporaryDirectory() as d, database(backend, Path(d)) as (url, _):
        ml, _zoom, clock = build(url, sync_inline=False)
        counter = StatementCounter(ml._ctx.storage.engine)  # type: ignore[attr-defined]
        ml.run_pending()  # the keep-alive's look, at most once a minute: not counted
        found: dict[str, tuple[int, int]] = {}

        def take(what: str) -> None:
            found[what] = (counter.statements, counter.transactions)
            counter.reset()

        start = T0 + timedelta(days=1)
        counter.reset()
        ml.save_event(event(1, start))
        take("save_event (sync_inline=False)")
        ml.run_pending(max_jobs=1)
        take("run_pending: the sync job")
        ml.run_pending(max_jobs=1)
        take("run_pending: a mail job")
        ml.run_pending()
        clock.set(start - timedelta(minutes=5))
        ml.run_pending()
        counter.reset()
        ml.send_due_reminders()
        take("send_due_reminders (2 reminders)")
        ml.close()
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("n", nargs="?", type=int, default=200, help="saves per round and side")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--backend", default="sqlite,postgresql")
    parser.add_argument(
        "--drop", default="", help=f"measurement only, unsafe: any of {','.join(DROPS)}"
    )
    args = parser.parse_args()
    dropped = {part for part in args.drop.split(",") if part}
    if dropped - set(DROPS):
        parser.error(f"--drop takes {','.join(DROPS)}")
    if dropped:
        drop(dropped)
        print(f"meetlink WITHOUT {','.join(sorted(dropped))} (measurement only, unsafe)")
    print(f"save_event with issuance, 2 participants, {args.n * args.rounds} saves per side,"
          " interleaved save by save")  # fmt: skip
    for backend in args.backend.split(","):
        result = run_backend(backend, args.n, args.rounds)
        print(f"{backend}:")
        medians = {}
        for side in ("meetlink", "baseline"):
            wall = [x * 1000 for x in result["wall"][side]]
            cpu = [x * 1000 for x in result["cpu"][side]]
            statements = statistics.mean(s for s, _ in result["counts"][side])
            transactions = statistics.mean(t for _, t in result["counts"][side])
            medians[side] = (statistics.median(wall), statistics.median(cpu), sum(wall))
            print(f"  {side:9}: wall median {medians[side][0]:6.2f} ms (mean"
                  f" {statistics.mean(wall):6.2f}), CPU median {medians[side][1]:6.2f} ms;"
                  f" {statements:.1f} statements, {transactions:.1f} transactions"
                  " per save")  # fmt: skip
        m, b = medians["meetlink"], medians["baseline"]
        print(f"  ratio    : {m[0] / b[0]:.2f}x wall (medians), {m[2] / b[2]:.2f}x wall (totals),"
              f" {m[1] / b[1]:.2f}x CPU of this process (medians)   target <= 1.3x")  # fmt: skip
        for what, (statements, transactions) in (
            {} if dropped else hot_path_counts(backend)
        ).items():
            print(f"  {what}: {statements} statements, {transactions} transactions")


if __name__ == "__main__":
    main()
