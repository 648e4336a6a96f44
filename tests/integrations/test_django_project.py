"""A Django project with ``"meetlink.integrations.django"`` installed, as real ``manage.py``
runs (``python -m django --settings``): ``meetlink_migrate`` puts meetlink's tables in the
project's database with meetlink's own migrations, Django's ``makemigrations`` stays clean
and its ``migrate`` leaves them alone (they are no Django models), and a wrong
``settings.MEETLINK`` stops the project at start-up with the reason. ``database_url`` and the
one-MeetLink-per-process app configuration, in-process."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from meetlink.adapters.sqlalchemy import current_revision, generate_key
from meetlink.adapters.sqlalchemy.migrate import alembic_config

SETTINGS = """
SECRET_KEY = "tests only"
INSTALLED_APPS = [
    "django.contrib.contenttypes",
    "django.contrib.auth",
    "meetlink.integrations.django",
]
DATABASES = {{"default": {{"ENGINE": "django.db.backends.sqlite3", "NAME": {db!r}}}}}
USE_TZ = True
MEETLINK = {meetlink}
"""

FACTORY = """
import os
from meetlink import MeetLink
from meetlink.adapters.mail import DirectoryMailer
from meetlink.adapters.sqlalchemy import SqlStorage
from meetlink.integrations.django import database_url
from meetlink.testing import ZoomEmulator

def build_meetlink():
    return MeetLink(
        storage=SqlStorage(database_url(), encryption_keys=[os.environ["KEY"]]),
        providers=[ZoomEmulator().provider()],
        mailer=DirectoryMailer("mail"),
    )
"""


def _head() -> str:
    from alembic.script import ScriptDirectory

    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert head is not None
    return head


def _project(tmp_path: Path, meetlink: str = '{"FACTORY": "hostfactory:build_meetlink"}') -> str:
    db = str(tmp_path / "project.db")
    (tmp_path / "hostsettings.py").write_text(
        textwrap.dedent(SETTINGS).format(db=db, meetlink=meetlink)
    )
    (tmp_path / "hostfactory.py").write_text(textwrap.dedent(FACTORY))
    return db


def _manage(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "django", *args, "--settings", "hostsettings", "--pythonpath", "."],
        cwd=tmp_path,
        env={**os.environ, "KEY": generate_key()},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_meetlink_migrate_makes_meetlinks_tables_and_django_leaves_them_alone(
    tmp_path: Path,
) -> None:
    db = _project(tmp_path)
    url = f"sqlite:///{db}"
    done = _manage(tmp_path, "meetlink_migrate")
    assert done.returncode == 0, done.stderr
    assert f"meetlink tables upgraded at {_head()} on {url}" in done.stdout
    assert current_revision(url) == _head()
    again = _manage(tmp_path, "meetlink_migrate")
    assert again.returncode == 0 and "meetlink tables already at" in again.stdout

    # Django's own migrations: none for meetlink, nothing to make, meetlink's tables kept.
    check = _manage(tmp_path, "makemigrations", "--check", "--dry-run")
    assert check.returncode == 0 and "No changes detected" in check.stdout, check
    django_migrate = _manage(tmp_path, "migrate")
    assert django_migrate.returncode == 0, django_migrate.stderr
    assert "meetlink" not in _manage(tmp_path, "showmigrations").stdout
    assert current_revision(url) == _head()

    down = _manage(tmp_path, "meetlink_migrate", "base")
    assert down.returncode == 0 and "downgraded at base" in down.stdout
    assert current_revision(url) is None


@pytest.mark.parametrize(
    ("meetlink", "says"),
    [
        ("None", "settings.MEETLINK must be a dict"),
        ('{"FACTORY": "hostfactory"}', '"MODULE:ATTR"'),
        ('{"FACTORY": "x:y", "DATABSE": "default"}', "unknown keys ['DATABSE']"),
        ('{"FACTORY": "x:y", "WORKER_INTERVAL": 0}', "WORKER_INTERVAL"),
    ],
)
def test_a_wrong_meetlink_setting_stops_the_project_with_the_reason(
    tmp_path: Path, meetlink: str, says: str
) -> None:
    _project(tmp_path, meetlink)
    check = _manage(tmp_path, "check")
    assert check.returncode == 1 and "ImproperlyConfigured" in check.stderr
    assert says in check.stderr


def test_a_factory_that_cannot_be_loaded_is_said_at_first_use(tmp_path: Path) -> None:
    _project(tmp_path, '{"FACTORY": "hostfactory:no_such_function"}')
    assert _manage(tmp_path, "check").returncode == 0  # nothing made at start-up
    worker = _manage(tmp_path, "meetlink_worker", "--once")
    assert worker.returncode == 1
    assert "cannot load 'hostfactory:no_such_function'" in worker.stderr


def test_database_url_for_each_django_backend() -> None:
    from django.core.exceptions import ImproperlyConfigured
    from django.test import override_settings

    from meetlink.integrations.django import database_url

    from .hosts import configure_django

    configure_django()  # DATABASES["default"]: SQLite in memory
    pg = {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": "app",
        "USER": "app",
        "PASSWORD": "p@ss:/word",
        "HOST": "db.internal",
        "PORT": "5433",
    }
    assert database_url(pg) == "postgresql+psycopg://app:p%40ss%3A%2Fword@db.internal:5433/app"
    maria = {"ENGINE": "django.db.backends.mysql", "NAME": "app", "USER": "u", "HOST": "m"}
    assert database_url(maria) == "mysql+pymysql://u@m/app?charset=utf8mb4"
    sqlite = {"ENGINE": "django.db.backends.sqlite3", "NAME": "/srv/app/db.sqlite3"}
    assert database_url(sqlite) == "sqlite:////srv/app/db.sqlite3"
    assert database_url("postgresql://elsewhere/db") == "postgresql://elsewhere/db"
    with pytest.raises(ImproperlyConfigured, match="SQLite, PostgreSQL or MySQL"):
        database_url({"ENGINE": "django.db.backends.oracle", "NAME": "x"})
    with pytest.raises(ImproperlyConfigured, match="no 'replica' database"):
        database_url("replica")
    with override_settings(MEETLINK={"FACTORY": "x:y"}):
        assert database_url() == "sqlite://"  # the default alias
    with override_settings(MEETLINK={"FACTORY": "x:y", "DATABASE": "sqlite:///other.db"}):
        assert database_url() == "sqlite:///other.db"


def test_one_meetlink_per_process_made_on_first_use(monkeypatch: pytest.MonkeyPatch) -> None:
    from django.test import override_settings

    from meetlink.aio import AsyncMeetLink
    from meetlink.integrations.django import get_async_meetlink, get_meetlink
    from meetlink.integrations.django.apps import config
    from meetlink.testing import Sandbox

    from .hosts import configure_django

    configure_django()
    made: list[Sandbox] = []

    def factory() -> object:
        made.append(Sandbox())
        return made[-1].meetlink

    try:
        with override_settings(MEETLINK={"FACTORY": factory, "ASYNC_MAX_WORKERS": 2}):
            first = get_meetlink()
            assert get_meetlink() is first and len(made) == 1  # one per process...
            wrapped = get_async_meetlink()
            assert isinstance(wrapped, AsyncMeetLink) and wrapped.meetlink is first
            assert get_async_meetlink() is wrapped
            real_pid = os.getpid()
            monkeypatch.setattr(os, "getpid", lambda: real_pid + 1)  # as in a forked worker
            assert get_meetlink() is not first and len(made) == 2  # ...and a child its own
            monkeypatch.undo()
            config().close()
    finally:
        for sandbox in made:
            sandbox.close()
