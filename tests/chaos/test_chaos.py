"""The chaos suite: a seeded random workload through the public API at 20-30% injected Zoom
faults, over many tenants, users and accounts, with clock jumps from minutes to days, on
SQLite, PostgreSQL and MariaDB (the real servers under CI). See tests/chaos/world.py for the
workload and tests/chaos/checks.py for what must hold once it drained.

``CHAOS_SEED`` and ``CHAOS_OPERATIONS`` change the run; its counts are printed (visible
under ``pytest -s``) and written as JSON to ``$CHAOS_REPORT/chaos-<database>.json`` when
``CHAOS_REPORT`` names a directory, else under the test's tmp dir.
"""

from __future__ import annotations

import json
import os
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest

from tests.storage.dbservers import private_database, require_server

from .checks import check
from .world import ChaosWorld

T0 = datetime(2026, 12, 1, 8, 0, tzinfo=UTC)
SEED = int(os.environ.get("CHAOS_SEED", "20261126"))
OPERATIONS = int(os.environ.get("CHAOS_OPERATIONS", "550"))
#: The share of Zoom's answers that are injected faults (measured and asserted below).
FAULT_SHARE = 0.25


@pytest.mark.slow
@pytest.mark.parametrize("backend", ["sqlite", "postgresql", "mariadb"])
def test_chaos(backend: str, tmp_path: Path) -> None:
    require_server(backend)
    started = time.perf_counter()
    with private_database(backend, tmp_path) as url:
        world = ChaosWorld(url, seed=SEED, now=T0)
        try:
            world.run(OPERATIONS, FAULT_SHARE)
            world.drain()
            world.relink_every_account()
            counts = check(world)
        finally:
            world.close()
    counts = {"database": backend, "seed": SEED, **counts,
              "wall_seconds_with_checks": round(time.perf_counter() - started, 1)}  # fmt: skip
    text = json.dumps(counts, indent=2)
    print(f"\nchaos counts ({backend}):\n{text}")
    directory = Path(os.environ.get("CHAOS_REPORT") or tmp_path)
    directory.mkdir(parents=True, exist_ok=True)
    (directory / f"chaos-{backend}.json").write_text(text + "\n", encoding="utf-8")
    assert counts["operations_total"] >= 500
    assert 0.2 <= counts["fault_share"] <= 0.3, counts["fault_share"]
    # Floors: a library that refuses or loses everything (every save raising, no meeting
    # made, no mail sent) keeps every invariant checked above and must still fail here.
    # Two runs of the default seed on SQLite (550 operations; threads make runs differ)
    # measured 20 and 34 meetings, 13 and 21 issued at the end, 65 and 86 invitations among
    # 96 and 125 mails, 172 and 250 jobs done, 210 saves and 517 calls that returned; the
    # floors are about half of the lower run, scaled to the operations run.
    floors = {
        "meetings_created": OPERATIONS // 55,
        "conferences issued at the end": OPERATIONS // 110,
        "invitations mailed": OPERATIONS // 20,
        "mails_total": OPERATIONS // 12,
        "jobs done": OPERATIONS // 6,
        "saves that returned": OPERATIONS // 5,
        "succeeded_calls_total": OPERATIONS // 2,
        # Runs on PostgreSQL measured 1 to 10 Google Meet conferences issued at the end (one
        # run of 15 had 1; 6 to 16 spaces made); when the world's watch of the Meet adapter
        # raised on every create (86a2551 to 2dbc8c9), none was, and every check still held.
        "Meet conferences issued at the end": OPERATIONS // 550,
    }
    measured = {
        "meetings_created": counts["meetings_created"],
        "conferences issued at the end": counts["conferences"].get("issued", 0),
        "invitations mailed": counts["mails"].get("request", 0),
        "mails_total": counts["mails_total"],
        "jobs done": counts["jobs"].get("done", 0),
        "saves that returned": counts["succeeded_calls"].get("save_event", 0),
        "succeeded_calls_total": counts["succeeded_calls_total"],
        "Meet conferences issued at the end": counts["meet_conferences"].get("issued", 0),
    }
    below = {k: (measured[k], floor) for k, floor in floors.items() if measured[k] < floor}
    assert not below, f"below the floor (measured, floor): {below}"
