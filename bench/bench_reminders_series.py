"""A reminder pass over long recurring series next to one over one-off events, at 1,000 and at
10,000 stored events (SQLite file, the in-process Zoom emulator).

Each store holds 50 events due now and the rest due later. The series started two years
before "now" (so a pass expands two years of each due series up to now), with mixed rules
(daily, weekdays, weekly, fortnightly, every seventh day) in five zones, three of which change
clocks in between; every due series has an occurrence 5 minutes ahead (the reminder lead is
10 minutes), so each pass queues 50 x 3 reminders. The one-off store holds single events
instead. A pass is `send_due_reminders()`, measured in process CPU time; between rounds the
pass is undone in SQL (reminder log, queued mails, `remind_at`), and the four stores are
measured interleaved, round by round, so a load change hits them alike.

    .venv/bin/python bench/bench_reminders_series.py [ROUNDS]

Target (issue 25): the pass cost is flat from 1,000 to 10,000 series (ratio near 1).
"""

from __future__ import annotations

import shutil
import statistics
import sys
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).parent))
from _common import T0, build

from meetlink import Event, IssuancePolicy, MeetLink, Participant
from meetlink.adapters.sqlalchemy.tables import metadata

DUE = 50
AGE = timedelta(days=700)  # 100 weeks: every weekly and fortnightly rule lands on "now" + 5 min
AHEAD = timedelta(minutes=5)
ZONES = ("America/New_York", "Europe/Berlin", "Asia/Tokyo", "Australia/Sydney", "UTC")
RULES = (
    "FREQ=DAILY",
    "FREQ=DAILY;BYDAY=MO,TU,WE,TH,FR",
    "FREQ=WEEKLY",
    "FREQ=WEEKLY;INTERVAL=2",
    "FREQ=DAILY;INTERVAL=7",
)
PEOPLE = tuple(Participant(email=f"p{j}@example.com", locale="en") for j in range(3))
EVENTS = metadata.tables["meetlink_events"]
CONFERENCES = metadata.tables["meetlink_conferences"]
REMINDERS = metadata.tables["meetlink_reminders"]
JOBS = metadata.tables["meetlink_jobs"]


def _series(i: int) -> Event:
    """Due series number ``i``: its first start two years back, at the local wall time that
    "now" + 5 minutes has in its zone (a daily, weekly or 7-day rule meets "now" + 5 min)."""
    zone = ZONES[i % len(ZONES)]
    wall = (T0 + AHEAD).astimezone(ZoneInfo(zone)).replace(tzinfo=None) - AGE
    start = wall.replace(tzinfo=ZoneInfo(zone))
    return Event(
        id=f"due-{i}",
        tenant_id="t1",
        owner_id="alice",
        title=f"Series {i}",
        start=start,
        end=start + timedelta(minutes=15),
        timezone=zone,
        recurrence=RULES[i % len(RULES)],
        participants=PEOPLE,
        web_meeting="zoom",
    )


def _one_off(i: int) -> Event:
    start = T0 + AHEAD
    return Event(
        id=f"due-{i}",
        tenant_id="t1",
        owner_id="alice",
        title=f"Meeting {i}",
        start=start,
        end=start + timedelta(minutes=30),
        timezone="UTC",
        participants=PEOPLE,
        web_meeting="zoom",
    )


def prepare(path: Path, total: int, kind: str) -> tuple[MeetLink, sa.Engine, datetime]:
    """A store of ``total`` events, ``DUE`` of them due at T0; returns the MeetLink (its
    clock at T0), its engine and the ``remind_at`` the due ones have at rest."""
    ml, _zoom, clock = build(path, policy=IssuancePolicy.roadmap())
    make = _series if kind == "series" else _one_off
    if kind == "series":
        clock.set(T0 - AGE - timedelta(days=1))
    for i in range(DUE):
        result = ml.save_event(make(i))
        assert result.conference is not None and result.conference.join_url, result
    clock.set(T0)
    ml.run_pending()  # the invitations go out: the store is at rest
    engine = ml._ctx.storage.engine  # type: ignore[attr-defined]
    due_at = T0 - timedelta(minutes=1)
    with engine.begin() as conn:
        conn.execute(sa.delete(JOBS))
        conn.execute(sa.update(EVENTS).values(remind_at=due_at))
        _fill(conn, total - DUE)
    return ml, engine, due_at


def _fill(conn: sa.Connection, n: int) -> None:
    """``n`` more events like the due ones (copied rows), due in the hours ahead."""
    event = dict(conn.execute(sa.select(EVENTS).limit(1)).mappings().one())
    conference = dict(conn.execute(sa.select(CONFERENCES).limit(1)).mappings().one())
    batch_e, batch_c = [], []
    for i in range(n):
        later = T0 + timedelta(hours=1, seconds=i)
        batch_e.append({**event, "event_id": f"later-{i}", "remind_at": later})
        batch_c.append({**conference, "event_id": f"later-{i}", "marker": f"m-later-{i}"})
        if len(batch_e) == 5000:
            conn.execute(sa.insert(EVENTS), batch_e)
            conn.execute(sa.insert(CONFERENCES), batch_c)
            batch_e, batch_c = [], []
    if batch_e:
        conn.execute(sa.insert(EVENTS), batch_e)
        conn.execute(sa.insert(CONFERENCES), batch_c)


def one_pass(ml: MeetLink, engine: sa.Engine, due_at: datetime) -> float:
    """CPU seconds of one pass; the pass is undone afterwards."""
    t = time.process_time()
    queued = ml.send_due_reminders()
    spent = time.process_time() - t
    assert queued == DUE * len(PEOPLE), queued
    with engine.begin() as conn:
        conn.execute(sa.delete(REMINDERS))
        conn.execute(sa.delete(JOBS))
        conn.execute(
            sa.update(EVENTS).where(EVENTS.c.event_id.like("due-%")).values(remind_at=due_at)
        )
    return spent


def main() -> None:
    rounds = int(sys.argv[1]) if len(sys.argv) > 1 else 15
    sizes = (1_000, 10_000)
    directory = Path(tempfile.mkdtemp(prefix="meetlink-bench-"))
    try:
        stores = {
            (kind, n): prepare(directory / f"{kind}-{n}.sqlite", n, kind)
            for kind in ("series", "one-off")
            for n in sizes
        }
        spent: dict[tuple[str, int], list[float]] = {key: [] for key in stores}
        for _ in range(rounds):
            for key, store in stores.items():
                spent[key].append(one_pass(*store))
    finally:
        shutil.rmtree(directory, ignore_errors=True)
    median = {key: statistics.median(values) for key, values in spent.items()}
    print(
        f"reminder pass, CPU per pass, median of {rounds} (SQLite file), "
        f"{DUE} due events x {len(PEOPLE)} participants"
    )
    for kind in ("series", "one-off"):
        small, big = median[(kind, sizes[0])], median[(kind, sizes[1])]
        print(
            f"  {kind:8} {sizes[0]:>6,}: {small * 1000:7.1f} ms  {sizes[1]:>6,}: "
            f"{big * 1000:7.1f} ms  ratio {big / small:.2f}"
        )
    series, one_off = median[("series", sizes[1])], median[("one-off", sizes[1])]
    print(f"  series / one-off at {sizes[1]:,}: {series / one_off:.2f}")
    print("  (target: ratio near 1 from 1,000 to 10,000)")


if __name__ == "__main__":
    main()
