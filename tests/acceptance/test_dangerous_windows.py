"""The two dangerous windows of a create (RELIABILITY scenarios 13 and 18), on SQLite and a
real server database.

13. Zoom creates the meeting, then the database commit that records it fails (injected by a
    storage wrapper): the conference's intent (maybe-created, committed before the call)
    drives adoption or compensation, and in the end Zoom holds no meeting meetlink does not
    know. A compensation DELETE answered 404 ``{"code": 3001}`` counts as done.
18. The event is deleted while its create call is in flight (before Zoom processed it, or
    after, with the answer still on its way): once everything has run, no meeting is left.

Only public surfaces: MeetLink built from its adapters, the emulator's transport, requests
and meetings, and a Storage that forwards to SqlStorage.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import TracebackType
from typing import Any

import httpx
import pytest
from sqlalchemy.exc import OperationalError

from meetlink import ConferenceStatus, Event, MeetLink, Participant
from meetlink.adapters.clock import ManualClock
from meetlink.adapters.mail import JinjaMailComposer, RecordingMailer
from meetlink.adapters.sqlalchemy import SqlStorage, generate_key
from meetlink.adapters.zoom import ZoomProvider
from meetlink.ports.storage import UnitOfWork
from meetlink.testing import ZoomEmulator
from tests.storage.dbservers import private_database, require_server

T0 = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
CREATE = "/v2/users/me/meetings"


class FlakyCommits:
    """A Storage that forwards to ``inner``; once armed, the next commit fails as a lost
    database connection would (the unit of work is rolled back, nothing is stored)."""

    def __init__(self, inner: SqlStorage) -> None:
        self.inner = inner
        self.armed = 0
        self.failed = 0

    def unit_of_work(self, *, read_only: bool = False) -> _Unit:
        return _Unit(self, self.inner.unit_of_work(read_only=read_only))

    def close(self) -> None:
        self.inner.close()


class _Unit:
    def __init__(self, owner: FlakyCommits, inner: Any) -> None:
        self._owner = owner
        self._inner = inner
        self._entered: UnitOfWork | None = None

    def __enter__(self) -> _Unit:
        self._entered = self._inner.__enter__()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._inner.__exit__(exc_type, exc, tb)

    def commit(self) -> None:
        if self._owner.armed:
            self._owner.armed -= 1
            self._owner.failed += 1
            raise OperationalError("COMMIT", {}, Exception("server closed the connection"))
        assert self._entered is not None
        self._entered.commit()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._entered, name)


class Hooked(httpx.BaseTransport):
    """The emulator's transport with hooks around matching requests (the call in flight)."""

    def __init__(self, inner: httpx.BaseTransport) -> None:
        self.inner = inner
        self.before: dict[tuple[str, str], Callable[[httpx.Request], object]] = {}
        self.after: dict[tuple[str, str], Callable[[httpx.Response], None]] = {}

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        key = (request.method, request.url.path)
        if (hook := self.before.pop(key, None)) is not None:
            hook(request)
        response = self.inner.handle_request(request)
        if (after := self.after.pop(key, None)) is not None:
            response.read()
            after(response)
        return response


class World:
    """MeetLink over a flaky storage and a hooked Zoom emulator, on one manual clock."""

    def __init__(self, url: str, *, sync_inline: bool) -> None:
        self.clock = ManualClock(T0)
        self.zoom = ZoomEmulator(clock=self.clock, seed=13)
        self.transport = Hooked(self.zoom.transport())
        self.provider = ZoomProvider(
            client_id=self.zoom.client_id,
            client_secret=self.zoom.client_secret,
            redirect_uri=self.zoom.redirect_uri,
            webhook_secrets=self.zoom.webhook_secret,
            transport=self.transport,
            clock=self.clock,
        )
        self.storage = FlakyCommits(
            SqlStorage(url, encryption_keys=[generate_key()], create_schema=True)
        )
        self.mailer = RecordingMailer()
        self.meetlink = MeetLink(
            storage=self.storage,
            providers=[self.provider],
            mailer=self.mailer,
            composer=JinjaMailComposer(),
            clock=self.clock,
            sync_inline=sync_inline,
        )
        self.meetlink.contract("t1")
        self.user = self.zoom.add_user("alice@example.com")
        request = self.meetlink.begin_link("t1", "alice")
        params = self.zoom.consent(request.authorize_url, self.user)
        self.meetlink.complete_link(
            params["state"], code=params["code"], user_id="alice", tenant_id="t1"
        )

    def event(self, event_id: str = "e1") -> Event:
        start = self.clock.now() + timedelta(days=2)
        return Event(event_id, "t1", "alice", "Review", start, start + timedelta(hours=1),
                     participants=(Participant("bob@example.com"),),
                     web_meeting="zoom")  # fmt: skip

    def drain(self, rounds: int = 12) -> None:
        """Workers run until nothing is left, with time passing between the runs."""
        for _ in range(rounds):
            self.meetlink.run_pending()
            if not self.meetlink.pending_jobs():
                return
            self.clock.advance(timedelta(minutes=20))
        raise AssertionError(f"jobs still pending: {self.meetlink.pending_jobs()}")

    def close(self) -> None:
        self.meetlink.close()
        self.provider.close()


@pytest.fixture(params=["sqlite", "postgresql"])
def world_factory(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Callable[..., World]]:
    backend = request.param
    require_server(backend)
    with ExitStack() as stack:

        def make(*, sync_inline: bool = True) -> World:
            url = stack.enter_context(private_database(backend, tmp_path))
            world = World(url, sync_inline=sync_inline)
            stack.callback(world.close)
            return world

        yield make


def _arm_after_create(world: World) -> None:
    """The commit that follows Zoom's 201 to the next create fails."""

    def arm(response: httpx.Response) -> None:
        assert response.status_code == 201
        world.storage.armed = 1

    world.transport.after[("POST", CREATE)] = arm


def _deletes(world: World, meeting_id: str) -> int:
    """DELETE requests Zoom received for ``meeting_id``."""
    return Counter(world.zoom.requests)[("DELETE", f"/v2/meetings/{meeting_id}")]


# -- scenario 13 ------------------------------------------------------------------------------


@pytest.mark.parametrize("sync_inline", [True, False])
def test_13_commit_fails_after_create_the_meeting_is_adopted_not_duplicated(
    world_factory: Callable[..., World], sync_inline: bool
) -> None:
    world = world_factory(sync_inline=sync_inline)
    _arm_after_create(world)
    result = world.meetlink.save_event(world.event())
    if sync_inline:
        assert result.conference is not None
        assert result.conference.status is ConferenceStatus.PENDING  # the event is kept
    else:
        world.meetlink.run_pending()
    assert world.storage.failed == 1
    [made] = world.zoom.meetings()  # Zoom made it; meetlink could not record it
    world.clock.advance(timedelta(minutes=5))
    world.drain()
    [meeting] = world.zoom.meetings()
    assert meeting["id"] == made["id"]  # adopted, not created twice
    conf = world.meetlink.conference("e1", tenant_id="t1")
    assert conf is not None and conf.status is ConferenceStatus.ISSUED
    assert conf.meeting_id == str(meeting["id"])
    assert Counter(world.zoom.requests)[("POST", CREATE)] == 1
    assert world.meetlink.failed_jobs() == []
    # bob got exactly one invitation, with the adopted meeting's URL
    [mail] = world.mailer.outbox
    assert mail["To"] == "bob@example.com"
    text = mail.get_body(("plain",))
    assert text is not None and conf.join_url is not None
    assert conf.join_url in text.get_content()


def test_13_commit_fails_then_the_event_is_deleted_no_unknown_meeting_is_left(
    world_factory: Callable[..., World],
) -> None:
    world = world_factory(sync_inline=True)
    _arm_after_create(world)
    world.meetlink.save_event(world.event())
    [made] = world.zoom.meetings()
    assert world.meetlink.delete_event("e1", tenant_id="t1")
    world.drain()
    assert world.zoom.meetings() == []  # the compensation found it by its marker
    assert _deletes(world, str(made["id"])) == 1
    assert world.meetlink.failed_jobs() == []


def test_13_compensation_delete_answered_404_3001_counts_as_done(
    world_factory: Callable[..., World],
) -> None:
    world = world_factory(sync_inline=True)
    _arm_after_create(world)
    world.meetlink.save_event(world.event())
    [made] = world.zoom.meetings()
    path = f"/v2/meetings/{made['id']}"
    answers: list[tuple[int, Any]] = []
    # The meeting is gone by the time the compensation's DELETE arrives (a proxy delivered
    # the same DELETE just before it): Zoom answers 404 with code 3001.
    world.transport.before[("DELETE", path)] = world.transport.inner.handle_request
    world.transport.after[("DELETE", path)] = lambda r: answers.append((r.status_code, r.json()))
    assert world.meetlink.delete_event("e1", tenant_id="t1")
    world.drain()
    assert world.zoom.meetings() == []
    assert answers == [(404, {"code": 3001, "message": f"Meeting {made['id']} is not found or "
                                                       "has expired."})]  # fmt: skip
    assert world.meetlink.failed_jobs() == [] and world.meetlink.pending_jobs() == []


# -- scenario 18 ------------------------------------------------------------------------------


def _delete_from_another_thread(world: World) -> Callable[..., None]:
    def delete(*_: object) -> None:
        outcome: list[bool] = []
        worker = threading.Thread(
            target=lambda: outcome.append(world.meetlink.delete_event("e1", tenant_id="t1"))
        )
        worker.start()
        worker.join(30)
        assert outcome == [True]

    return delete


@pytest.mark.parametrize("when", ["before Zoom processed it", "while its answer travels"])
@pytest.mark.parametrize("sync_inline", [True, False])
def test_18_event_deleted_while_the_create_is_in_flight_leaves_no_meeting(
    world_factory: Callable[..., World], when: str, sync_inline: bool
) -> None:
    world = world_factory(sync_inline=sync_inline)
    delete = _delete_from_another_thread(world)
    if when == "before Zoom processed it":
        world.transport.before[("POST", CREATE)] = delete
    else:
        world.transport.after[("POST", CREATE)] = delete
    world.meetlink.save_event(world.event())
    world.drain()
    assert world.transport.before == {} and world.transport.after == {}  # the hook ran
    assert Counter(world.zoom.requests)[("POST", CREATE)] == 1
    assert world.zoom.meetings() == []
    assert world.meetlink.conference("e1", tenant_id="t1") is None
    assert world.meetlink.failed_jobs() == [] and world.meetlink.pending_jobs() == []
    # bob was never told of a URL, so he gets nothing (no invitation, no cancellation)
    assert world.mailer.outbox == []


def test_18_deleted_while_a_lost_create_is_in_flight_leaves_no_meeting(
    world_factory: Callable[..., World],
) -> None:
    world = world_factory(sync_inline=True)
    world.zoom.fail_next(status=0, method="POST", path=CREATE)  # applied, answer lost
    world.transport.before[("POST", CREATE)] = _delete_from_another_thread(world)
    world.meetlink.save_event(world.event())
    world.clock.advance(timedelta(minutes=5))
    world.drain()
    assert world.zoom.meetings() == []
    assert world.meetlink.failed_jobs() == [] and world.meetlink.pending_jobs() == []
