"""4 spawned processes drain 200 queued sync jobs with ``run_pending()`` at once, through the
public facade, on SQLite (file), PostgreSQL and MariaDB.

Setup (parent): a ZoomEmulator (system clock, no daily cap in the way) served over loopback
HTTP; a MeetLink with ``sync_inline=False`` links one user and saves 200 future events that
ask for a Zoom URL: 200 sync jobs wait (no participants, so no mail jobs). Then 4 workers,
each with its own MeetLink on the same database, call ``run_pending()`` until a call finds
nothing to do.

Afterwards: no job is left (none pending, none failed); Zoom received exactly 200 create
requests and holds exactly 200 meetings; every event's conference is ISSUED with its own
meeting id, which exists at Zoom with the event's title; the workers' ``run_pending`` return
values add up to 200 (the jobs completed).
"""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from meetlink import ConferenceStatus, Event, MeetLink, Notice
from meetlink.adapters.mail import RecordingMailer
from meetlink.adapters.sqlalchemy import SqlStorage, generate_key
from meetlink.testing import ZoomEmulator
from tests.storage.dbservers import private_database, require_server
from tests.storage.workers import QUEUE

from .pool import WorkerPool
from .workers import zoom_settings

TENANT = "tenant-jobs"
OWNER = "owner"
EVENTS = 200
RUNNERS = 4


def test_processes_drain_the_queue_once(
    database_url: str, encryption_key: str, worker_pool: WorkerPool
) -> None:
    zoom = ZoomEmulator(daily_meeting_cap=10**6)
    zoom_user = zoom.add_user("owner@corp.example")
    provider = zoom.provider()
    storage = SqlStorage(database_url, encryption_keys=[encryption_key], create_schema=True)
    with (
        zoom.serve() as server,
        provider,
        MeetLink(
            storage=storage, providers=[provider], mailer=RecordingMailer(), sync_inline=False
        ) as meetlink,
    ):
        meetlink.contract(TENANT)
        request = meetlink.begin_link(TENANT, OWNER)
        params = zoom.consent(request.authorize_url, zoom_user)
        meetlink.complete_link(
            params["state"], code=params["code"], user_id=OWNER, tenant_id=TENANT
        )

        base = datetime.now(UTC).replace(microsecond=0) + timedelta(days=2)
        titles = {}
        for n in range(EVENTS):
            event_id = f"event-{n:03d}"
            titles[event_id] = f"Meeting {n:03d}"
            start = base + timedelta(hours=n)
            result = meetlink.save_event(
                Event(event_id, TENANT, OWNER, titles[event_id], start,
                      start + timedelta(minutes=30), web_meeting="zoom")
            )  # fmt: skip
            assert result.refusals == ()
            assert result.conference is not None
            assert result.conference.status is ConferenceStatus.PENDING
            assert Notice.PROVIDER_PENDING in result.notices
        assert len(meetlink.pending_jobs(limit=EVENTS + 1)) == EVENTS
        assert zoom.meetings() == []  # nothing was created inline

        app = zoom_settings(zoom, server.base_url)
        task = {"database_url": database_url, "key": encryption_key, "zoom": app}
        started = time.perf_counter()
        results = worker_pool.run([("run_pending", task)] * RUNNERS)
        seconds = time.perf_counter() - started
        crashes = [payload for kind, payload in results if kind != "ok"]
        assert crashes == [], "\n".join(crashes)
        returns = [payload["returns"] for _, payload in results]

        # Nothing is left to do, nothing gave up.
        assert meetlink.failed_jobs() == []
        assert meetlink.pending_jobs() == []
        assert meetlink.run_pending() == 0
        # run_pending counts exactly the jobs completed: 200 sync jobs, no mail.
        per_runner = [sum(r) for r in returns]
        assert sum(per_runner) == EVENTS, returns
        assert all(r[-1] == 0 for r in returns)  # each runner stopped on an empty queue

        # One meeting per event: no job ran twice, no create was repeated.
        creates = [r for r in zoom.requests if r == ("POST", "/v2/users/me/meetings")]
        assert len(creates) == EVENTS
        meetings = {str(m["id"]): m for m in zoom.meetings()}
        assert len(meetings) == EVENTS
        seen: set[str] = set()
        for event_id, title in titles.items():
            conference = meetlink.conference(event_id, tenant_id=TENANT)
            assert conference is not None
            assert conference.status is ConferenceStatus.ISSUED, (event_id, conference)
            assert conference.meeting_id is not None and conference.join_url is not None
            assert conference.meeting_id not in seen
            seen.add(conference.meeting_id)
            assert conference.meeting_id in meetings
            assert meetings[conference.meeting_id]["topic"] == title
            assert meetings[conference.meeting_id]["host_id"] == zoom_user.id
        assert seen == set(meetings)
        if not database_url.startswith("sqlite"):
            # PostgreSQL and MariaDB let the runners work side by side (SKIP LOCKED locks only
            # the rows a claim returns); SQLite serialises them.
            assert sum(1 for n in per_runner if n) >= 2, per_runner

        print(
            f"\n[run_pending {database_url.split(':')[0]}] {EVENTS} jobs by {RUNNERS} "
            f"processes in {seconds:.2f}s; completed per runner {per_runner}; "
            f"returns {returns}"
        )


@pytest.mark.parametrize(
    "backend",
    [
        pytest.param("postgresql", marks=pytest.mark.postgres),
        pytest.param("mariadb", marks=pytest.mark.mariadb),
    ],
)
def test_run_pending_works_while_another_runner_claims(backend: str, tmp_path: Path) -> None:
    """Another runner is inside its claim transaction (it took 20 of 40 due jobs): this
    runner's ``run_pending(max_jobs=1)`` must still find one of the other 20."""
    require_server(backend)
    with private_database(backend, tmp_path) as url:
        key = generate_key()
        zoom = ZoomEmulator()
        zoom_user = zoom.add_user("owner@corp.example")
        provider = zoom.provider()
        storage = SqlStorage(url, encryption_keys=[key], create_schema=True)
        other = SqlStorage(url, encryption_keys=[key])
        with (
            provider,
            MeetLink(
                storage=storage, providers=[provider], mailer=RecordingMailer(), sync_inline=False
            ) as meetlink,
        ):
            meetlink.contract(TENANT)
            request = meetlink.begin_link(TENANT, OWNER)
            params = zoom.consent(request.authorize_url, zoom_user)
            meetlink.complete_link(
                params["state"], code=params["code"], user_id=OWNER, tenant_id=TENANT
            )
            start = datetime.now(UTC).replace(microsecond=0) + timedelta(days=2)
            for n in range(40):
                meetlink.save_event(
                    Event(f"event-{n:02d}", TENANT, OWNER, f"Meeting {n}", start,
                          start + timedelta(minutes=30), web_meeting="zoom")
                )  # fmt: skip
            try:
                with other.unit_of_work() as uow:
                    now = datetime.now(UTC)
                    assert len(QUEUE.claim(uow, now, 20)) == 20
                    completed = meetlink.run_pending(max_jobs=1)
            finally:
                other.close()
            assert completed == 1
            assert len(zoom.meetings()) == 1
