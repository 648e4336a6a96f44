"""A 1,000-event import: events saved quickly (sync_inline=False), worker threads draining,
against the Zoom emulator; the 429s Zoom answered and the time to drain against the least
time Zoom's limits allow.

    .venv/bin/python bench/bench_import.py daily        # emulator defaults, simulated days
    .venv/bin/python bench/bench_import.py per-second   # Zoom Pro per-second limits, real time
    .venv/bin/python bench/bench_import.py per-second --no-budget

``daily``: the emulator's default limits (100 creates per user per UTC day; per-second limits
effectively off) on a manual clock that jumps to the next due job whenever the workers find
nothing to do, so days pass in seconds: 10 users x 100 events, and 1 user x 1,000 events
(at least 9 UTC midnights must pass: 100 a day).

``per-second``: Zoom's Pro per-second limits in the emulator (Medium 20/s, Light 30/s per Zoom
account), a real clock, 100 ms latency per request, 10 users of one Zoom account x 100 events
(a create is a Medium call, and the user's passcode settings another once per access token
and ten minutes: about 50 s at least); meetlink's budget declared for the Pro plan, or none
(``--no-budget``).
"""

from __future__ import annotations

import argparse
import os
import tempfile
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from meetlink import ConferenceStatus, Event, MeetLink
from meetlink.adapters.clock import ManualClock, SystemClock
from meetlink.adapters.mail import RecordingMailer
from meetlink.adapters.sqlalchemy import SqlStorage, generate_key
from meetlink.adapters.zoom import ZoomProvider
from meetlink.adapters.zoom.budget import ZOOM_PRO_PER_SECOND, zoom_rate_budget
from meetlink.emulators.zoom import ZoomEmulator
from meetlink.ports.clock import Clock

T0 = datetime(2026, 12, 1, 0, 0, tzinfo=UTC)
WORKERS = 8


def _setup(
    path: Path, zoom: ZoomEmulator, clock: Clock, users: int, org: bool, budget: object
) -> tuple[MeetLink, list[str]]:
    provider = ZoomProvider(
        client_id=zoom.client_id,
        client_secret=zoom.client_secret,
        redirect_uri=zoom.redirect_uri,
        transport=zoom.transport(),
        clock=clock,
        rate_budget=budget,  # type: ignore[arg-type]
    )
    ml = MeetLink(
        storage=SqlStorage(
            f"sqlite:///{path}", encryption_keys=[generate_key()], create_schema=True
        ),
        providers=[provider],
        mailer=RecordingMailer(),
        clock=clock,
        sync_inline=False,
        token_keepalive=None,
    )
    ml.contract("t1")
    ids = [f"u{n}" for n in range(users)]
    for user_id in ids:
        user = zoom.add_user(f"{user_id}@example.com", account_id="acme" if org else None)
        request = ml.begin_link("t1", user_id)
        params = zoom.consent(request.authorize_url, user)
        ml.complete_link(params["state"], code=params["code"], user_id=user_id, tenant_id="t1")
    return ml, ids


def _import(ml: MeetLink, users: list[str], events: int, start: datetime) -> float:
    t = time.perf_counter()
    for i in range(events):
        at = start + timedelta(minutes=15 * i)
        ml.save_event(Event(f"e{i}", "t1", users[i % len(users)], f"Meeting {i}", at,
                            at + timedelta(minutes=30), web_meeting="zoom"))  # fmt: skip
    return time.perf_counter() - t


def _drain_pass(ml: MeetLink) -> int:
    done = [0] * WORKERS

    def work(n: int) -> None:
        done[n] = ml.run_pending()

    threads = [threading.Thread(target=work, args=(n,)) for n in range(WORKERS)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    return sum(done)


def _next_due(ml: MeetLink) -> datetime | None:
    pending = ml.pending_jobs(limit=1000)
    return min((j.run_at for j in pending), default=None)


def daily(users: int, events: int) -> None:
    clock = ManualClock(T0 + timedelta(hours=9))
    zoom = ZoomEmulator(clock=clock, seed=1)
    with tempfile.TemporaryDirectory() as d:
        ml, ids = _setup(Path(d) / "import.sqlite", zoom, clock, users, False, zoom.rate_budget)
        saved = _import(ml, ids, events, clock.now() + timedelta(days=30))
        began, t = clock.now(), time.perf_counter()
        while True:
            _drain_pass(ml)
            due = _next_due(ml)
            if due is None:
                break
            clock.set(max(due, clock.now()))
        wall = time.perf_counter() - t
        issued = sum(
            ml.conference(f"e{i}", tenant_id="t1").status is ConferenceStatus.ISSUED  # type: ignore[union-attr]
            for i in range(events)
        )
        simulated = clock.now() - began
        per_user = -(-events // users)
        midnights = -(-per_user // 100) - 1
        bound = (T0 + timedelta(days=midnights)) - began if midnights else timedelta(0)
        print(f"  {users:2d} user(s) x {per_user:4d}: saved in {saved:.1f} s "
              f"({1000 * saved / events:.1f} ms/event); issued {issued}; 429s {zoom.throttled};"
              f" Zoom requests {len(zoom.requests)}; drained after {simulated} of meetlink time"
              f" (least the daily cap allows: {max(bound, timedelta(0))}, "
              f"{midnights} midnight(s)); real time {wall:.1f} s", flush=True)  # fmt: skip
        ml.close()


def per_second(events: int, budget: bool, latency: float) -> None:
    clock = SystemClock()
    zoom = ZoomEmulator(clock=clock, seed=2, per_second=ZOOM_PRO_PER_SECOND)
    declared = zoom_rate_budget(ZOOM_PRO_PER_SECOND) if budget else None
    with tempfile.TemporaryDirectory() as d:
        ml, ids = _setup(Path(d) / "import.sqlite", zoom, clock, 10, True, declared)
        saved = _import(ml, ids, events, clock.now() + timedelta(days=30))
        zoom.latency = latency
        before = len(zoom.requests)
        t = time.perf_counter()
        while True:
            if _drain_pass(ml) == 0:
                due = _next_due(ml)
                if due is None:
                    break
                time.sleep(min(1.0, max(0.01, (due - clock.now()).total_seconds())))
        wall = time.perf_counter() - t
        calls = zoom.requests[before:]
        creates = sum(1 for r in calls if r == ("POST", "/v2/users/me/meetings"))
        medium = creates + sum(1 for r in calls if r == ("GET", "/v2/users/me/settings"))
        # The least time Zoom's Medium limit allows for the Medium calls the creates needed.
        bound = events * (medium / creates) / ZOOM_PRO_PER_SECOND["Medium"]
        print(f"  10 users of one Zoom account x {events // 10}, budget "
              f"{'Pro' if budget else 'none'}: saved in {saved:.1f} s; 429s {zoom.throttled}; "
              f"create requests {creates}, Medium calls {medium}; drained in {wall:.1f} s (least "
              f"Zoom's Medium 20/s allows: {bound:.0f} s; {bound / wall:.0%} of that pace)",
              flush=True)  # fmt: skip
        ml.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("mode", choices=["daily", "per-second"])
    parser.add_argument("--events", type=int, default=1000)
    parser.add_argument("--no-budget", action="store_true")
    parser.add_argument("--latency", type=float, default=0.1)
    args = parser.parse_args()
    print(f"{args.events} events, {WORKERS} worker threads, SQLite file; "
          f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC, load {os.getloadavg()[0]:.1f}")  # fmt: skip
    if args.mode == "daily":
        daily(10, args.events)
        daily(1, args.events)
    else:
        per_second(args.events, not args.no_budget, args.latency)


if __name__ == "__main__":
    main()
