"""Keep-alive rules on the in-memory fakes: which links are refreshed and when, how a provider
that does not answer is handled, single flight across instances, and the worker's step."""

from __future__ import annotations

import threading
from datetime import timedelta
from typing import Any

import pytest

from meetlink import MeetLink
from meetlink.adapters.mail import RecordingMailer
from meetlink.adapters.memory.storage import InMemoryStorage
from meetlink.app.keepalive import LOOK_EVERY, PROVIDER_PAUSE
from meetlink.app.tokens import TokenKeeper
from meetlink.domain.links import TokenSet
from meetlink.domain.results import HostNotice, HostNoticeKind
from meetlink.errors import InvalidInput, InvalidSetting, ProviderUnavailable, RateLimited
from meetlink.worker import Worker
from tests.notices import notices_into

from .conftest import World, make_world

DAY = timedelta(days=1)


def _linked(world: World, *users: str) -> None:
    world.meetlink.contract("t1")
    for user in users:
        world.link(user, world.zoom.add_account(f"{user}@corp.example"))


def _refreshes(world: World) -> int:
    return world.zoom.calls.count("refresh")


def test_only_links_idle_for_token_keepalive_are_refreshed() -> None:
    world = make_world()
    _linked(world, "alice")
    world.clock.advance(20 * DAY)
    _linked(world, "bob")
    world.clock.advance(10 * DAY - timedelta(seconds=1))
    assert world.meetlink.keep_alive() == 0  # alice: 30 days less a second
    world.clock.advance(timedelta(seconds=1))
    assert world.meetlink.keep_alive() == 1 and _refreshes(world) == 1  # alice only
    assert world.meetlink.keep_alive() == 0  # her token is new now
    world.clock.advance(20 * DAY)
    assert world.meetlink.keep_alive() == 1  # bob at his 30 days
    world.meetlink.unlink("bob", tenant_id="t1")
    world.clock.advance(60 * DAY)
    assert world.meetlink.keep_alive() == 1 and _refreshes(world) == 3  # ended links: never


def test_run_pending_looks_at_most_once_a_minute_and_not_when_off() -> None:
    world = make_world(token_keepalive=DAY)
    _linked(world, "alice")
    world.clock.advance(DAY - timedelta(seconds=30))
    world.meetlink.run_pending()  # nothing due yet: the next look is in a minute
    world.clock.advance(timedelta(seconds=30))  # due now, but run_pending does not look yet
    world.meetlink.run_pending()
    assert _refreshes(world) == 0
    world.clock.advance(LOOK_EVERY - timedelta(seconds=30))
    world.meetlink.run_pending()
    assert _refreshes(world) == 1

    off = make_world(token_keepalive=None)
    _linked(off, "alice")
    off.clock.advance(365 * DAY)
    assert off.meetlink.run_pending() == 0 and off.meetlink.keep_alive() == 0
    assert _refreshes(off) == 0


def test_run_pending_spends_at_most_max_jobs_refreshes() -> None:
    world = make_world()
    _linked(world, "a", "b", "c")
    world.clock.advance(31 * DAY)
    world.meetlink.run_pending(max_jobs=1)
    assert _refreshes(world) == 1
    world.meetlink.run_pending(max_jobs=1)  # the walk goes on where it stopped
    world.meetlink.run_pending()
    assert _refreshes(world) == 3


def test_a_provider_that_does_not_answer_is_left_alone_and_blocks_nobody() -> None:
    world = make_world()
    _linked(world, "a", "b")
    world.clock.advance(31 * DAY)
    world.zoom.fail_next(ProviderUnavailable("503"), method="refresh")
    assert world.meetlink.keep_alive() == 0  # a failed; b is the same provider: paused
    assert _refreshes(world) == 1
    world.clock.advance(PROVIDER_PAUSE)
    assert world.meetlink.keep_alive() == 2  # both, on the next walk
    assert (
        world.meetlink.link("a", tenant_id="t1") is not None
        and world.meetlink.link("b", tenant_id="t1") is not None
    )


def test_a_rate_limited_keepalive_waits_for_the_time_the_provider_named() -> None:
    world = make_world()
    _linked(world, "a")
    world.clock.advance(31 * DAY)
    later = world.clock.now() + timedelta(hours=1)
    world.zoom.fail_next(RateLimited("429", retry_at=later), method="refresh")
    assert world.meetlink.keep_alive() == 0
    world.clock.advance(PROVIDER_PAUSE)
    assert world.meetlink.keep_alive() == 0 and _refreshes(world) == 1  # not yet
    world.clock.set(later)
    assert world.meetlink.keep_alive() == 1


def test_a_dead_grant_ends_the_link_at_once_with_a_notice() -> None:
    notices: list[HostNotice] = []
    world = make_world(listener=notices_into(notices))
    _linked(world, "alice")
    link = world.meetlink.link("alice", tenant_id="t1")
    assert link is not None
    world.zoom.revoke_account(world.zoom.find_account(link.external_account_id))
    world.clock.advance(30 * DAY)
    assert world.meetlink.keep_alive() == 1
    assert world.meetlink.link("alice", tenant_id="t1") is None
    assert [n.kind for n in notices] == [HostNoticeKind.LINK_BROKEN]


def test_two_instances_refresh_an_idle_link_once() -> None:
    storage = InMemoryStorage()  # the same database for both instances (two processes)
    world = make_world(storage=storage)
    _linked(world, "alice")
    world.clock.advance(31 * DAY)
    other = MeetLink(storage=storage, providers=[world.zoom], mailer=RecordingMailer(),
                     clock=world.clock)  # fmt: skip
    entered, release = threading.Event(), threading.Event()
    refresh = world.zoom.refresh

    def slow_refresh(refresh_token: str) -> TokenSet:
        entered.set()
        release.wait(10)
        return refresh(refresh_token)

    world.zoom.refresh = slow_refresh  # type: ignore[method-assign]
    results: list[int] = []
    first = threading.Thread(target=lambda: results.append(world.meetlink.keep_alive()))
    first.start()
    assert entered.wait(10)
    second = threading.Thread(target=lambda: results.append(other.keep_alive()))
    second.start()
    second.join(0.3)
    release.set()
    first.join(10)
    second.join(10)
    assert results == [1, 1]  # the second found the link refreshed by the first
    assert _refreshes(world) == 1


def test_the_worker_keeps_links_alive_a_link_at_a_time() -> None:
    world = make_world()
    _linked(world, "a", "b")
    world.clock.advance(31 * DAY)
    worker = Worker(world.meetlink, interval=0.01)
    assert [step.name for step in worker.steps] == ["reminders", "keep-alive", "jobs"]
    assert worker.run_once()["keep-alive"] == 2


def test_the_setting_and_the_argument_are_checked() -> None:
    with pytest.raises(InvalidSetting, match="token_keepalive"):
        make_world(token_keepalive=timedelta(0))
    with pytest.raises(InvalidSetting, match="token_keepalive"):
        make_world(token_keepalive=30)
    with pytest.raises(InvalidInput, match="max_links"):
        make_world().meetlink.keep_alive(max_links=-1)
    assert make_world().meetlink.settings.token_keepalive == timedelta(days=30)


def test_keep_alive_refreshes_a_link_whose_access_token_is_still_valid() -> None:
    # The refresh token idled for token_keepalive, the access token still has half an hour:
    # keep-alive refreshes all the same (it is the refresh token that must be used).
    world = make_world(token_keepalive=timedelta(minutes=30))
    _linked(world, "alice")
    world.clock.advance(timedelta(minutes=30))
    assert world.meetlink.keep_alive() == 1 and _refreshes(world) == 1


def test_a_link_unlinked_while_keep_alive_walks_is_not_counted(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    world = make_world()
    _linked(world, "alice")
    world.clock.advance(30 * DAY)
    keep_alive = TokenKeeper.keep_alive

    def unlinked_first(self: TokenKeeper, link: Any) -> None:
        world.meetlink.unlink("alice", tenant_id="t1")  # by the host, meanwhile
        keep_alive(self, link)

    monkeypatch.setattr(TokenKeeper, "keep_alive", unlinked_first)
    assert world.meetlink.keep_alive() == 0 and _refreshes(world) == 0
