"""Mail work of a recurring event with every exception list and text at its maximum (500
skipped, 20 moved occurrences, a 1,000-character title, a 10,000-character description):
save_event + run_pending() for N participants (each with the longest name and a long
address), on the Sandbox (SQLite in memory, in-process Zoom emulator). Prints the CPU
seconds of this process and the largest and total mail size on the wire.

    .venv/bin/python bench/bench_exceptions.py 3 50 51 200
"""

from __future__ import annotations

import sys
import time
from datetime import UTC, datetime, timedelta

from meetlink import Event, IssuancePolicy, MovedOccurrence, Participant
from meetlink.app.validation import (
    MAX_DESCRIPTION,
    MAX_EXDATES,
    MAX_MOVED,
    MAX_NAME,
    MAX_TITLE,
)
from meetlink.testing import Sandbox
from meetlink.testing.mailcheck import wire_bytes

T0 = datetime(2027, 1, 4, 9, 0, tzinfo=UTC)
DAY = timedelta(days=1)


def _event(participants: int) -> Event:
    domain = "d" * 60 + "." + "e" * 60 + "." + "f" * 60 + ".example"
    people = tuple(
        Participant(f"{'x' * 59}{i:04d}@{domain}", "N" * MAX_NAME, "en")
        for i in range(participants)
    )
    moved = tuple(
        MovedOccurrence(T0 + i * DAY, T0 + i * DAY + timedelta(hours=2), T0 + i * DAY + 3 * DAY)
        for i in range(1, MAX_MOVED + 1)
    )
    exdates = tuple(T0 + i * DAY for i in range(MAX_MOVED + 1, MAX_MOVED + 1 + MAX_EXDATES))
    return Event(
        "s1",
        "t1",
        "alice",
        "T" * MAX_TITLE,
        T0,
        T0 + timedelta(minutes=30),
        timezone="Europe/Berlin",
        recurrence="FREQ=DAILY",
        participants=people,
        web_meeting="zoom",
        description="D" * MAX_DESCRIPTION,
        exdates=exdates,
        moved=moved,
    )


def main(sizes: list[int]) -> None:
    print("| participants | save_event + run_pending() | largest mail | all mail |")
    print("|---|---|---|---|")
    for n in sizes:
        with Sandbox(now=T0 - DAY, policy=IssuancePolicy.roadmap()) as sb:
            sb.meetlink.contract("t1")
            sb.link_user("t1", "alice")
            event = _event(n)
            started = time.process_time()
            sb.meetlink.save_event(event)
            sb.meetlink.run_pending()
            cpu = time.process_time() - started
            sizes_on_wire = [len(wire_bytes(m)) for m in sb.outbox]
            assert len(sizes_on_wire) == n
            print(
                f"| {n:,} | {cpu:.2f} s CPU | {max(sizes_on_wire) / 1e6:.2f} MB "
                f"| {sum(sizes_on_wire) / 1e6:.1f} MB |"
            )


if __name__ == "__main__":
    main([int(a) for a in sys.argv[1:]] or [3, 50, 51, 200])
