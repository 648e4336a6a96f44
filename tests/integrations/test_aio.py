"""``AsyncMeetLink``: the same calls, results and errors as coroutines that never block the
event loop; a bounded pool; ``aclose`` and ``async with``.

The stall measurement: a ticker task sleeps 10 ms in a loop and records the gaps between its
wake-ups while ``save_event`` runs with Zoom answering after 1 s. Called directly inside a
coroutine (what an ``async def`` route does with the plain facade) the loop stalls for the
whole call; through AsyncMeetLink the ticker keeps running. Asserted as a ratio and a count
(never an absolute time); the numbers are printed (``pytest -s``)."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Awaitable, Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from meetlink import (
    AddonInactive,
    ConferenceStatus,
    ConfigurationError,
    Event,
    MeetLink,
    UnknownEvent,
)
from meetlink.aio import AsyncMeetLink
from meetlink.testing import Sandbox

T0 = datetime(2026, 12, 1, 0, 0, tzinfo=UTC)
ZOOM_LATENCY = 1.0


@pytest.fixture
def sandbox() -> Iterator[Sandbox]:
    with Sandbox(now=T0, seed=5) as sb:
        sb.meetlink.start_trial("t1")
        sb.link_user("t1", "alice")
        yield sb


def _event(event_id: str) -> Event:
    start = T0 + timedelta(days=1)
    return Event(
        event_id, "t1", "alice", "Call", start, start + timedelta(minutes=30), web_meeting="zoom"
    )


async def _stall(call: Callable[[], Awaitable[Any]]) -> tuple[float, int]:
    """The longest gap between a 10 ms ticker's wake-ups while ``call`` runs, and how
    many times the ticker ran."""
    loop = asyncio.get_running_loop()
    gaps: list[float] = []
    done = asyncio.Event()

    async def ticker() -> None:
        last = loop.time()
        while not done.is_set():
            await asyncio.sleep(0.01)
            now = loop.time()
            gaps.append(now - last)
            last = now

    task = asyncio.create_task(ticker())
    await asyncio.sleep(0.05)
    gaps.clear()
    await call()
    done.set()
    await task
    return max(gaps), len(gaps)


def test_the_event_loop_keeps_running_while_zoom_is_slow(sandbox: Sandbox) -> None:
    sandbox.zoom.latency = ZOOM_LATENCY

    async def scenario() -> tuple[tuple[float, int], tuple[float, int]]:
        async with AsyncMeetLink(sandbox.meetlink) as aml:

            async def blocking() -> None:
                sandbox.meetlink.save_event(_event("blocking"))  # the plain facade

            async def non_blocking() -> None:
                result = await aml.save_event(_event("async"))
                assert result.conference is not None
                assert result.conference.status is ConferenceStatus.ISSUED

            return await _stall(blocking), await _stall(non_blocking)

    (blocked_gap, blocked_ticks), (async_gap, async_ticks) = asyncio.run(scenario())
    print(
        f"\nloop stall with Zoom at {ZOOM_LATENCY}s: plain facade {blocked_gap:.3f}s "
        f"({blocked_ticks} ticks), AsyncMeetLink {async_gap:.3f}s ({async_ticks} ticks), "
        f"ratio {blocked_gap / async_gap:.0f}x"
    )
    assert blocked_ticks <= 2  # the plain call froze the loop: the ticker could not run
    assert async_ticks >= 10  # the loop ran other tasks meanwhile
    assert async_gap * 4 < blocked_gap


def test_same_results_and_same_errors(sandbox: Sandbox) -> None:
    ml = sandbox.meetlink

    async def scenario() -> None:
        async with AsyncMeetLink(ml) as aml:
            saved = await aml.save_event(_event("e1"))
            assert (
                saved.conference
                == ml.conference("e1", tenant_id="t1")
                == await aml.conference("e1", tenant_id="t1")
            )
            assert await aml.web_meeting_available("t1", "alice") is True
            assert (await aml.subscription("t1")) == ml.subscription("t1")
            assert await aml.start_url("e1", "alice", tenant_id="t1")
            with pytest.raises(UnknownEvent):
                await aml.start_url("nope", "alice", tenant_id="t1")
            with pytest.raises(AddonInactive):
                await aml.begin_link("t-other", "bob")
            assert await aml.delete_event("e1", actor_id="bob", tenant_id="t1") is True
            assert await aml.run_pending() == 0 and await aml.pending_jobs() == []
            assert aml.settings is ml.settings and aml.provider_keys == ("zoom",)

    asyncio.run(scenario())


class CountingMeetLink(MeetLink):
    """A MeetLink with one more method (served through ``__getattr__``) that counts the
    calls in flight at once."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.lock = threading.Lock()
        self.running = 0
        self.most = 0

    def slow_call(self, n: int) -> int:
        with self.lock:
            self.running += 1
            self.most = max(self.most, self.running)
        time.sleep(0.05)
        with self.lock:
            self.running -= 1
        return n * 2


def test_the_pool_is_bounded_and_later_methods_are_served_too(sandbox: Sandbox) -> None:
    ml = CountingMeetLink(storage=sandbox.storage, providers=[], mailer=sandbox.mailer)

    async def scenario() -> list[int]:
        async with AsyncMeetLink(ml, max_workers=2) as aml:
            return list(await asyncio.gather(*(aml.slow_call(n) for n in range(6))))

    assert asyncio.run(scenario()) == [0, 2, 4, 6, 8, 10]
    assert ml.most == 2


def test_aclose_closes_the_meetlink_and_refuses_later_calls(sandbox: Sandbox) -> None:
    async def scenario() -> None:
        aml = AsyncMeetLink(sandbox.meetlink)
        await aml.aclose()
        await aml.aclose()  # idempotent
        with pytest.raises(ConfigurationError, match="closed"):
            await aml.subscription("t1")

    asyncio.run(scenario())
    with pytest.raises(ConfigurationError):
        AsyncMeetLink(sandbox.meetlink, max_workers=0)
    with pytest.raises(ConfigurationError):
        AsyncMeetLink(object())  # type: ignore[arg-type]
