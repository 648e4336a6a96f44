"""One MeetLink shared by many threads (a threaded web server's request handlers and a worker
thread): every call is safe to make concurrently, on every database.

8 threads each link their own user, save 4 events with a URL, read them back and run
pending work, all at once, against one MeetLink on the in-process Zoom emulator. Afterwards
every conference is ISSUED with its own meeting, Zoom holds exactly one meeting per event,
no thread saw an error, and every invitation was delivered exactly once.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from meetlink import ConferenceStatus, Event, Participant
from meetlink.testing import Sandbox
from tests.storage.dbservers import private_database, require_server

THREADS = 8
EVENTS_EACH = 4
_MARKS = {"postgresql": [pytest.mark.postgres], "mariadb": [pytest.mark.mariadb]}


@pytest.fixture(
    params=[
        pytest.param(b, id=b, marks=_MARKS.get(b, []))
        for b in ("sqlite-memory", "sqlite", "postgresql", "mariadb")
    ]
)
def sandbox(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Sandbox]:
    """A sandbox on one backend, the emulator without a daily cap in the way."""
    if request.param == "sqlite-memory":
        with Sandbox() as sb:
            yield sb
        return
    require_server(request.param)
    with (
        private_database(request.param, tmp_path) as url,
        Sandbox(database_url=url, isolate=False) as sb,
    ):
        yield sb


def test_one_meetlink_serves_many_threads_at_once(sandbox: Sandbox) -> None:
    ml = sandbox.meetlink
    ml.contract("t1")
    start = sandbox.clock.now() + timedelta(days=1)
    barrier = threading.Barrier(THREADS)
    errors: list[BaseException] = []

    def user_thread(n: int) -> None:
        try:
            user = sandbox.zoom.add_user(f"user{n}@corp.example")
            barrier.wait()
            request = ml.begin_link("t1", f"u{n}")
            params = sandbox.zoom.consent(request.authorize_url, user)
            ml.complete_link(params["state"], code=params["code"], user_id=f"u{n}", tenant_id="t1")
            for k in range(EVENTS_EACH):
                event = Event(
                    f"e{n}-{k}", "t1", f"u{n}", f"Meeting {n}-{k}",
                    start + timedelta(hours=k), start + timedelta(hours=k, minutes=30),
                    participants=(Participant(f"guest{n}-{k}@example.com"),),
                    web_meeting="zoom",
                )  # fmt: skip
                assert ml.save_event(event).conference is not None
                assert ml.conference(event.id, tenant_id="t1") is not None
                ml.run_pending()
        except BaseException as exc:  # reported below, with the thread's number
            errors.append(exc)

    threads = [threading.Thread(target=user_thread, args=(n,)) for n in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    ml.run_pending()

    ids = [f"e{n}-{k}" for n in range(THREADS) for k in range(EVENTS_EACH)]
    conferences = [ml.conference(event_id, tenant_id="t1") for event_id in ids]
    assert all(c is not None and c.status is ConferenceStatus.ISSUED for c in conferences)
    meeting_ids = {c.meeting_id for c in conferences if c is not None}
    assert len(meeting_ids) == len(ids)
    assert {str(m["id"]) for m in sandbox.zoom.meetings()} == meeting_ids
    assert sorted(m["To"] for m in sandbox.outbox) == sorted(
        f"guest{event_id[1:]}@example.com" for event_id in ids
    )
