"""RELIABILITY scenario 4: many workers in several MeetLink instances (as in several
processes: each has its own in-process locks) find the same expired token at once. Exactly one
refresh request reaches Zoom; everyone uses the rotated token; the row holds version + 1."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

from meetlink import Event, MeetLink
from meetlink.adapters.clock import ManualClock
from meetlink.adapters.mail import RecordingMailer
from meetlink.adapters.sqlalchemy import SqlStorage
from meetlink.emulators.zoom import ZoomEmulator

INSTANCES = 3
THREADS = 8


def test_one_refresh_for_many_workers_in_several_instances(
    database_url: str, encryption_key: str
) -> None:
    clock = ManualClock(datetime(2026, 12, 1, tzinfo=UTC))
    zoom = ZoomEmulator(clock=clock, seed=11)
    user = zoom.add_user("alice@corp.example")
    providers = [zoom.provider(clock=clock) for _ in range(INSTANCES)]
    instances = [
        MeetLink(
            storage=SqlStorage(database_url, encryption_keys=[encryption_key], create_schema=True),
            providers=[provider],
            mailer=RecordingMailer(),
            clock=clock,
        )
        for provider in providers
    ]
    try:
        first = instances[0]
        first.contract("t1")
        request = first.begin_link("t1", "alice")
        params = zoom.consent(request.authorize_url, user)
        first.complete_link(params["state"], code=params["code"], user_id="alice", tenant_id="t1")
        start = clock.now() + timedelta(days=1)
        first.save_event(
            Event(
                "e1", "t1", "alice", "Call", start, start + timedelta(hours=1), web_meeting="zoom"
            )
        )
        clock.advance(timedelta(hours=2))  # the stored access token has expired
        before = len(zoom.requests)
        barrier = threading.Barrier(INSTANCES * THREADS)
        urls: list[str] = []
        errors: list[BaseException] = []

        def work(ml: MeetLink) -> None:
            barrier.wait()
            try:
                urls.append(ml.start_url("e1", "alice", tenant_id="t1"))
            except BaseException as exc:
                errors.append(exc)

        threads = [
            threading.Thread(target=work, args=(ml,)) for ml in instances for _ in range(THREADS)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
        assert errors == []
        assert len(urls) == INSTANCES * THREADS
        token_requests = [r for r in zoom.requests[before:] if r[1] == "/oauth/token"]
        assert len(token_requests) == 1, token_requests
        # the rotated pair is stored: a later call needs no refresh
        again = len(zoom.requests)
        instances[1].start_url("e1", "alice", tenant_id="t1")
        assert [r for r in zoom.requests[again:] if r[1] == "/oauth/token"] == []
    finally:
        for ml in instances:
            ml.close()
        for provider in providers:
            provider.close()
