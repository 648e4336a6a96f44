"""``Worker(..., concurrency=N)`` / ``meetlink worker --concurrency N``: up to N jobs in flight
at once, each in its own thread, every job still run exactly once.

Overlap is shown by a barrier, never by time: the Zoom emulator's create answers only once N
creates are in flight together. One at a time, the barrier would break (its timeout only ends
a hung test) and the creates would fail."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import timedelta

import pytest

from meetlink import ConferenceStatus, Event
from meetlink.cli import build_parser
from meetlink.emulators.core import Incoming, Reply
from meetlink.testing import Sandbox
from meetlink.worker import Step, Worker

N = 4


def _events(sb: Sandbox, count: int) -> list[str]:
    sb.meetlink.contract("acme")
    sb.link_user("acme", "alice")
    start = sb.clock.now() + timedelta(days=1)
    ids = [f"e{i}" for i in range(count)]
    for event_id in ids:
        event = Event(
            id=event_id,
            tenant_id="acme",
            owner_id="alice",
            title="Sync",
            start=start,
            end=start + timedelta(hours=1),
            web_meeting="zoom",
        )
        conference = sb.meetlink.save_event(event).conference
        assert conference is not None and conference.status is ConferenceStatus.PENDING
    return ids


def _creates_through(sb: Sandbox, gate: Callable[[], object]) -> list[str]:
    """Every meeting create at the emulator passes ``gate`` first; returns the log of them."""
    served = sb.zoom.handle
    creates: list[str] = []

    def handle(request: Incoming) -> Reply:
        if request.method == "POST" and request.path.endswith("/meetings"):
            gate()
            creates.append(request.path)
        return served(request)

    sb.zoom.handle = handle  # type: ignore[method-assign]
    return creates


def test_n_jobs_are_in_flight_at_once_and_each_runs_once() -> None:
    with Sandbox(sync_inline=False) as sb:
        ids = _events(sb, 2 * N)
        barrier = threading.Barrier(N, timeout=60)
        creates = _creates_through(sb, barrier.wait)
        done = Worker(sb.meetlink, interval=0.01, concurrency=N).run_once()
        assert done["jobs"] >= 2 * N  # two rounds of N creates met at the barrier
        assert len(creates) == 2 * N  # one create an event, none twice
        for event_id in ids:
            conference = sb.meetlink.conference(event_id, tenant_id="acme")
            assert conference is not None and conference.status is ConferenceStatus.ISSUED
        assert len(sb.zoom.meetings()) == 2 * N


def test_one_at_a_time_by_default() -> None:
    with Sandbox(sync_inline=False) as sb:
        _events(sb, 3)
        lock = threading.Lock()
        in_flight = [0]
        most = [0]
        release = threading.Event()

        def gate() -> None:
            with lock:
                in_flight[0] += 1
                most[0] = max(most[0], in_flight[0])
            release.wait(0.05)  # a moment in flight, for another thread to join if any
            with lock:
                in_flight[0] -= 1

        creates = _creates_through(sb, gate)
        Worker(sb.meetlink, interval=0.01).run_once()
        assert len(creates) == 3
        assert most[0] == 1


def test_a_failing_parallel_step_fails_the_pass_after_every_thread_ended() -> None:
    with Sandbox() as sb:
        calls: list[int] = []
        lock = threading.Lock()

        def step() -> int:
            with lock:
                calls.append(1)
                if len(calls) == 3:
                    raise RuntimeError("third call fails")
                return 1 if len(calls) < 6 else 0

        worker = Worker(
            sb.meetlink, steps=[Step("x", step, repeat=True, parallel=True)], concurrency=2
        )
        with pytest.raises(RuntimeError, match="third call"):
            worker.run_once()


@pytest.mark.parametrize("bad", [0, -1, 65, 2.5, True, "4"])
def test_a_concurrency_out_of_range_is_refused(bad: object) -> None:
    with Sandbox() as sb, pytest.raises(ValueError, match="concurrency"):
        Worker(sb.meetlink, concurrency=bad)  # type: ignore[arg-type]


def test_the_command_takes_concurrency() -> None:
    parser = build_parser()
    args = parser.parse_args(["worker", "--app", "m:a", "--concurrency", "8"])
    assert args.concurrency == 8
    assert parser.parse_args(["worker", "--app", "m:a"]).concurrency == 1
    for bad in ("0", "65", "x"):
        with pytest.raises(SystemExit):
            parser.parse_args(["worker", "--app", "m:a", "--concurrency", bad])
