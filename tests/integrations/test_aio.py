"""``AsyncMeetLink``: the same calls, results and errors as coroutines that never block the
event loop; a bounded pool; ``aclose`` and ``async with``.

Whether the loop stalls is read from events, never from time: the Zoom emulator holds the
create request until a task on the loop has run. Called directly inside a coroutine (what an
``async def`` route does with the plain facade) that task cannot run during the call; through
AsyncMeetLink it runs and releases the request."""

from __future__ import annotations

import asyncio
import threading
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


def _loop_free_during_create(sandbox: Sandbox, call: Callable[[], Awaitable[Any]]) -> bool:
    """Whether a task on the event loop runs while Zoom holds ``call``'s create request.

    A probe task is made just before the call; the emulator holds the create request until
    the probe has run. Through a thread the probe runs at once and releases it; called on the
    loop's own thread the probe cannot run before the call returns, so the request sees it has
    not (and does not wait: it never could). The 60-second wait is a safety net for a broken
    library, not a measure: a working one is released as soon as the loop runs the probe."""
    loop_ran = threading.Event()
    seen: list[bool] = []
    handle = sandbox.zoom.handle

    def held(request: Any) -> Any:
        if request.method == "POST" and request.path == "/v2/users/me/meetings":
            on_loop = threading.current_thread() is loop_thread
            seen.append(loop_ran.is_set() if on_loop else loop_ran.wait(timeout=60))
        return handle(request)

    async def probe() -> None:
        loop_ran.set()

    async def scenario() -> None:
        task = asyncio.create_task(probe())
        await call()
        await task

    loop_thread = threading.current_thread()  # asyncio.run runs the loop on this thread
    sandbox.zoom.handle = held  # type: ignore[method-assign]
    try:
        asyncio.run(scenario())
    finally:
        del sandbox.zoom.handle
    [free] = seen  # one create request
    return free


def test_the_event_loop_keeps_running_while_zoom_is_slow(sandbox: Sandbox) -> None:
    async def blocking() -> None:
        sandbox.meetlink.save_event(_event("blocking"))  # the plain facade, inside a coroutine

    async def non_blocking() -> None:
        async with AsyncMeetLink(sandbox.meetlink) as aml:
            result = await aml.save_event(_event("async"))
        assert result.conference is not None
        assert result.conference.status is ConferenceStatus.ISSUED

    assert _loop_free_during_create(sandbox, blocking) is False  # the loop froze
    assert _loop_free_during_create(sandbox, non_blocking) is True  # other tasks ran


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
    calls in flight at once. Each call waits for a second one to be in flight (a barrier of
    two, not a sleep): a pool of one never gets there and fails, a pool of more runs more."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.lock = threading.Lock()
        self.running = 0
        self.most = 0
        self.pair = threading.Barrier(2)

    def slow_call(self, n: int) -> int:
        with self.lock:
            self.running += 1
            self.most = max(self.most, self.running)
        self.pair.wait(timeout=60)  # the timeout is a safety net for a pool of one
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
