"""20 OAuth callbacks racing to take over the same Zoom account (S7, S8, S9), through the
public facade, on SQLite (file), PostgreSQL and MariaDB.

Setup: one ZoomEmulator with one Zoom user; 20 host users each ``begin_link`` and consent on
Zoom's page as that same Zoom user (all in the parent), then all 20 ``complete_link`` calls
are released at once, either (a) from 20 threads sharing one MeetLink or (b) from 20 spawned
processes each with its own MeetLink on the same database, reaching the emulator over
loopback HTTP.

Afterwards: exactly one of the 20 host users has an active link and it holds the account;
every call returned an AccountLink for its own user and the account, or raised a
``MeetLinkError`` with a message; nothing else escaped; nothing was revoked at Zoom, so the
holder's grant still works (a meeting can be issued with it).
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from meetlink import ConferenceStatus, Event, MeetLink
from meetlink.adapters.mail import RecordingMailer
from meetlink.adapters.sqlalchemy import SqlStorage, generate_key
from meetlink.testing import ZoomEmulator, ZoomUser
from tests.storage.dbservers import private_database, require_server

from .pool import WorkerPool
from .workers import TENANT, attempt_link, zoom_settings

CALLERS = 20


@contextmanager
def parent_meetlink(database_url: str, key: str, zoom: ZoomEmulator) -> Iterator[MeetLink]:
    """The test's own MeetLink (creates the tables), on the in-process emulator."""
    provider = zoom.provider()
    try:
        storage = SqlStorage(database_url, encryption_keys=[key], create_schema=True)
        with MeetLink(storage=storage, providers=[provider], mailer=RecordingMailer()) as ml:
            yield ml
    finally:
        provider.close()


def prepare_callbacks(
    meetlink: MeetLink, zoom: ZoomEmulator, zoom_user: ZoomUser, count: int = CALLERS
) -> list[tuple[str, str, str]]:
    """(user_id, state, code) for ``count`` host users who all consented as ``zoom_user``."""
    meetlink.contract(TENANT)
    callbacks = []
    for n in range(count):
        user_id = f"user{n:02d}"
        request = meetlink.begin_link(TENANT, user_id)
        params = zoom.consent(request.authorize_url, zoom_user)
        assert params["state"] == request.state
        callbacks.append((user_id, params["state"], params["code"]))
    return callbacks


def check_one_holder(
    meetlink: MeetLink,
    zoom: ZoomEmulator,
    zoom_user: ZoomUser,
    outcomes: list[dict[str, Any]],
    label: str,
    seconds: float,
) -> None:
    assert len(outcomes) == CALLERS
    escaped = [o for o in outcomes if not o["linked"] and not o["meetlink_error"]]
    assert escaped == [], f"non-MeetLinkError exceptions escaped complete_link: {escaped}"
    failed = [o for o in outcomes if not o["linked"]]
    for outcome in failed:
        assert outcome["message"].strip(), f"an error without a message: {outcome}"
    linked = [o for o in outcomes if o["linked"]]
    for outcome in linked:
        assert outcome["link_user_id"] == outcome["user_id"]
        assert outcome["external_account_id"] == zoom_user.id

    holders = [
        o["user_id"] for o in outcomes if meetlink.link(o["user_id"], tenant_id=TENANT) is not None
    ]
    assert len(holders) == 1, f"active links after the race: {holders}"
    holder = holders[0]
    assert holder in {o["user_id"] for o in linked}, "the holder's own call did not succeed"
    link = meetlink.link(holder, tenant_id=TENANT)
    assert link is not None
    assert link.external_account_id == zoom_user.id
    assert link.tenant_id == TENANT

    # S9: a takeover revokes nothing at the provider, so the holder's grant still works.
    assert ("POST", "/oauth/revoke") not in zoom.requests
    start = datetime.now(UTC).replace(microsecond=0) + timedelta(days=1)
    result = meetlink.save_event(
        Event("after-race", TENANT, holder, "After the race", start,
              start + timedelta(minutes=30), web_meeting="zoom")
    )  # fmt: skip
    assert result.refusals == ()
    assert result.conference is not None
    assert result.conference.status is ConferenceStatus.ISSUED
    assert result.conference.meeting_id is not None
    assert [m["id"] for m in zoom.meetings(zoom_user)] == [int(result.conference.meeting_id)]

    reasons = Counter(f"{o['error']}: {o['message']}" for o in failed)
    slowest = max(o["seconds"] for o in outcomes)
    print(
        f"\n[takeover {label}] {len(linked)} linked, {len(failed)} failed "
        f"{dict(reasons)}; holder={holder}; race {seconds:.2f}s, slowest call {slowest:.2f}s"
    )


def test_threads_sharing_one_meetlink(database_url: str, encryption_key: str) -> None:
    zoom = ZoomEmulator()
    zoom_user = zoom.add_user("shared@corp.example")
    with parent_meetlink(database_url, encryption_key, zoom) as meetlink:
        callbacks = prepare_callbacks(meetlink, zoom, zoom_user)
        barrier = threading.Barrier(CALLERS)
        outcomes: list[dict[str, Any] | None] = [None] * CALLERS

        def callback(n: int) -> None:
            barrier.wait(timeout=30)
            outcomes[n] = attempt_link(meetlink, *callbacks[n])

        threads = [threading.Thread(target=callback, args=(n,)) for n in range(CALLERS)]
        started = time.perf_counter()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
        seconds = time.perf_counter() - started
        assert not any(thread.is_alive() for thread in threads)
        assert None not in outcomes, "a thread died before reporting"
        check_one_holder(meetlink, zoom, zoom_user, [o for o in outcomes if o], "threads", seconds)


def test_processes_each_with_own_meetlink(
    database_url: str, encryption_key: str, worker_pool: WorkerPool
) -> None:
    zoom = ZoomEmulator()
    zoom_user = zoom.add_user("shared@corp.example")
    with zoom.serve() as server, parent_meetlink(database_url, encryption_key, zoom) as meetlink:
        callbacks = prepare_callbacks(meetlink, zoom, zoom_user)
        app = zoom_settings(zoom, server.base_url)
        tasks = [
            ("complete_link", {"database_url": database_url, "key": encryption_key,
                               "zoom": app, "user_id": user_id, "state": state, "code": code})
            for user_id, state, code in callbacks
        ]  # fmt: skip
        started = time.perf_counter()
        results = worker_pool.run(tasks)
        seconds = time.perf_counter() - started
        crashes = [payload for kind, payload in results if kind != "ok"]
        assert crashes == [], "\n".join(crashes)
        exchanges = sum(1 for r in zoom.requests if r == ("POST", "/oauth/token"))
        assert exchanges == CALLERS  # every child really reached Zoom over HTTP
        check_one_holder(
            meetlink, zoom, zoom_user, [payload for _, payload in results], "processes", seconds
        )


# --- a deterministic reproduction of the retry exhaustion seen in the races above ---------


class _RacingStorage:
    """A Storage that lets a rival commit right after each unit of work's first read of an
    account's holder (the window between complete_link's read and its write)."""

    def __init__(self, inner: SqlStorage, after_holder_read: Callable[[], None]) -> None:
        self._inner = inner
        self._hook = after_holder_read

    def unit_of_work(self, *, read_only: bool = False) -> _RacingUnitOfWork:
        return _RacingUnitOfWork(self._inner.unit_of_work(read_only=read_only), self._hook)

    def close(self) -> None:
        self._inner.close()


class _RacingUnitOfWork:
    def __init__(self, inner: Any, hook: Callable[[], None]) -> None:
        self._inner = inner
        self._hook: Callable[[], None] | None = hook

    def __enter__(self) -> _RacingUnitOfWork:
        self._inner.__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        self._inner.__exit__(*exc)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)

    @property
    def links(self) -> Any:
        return _RacingLinks(self._inner.links, self)

    def holder_read(self) -> None:
        hook, self._hook = self._hook, None
        if hook is not None:
            hook()


class _RacingLinks:
    def __init__(self, inner: Any, uow: _RacingUnitOfWork) -> None:
        self._inner = inner
        self._uow = uow

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)

    def active_for_account(self, provider: str, external_account_id: str) -> Any:
        holder = self._inner.active_for_account(provider, external_account_id)
        self._uow.holder_read()
        return holder


RIVALS = 12  # more than AppContext.transaction's 8 attempts


@pytest.mark.parametrize(
    "backend",
    [
        pytest.param("postgresql", marks=pytest.mark.postgres),
        pytest.param("mariadb", marks=pytest.mark.mariadb),
    ],
)
def test_a_callback_that_keeps_losing_the_race_still_links(backend: str, tmp_path: Path) -> None:
    """Rivals try to take the account over right after each of the victim's holder reads:
    the callbacks for one account are serialised (a lock on the account's link rows), so the
    victim is linked and every rival goes through after it."""
    require_server(backend)
    with private_database(backend, tmp_path) as url:
        key = generate_key()
        zoom = ZoomEmulator()
        zoom_user = zoom.add_user("shared@corp.example")
        with parent_meetlink(url, key, zoom) as rival_meetlink:
            callbacks = prepare_callbacks(rival_meetlink, zoom, zoom_user, 1 + RIVALS)
            victim_user, state, code = callbacks[0]
            rivals = list(callbacks[1:])
            rival_outcomes: list[dict[str, Any]] = []
            threads: list[threading.Thread] = []

            def rival_commits() -> None:
                if not rivals:
                    return
                callback = rivals.pop(0)
                thread = threading.Thread(
                    target=lambda: rival_outcomes.append(attempt_link(rival_meetlink, *callback))
                )
                threads.append(thread)
                thread.start()
                thread.join(timeout=1.0)  # a rival blocked by a lock may finish later

            provider = zoom.provider()
            victim = MeetLink(
                storage=_RacingStorage(SqlStorage(url, encryption_keys=[key]), rival_commits),
                providers=[provider],
                mailer=RecordingMailer(),
            )
            try:
                link = victim.complete_link(state, code=code, user_id=victim_user, tenant_id=TENANT)
            finally:
                for thread in threads:
                    thread.join(timeout=30)
                victim.close()
                provider.close()
            assert link.user_id == victim_user
            assert all(o["linked"] for o in rival_outcomes), rival_outcomes
            users = [c[0] for c in callbacks]
            holders = [u for u in users if rival_meetlink.link(u, tenant_id=TENANT) is not None]
            assert len(holders) == 1, holders
