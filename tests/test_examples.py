"""The complete examples under examples/ work as their docstrings say, driven like a browser
against ``meetlink emulator`` (a real subprocess): the Flask app served over loopback HTTP
(the emulator redirects to it and POSTs its webhook to it), the FastAPI app through its test
client, the Django project by ``manage.py runserver``; ``meetlink worker --app`` (Django:
``manage.py meetlink_worker``) delivers the mail."""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from html import unescape
from pathlib import Path
from typing import Any, NamedTuple
from urllib.parse import quote
from zoneinfo import ZoneInfo

import httpx
import pytest

from meetlink.adapters.sqlalchemy import generate_key

EXAMPLES = Path(__file__).parent.parent / "examples"


@pytest.fixture
def examples_on_path(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.syspath_prepend(str(EXAMPLES))


def _emulator(*args: str) -> tuple[subprocess.Popen[str], dict[str, Any]]:
    users = ["--user", "alice@example.com", "--user", "alice@evil.example"]
    process = subprocess.Popen(
        [sys.executable, "-m", "meetlink.cli", "emulator", *users, *args],
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


def _consent(http: httpx.Client, authorize_url: str, email: str = "alice@example.com") -> str:
    """The Zoom user ``email`` presses Allow on the emulator's page: the URL it redirects the
    browser to."""
    page = http.get(authorize_url)
    form = page.text.split('<form id="allow"', 1)[1].split("</form>", 1)[0]
    fields = {
        unescape(n): unescape(v) for n, v in re.findall(r'name="([^"]+)" value="([^"]*)"', form)
    }
    fields["user_id"] = re.findall(rf'<option value="([^"]+)">{re.escape(email)}<', form)[0]
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


class FlaskExample(NamedTuple):
    """The Flask example served on loopback, its emulator's first line and its settings."""

    base: str
    app: dict[str, Any]
    env: dict[str, str]


@pytest.fixture
def flask_example(
    examples_on_path: None,
    flask_server: tuple[str, LateApp],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[FlaskExample]:
    """examples/flask_app.py on a migrated database, against ``meetlink emulator`` (which
    redirects to it and POSTs its webhook to it)."""
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
        yield FlaskExample(base, app, env)
        meetlink.close()
    finally:
        _stop(emulator)


def test_the_flask_example_end_to_end(flask_example: FlaskExample, tmp_path: Path) -> None:
    base, app, env = flask_example
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


XSS = "<img src=x onerror=alert(1)>"


def _flask_browser(base: str, tenant: str, user: str) -> httpx.Client:
    browser = httpx.Client(base_url=base, timeout=30)
    browser.post("/login", data={"tenant": tenant, "user": user})
    browser.post("/settings/trial")
    return browser


def _flask_link(browser: httpx.Client, email: str) -> None:
    to_zoom = browser.post("/settings/link")
    assert to_zoom.status_code == 302
    back = httpx.URL(_consent(browser, to_zoom.headers["location"], email))
    settings = browser.get(back.raw_path.decode(), follow_redirects=True)
    assert f"linked to {email}" in settings.text


def _flask_event(browser: httpx.Client, event_id: str, title: str) -> str:
    start = datetime.now(ZoneInfo("Asia/Tokyo")) + timedelta(days=1)
    created = browser.post(
        "/events/new",
        data={
            "event_id": event_id,
            "title": title,
            "start": start.strftime("%Y-%m-%dT%H:%M"),
            "participants": "bob@example.com",
            "web_meeting": "zoom",
        },
        follow_redirects=True,
    )
    assert created.status_code == 200, created.text
    join: list[str] = re.findall(r'<a id=join href="([^"]+)"', created.text)
    assert len(join) == 1
    return join[0]


def test_the_flask_example_keeps_two_tenants_apart(flask_example: FlaskExample) -> None:
    """Issue 20, finding 3: two companies with the same user id ``alice`` and the same event
    id ``standup``: neither reads, starts, deletes or unlinks the other's, and a page never
    reflects what the browser sent as markup."""
    base, app, _ = flask_example
    acme = _flask_browser(base, "acme", "alice")
    evil = _flask_browser(base, "evil", "alice")
    _flask_link(acme, "alice@example.com")
    acme_url = _flask_event(acme, "standup", "Acme stand-up")

    # evil's alice: not acme's link, not acme's event.
    assert "not linked" in evil.get("/settings").text
    assert evil.get("/events/standup").status_code == 404
    started = evil.post("/events/standup/start")
    assert started.status_code == 403 and "/s/" not in started.headers.get("location", "")
    assert evil.post("/events/standup/delete").status_code == 404
    assert evil.post("/settings/unlink").status_code == 302
    assert "linked to alice@example.com" in acme.get("/settings").text
    meetings = httpx.get(f"{app['base_url']}/_emulator/meetings").json()
    assert [m["join_url"] for m in meetings] == [acme_url]

    # evil links its own Zoom account and saves its own "standup": two meetings.
    _flask_link(evil, "alice@evil.example")
    assert "linked to alice@example.com" in acme.get("/settings").text
    evil_url = _flask_event(evil, "standup", "Evil stand-up")
    assert evil_url != acme_url
    assert acme_url in acme.get("/events/standup").text
    assert evil_url not in acme.get("/events/standup").text
    assert evil.post("/events/standup/delete").status_code == 302
    meetings = httpx.get(f"{app['base_url']}/_emulator/meetings").json()
    assert [m["join_url"] for m in meetings] == [acme_url]
    assert acme_url in acme.get("/events/standup").text
    own = acme.post("/events/standup/start")
    assert own.status_code == 302 and "/s/" in own.headers["location"]

    # Nothing the browser sends comes back as markup.
    reflected = evil.post(f"/events/{quote(XSS, safe='')}/start")
    assert reflected.status_code == 403
    assert XSS not in reflected.text and "&lt;img" in reflected.text
    bad = evil.post("/events/new", data={"title": "x", "start": XSS})
    assert bad.status_code == 400 and XSS not in bad.text and "&lt;img" in bad.text
    start = datetime.now(ZoneInfo("Asia/Tokyo")) + timedelta(days=2)
    titled = evil.post(
        "/events/new",
        data={"event_id": XSS, "title": XSS, "start": start.strftime("%Y-%m-%dT%H:%M")},
        follow_redirects=True,
    )
    assert titled.status_code == 200 and XSS not in titled.text and "&lt;img" in titled.text
    acme.close()
    evil.close()


def test_the_fastapi_example_keeps_two_tenants_apart(
    examples_on_path: None, tmp_path: Path
) -> None:
    """Issue 20, finding 3, through the JSON API: ``evil``'s alice neither reads, starts nor
    deletes ``acme``'s event ``standup`` nor sees acme's alice's Zoom link."""
    from fastapi.testclient import TestClient

    emulator, app = _emulator()
    env = _environment(app, tmp_path)
    try:
        assert _run(["migrate", env["DATABASE_URL"]], env).returncode == 0
        os.environ.update(env)
        try:
            import fastapi_app

            application = fastapi_app.create_app()
            with (
                TestClient(application, follow_redirects=False) as acme,
                TestClient(application, follow_redirects=False) as evil,
            ):
                for client, tenant in ((acme, "acme"), (evil, "evil")):
                    client.post("/login", json={"tenant": tenant, "user": "alice"})
                    assert client.post("/trial").json() == {"addon": "trial"}

                def link(client: TestClient, email: str) -> None:
                    to_zoom = client.get("/link/zoom").headers["location"]
                    with httpx.Client(timeout=30) as zoom_browser:
                        back = httpx.URL(_consent(zoom_browser, to_zoom, email))
                    done = client.get(back.raw_path.decode())
                    assert done.headers["location"] == "/me?meetlink=linked&provider=zoom"

                link(acme, "alice@example.com")
                start = datetime.now(ZoneInfo("Asia/Tokyo")) + timedelta(days=1)
                body = {
                    "title": "Stand-up",
                    "start": start.isoformat(),
                    "end": (start + timedelta(minutes=15)).isoformat(),
                    "participants": ["bob@example.com"],
                    "web_meeting": "zoom",
                }
                saved = acme.put("/events/standup", json=body).json()
                acme_url = saved["conference"]["join_url"]
                assert acme_url

                assert evil.get("/me").json()["zoom"] is None
                assert evil.get("/events/standup").status_code == 404
                assert evil.get("/events/standup/start").status_code == 403
                assert evil.delete("/events/standup").json() == {"deleted": False}
                assert evil.post("/unlink/zoom").json() == {"unlinked": False}
                assert acme.get("/me").json()["zoom"]["email"] == "alice@example.com"
                assert acme.get("/events/standup").json()["conference"]["join_url"] == acme_url

                link(evil, "alice@evil.example")
                mine = evil.put("/events/standup", json=body).json()["conference"]
                assert mine["join_url"] and mine["join_url"] != acme_url
                assert acme.get("/me").json()["zoom"]["email"] == "alice@example.com"
                assert evil.delete("/events/standup").json() == {"deleted": True}
                assert acme.get("/events/standup").json()["conference"]["join_url"] == acme_url
                started = acme.get("/events/standup/start")
                assert started.status_code == 303 and "/s/" in started.headers["location"]
                meetings = httpx.get(f"{app['base_url']}/_emulator/meetings").json()
                assert [m["join_url"] for m in meetings] == [acme_url]
        finally:
            for name in env:
                os.environ.pop(name, None)
    finally:
        _stop(emulator)


DJANGO_EXAMPLE = EXAMPLES / "django_app"


class DjangoExample(NamedTuple):
    """examples/django_app served by ``manage.py runserver`` on loopback, its emulator's
    first line and its settings."""

    base: str
    app: dict[str, Any]
    env: dict[str, str]


def _manage(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=DJANGO_EXAMPLE,
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@pytest.fixture
def django_example(tmp_path: Path) -> Iterator[DjangoExample]:
    """examples/django_app as its docstring runs it: ``migrate`` (the host's table),
    ``meetlink_migrate`` (meetlink's, in the same SQLite file), ``runserver``; against
    ``meetlink emulator``, which redirects to it and POSTs its webhook to it."""
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    emulator, app = _emulator(
        "--redirect-uri", f"{base}/meetlink/zoom/callback",
        "--webhook-url", f"{base}/meetlink/zoom/webhook",
    )  # fmt: skip
    env = {
        **_environment(app, tmp_path),
        "DJANGO_DATABASE": str(tmp_path / "site.db"),
        "DJANGO_SECRET_KEY": generate_key(),
    }
    server = None
    log = (tmp_path / "server.log").open("w")
    try:
        for command in (["migrate"], ["meetlink_migrate"]):
            done = _manage(command, env)
            assert done.returncode == 0, done.stderr
        server = subprocess.Popen(
            [sys.executable, "manage.py", "runserver", f"127.0.0.1:{port}", "--noreload"],
            cwd=DJANGO_EXAMPLE,
            env={**os.environ, **env},
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        for _ in range(600):
            assert server.poll() is None, (tmp_path / "server.log").read_text()
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except ConnectionRefusedError:
                time.sleep(0.1)
        yield DjangoExample(base, app, env)
    finally:
        if server is not None:
            server.terminate()
            server.wait(timeout=30)
        log.close()
        _stop(emulator)


def _django_browser(base: str, tenant: str, user: str) -> httpx.Client:
    """A browser signed in to the Django example: it sends Django's CSRF token with each of its
    POSTs to the example (as a form's hidden field would), never to Zoom."""
    browser = httpx.Client(base_url=base, timeout=30)
    site = httpx.URL(base)

    def csrf(request: httpx.Request) -> None:
        token = browser.cookies.get("csrftoken")
        if request.method == "POST" and request.url.port == site.port and token:
            request.headers["X-CSRFToken"] = token

    browser.event_hooks["request"] = [csrf]
    assert "csrfmiddlewaretoken" in browser.get("/").text  # the sign-in form: the cookie
    browser.post("/login", data={"tenant": tenant, "user": user})
    return browser


def test_the_django_example_end_to_end(django_example: DjangoExample, tmp_path: Path) -> None:
    base, app, env = django_example
    browser = _django_browser(base, "acme", "alice")
    assert "not linked" in browser.get("/settings").text
    assert browser.post("/settings/link").status_code == 409  # no add-on yet
    forged = httpx.post(f"{base}/settings/trial", cookies=browser.cookies)
    assert forged.status_code == 403  # no CSRF token: Django refuses
    browser.post("/settings/trial")
    _flask_link(browser, "alice@example.com")  # the same pages as the Flask example

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
    assert join and [m["join_url"] for m in meetings] == join
    started = browser.post(f"{created.url.path}/start")
    assert started.status_code == 302 and "/s/" in started.headers["location"]

    worker = _manage(["meetlink_worker", "--once"], env)
    assert worker.returncode == 0, worker.stderr
    mails = sorted((tmp_path / "mail").glob("*.eml"))
    assert len(mails) == 2 and b"calendar@example.com" in mails[0].read_bytes()

    removed = browser.post(
        f"{app['base_url']}/_emulator/remove-app", json={"email": "alice@example.com"}
    )
    assert removed.json()["webhook"]["status"] == 200  # POSTed to Django, no CSRF token
    assert "not linked" in browser.get("/settings").text
    browser.close()


def test_the_django_example_keeps_two_tenants_apart(django_example: DjangoExample) -> None:
    """Two companies with the same user id ``alice`` and the same event id ``standup``:
    neither reads, starts, deletes or unlinks the other's; nothing the browser sent comes back
    as markup."""
    base, app, _ = django_example
    acme = _django_browser(base, "acme", "alice")
    evil = _django_browser(base, "evil", "alice")
    for browser in (acme, evil):
        browser.post("/settings/trial")
    _flask_link(acme, "alice@example.com")
    acme_url = _flask_event(acme, "standup", "Acme stand-up")
    assert "not linked" in evil.get("/settings").text
    assert evil.get("/events/standup").status_code == 404
    started = evil.post("/events/standup/start")
    assert started.status_code == 403 and "/s/" not in started.headers.get("location", "")
    assert evil.post("/events/standup/delete").status_code == 404
    assert evil.post("/settings/unlink").status_code == 302
    assert "linked to alice@example.com" in acme.get("/settings").text

    _flask_link(evil, "alice@evil.example")
    evil_url = _flask_event(evil, "standup", "Evil stand-up")
    assert evil_url != acme_url and evil_url not in acme.get("/events/standup").text
    assert evil.post("/events/standup/delete").status_code == 302
    meetings = httpx.get(f"{app['base_url']}/_emulator/meetings").json()
    assert [m["join_url"] for m in meetings] == [acme_url]
    own = acme.post("/events/standup/start")
    assert own.status_code == 302 and "/s/" in own.headers["location"]

    reflected = evil.post(f"/events/{quote(XSS, safe='')}/start")
    assert reflected.status_code == 403
    assert XSS not in reflected.text and "&lt;img" in reflected.text
    start = datetime.now(ZoneInfo("Asia/Tokyo")) + timedelta(days=2)
    titled = evil.post(
        "/events/new",
        data={"event_id": "x", "title": XSS, "start": start.strftime("%Y-%m-%dT%H:%M")},
        follow_redirects=True,
    )
    assert titled.status_code == 200 and XSS not in titled.text and "&lt;img" in titled.text
    acme.close()
    evil.close()
