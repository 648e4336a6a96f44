"""``meetlink demo --web``: serves the app until SIGTERM, says in one line how to install
Flask when it is missing, and refuses a port in use."""

from __future__ import annotations

import re
import signal
import socket
import subprocess
import sys
from pathlib import Path

import httpx


def _run(*args: str, code: str | None = None) -> subprocess.Popen[str]:
    command = [sys.executable, "-c", code] if code else [sys.executable, "-m", "meetlink.cli"]
    return subprocess.Popen(
        [*command, *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )


def test_serves_until_sigterm(tmp_path: Path) -> None:
    process = _run("demo", "--web", "--port", "0", "--dir", str(tmp_path))
    assert process.stdout is not None
    first = process.stdout.readline()
    match = re.fullmatch(r"meetlink web demo: (http://127\.0\.0\.1:\d+)/\n", first)
    assert match, first
    try:
        page = httpx.get(match.group(1) + "/calendar", timeout=30)
        assert page.status_code == 200 and "worker thread" in page.text
        assert (tmp_path / "meetlink.sqlite").exists()
    finally:
        process.send_signal(signal.SIGTERM)
        out, err = process.communicate(timeout=60)
    assert process.returncode == 0, err
    assert "stopped" in out and "GET /calendar" not in err  # no request log (OAuth codes)


def test_without_flask_it_says_how_to_install_it_in_one_line() -> None:
    hide_flask = (
        "import sys; sys.modules['flask'] = None; from meetlink.cli import main; "
        "sys.exit(main(sys.argv[1:]))"
    )
    process = _run("demo", "--web", code=hide_flask)
    out, err = process.communicate(timeout=60)
    assert process.returncode == 1 and out == ""
    assert len(err.splitlines()) == 1 and "pip install 'meetlink[web]'" in err


def test_a_port_in_use_is_a_usage_error() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        process = _run("demo", "--web", "--port", str(port))
        _, err = process.communicate(timeout=60)
    assert process.returncode == 2
    assert f"cannot listen on 127.0.0.1:{port}" in err and "--port" in err
