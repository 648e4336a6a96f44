"""Work per event against its participant count: save_event and run_pending() for one event
with N participants (SQLite file, in-process Zoom emulator, a mailer that writes each message
to bytes and drops it, as a mail server connection would). Each size runs
in a fresh process; prints seconds (wall clock, and CPU time of the process, which a busy
machine disturbs less) and the process's peak resident memory (MB, ru_maxrss)
after each step, and the stored bytes of the queued mail jobs.

    .venv/bin/python bench/bench_participants.py 1000 2000
"""

from __future__ import annotations

import json
import resource
import subprocess
import sys
import tempfile
import time
from datetime import timedelta
from email import policy
from email.message import EmailMessage
from pathlib import Path

from sqlalchemy import func, select

sys.path.insert(0, str(Path(__file__).parent))
from _common import T0, build, event


class _WireMailer:
    """Serializes each message (as an SMTP connection would) and keeps nothing."""

    def __init__(self) -> None:
        self.sent = 0

    def send(self, message: EmailMessage) -> None:
        message.as_bytes(policy=policy.SMTPUTF8)
        self.sent += 1


def _peak_mb() -> float:
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def measure(n: int, directory: Path) -> dict[str, float]:
    """One event with ``n`` participants: save it, then deliver every mail."""
    mailer = _WireMailer()
    ml, _zoom, _clock = build(directory / "p.sqlite", mailer=mailer)
    the_event = event(1, T0 + timedelta(days=1), participants=n)
    start_rss = _peak_mb()
    t, cpu = time.perf_counter(), time.process_time()
    result = ml.save_event(the_event)
    save_s, save_cpu = time.perf_counter() - t, time.process_time() - cpu
    save_peak = _peak_mb()
    assert result.conference is not None and result.conference.join_url
    storage = ml._ctx.storage  # bench only: how many bytes the queued mails hold
    with storage.engine.connect() as conn:  # type: ignore[attr-defined]
        from meetlink.adapters.sqlalchemy import tables

        payload_bytes = conn.execute(select(func.sum(func.length(tables.jobs.c.payload)))).scalar()
    t, cpu = time.perf_counter(), time.process_time()
    done = ml.run_pending()
    run_s, run_cpu = time.perf_counter() - t, time.process_time() - cpu
    run_peak = _peak_mb()
    assert done >= n and mailer.sent == n, (done, mailer.sent, n)
    ml.close()
    return {
        "participants": n,
        "save_s": round(save_s, 2),
        "save_cpu_s": round(save_cpu, 2),
        "start_rss_mb": start_rss,
        "peak_rss_after_save_mb": save_peak,
        "run_pending_s": round(run_s, 2),
        "run_pending_cpu_s": round(run_cpu, 2),
        "peak_rss_after_run_pending_mb": run_peak,
        "mail_job_payload_mb": round((payload_bytes or 0) / 2**20, 2),
    }


def main() -> None:
    """Measure each size given on the command line in its own process."""
    if len(sys.argv) == 3 and sys.argv[1] == "--one":
        with tempfile.TemporaryDirectory() as d:
            print(json.dumps(measure(int(sys.argv[2]), Path(d))))
        return
    for n in [int(a) for a in sys.argv[1:]] or [1000, 2000]:
        out = subprocess.run(
            [sys.executable, __file__, "--one", str(n)],
            check=True,
            capture_output=True,
            text=True,
        ).stdout
        print(out.strip().splitlines()[-1], flush=True)


if __name__ == "__main__":
    main()
