"""``meetlink worker --app MODULE:ATTR`` and Django's ``manage.py meetlink_worker`` (on the
MeetLink ``settings.MEETLINK`` makes): a real subprocess against a SQLite file and the Zoom
emulator over loopback. ``--once`` drains what is due and exits 0; SIGTERM or SIGINT in the
middle of a job lets that job finish, starts no other, and exits 0; each job's outcome is
logged. The ``Worker`` class underneath, in-process."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import attrs
import pytest

from meetlink import ConferenceStatus, Event, MeetLink, Participant
from meetlink.adapters.mail import DirectoryMailer
from meetlink.adapters.sqlalchemy import SqlStorage, generate_key
from meetlink.domain.records import JobStatus
from meetlink.testing import Sandbox, ZoomEmulator
from meetlink.worker import Step, Worker

HOST_APP = '''
import os
from meetlink import MeetLink
from meetlink.adapters.mail import DirectoryMailer
from meetlink.adapters.sqlalchemy import SqlStorage
from meetlink.adapters.zoom import ZoomProvider

def build_meetlink():
    """The host's factory, as ``--app hostapp:build_meetlink`` names it."""
    base = os.environ["ZOOM_BASE_URL"]
    return MeetLink(
        storage=SqlStorage(os.environ["DATABASE_URL"], encryption_keys=[os.environ["KEY"]]),
        providers=[ZoomProvider(
            client_id=os.environ["ZOOM_CLIENT_ID"],
            client_secret=os.environ["ZOOM_CLIENT_SECRET"],
            redirect_uri=os.environ["ZOOM_REDIRECT_URI"],
            oauth_base_url=base, api_base_url=base,
        )],
        mailer=DirectoryMailer(os.environ["MAIL_DIR"]),
    )

not_a_meetlink = 42
'''

DJANGO_SETTINGS = """
SECRET_KEY = "tests only"
INSTALLED_APPS = ["meetlink.integrations.django"]
DATABASES = {}
USE_TZ = True
MEETLINK = {"FACTORY": "hostapp:build_meetlink"}
"""


@attrs.define
class Deployment:
    """The host's database and mail directory, Zoom served over loopback, and a MeetLink
    of the host's web process (which leaves provider work to the worker)."""

    meetlink: MeetLink
    zoom: ZoomEmulator
    env: dict[str, str]
    mail_dir: Path
    directory: Path
    runner: str = "cli"

    def worker(self, *args: str) -> subprocess.Popen[str]:
        """``meetlink worker --app *args``; with the Django runner, ``meetlink_worker`` with
        the options after the app (the settings name ``hostapp:build_meetlink``)."""
        command = [sys.executable, "-m", "meetlink.cli", "worker", "--app", *args]
        if self.runner == "django":
            assert args[0] == "hostapp:build_meetlink"
            django = ["-m", "django", "meetlink_worker", "--settings", "hostsettings"]
            command = [sys.executable, *django, "--pythonpath", ".", *args[1:]]
        return subprocess.Popen(
            command,
            cwd=self.directory,
            env=self.env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )

    def save(self, event_id: str) -> None:
        start = datetime.now(UTC).replace(microsecond=0) + timedelta(days=1)
        self.meetlink.save_event(
            Event(
                event_id, "t1", "alice", "Planning", start, start + timedelta(minutes=30),
                participants=(Participant("bob@example.com"), Participant("carol@example.com")),
                web_meeting="zoom",
            )
        )  # fmt: skip


@pytest.fixture
def deployment(tmp_path: Path) -> Iterator[Deployment]:
    yield from _deployment(tmp_path, "cli")


@pytest.fixture(params=["cli", "django"])
def any_deployment(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Deployment]:
    """The deployment, its worker run by ``meetlink worker`` or by Django's command."""
    yield from _deployment(tmp_path, request.param)


def _deployment(tmp_path: Path, runner: str) -> Iterator[Deployment]:
    (tmp_path / "hostapp.py").write_text(textwrap.dedent(HOST_APP))
    (tmp_path / "hostsettings.py").write_text(textwrap.dedent(DJANGO_SETTINGS))
    key, url, mail_dir = generate_key(), f"sqlite:///{tmp_path / 'host.db'}", tmp_path / "mail"
    zoom = ZoomEmulator()
    alice = zoom.add_user("alice@corp.example")
    with zoom.serve() as server:
        provider = zoom.provider(base_url=server.base_url)
        storage = SqlStorage(url, encryption_keys=[key], create_schema=True)
        with MeetLink(
            storage=storage,
            providers=[provider],
            mailer=DirectoryMailer(mail_dir),
            sync_inline=False,
        ) as ml:
            ml.contract("t1")
            request = ml.begin_link("t1", "alice")
            params = zoom.consent(request.authorize_url, alice)
            ml.complete_link(params["state"], code=params["code"], user_id="alice", tenant_id="t1")
            env = {
                **os.environ,
                "DATABASE_URL": url,
                "KEY": key,
                "MAIL_DIR": str(mail_dir),
                "ZOOM_BASE_URL": server.base_url,
                "ZOOM_CLIENT_ID": zoom.client_id,
                "ZOOM_CLIENT_SECRET": zoom.client_secret,
                "ZOOM_REDIRECT_URI": zoom.redirect_uri,
            }
            yield Deployment(ml, zoom, env, mail_dir, tmp_path, runner)


def test_once_drains_the_due_work_logs_each_job_and_exits_0(any_deployment: Deployment) -> None:
    deployment = any_deployment
    deployment.save("e1")
    worker = deployment.worker("hostapp:build_meetlink", "--once")
    _out, err = worker.communicate(timeout=120)
    assert worker.returncode == 0, err
    conference = deployment.meetlink.conference("e1", tenant_id="t1")
    assert conference is not None and conference.status is ConferenceStatus.ISSUED
    assert len(list(deployment.mail_dir.glob("*.eml"))) == 2
    assert "job sync/e1 done" in err
    assert err.count("job mail/") == 2
    assert "worker stopped" in err
    assert deployment.meetlink.pending_jobs() == []


def test_concurrency_is_taken_by_both_commands(any_deployment: Deployment) -> None:
    """``--concurrency N`` on ``meetlink worker`` and ``manage.py meetlink_worker`` alike: the
    pass runs with N jobs at a time (logged at start), an out-of-range N is a usage error."""
    deployment = any_deployment
    deployment.save("e1")
    deployment.save("e2")
    worker = deployment.worker("hostapp:build_meetlink", "--once", "--concurrency", "3")
    _out, err = worker.communicate(timeout=120)
    assert worker.returncode == 0, err
    assert "3 at a time" in err
    for event_id in ("e1", "e2"):
        conference = deployment.meetlink.conference(event_id, tenant_id="t1")
        assert conference is not None and conference.status is ConferenceStatus.ISSUED
    assert len(list(deployment.mail_dir.glob("*.eml"))) == 4
    refused = deployment.worker("hostapp:build_meetlink", "--once", "--concurrency", "65")
    _out, err = refused.communicate(timeout=120)
    assert refused.returncode == 2
    assert "from 1 to 64, not 65" in err


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_a_signal_lets_the_job_at_hand_finish_then_exits_0(
    any_deployment: Deployment, signum: signal.Signals
) -> None:
    deployment = any_deployment
    # Zoom holds the worker's create until the signal was sent: the job is at hand when the
    # signal comes, whatever the machine's speed (the waits' timeouts are safety nets only).
    arrived, release = threading.Event(), threading.Event()
    handle = deployment.zoom.handle

    def held(request: Any) -> Any:
        if request.method == "POST" and request.path == "/v2/users/me/meetings":
            arrived.set()
            release.wait(timeout=120)
        return handle(request)

    deployment.zoom.handle = held  # type: ignore[method-assign]
    deployment.save("e1")
    worker = deployment.worker("hostapp:build_meetlink", "--interval", "0.2")
    if not arrived.wait(timeout=120):
        worker.kill()
        pytest.fail(f"the worker never called Zoom: {worker.communicate()}")
    assert [j.status for j in deployment.meetlink.pending_jobs() if j.kind == "sync"] == [
        JobStatus.RUNNING
    ]
    worker.send_signal(signum)
    release.set()
    _out, err = worker.communicate(timeout=120)
    assert worker.returncode == 0, err
    assert f"{signum.name}: finishing the job at hand" in err
    assert "job sync/e1 done" in err  # the job at hand finished...
    conference = deployment.meetlink.conference("e1", tenant_id="t1")
    assert conference is not None and conference.status is ConferenceStatus.ISSUED
    assert "job mail/" not in err  # ...and no other job was started
    assert list(deployment.mail_dir.glob("*.eml")) == []
    assert len(deployment.meetlink.pending_jobs()) == 2  # the invitations wait


@pytest.mark.parametrize(
    ("target", "says"),
    [
        ("hostapp", "MODULE:ATTR"),
        ("no_such_module:app", "cannot import 'no_such_module'"),
        ("hostapp:nothing", "has no attribute 'nothing'"),
        ("hostapp:not_a_meetlink", "expected a MeetLink or a factory of one, got int"),
    ],
)
def test_a_wrong_app_is_a_usage_error(deployment: Deployment, target: str, says: str) -> None:
    worker = deployment.worker(target, "--once")
    _out, err = worker.communicate(timeout=60)
    assert worker.returncode == 2
    assert says in err and "Traceback" not in err


def test_the_worker_stops_between_jobs_and_survives_a_failing_pass() -> None:
    with Sandbox() as sb:
        ran: list[str] = []
        failures = iter([True, False])

        def flaky() -> int:
            if next(failures, False):
                from meetlink import StorageError

                raise StorageError("database unreachable")
            return 0

        def job() -> int:
            ran.append("job")
            if len(ran) == 3:
                worker.stop()  # asked to stop during the third job
            return 1

        worker = Worker(
            sb.meetlink, interval=0.01, steps=[Step("flaky", flaky), Step("job", job, repeat=True)]
        )
        worker.run()
        assert ran == ["job", "job", "job"]  # the third finished, no fourth started
        with pytest.raises(ValueError, match="interval must be positive"):
            Worker(sb.meetlink, interval=0)


def test_an_async_meetlink_runs_on_the_meetlink_it_wraps() -> None:
    from meetlink import ConfigurationError
    from meetlink.aio import AsyncMeetLink

    with Sandbox() as sb:
        sb.meetlink.start_trial("acme")
        sb.link_user("acme", "alice")
        start = sb.clock.now() + timedelta(days=1)
        sb.zoom.fail_next(status=503, path="/v2/users/me/meetings")  # left to the worker
        event = Event(
            id="e1",
            tenant_id="acme",
            owner_id="alice",
            title="Sync",
            start=start,
            end=start + timedelta(hours=1),
            web_meeting="zoom",
        )
        conference = sb.meetlink.save_event(event).conference
        assert conference is not None and conference.status is ConferenceStatus.PENDING
        sb.clock.advance(timedelta(minutes=2))
        worker = Worker(AsyncMeetLink(sb.meetlink), interval=0.01)  # was: a TypeError
        assert worker.meetlink is sb.meetlink  # from int += coroutine in the first pass
        done = worker.run_once()
        assert done["jobs"] >= 1
        conference = sb.meetlink.conference("e1", tenant_id="acme")
        assert conference is not None and conference.status is ConferenceStatus.ISSUED
        with pytest.raises(ConfigurationError, match="not str"):
            Worker("app", interval=1)  # type: ignore[arg-type]
