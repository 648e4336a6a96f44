"""The ``meetlink`` command: the demo story passes, the other commands work."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from meetlink.cli import main


def test_demo_tells_the_whole_story_and_exits_0(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["demo", "--dir", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    for rule in ("S1/S12", "S2", "S3", "S4", "S5", "S9", "S10", "S13", "S14", "S16", "S17"):
        assert f"{rule}]" in out, rule
    assert "demo finished: every step did what it says" in out
    assert "each read back by two parsers as sent" in out
    # R2: the weekly meeting's update skips one week and moves another, in one raised SEQUENCE
    for line in ("RRULE:FREQ=WEEKLY;COUNT=8", "SEQUENCE:1", "EXDATE;TZID=", "RECURRENCE-ID;TZID="):
        assert line in out, line
    assert len(list((tmp_path / "mail").glob("*.eml"))) >= 10


@pytest.mark.meetlink_unchecked_mail  # its mail is lossy on purpose
def test_demo_fails_when_a_mail_reads_back_differently(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A composer whose Subject loses its spaces on the wire, as the email package's own
    # folding did (RFC 2047 6.2): the demo must notice from the .eml files alone.
    from email import policy
    from email.headerregistry import BaseHeader, HeaderRegistry, UnstructuredHeader
    from email.policy import Policy

    from meetlink import demo
    from meetlink.adapters.mail import composer

    class SpaceDropping(UnstructuredHeader, BaseHeader):  # the registry adds BaseHeader
        def fold(self, *, policy: Policy) -> str:
            return f"{self.name}: {str(self).replace(' ', '')}{policy.linesep}"

    registry = HeaderRegistry()
    registry.map_to_type("subject", SpaceDropping)
    lossy = policy.SMTP.clone(header_factory=registry)
    monkeypatch.setattr(composer, "header_policy", lambda charset: lossy)
    with pytest.raises(demo.DemoFailed, match="reads back as sent"):
        demo.run_demo(str(tmp_path), verbose=False)


def test_help_and_keygen(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["--help"])
    assert exit_info.value.code == 0
    assert "demo" in capsys.readouterr().out
    assert main(["keygen"]) == 0
    key = capsys.readouterr().out.strip()
    from cryptography.fernet import Fernet

    Fernet(key.encode())  # a valid key


def test_migrate_creates_the_tables(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'm.db'}"
    result = subprocess.run(
        [sys.executable, "-m", "meetlink.cli", "migrate", url],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    import sqlalchemy as sa

    engine = sa.create_engine(url)
    try:
        assert "meetlink_events" in sa.inspect(engine).get_table_names()
    finally:
        engine.dispose()


def test_migrate_to_base_leaves_nothing_of_meetlink(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'm.db'}"
    for revision in ("head", "base"):
        result = subprocess.run(
            [sys.executable, "-m", "meetlink.cli", "migrate", url, "--revision", revision],
            capture_output=True,
            text=True,
            check=False,
        )
        assert result.returncode == 0, result.stderr
    import sqlalchemy as sa

    engine = sa.create_engine(url)
    try:
        left = [t for t in sa.inspect(engine).get_table_names() if t.startswith("meetlink")]
    finally:
        engine.dispose()
    assert left == []  # meetlink_alembic_version included


def test_every_option_has_help_text() -> None:
    import argparse

    from meetlink.cli import build_parser

    parser = build_parser()
    (commands,) = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    assert set(commands.choices) == {"demo", "migrate", "keygen", "emulator", "worker"}
    for name, sub in [("meetlink", parser), *commands.choices.items()]:
        for action in sub._actions:
            if not isinstance(action, argparse._HelpAction | argparse._SubParsersAction):
                assert action.help, f"{name} {action.option_strings or action.dest}"
