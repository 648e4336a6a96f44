"""50 concurrent provider calls on an expired access token: how many refresh requests reach
Zoom (the emulator, in-process). Single-flight means exactly 1.

    .venv/bin/python bench/bench_refresh.py [CALLS]
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


def main() -> None:
    calls = int(sys.argv[1]) if len(sys.argv) > 1 else 50
    with tempfile.TemporaryDirectory() as d:
        ml, zoom, clock = build(Path(d) / "r.sqlite")
        ml.save_event(event(1, T0 + timedelta(days=1)))
        clock.advance(timedelta(hours=2))  # the stored access token has expired
        before = list(zoom.requests)
        barrier = threading.Barrier(calls)

        def start() -> None:
            barrier.wait()
            ml.start_url("ev-1", "alice", tenant_id="t1")

        threads = [threading.Thread(target=start) for _ in range(calls)]
        t = time.perf_counter()
        for th in threads:
            th.start()
        for th in threads:
            th.join()
        elapsed = time.perf_counter() - t
        new = zoom.requests[len(before) :]
        refreshes = sum(1 for method, path in new if path == "/oauth/token")
        gets = sum(1 for method, path in new if method == "GET" and path.startswith("/v2/meetings"))
        ml.close()
    print(f"{calls} concurrent start_url calls on an expired token ({elapsed * 1000:.0f} ms)")
    print(f"  token refresh requests: {refreshes} (target: exactly 1)")
    print(f"  meeting reads         : {gets}")


if __name__ == "__main__":
    main()
