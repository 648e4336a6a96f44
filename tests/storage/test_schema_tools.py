"""``meetlink migrate`` takes the URLs SqlStorage takes, moves down as well as up, and fails
in one line with an exit code; missing tables say how to create them."""

from __future__ import annotations

from pathlib import Path

import pytest
from alembic.script import ScriptDirectory

from meetlink import MeetLink, StorageError
from meetlink.adapters.mail import RecordingMailer
from meetlink.adapters.sqlalchemy import SqlStorage, current_revision, generate_key, metadata
from meetlink.adapters.sqlalchemy.migrate import alembic_config
from meetlink.cli import main
from tests.storage.test_migrations import _tables


def _plain(url: str) -> str:
    """The URL as a host writes it, without naming a driver."""
    return url.replace("postgresql+psycopg://", "postgresql://").replace(
        "mysql+pymysql://", "mysql://"
    )


def test_missing_tables_tell_the_host_to_run_meetlink_migrate(fresh_database_url: str) -> None:
    storage = SqlStorage(_plain(fresh_database_url), encryption_keys=[generate_key()])
    with (
        MeetLink(storage=storage, providers=[], mailer=RecordingMailer()) as ml,
        pytest.raises(StorageError, match="run `meetlink migrate DATABASE_URL`"),
    ):
        ml.subscription("t1")


def test_migrate_takes_plain_urls_and_moves_down_to_base(
    fresh_database_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    url = _plain(fresh_database_url)
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert main(["migrate", url]) == 0
    assert set(metadata.tables) <= _tables(fresh_database_url)
    assert f"upgraded at {head}" in capsys.readouterr().out
    assert main(["migrate", url]) == 0
    assert f"already at {head}" in capsys.readouterr().out
    assert main(["migrate", url, "--revision", "base"]) == 0
    assert "downgraded at base" in capsys.readouterr().out
    assert not set(metadata.tables) & _tables(fresh_database_url)
    assert current_revision(url) is None
    assert main(["migrate", url, "--revision", "head"]) == 0
    assert set(metadata.tables) <= _tables(fresh_database_url)


@pytest.mark.parametrize(
    ("argv", "says"),
    [
        (["migrate", "sqlite:////no/such/directory/m.db"], "cannot reach the database"),
        (["migrate", "nonsense-scheme://x"], "cannot be parsed"),
        (["migrate", "sqlite://", "--revision", "9999"], "unknown meetlink revision"),
    ],
)
def test_cli_failures_are_one_line_and_exit_1(
    argv: list[str], says: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(argv) == 1
    err = capsys.readouterr().err
    assert err.startswith(f"meetlink {argv[0]}: error: ") and says in err
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1


def test_debug_shows_the_traceback(tmp_path: Path) -> None:
    with pytest.raises(StorageError):
        main(["--debug", "migrate", "sqlite:////no/such/directory/m.db"])


def test_usage_errors_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["emulator", "--port", "70000"])
    assert exit_info.value.code == 2
    assert "a port is a number from 0 to 65535" in capsys.readouterr().err
