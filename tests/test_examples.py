"""The complete examples under examples/ work as their docstrings say, driven like a browser
against ``meetlink emulator`` (a real subprocess): the Flask app served over loopback HTTP
(the emulator redirects to it and POSTs its webhook to it), the FastAPI app through its test
client; ``meetlink worker --app`` delivers the mail."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from html import unescape
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest

from meetlink.adapters.sqlalchemy import generate_key

EXAMPLES = Path(__file__).parent.parent / "examples"


@pytest.fixture
def examples_on_path(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.syspath_prepend(str(EXAMPLES))


def _emulator(*args: str) -> tuple[subprocess.Popen[str], dict[str, Any]]:
    process = subprocess.Popen(
        [sys.executable, "-m", "meetlink.cli", "emulator", "--user", "alice@example.com", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None
    return process, json.loads(process.stdout.readline())


def _stop(process: subprocess.Popen[str]) -> None:
    process.send_signal(signal.SIGTERM)
    process.communicate(timeout=30)
    assert process.returncode == 0


def _environment(app: dict[str, Any], tmp_path: Path) -> dict[str, str]:
    """The example's settings, as its docstring says to export them."""
    return {
        "ZOOM_CLIENT_ID": app["client_id"],
        "ZOOM_CLIENT_SECRET": app["client_secret"],
        "ZOOM_WEBHOOK_SECRET": app["webhook_secret"],
        "ZOOM_REDIRECT_URI": app["redirect_uri"],
        "ZOOM_BASE_URL": app["base_url"],
        "MEETLINK_KEY": generate_key(),
        "DATABASE_URL": f"sqlite:///{tmp_path / 'example.db'}",
        "MAIL_DIR": str(tmp_path / "mail"),
    }


def _consent(http: httpx.Client, authorize_url: str) -> str:
    """alice presses Allow on the emulator's page: the URL it redirects the browser to."""
    page = http.get(authorize_url)
    form = page.text.split('<form id="allow"', 1)[1].split("</form>", 1)[0]
    fields = {
        unescape(n): unescape(v) for n, v in re.findall(r'name="([^"]+)" value="([^"]*)"', form)
    }
    fields["user_id"] = re.findall(r'<option value="([^"]+)">alice@example.com<', form)[0]
    answer = http.post(authorize_url.split("?", 1)[0], data=fields)
    assert answer.status_code == 302
    return answer.headers["location"]


def _run(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "meetlink.cli", *args],
        cwd=EXAMPLES,
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


class LateApp:
    """A WSGI server's app, set once the emulator (which must know the server's port) runs."""

    def __init__(self) -> None:
        self.app: Callable[..., Any] | None = None

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        assert self.app is not None
        return self.app(environ, start_response)


@pytest.fixture
def flask_server() -> Iterator[tuple[str, LateApp]]:
    from werkzeug.serving import make_server

    late = LateApp()
    server = make_server("127.0.0.1", 0, late, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}", late
    server.shutdown()


def test_the_flask_example_end_to_end(
    examples_on_path: None,
    flask_server: tuple[str, LateApp],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    base, late = flask_server
    emulator, app = _emulator(
        "--redirect-uri", f"{base}/meetlink/zoom/callback",
        "--webhook-url", f"{base}/meetlink/zoom/webhook",
    )  # fmt: skip
    env = _environment(app, tmp_path)
    try:
        assert _run(["migrate", env["DATABASE_URL"]], env).returncode == 0
        for name, value in env.items():
            monkeypatch.setenv(name, value)
        import flask_app

        meetlink = flask_app.build_meetlink()
        late.app = flask_app.create_app(meetlink)
        browser = httpx.Client(base_url=base, timeout=30)
        browser.post("/login", data={"tenant": "acme", "user": "alice"})
        assert "not linked" in browser.get("/settings").text
        assert browser.post("/settings/link").status_code == 409  # no add-on yet
        browser.post("/settings/trial")
        to_zoom = browser.post("/settings/link")
        assert to_zoom.status_code == 302
        back = httpx.URL(_consent(browser, to_zoom.headers["location"]))
        settings = browser.get(back.raw_path.decode(), follow_redirects=True)
        assert "the account is linked" in settings.text
        assert "linked to alice@example.com" in settings.text

        start = datetime.now(ZoneInfo("Asia/Tokyo")) + timedelta(days=1)
        created = browser.post(
            "/events/new",
            data={
                "title": "Kick-off",
                "start": start.strftime("%Y-%m-%dT%H:%M"),
                "minutes": "45",
                "participants": "bob@example.com, carol@example.com",
                "web_meeting": "zoom",
            },
            follow_redirects=True,
        )
        join = re.findall(r'<a id=join href="([^"]+)"', created.text)
        meetings = browser.get(f"{app['base_url']}/_emulator/meetings").json()
        assert [m["join_url"] for m in meetings] == join
        started = browser.post(f"{created.url.path}/start")
        assert started.status_code == 302 and "/s/" in started.headers["location"]

        worker = _run(["worker", "--app", "flask_app:build_meetlink", "--once"], env)
        assert worker.returncode == 0, worker.stderr
        mails = sorted((tmp_path / "mail").glob("*.eml"))
        assert len(mails) == 2 and b"calendar@example.com" in mails[0].read_bytes()

        removed = browser.post(
            f"{app['base_url']}/_emulator/remove-app", json={"email": "alice@example.com"}
        )
        assert removed.json()["webhook"]["status"] == 200  # POSTed to the Flask app
        assert "not linked" in browser.get("/settings").text
        browser.close()
        meetlink.close()
    finally:
        _stop(emulator)


def test_the_fastapi_example(examples_on_path: None, tmp_path: Path) -> None:
    from fastapi.testclient import TestClient

    emulator, app = _emulator()  # default redirect URI: http://127.0.0.1:8000/meetlink/...
    env = _environment(app, tmp_path)
    try:
        assert _run(["migrate", env["DATABASE_URL"]], env).returncode == 0
        os.environ.update(env)
        try:
            import fastapi_app

            with TestClient(fastapi_app.create_app(), follow_redirects=False) as client:
                assert client.get("/me").status_code == 401
                client.post("/login", json={"tenant": "acme", "user": "alice"})
                assert client.get("/link/zoom").status_code == 409
                assert client.post("/trial").json() == {"addon": "trial"}
                to_zoom = client.get("/link/zoom").headers["location"]
                with httpx.Client(timeout=30) as zoom_browser:
                    back = httpx.URL(_consent(zoom_browser, to_zoom))
                assert back.host == "127.0.0.1" and back.port == 8000
                done = client.get(back.raw_path.decode())
                assert done.headers["location"] == "/me?meetlink=linked&provider=zoom"
                assert client.get("/me").json()["zoom"]["email"] == "alice@example.com"

                start = datetime.now(ZoneInfo("Asia/Tokyo")) + timedelta(days=1)
                body = {
                    "title": "Kick-off",
                    "start": start.isoformat(),
                    "end": (start + timedelta(hours=1)).isoformat(),
                    "participants": ["bob@example.com"],
                    "web_meeting": "zoom",
                }
                saved = client.put("/events/e1", json=body).json()
                assert saved["conference"]["status"] == "issued", saved
                assert client.get("/events/e1").json() == {"conference": saved["conference"]}
                bad = client.put("/events/e2", json={**body, "end": body["start"]})
                assert bad.status_code == 422 and "end" in bad.json()["detail"]

                signed = httpx.post(
                    f"{app['base_url']}/_emulator/remove-app", json={"email": "alice@example.com"}
                ).json()["webhook"]  # no --webhook-url: the signed webhook is handed over
                answer = client.post(
                    "/meetlink/zoom/webhook",
                    headers=signed["headers"],
                    content=signed["body"].encode(),
                )
                assert answer.status_code == 200
                assert client.get("/me").json()["zoom"] is None
                assert client.delete("/events/e1").json() == {"deleted": True}
        finally:
            for name in env:
                os.environ.pop(name, None)
        worker = _run(["worker", "--app", "fastapi_app:build_meetlink", "--once"], env)
        assert worker.returncode == 0, worker.stderr
    finally:
        _stop(emulator)
