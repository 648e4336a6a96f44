"""Scale-out: N worker *processes*, each its own MeetLink on one database, calling
run_pending() in a loop over create jobs, against the Zoom emulator served over HTTP on
127.0.0.1 with a fixed latency per request.

    .venv/bin/python bench/bench_scale.py postgresql --jobs-per-worker 250 --workers 1,2,4,8
    .venv/bin/python bench/bench_scale.py mariadb --jobs 2000

Each run gets a private schema (PostgreSQL) or database (MariaDB), dropped afterwards. Jobs
are spread over users, 50 per user: under Zoom's 100 creates per user per day, which the
rate budget spends from (the bench declares it, as ZoomProvider does talking to Zoom). The
bound printed is processes x threads / (Zoom requests per job x latency); a create is one
request (the user's passcode settings are read once per access token and process, then
cached). CPU seconds per job (the workers' own, from time.process_time) show when the 2
cores, not the latency, are the limit.
``--threads T``: each process runs T threads calling run_pending() (the bound is then
processes x T / (requests per job x latency)).
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import os
import sys
import threading
import time
from collections import Counter
from datetime import timedelta
from pathlib import Path
from typing import Any

from meetlink import Event, MeetLink
from meetlink.adapters.clock import SystemClock
from meetlink.adapters.mail import RecordingMailer
from meetlink.adapters.sqlalchemy import SqlStorage, generate_key
from meetlink.adapters.zoom import ZoomProvider
from meetlink.adapters.zoom.budget import zoom_rate_budget
from meetlink.emulators.zoom import ZoomEmulator
from meetlink.testing.databases import private_database

SERVERS = {
    "postgresql": os.environ.get(
        "MEETLINK_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
    ),
    "mariadb": os.environ.get(
        "MEETLINK_TEST_MARIADB_URL", "mysql+pymysql://root@127.0.0.1:3306/test"
    ),
}
PER_USER = 50


def _provider(app: dict[str, str]) -> ZoomProvider:
    return ZoomProvider(
        client_id=app["client_id"],
        client_secret=app["client_secret"],
        redirect_uri=app["redirect_uri"],
        oauth_base_url=app["base_url"],
        api_base_url=app["base_url"],
        rate_budget=zoom_rate_budget({}),  # what ZoomProvider declares talking to Zoom
    )


def _meetlink(url: str, key: str, app: dict[str, str], create: bool = False) -> MeetLink:
    storage = SqlStorage(url, encryption_keys=[key], create_schema=create)
    return MeetLink(
        storage=storage,
        providers=[_provider(app)],
        mailer=RecordingMailer(),
        sync_inline=False,
        token_keepalive=None,
    )


def worker(url: str, key: str, app: dict[str, str], threads: int, go: Any, out: Any) -> None:
    """One worker process: ``threads`` threads each calling run_pending() until no job is
    left (run_pending() runs one job at a time; a MeetLink is safe from several threads)."""
    ml = _meetlink(url, key, app)
    ml.run_pending(max_jobs=0)  # connect before the start
    done = [0] * threads

    def loop(n: int) -> None:
        while True:
            did = ml.run_pending()
            done[n] += did
            if did == 0:
                if not ml.pending_jobs(limit=1):
                    return
                time.sleep(0.05)  # jobs deferred (budget) or held by other workers' leases

    go.wait()
    cpu, start = time.process_time(), time.perf_counter()
    pool = [threading.Thread(target=loop, args=(n,)) for n in range(threads)]
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join()
    out.put((sum(done), time.process_time() - cpu, time.perf_counter() - start))
    ml.close()


def run(
    backend: str, workers: int, jobs: int, latency: float, threads: int = 1
) -> dict[str, float]:
    clock = SystemClock()
    zoom = ZoomEmulator(clock=clock, seed=1)
    key = generate_key()
    with private_database(SERVERS[backend]) as url, zoom.serve() as server:
        app = {
            "client_id": zoom.client_id,
            "client_secret": zoom.client_secret,
            "redirect_uri": zoom.redirect_uri,
            "base_url": server.base_url,
        }
        ml = _meetlink(url, key, app, create=True)
        ml.contract("t1")
        users = [f"u{n}" for n in range(-(-jobs // PER_USER))]
        for user_id in users:
            user = zoom.add_user(f"{user_id}@example.com")
            request = ml.begin_link("t1", user_id)
            params = zoom.consent(request.authorize_url, user)
            ml.complete_link(params["state"], code=params["code"], user_id=user_id, tenant_id="t1")
        start = clock.now() + timedelta(days=2)
        t = time.perf_counter()
        for i in range(jobs):
            at = start + timedelta(minutes=i)
            owner = users[i % len(users)]
            ml.save_event(
                Event(
                    f"e{i}",
                    "t1",
                    owner,
                    f"Meeting {i}",
                    at,
                    at + timedelta(minutes=30),
                    web_meeting="zoom",
                )
            )
        save_s = time.perf_counter() - t
        ml.close()
        before = len(zoom.requests)
        zoom.latency = latency
        ctx = mp.get_context("spawn")
        go, out = ctx.Event(), ctx.Queue()
        procs = [
            ctx.Process(target=worker, args=(url, key, app, threads, go, out))
            for _ in range(workers)
        ]
        for p in procs:
            p.start()
        time.sleep(3 + workers)  # every worker connected and waiting
        parent_cpu = time.process_time()
        t = time.perf_counter()
        go.set()
        results = [out.get() for _ in procs]
        elapsed = time.perf_counter() - t
        parent_cpu = time.process_time() - parent_cpu
        for p in procs:
            p.join()
        done = sum(r[0] for r in results)
        calls = Counter(zoom.requests[before:])
        assert done == jobs, (done, jobs)
        assert len(zoom.meetings()) == jobs and zoom.throttled == 0
        per_job = sum(calls.values()) / jobs
    return {
        "jobs/s": jobs / elapsed,
        "requests/job": per_job,
        "bound": workers * threads / (per_job * latency),
        "naive bound": workers * threads / latency,
        "worker cpu/job ms": 1000 * sum(r[1] for r in results) / jobs,
        "emulator cpu/job ms": 1000 * parent_cpu / jobs,
        "elapsed": elapsed,
        "save ms": 1000 * save_s / jobs,
        "spread": max(r[0] for r in results) / max(1, min(r[0] for r in results)),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("backend", choices=sorted(SERVERS))
    parser.add_argument("--workers", default="1,2,4,8")
    parser.add_argument("--jobs", type=int, default=None, help="jobs per run (fixed)")
    parser.add_argument("--jobs-per-worker", type=int, default=250)
    parser.add_argument("--latency", type=float, default=0.1)
    parser.add_argument("--threads", type=int, default=1, help="run_pending threads per process")
    args = parser.parse_args()
    print(f"{args.backend}: create jobs, {args.threads} run_pending thread(s) per process, "
          f"emulator over HTTP with {args.latency * 1000:.0f} ms "
          f"latency; {os.cpu_count()} CPUs, load {os.getloadavg()[0]:.1f}")  # fmt: skip
    print("  procs   jobs  jobs/s  req/job  bound  effic.  (naive)  wcpu/job  emu/job  save/job"
          "  spread")  # fmt: skip
    for workers in (int(w) for w in args.workers.split(",")):
        jobs = args.jobs or args.jobs_per_worker * workers
        r = run(args.backend, workers, jobs, args.latency, args.threads)
        print(
            f"  {workers:5d} {jobs:6d} {r['jobs/s']:7.1f} {r['requests/job']:8.2f}"
            f" {r['bound']:6.1f} {r['jobs/s'] / r['bound']:6.0%}"
            f" {r['jobs/s'] / r['naive bound']:8.0%} {r['worker cpu/job ms']:7.1f}ms"
            f" {r['emulator cpu/job ms']:6.1f}ms {r['save ms']:7.1f}ms {r['spread']:7.2f}",
            flush=True,
        )
    print(f"  load after: {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).parent))
    main()
