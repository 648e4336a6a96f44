"""The token refresh between workers (app/tokens.py): a lease on the link row makes a refresh
single flight across MeetLink instances (as across processes: each has its own in-process
locks), a lease whose holder hangs is taken over, a failed refresh lets the lease go at once,
storing the rotated pair is retried, and refreshes of two links do not wait for each other.

Two MeetLink instances share one storage and one fake provider. The interleaving is driven by
events: the provider's refresh can be held until the test lets it go, and the module's clock
for waiting (``tokens.time``) is replaced by one that records each poll and advances only by
the waits asked for, so a lease's real-time expiry is reached without waiting for it. Waits
on the other thread have a generous bound only so that a broken library cannot hang the run.
Each test kills survivors of the app/ mutation run (docs/testing.md, "Mutation testing")."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from datetime import timedelta
from typing import Any

import pytest

from meetlink import HostNotice, HostNoticeKind, MeetLink, ProviderUnavailable
from meetlink.adapters.mail import JinjaMailComposer, RecordingMailer
from meetlink.adapters.memory.storage import InMemoryStorage, _Links
from meetlink.app import tokens
from meetlink.domain.links import TokenSet
from meetlink.errors import GrantRevoked, NotLinked, StorageError
from meetlink.ports.storage import Storage
from tests.app.conftest import World, make_world
from tests.notices import notices_into

BOUND = 10.0  # seconds: only a broken library waits this long


class WaitClock:
    """Stands in for the ``time`` module inside app/tokens.py: ``sleep`` records the wait,
    advances ``monotonic`` by it and yields the thread briefly; more than ``limit`` waits
    raise (a worker polling for ever)."""

    START = 1000.0  # as a real monotonic clock: far from zero

    def __init__(self, limit: int = 1000, step: float | None = None) -> None:
        self.now = self.START
        self.waits: list[float] = []
        self.limit = limit
        self.step = step  # advance by this much per wait instead of the wait asked for
        self.waited = threading.Event()

    def monotonic(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        time.sleep(min(seconds, 0.001))  # as the real one: TypeError for a non-number
        self.waits.append(seconds)
        self.now += seconds if self.step is None else self.step
        self.waited.set()
        if len(self.waits) > self.limit:
            raise RuntimeError(f"still waiting after {self.limit} polls")


@pytest.fixture
def waits(monkeypatch: pytest.MonkeyPatch) -> WaitClock:
    clock = WaitClock()
    monkeypatch.setattr(tokens, "time", clock)
    return clock


class HeldRefresh:
    """The provider's refresh for one refresh token is held until ``go``."""

    def __init__(
        self, world: World, held_token: Callable[[], str], answer: TokenSet | None = None
    ) -> None:
        self.answer = answer  # what the held call returns (default: the provider's answer)
        self.entered = threading.Event()
        self.go = threading.Event()
        self._refresh = world.zoom.refresh
        self._held = held_token()
        self.others: list[float] = []  # WaitClock time (from its start) of each one not held
        self.clock: WaitClock | None = None

    def __call__(self, refresh_token: str) -> Any:
        if refresh_token == self._held and not self.entered.is_set():
            self.entered.set()
            assert self.go.wait(BOUND)
            if self.answer is not None:
                return self.answer
        else:
            self.others.append(self.clock.now - self.clock.START if self.clock else 0.0)
        return self._refresh(refresh_token)


def _second(world: World, storage: Storage) -> MeetLink:
    """Another MeetLink on the same storage and provider: another worker process."""
    return MeetLink(
        storage=storage,
        providers=[world.zoom],
        mailer=RecordingMailer(),
        composer=JinjaMailComposer(),
        clock=world.clock,
    )


@pytest.fixture
def two() -> Iterator[tuple[World, MeetLink]]:
    """alice's meeting issued; her access token expired (the next use refreshes it)."""
    storage = InMemoryStorage()
    w = make_world(storage=storage)
    w.meetlink.start_trial("t1")
    w.link("alice", w.zoom.add_account("alice@corp.example"))
    assert w.meetlink.save_event(w.event()).conference is not None
    w.clock.advance(timedelta(hours=2))
    other = _second(w, storage)
    yield w, other
    other.close()


def _refresh_token(world: World, user_id: str = "alice") -> str:
    with world.meetlink._ctx.storage.unit_of_work(read_only=True) as uow:
        [link] = [link for link in uow.links.history("t1", user_id) if link.active]
    assert link.tokens is not None
    return link.tokens.refresh_token


def _in_thread(call: Callable[[], Any]) -> tuple[threading.Thread, list[Any]]:
    """Runs ``call`` on a thread; the list gets its result or the exception it raised."""
    out: list[Any] = []

    def run() -> None:
        try:
            out.append(call())
        except BaseException as exc:  # handed to the test's thread
            out.append(exc)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread, out


def _start(ml: MeetLink, user_id: str = "alice", event_id: str = "e1") -> Callable[[], str]:
    return lambda: ml.start_url(event_id, user_id, tenant_id="t1")


def _joined(thread: threading.Thread, out: list[Any]) -> Any:
    thread.join(BOUND)
    assert not thread.is_alive()
    [result] = out
    if isinstance(result, BaseException):
        raise result
    return result


def test_a_second_instance_waits_for_the_lease_holders_refresh_and_uses_its_token(
    two: tuple[World, MeetLink], waits: WaitClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    w, other = two
    held = HeldRefresh(w, lambda: _refresh_token(w))
    monkeypatch.setattr(w.zoom, "refresh", held)
    first = _in_thread(_start(w.meetlink))
    assert held.entered.wait(BOUND)  # the first instance holds the lease, in the provider
    second = _in_thread(_start(other))
    # The second instance polls the row (a wait) instead of refreshing itself.
    assert waits.waited.wait(BOUND) or not second[0].is_alive()
    assert held.others == []
    held.go.set()
    assert _joined(*first).startswith("https://fake.invalid/s/")
    assert _joined(*second).startswith("https://fake.invalid/s/")
    assert w.zoom.calls.count("refresh") == 1
    assert waits.waits and set(waits.waits) == {tokens._POLL_SECONDS}
    assert w.meetlink.link("alice", tenant_id="t1") is not None


def test_a_lease_whose_holder_hangs_is_taken_over_and_the_holder_uses_the_new_pair(
    two: tuple[World, MeetLink], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The holder asked the provider and hangs; the lease's 30 s run out (on the waiting
    worker's clock: the test clock stands still) and the other worker refreshes. The late
    holder's refresh is then refused (its refresh token was rotated by the other): the link
    stays, and the holder uses the stored pair."""
    w, other = two
    waits = WaitClock(step=1.0)  # each poll: one second
    monkeypatch.setattr(tokens, "time", waits)
    notices: list[HostNotice] = []
    held = HeldRefresh(w, lambda: _refresh_token(w))
    held.clock = waits
    monkeypatch.setattr(w.zoom, "refresh", held)
    first = _in_thread(_start(w.meetlink))
    assert held.entered.wait(BOUND)
    url = other.start_url("e1", "alice", tenant_id="t1")  # takes over after 30 s of polls
    assert url.startswith("https://fake.invalid/s/")
    [taken_at] = held.others
    assert taken_at >= tokens.REFRESH_LEASE.total_seconds()  # not before the lease ran out
    held.go.set()
    assert _joined(*first).startswith("https://fake.invalid/s/")
    assert w.zoom.calls.count("refresh") == 2
    assert w.meetlink.link("alice", tenant_id="t1") is not None
    assert notices == []


def test_a_failed_refresh_lets_the_lease_go_at_once(
    two: tuple[World, MeetLink], monkeypatch: pytest.MonkeyPatch
) -> None:
    w, other = two
    waits = WaitClock(limit=0)  # no worker may wait for a lease here
    monkeypatch.setattr(tokens, "time", waits)
    w.zoom.fail_next(ProviderUnavailable("503"), method="refresh")
    with pytest.raises(ProviderUnavailable):
        w.meetlink.start_url("e1", "alice", tenant_id="t1")
    assert other.start_url("e1", "alice", tenant_id="t1").startswith("https://fake.invalid/s/")
    assert w.zoom.calls.count("refresh") == 2
    assert waits.waits == []


@pytest.mark.parametrize("failures", [4, 5])
def test_storing_the_rotated_pair_is_tried_five_times(
    two: tuple[World, MeetLink],
    waits: WaitClock,
    monkeypatch: pytest.MonkeyPatch,
    failures: int,
) -> None:
    w, _ = two
    attempts: list[int] = []
    swap = _Links.swap_tokens

    def swap_or_fail(self: Any, *args: Any, **kwargs: Any) -> Any:
        attempts.append(1)
        if len(attempts) <= failures:
            raise StorageError("the database is away")
        return swap(self, *args, **kwargs)

    monkeypatch.setattr(_Links, "swap_tokens", swap_or_fail)
    if failures < tokens._STORE_ATTEMPTS:
        assert w.meetlink.start_url("e1", "alice", tenant_id="t1").startswith("https://")
    else:
        with pytest.raises(StorageError):
            w.meetlink.start_url("e1", "alice", tenant_id="t1")
    assert len(attempts) == min(failures + 1, tokens._STORE_ATTEMPTS) == 5
    assert w.zoom.calls.count("refresh") == 1
    assert waits.waits == [0.05 * n for n in range(1, min(failures, 4) + 1)]


def test_refreshes_of_two_links_in_one_instance_do_not_wait_for_each_other(
    waits: WaitClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    w = make_world()
    w.meetlink.start_trial("t1")
    w.link("alice", w.zoom.add_account("alice@corp.example"))
    w.link("bob", w.zoom.add_account("bob@corp.example"))
    assert w.meetlink.save_event(w.event("e1")).conference is not None
    assert w.meetlink.save_event(w.event("e2", owner_id="bob")).conference is not None
    w.clock.advance(timedelta(hours=2))
    held = HeldRefresh(w, lambda: _refresh_token(w, "alice"))
    monkeypatch.setattr(w.zoom, "refresh", held)
    alice = _in_thread(_start(w.meetlink, "alice", "e1"))
    assert held.entered.wait(BOUND)  # alice's refresh is in the provider
    bob = _in_thread(_start(w.meetlink, "bob", "e2"))
    assert _joined(*bob).startswith("https://fake.invalid/s/")  # while alice's is held
    held.go.set()
    assert _joined(*alice).startswith("https://fake.invalid/s/")


@pytest.mark.parametrize(
    ("fail", "detail"),
    [
        ("refresh", "the provider refused the grant; link the account again"),
        ("start_url", "the provider refused a freshly refreshed token; link the account again"),
    ],
)
def test_a_dead_grant_ends_the_link_and_tells_the_host_why(
    monkeypatch: pytest.MonkeyPatch, fail: str, detail: str
) -> None:
    from meetlink.errors import AuthExpired

    notices: list[HostNotice] = []
    w = make_world(listener=notices_into(notices))
    w.meetlink.start_trial("t1")
    w.link("alice", w.zoom.add_account("alice@corp.example"))
    assert w.meetlink.save_event(w.event()).conference is not None
    if fail == "refresh":
        w.clock.advance(timedelta(hours=2))
        w.zoom.fail_next(GrantRevoked("invalid_grant"), method="refresh")
    else:
        w.zoom.fail_next(AuthExpired("401"), method="start_url")
        w.zoom.fail_next(AuthExpired("401"), method="start_url")  # the fresh token too
    with pytest.raises(GrantRevoked):
        w.meetlink.start_url("e1", "alice", tenant_id="t1")
    assert w.meetlink.link("alice", tenant_id="t1") is None
    with w.meetlink._ctx.storage.unit_of_work(read_only=True) as uow:
        [ended] = uow.links.history("t1", "alice")
    assert (ended.unlinked_at, ended.reauth_required) == (w.clock.now(), True)
    broken = [n for n in notices if n.kind is HostNoticeKind.LINK_BROKEN]
    assert [(n.tenant_id, n.user_id, n.provider, n.detail) for n in broken] == [
        ("t1", "alice", "zoom", detail)
    ]


def test_an_access_token_is_refreshed_in_its_last_five_minutes() -> None:
    w = make_world()
    w.meetlink.start_trial("t1")
    w.link("alice", w.zoom.add_account("alice@corp.example"))
    assert w.meetlink.save_event(w.event()).conference is not None
    w.clock.advance(timedelta(minutes=54, seconds=59))  # 5 minutes and a second left
    w.meetlink.start_url("e1", "alice", tenant_id="t1")
    assert w.zoom.calls.count("refresh") == 0
    w.clock.advance(timedelta(minutes=1))  # 4 minutes left: within REFRESH_MARGIN
    w.meetlink.start_url("e1", "alice", tenant_id="t1")
    assert w.zoom.calls.count("refresh") == 1


def test_a_pair_refreshed_for_a_link_unlinked_meanwhile_is_not_used(
    two: tuple[World, MeetLink], waits: WaitClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The provider rotated the pair, and the user unlinked before it was stored: the new
    pair is not stored (the link is gone) and not used either."""
    w, _ = two
    answered, go = threading.Event(), threading.Event()
    refresh = w.zoom.refresh

    def answer_then_hold(refresh_token: str) -> Any:
        fresh = refresh(refresh_token)
        answered.set()
        assert go.wait(BOUND)
        return fresh

    monkeypatch.setattr(w.zoom, "refresh", answer_then_hold)
    first = _in_thread(_start(w.meetlink))
    assert answered.wait(BOUND)
    w.meetlink.unlink("alice", tenant_id="t1")
    go.set()
    with pytest.raises(NotLinked, match=r"^link \S+ is no longer active$"):
        _joined(*first)
    assert w.zoom.calls.count("start_url") == 0


def test_a_late_holder_whose_refresh_also_succeeded_uses_the_pair_stored_first(
    two: tuple[World, MeetLink], monkeypatch: pytest.MonkeyPatch
) -> None:
    """As above, on a provider that does not rotate refresh tokens: the hung holder's refresh
    succeeds too, after the other worker stored its pair. The store's compare-and-swap fails
    and the holder uses the stored pair, not its own."""
    w, other = two
    waits = WaitClock(step=1.0)
    monkeypatch.setattr(tokens, "time", waits)
    late = TokenSet(access_token="at-late", refresh_token="rt-late",
                    expires_at=w.clock.now() + timedelta(hours=1))  # fmt: skip
    held = HeldRefresh(w, lambda: _refresh_token(w), answer=late)
    monkeypatch.setattr(w.zoom, "refresh", held)
    first = _in_thread(_start(w.meetlink))
    assert held.entered.wait(BOUND)
    assert other.start_url("e1", "alice", tenant_id="t1").startswith("https://fake.invalid/s/")
    stored = _refresh_token(w)
    held.go.set()
    assert _joined(*first).startswith("https://fake.invalid/s/")
    assert _refresh_token(w) == stored != "rt-late"
    assert w.zoom.calls.count("refresh") == 1  # the other's; the held one never reached it


def test_a_grant_refused_after_the_user_unlinked_tells_the_host_nothing(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The refresh reaches the provider after the user unlinked (which revoked the grant):
    it is refused, and that is no broken link to tell the host about."""
    notices: list[HostNotice] = []
    w = make_world(listener=notices_into(notices))
    w.meetlink.start_trial("t1")
    w.link("alice", w.zoom.add_account("alice@corp.example"))
    assert w.meetlink.save_event(w.event()).conference is not None
    w.clock.advance(timedelta(hours=2))
    held = HeldRefresh(w, lambda: _refresh_token(w))
    monkeypatch.setattr(w.zoom, "refresh", held)
    first = _in_thread(_start(w.meetlink))
    assert held.entered.wait(BOUND)
    w.meetlink.unlink("alice", tenant_id="t1")
    held.go.set()
    with pytest.raises(GrantRevoked):
        _joined(*first)
    assert [n.kind for n in notices if n.kind is HostNoticeKind.LINK_BROKEN] == []
