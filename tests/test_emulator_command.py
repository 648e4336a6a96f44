"""``meetlink emulator`` as a host developer uses it: a real subprocess whose first stdout line
is the app's JSON, a MeetLink wired from that line alone, the consent page over HTTP, and the
``/_emulator/*`` control endpoints (users, remove-app with the signed webhook POSTed to
``--webhook-url``, webhook, fail-next, meetings, requests)."""

from __future__ import annotations

import json
import re
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from html import unescape
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
import pytest

from meetlink import ConferenceStatus, Event, MeetLink
from meetlink.adapters.mail import RecordingMailer
from meetlink.adapters.sqlalchemy import SqlStorage, generate_key
from meetlink.adapters.zoom import ZoomProvider


class WebhookSink:
    """A host's webhook route stand-in: records what was POSTed, answers 200."""

    def __init__(self) -> None:
        self.received: list[tuple[dict[str, str], bytes]] = []
        sink = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                sink.received.append(({k.lower(): v for k, v in self.headers.items()}, body))
                self.send_response(200)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/meetlink/zoom/webhook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def _start(*args: str) -> tuple[subprocess.Popen[str], dict[str, Any]]:
    process = subprocess.Popen(
        [sys.executable, "-m", "meetlink.cli", "emulator", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None
    first = process.stdout.readline()
    assert first, process.communicate(timeout=30)
    return process, json.loads(first)


def _stop(process: subprocess.Popen[str]) -> str:
    process.send_signal(signal.SIGTERM)
    out, err = process.communicate(timeout=30)
    assert process.returncode == 0, err
    return out


@pytest.fixture
def sink() -> Iterator[WebhookSink]:
    made = WebhookSink()
    yield made
    made.close()


def _allow(http: httpx.Client, authorize_url: str, email: str) -> dict[str, str]:
    """Sign in as ``email`` on the emulator's consent page and press Allow: the
    parameters of the redirect back to the host."""
    page = http.get(authorize_url)
    assert page.status_code == 200
    form = page.text.split('<form id="allow"', 1)[1].split("</form>", 1)[0]
    fields = {
        unescape(n): unescape(v) for n, v in re.findall(r'name="([^"]+)" value="([^"]*)"', form)
    }
    users = dict(re.findall(r'<option value="([^"]+)">([^<]+)</option>', form))
    fields["user_id"] = next(uid for uid, mail in users.items() if mail == email)
    answer = http.post(authorize_url.split("?", 1)[0], data=fields)
    assert answer.status_code == 302
    location = httpx.URL(answer.headers["location"])
    return dict(location.params)


def test_a_host_develops_against_the_zoom_emulator(sink: WebhookSink) -> None:
    process, app = _start("--user", "alice@example.com", "--webhook-url", sink.url, "--seed", "7")
    base = app["base_url"]
    try:
        assert set(app) >= {
            "base_url",
            "client_id",
            "client_secret",
            "redirect_uri",
            "webhook_secret",
        }
        assert app["redirect_uri"] == "http://127.0.0.1:8000/meetlink/zoom/callback"
        http = httpx.Client(base_url=base, timeout=30)
        control = http.get("/_emulator").json()
        assert (
            control["client_secret"] == app["client_secret"] and control["webhook_url"] == sink.url
        )
        assert http.post("/_emulator/users", json={"email": "bob@example.com"}).status_code == 201
        assert [u["email"] for u in http.get("/_emulator/users").json()] == [
            "alice@example.com",
            "bob@example.com",
        ]

        # A MeetLink wired from the first line alone.
        provider = ZoomProvider(
            client_id=app["client_id"],
            client_secret=app["client_secret"],
            redirect_uri=app["redirect_uri"],
            webhook_secrets=[app["webhook_secret"]],
            oauth_base_url=base,
            api_base_url=base,
        )
        storage = SqlStorage("sqlite://", encryption_keys=[generate_key()], create_schema=True)
        with MeetLink(storage=storage, providers=[provider], mailer=RecordingMailer()) as ml:
            ml.contract("t1")
            request = ml.begin_link("t1", "alice")
            params = _allow(http, request.authorize_url, "alice@example.com")
            ml.complete_link(params["state"], code=params["code"], user_id="alice", tenant_id="t1")

            start = datetime.now(UTC) + timedelta(days=1)
            event = Event(
                "e1", "t1", "alice", "Demo", start, start + timedelta(hours=1), web_meeting="zoom"
            )
            issued = ml.save_event(event).conference
            assert issued is not None and issued.status is ConferenceStatus.ISSUED
            meetings = http.get("/_emulator/meetings", params={"email": "alice@example.com"}).json()
            assert [str(m["id"]) for m in meetings] == [issued.meeting_id]
            assert http.get("/_emulator/meetings", params={"email": "bob@example.com"}).json() == []

            armed = http.post(
                "/_emulator/fail-next", json={"status": 503, "path": "/v2/users/me/meetings"}
            )
            assert armed.status_code == 200
            second = Event(
                "e2", "t1", "alice", "Demo 2", start, start + timedelta(hours=1), web_meeting="zoom"
            )
            pending = ml.save_event(second).conference
            assert pending is not None and pending.status is ConferenceStatus.PENDING
            assert http.post("/_emulator/fail-next", json={"stauts": 503}).status_code == 400
            assert http.post("/_emulator/fail-next", json={"count": 0}).status_code == 400

            validated = http.post(
                "/_emulator/webhook",
                json={"event": "endpoint.url_validation", "payload": {"plainToken": "tok"}},
            )
            assert validated.json()["webhook"]["status"] == 200
            removed = http.post("/_emulator/remove-app", json={"email": "alice@example.com"})
            assert removed.status_code == 200 and removed.json()["webhook"]["status"] == 200
            assert [json.loads(b)["event"] for _, b in sink.received] == [
                "endpoint.url_validation",
                "app_deauthorized",
            ]
            headers, body = sink.received[-1]
            assert ml.handle_webhook("zoom", headers, body).status == 200  # signed right
            assert ml.link("alice", tenant_id="t1") is None

        seen = [(r["method"], r["path"]) for r in http.get("/_emulator/requests").json()]
        assert ("POST", "/oauth/token") in seen and ("POST", "/v2/users/me/meetings") in seen
        assert not any(path.startswith("/_emulator") for _, path in seen)
        missing = http.post("/_emulator/remove-app", json={"email": "nobody@example.com"})
        assert missing.status_code == 404
        unknown = http.get("/_emulator/nothing")
        assert unknown.status_code == 404 and "/_emulator/fail-next" in unknown.json()["error"]
        http.close()
        assert process.stdout is not None  # the wiring hint for humans follows the JSON
        hint = "".join(process.stdout.readline() for _ in range(4))
        assert f"oauth_base_url={base!r}, api_base_url={base!r}" in hint
    finally:
        _stop(process)


def test_without_a_webhook_url_the_signed_webhook_is_handed_over() -> None:
    process, app = _start("--user", "alice@example.com")
    try:
        answer = httpx.post(
            f"{app['base_url']}/_emulator/remove-app", json={"email": "alice@example.com"}
        ).json()
        webhook = answer["webhook"]
        assert webhook["url"] is None and "x-zm-signature" in webhook["headers"]
        assert json.loads(webhook["body"])["event"] == "app_deauthorized"
    finally:
        _stop(process)


def test_the_teams_emulator(sink: WebhookSink) -> None:
    process, app = _start("--provider", "teams", "--user", "alice@contoso.example", "--port", "0")
    try:
        assert "webhook_secret" not in app and app["tenant_id"]
        assert app["redirect_uri"] == "http://127.0.0.1:8000/meetlink/teams/callback"
        base = app["base_url"]
        removed = httpx.post(
            f"{base}/_emulator/remove-app", json={"email": "alice@contoso.example"}
        )
        assert removed.status_code == 200 and removed.json()["webhook"] is None
        assert httpx.post(f"{base}/_emulator/webhook", json={"event": "x"}).status_code == 404
        assert httpx.get(f"{base}/_emulator/meetings").json() == []
    finally:
        _stop(process)


def test_a_port_in_use_is_a_usage_error() -> None:
    process, app = _start()
    try:
        port = app["base_url"].rsplit(":", 1)[1]
        second = subprocess.run(
            [sys.executable, "-m", "meetlink.cli", "emulator", "--port", port],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert second.returncode == 2
        assert f"cannot listen on 127.0.0.1:{port}" in second.stderr
    finally:
        _stop(process)


def test_latency_option_is_taken_and_every_request_answered() -> None:
    # Eight clients at once against an emulator started with --latency: each gets Zoom's
    # answer. That every answer waits the latency and that the server answers requests at
    # once are shown without a clock on the same serve() in tests/emulators/test_scaffold.py
    # (test_the_latency_is_waited_before_every_answer, test_served_requests_overlap).
    process, info = _start("--latency", "0.1")
    try:
        url = f"{info['base_url']}/v2/users/me"  # Zoom's path (the control paths never wait)
        answers: list[int] = []

        def ask() -> None:
            answers.append(httpx.get(url, timeout=120).status_code)

        threads = [threading.Thread(target=ask) for _ in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert answers == [401] * 8  # no token: Zoom's answer
    finally:
        _stop(process)
