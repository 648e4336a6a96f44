"""Memory of one worker over many jobs: peak and current RSS, and the Python heap as
tracemalloc sees it, reported every BATCH jobs; it must stay flat.

One process, an SQLite file. Each batch saves events (``sync_inline=False``: every save
queues a sync job; every MAIL_EVERY-th event has one participant, the others none), then
``run_pending()`` runs the batch's jobs: each sync job creates the meeting (and queues the
invitation when there is a participant), each mail job composes the invitation and hands it
to a mailer that serialises the message and keeps nothing (as an SMTP connection would).
Zoom is the real ZoomProvider against the in-process emulator for OAuth and settings;
meeting creates are answered by a stateless stand-in with zero latency, so that the
emulator's own store of meetings (which grows by design) is not counted.

    .venv/bin/python bench/bench_memory.py [JOBS] [--batch 10000] [--mail-every 4]
                                           [--no-tracemalloc]
"""

from __future__ import annotations

import argparse
import gc
import itertools
import json
import resource
import sys
import tempfile
import time
import tracemalloc
from datetime import timedelta
from email import policy
from email.message import EmailMessage
from pathlib import Path

import httpx

from meetlink import MeetLink
from meetlink.adapters.clock import ManualClock
from meetlink.adapters.mail import JinjaMailComposer
from meetlink.adapters.sqlalchemy import SqlStorage, generate_key
from meetlink.adapters.zoom import ZoomProvider
from meetlink.emulators.zoom import ZoomEmulator

sys.path.insert(0, str(Path(__file__).parent))
from _common import T0, event


class WireMailer:
    """Serialises each message (as an SMTP connection would) and keeps nothing."""

    def __init__(self) -> None:
        self.sent = 0

    def send(self, message: EmailMessage) -> None:
        message.as_bytes(policy=policy.SMTPUTF8)
        self.sent += 1


class StatelessCreates(httpx.BaseTransport):
    """Answers POST /v2/users/me/meetings with a fresh meeting and remembers nothing; every
    other request goes to the emulator (OAuth, user settings)."""

    def __init__(self, emulator: httpx.BaseTransport) -> None:
        self._emulator = emulator
        self._ids = itertools.count(80_000_000_000)
        self.created = 0

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        if request.method == "POST" and request.url.path == "/v2/users/me/meetings":
            body = json.loads(request.read())
            meeting_id = next(self._ids)
            self.created += 1
            return httpx.Response(
                201,
                json={
                    "id": meeting_id,
                    "uuid": f"u{meeting_id}",
                    "type": body.get("type", 2),
                    "topic": body["topic"],
                    "start_time": body.get("start_time"),
                    "duration": body.get("duration"),
                    "timezone": body.get("timezone"),
                    "agenda": body.get("agenda", ""),
                    "password": body.get("password"),
                    "join_url": f"https://zoom.us/j/{meeting_id}?pwd=x",
                },
            )
        return self._emulator.handle_request(request)


def _status() -> dict[str, float]:
    """VmRSS and VmHWM (MB) from /proc/self/status, and ru_maxrss (MB)."""
    found: dict[str, float] = {}
    with open("/proc/self/status") as status:
        for line in status:
            name, _, value = line.partition(":")
            if name in ("VmRSS", "VmHWM"):
                found[name] = int(value.split()[0]) / 1024
    found["maxrss"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("jobs", nargs="?", type=int, default=100_000)
    parser.add_argument("--batch", type=int, default=10_000)
    parser.add_argument("--mail-every", type=int, default=4)
    parser.add_argument("--no-tracemalloc", action="store_true")
    args = parser.parse_args()
    trace = not args.no_tracemalloc
    with tempfile.TemporaryDirectory() as d:
        clock = ManualClock(T0)
        zoom = ZoomEmulator(clock=clock, seed=1, daily_meeting_cap=10**9)
        transport = StatelessCreates(zoom.transport())
        provider = ZoomProvider(
            client_id=zoom.client_id,
            client_secret=zoom.client_secret,
            redirect_uri=zoom.redirect_uri,
            webhook_secrets=zoom.webhook_secret,
            transport=transport,
            clock=clock,
        )
        mailer = WireMailer()
        storage = SqlStorage(
            f"sqlite:///{Path(d) / 'memory.sqlite'}",
            encryption_keys=[generate_key()],
            create_schema=True,
        )
        ml = MeetLink(
            storage=storage,
            providers=[provider],
            mailer=mailer,
            composer=JinjaMailComposer(),
            clock=clock,
            sync_inline=False,
        )
        ml.contract("t1")
        request = ml.begin_link("t1", "alice")
        params = zoom.consent(request.authorize_url, zoom.add_user("alice@example.com"))
        ml.complete_link(params["state"], code=params["code"], user_id="alice", tenant_id="t1")
        start = T0 + timedelta(days=1)
        if trace:
            tracemalloc.start()
        print(f"one worker process, {args.jobs} jobs (sync jobs, and a mail job for every"
              f" {args.mail_every}th event), SQLite file, zero-latency Zoom creates"
              f"{', tracemalloc on' if trace else ''}")  # fmt: skip
        print("     jobs   VmRSS MB  VmHWM MB  traced MB (peak)   seconds")
        done, serial, mails, began = 0, 0, 0, time.perf_counter()
        while done < args.jobs:
            queued = 0
            while queued < min(args.batch, args.jobs - done):
                mail = serial % args.mail_every == 0
                ml.save_event(event(serial, start, participants=1 if mail else 0))
                serial += 1
                mails += mail
                queued += 1 + mail
            ran = ml.run_pending()
            assert ran == queued, (ran, queued)
            done += ran
            gc.collect()
            mem = _status()
            traced = ""
            if trace:
                current, peak = tracemalloc.get_traced_memory()
                traced = f"{current / 2**20:8.1f} ({peak / 2**20:6.1f})"
                tracemalloc.reset_peak()
            print(f"  {done:7d}  {mem['VmRSS']:8.1f}  {mem['VmHWM']:8.1f}  {traced:17}"
                  f"  {time.perf_counter() - began:8.1f}", flush=True)  # fmt: skip
        assert mailer.sent == mails and transport.created == serial
        ml.close()


if __name__ == "__main__":
    main()
