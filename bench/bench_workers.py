"""run_pending() with N worker threads against the Zoom emulator with 100 ms latency:
throughput vs the concurrency bound (jobs/s = workers / latency).

    .venv/bin/python bench/bench_workers.py [JOBS]
"""

from __future__ import annotations

import sys
import tempfile
import threading
import time
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from _common import T0, build, event

LATENCY = 0.1


def run(workers: int, jobs: int, directory: Path) -> float:
    ml, zoom, _ = build(directory / f"w{workers}.sqlite", latency=LATENCY, sync_inline=False)
    start = T0 + timedelta(days=1)
    for i in range(jobs):
        ml.save_event(event(i, start, participants=0))  # queues one sync job each
    t = time.perf_counter()
    threads = [threading.Thread(target=ml.run_pending) for _ in range(workers)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    elapsed = time.perf_counter() - t
    assert len(zoom.meetings()) == jobs, len(zoom.meetings())
    assert ml.pending_jobs() == []
    ml.close()
    return elapsed


def main() -> None:
    jobs = int(sys.argv[1]) if len(sys.argv) > 1 else 80
    print(f"run_pending(): {jobs} create jobs, emulator latency {LATENCY * 1000:.0f} ms")
    print("  workers   jobs/s   bound   efficiency")
    with tempfile.TemporaryDirectory() as d:
        for workers in (1, 2, 4, 8):
            elapsed = run(workers, jobs, Path(d))
            rate = jobs / elapsed
            bound = workers / LATENCY
            print(f"  {workers:7d} {rate:8.1f} {bound:7.1f} {rate / bound:10.0%}")


if __name__ == "__main__":
    main()
