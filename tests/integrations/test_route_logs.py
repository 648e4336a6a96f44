"""Every refusal the ready-made routes (Flask, Starlette, Starlette over AsyncMeetLink, Django's
sync and async views) turn into a redirect or an HTTP answer leaves one log line on
``meetlink.integrations``: WARNING for what the host must fix, INFO for what a user or a stray
request did, with the error's own message and no secret."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import AbstractContextManager
from urllib.parse import urlencode

import pytest

from meetlink import LinkError, MeetLink
from meetlink.adapters.mail import RecordingMailer
from meetlink.adapters.memory.storage import InMemoryStorage
from meetlink.adapters.zoom import ZoomProvider
from meetlink.integrations import endpoints
from meetlink.testing import Sandbox

from .hosts import Host, django_host, flask_host, starlette_host
from .test_routes import CALLBACK, T0, WEBHOOK, _consent

LOGGER = "meetlink.integrations"
SHELLS = ["flask", "starlette", "starlette-async", "django", "django-async"]


def _host(shell: str, meetlink: MeetLink) -> AbstractContextManager[Host]:
    if shell == "flask":
        return flask_host(meetlink)
    if shell.startswith("django"):
        return django_host(meetlink, use_async=shell == "django-async")
    return starlette_host(meetlink, use_async=shell == "starlette-async")


@pytest.fixture
def sandbox() -> Iterator[Sandbox]:
    with Sandbox(now=T0, seed=3) as sb:
        sb.meetlink.start_trial("t1")
        yield sb


@pytest.fixture(params=SHELLS)
def host(request: pytest.FixtureRequest, sandbox: Sandbox) -> Iterator[Host]:
    with _host(request.param, sandbox.meetlink) as made:
        made.session.user = ("t1", "alice")
        yield made


def _lines(caplog: pytest.LogCaptureFixture) -> list[tuple[int, str]]:
    found = [(r.levelno, r.getMessage()) for r in caplog.records if r.name == LOGGER]
    caplog.clear()
    return found


def _one(caplog: pytest.LogCaptureFixture, level: int, *words: str) -> str:
    [(seen, line)] = _lines(caplog)
    assert seen == level, line
    for word in words:
        assert word in line, (word, line)
    return line


@pytest.fixture(autouse=True)
def _capture(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger=LOGGER)


def test_callback_refusals_by_a_user_or_a_stray_request_are_info(
    host: Host, sandbox: Sandbox, caplog: pytest.LogCaptureFixture
) -> None:
    info = logging.INFO
    host.get("/meetlink/skype/callback?state=abc")
    _one(caplog, info, "callback", "404", "no such provider")
    host.get(f"{CALLBACK}?{urlencode({'code': 'abc'})}")
    _one(caplog, info, "callback", "(zoom)", "400", "no 'state'")
    host.get(f"{CALLBACK}?{urlencode({'state': 'x' * 5000})}")
    _one(caplog, info, "400", "malformed")

    denied, _ = _consent(sandbox, allow=False)
    host.get(f"{CALLBACK}?{urlencode(denied)}")
    _one(caplog, info, "meetlink=denied", "LinkDenied")

    params, _ = _consent(sandbox)
    host.get(
        f"{CALLBACK}?{urlencode({'state': params['state'], 'error': 'admin_approval_required'})}"
    )
    _one(caplog, info, "meetlink=admin_approval_required", "AdminApprovalRequired")

    host.get(f"{CALLBACK}?{urlencode({'state': 'never-issued', 'code': 'x'})}")
    _one(caplog, info, "meetlink=expired", "InvalidLinkState")

    params, _ = _consent(sandbox)
    host.session.user = None
    host.get(f"{CALLBACK}?{urlencode(params)}")
    _one(caplog, info, "meetlink=not_signed_in", "nobody is signed in")


@pytest.mark.parametrize("shell", SHELLS)
def test_a_wrong_client_secret_is_a_warning_with_zooms_words(
    shell: str, sandbox: Sandbox, caplog: pytest.LogCaptureFixture
) -> None:
    wrong = ZoomProvider(
        client_id=sandbox.zoom.client_id,
        client_secret="the-wrong-secret",
        redirect_uri=sandbox.zoom.redirect_uri,
        webhook_secrets=sandbox.zoom.webhook_secret,
        transport=sandbox.zoom.transport(),
        clock=sandbox.clock,
    )
    ml = MeetLink(storage=InMemoryStorage(), providers=[wrong], mailer=RecordingMailer(),
                  clock=sandbox.clock)  # fmt: skip
    ml.start_trial("t1")
    user = sandbox.zoom.add_user("alice@corp.example")
    params = sandbox.zoom.consent(ml.begin_link("t1", "alice").authorize_url, user)
    with _host(shell, ml) as host:
        host.session.user = ("t1", "alice")
        reply = host.get(f"{CALLBACK}?{urlencode(params)}")
    assert reply.location is not None and "meetlink=rejected" in reply.location
    line = _one(caplog, logging.WARNING, "meetlink=rejected", "ProviderRejected",
                "Invalid client_id or client_secret")  # fmt: skip
    for secret in ("the-wrong-secret", sandbox.zoom.client_secret, params["code"], params["state"]):
        assert secret not in caplog.text and secret not in line
    ml.close()
    wrong.close()


def test_an_unmigrated_database_and_an_outage_are_warnings(
    host: Host, sandbox: Sandbox, caplog: pytest.LogCaptureFixture
) -> None:
    params, _ = _consent(sandbox, "bob")
    host.session.user = ("t1", "bob")
    sandbox.zoom.fail_next(status=503, path="/oauth/token")
    host.get(f"{CALLBACK}?{urlencode(params)}")
    _one(caplog, logging.WARNING, "meetlink=unavailable", "ProviderUnavailable")

    params, _ = _consent(sandbox)
    host.session.user = ("t1", "alice")
    deauthorized = sandbox.zoom.webhook("app_deauthorized", {"user_id": "u", "account_id": "a"})
    sandbox.storage.drop_schema()  # as a database nobody migrated
    host.get(f"{CALLBACK}?{urlencode(params)}")
    _one(caplog, logging.WARNING, "meetlink=unavailable", "StorageError", "meetlink migrate")
    assert host.post(WEBHOOK, *deauthorized).status == 503
    _one(caplog, logging.WARNING, "webhook", "503", "StorageError", "meetlink migrate")


def test_webhook_refusals(host: Host, sandbox: Sandbox, caplog: pytest.LogCaptureFixture) -> None:
    headers, body = sandbox.zoom.webhook("endpoint.url_validation", {"plainToken": "abc"})
    assert host.post(WEBHOOK, headers, body + b" ").status == 401
    line = _one(caplog, logging.WARNING, "webhook", "(zoom)", "401")
    assert sandbox.zoom.webhook_secret not in line
    assert host.post("/meetlink/skype/webhook", {}, b"{}").status == 404
    _one(caplog, logging.INFO, "webhook", "404", "unknown provider")
    big = {"content-type": "application/json", "content-length": str(2 << 20)}
    assert host.post(WEBHOOK, big, b"x" * (2 << 20)).status == 413
    _one(caplog, logging.INFO, "webhook", "413")
    assert host.post(WEBHOOK, headers, body).status == 200
    assert _lines(caplog) == []  # an accepted webhook logs no refusal


def test_a_refusal_is_logged_on_one_line(
    host: Host, sandbox: Sandbox, caplog: pytest.LogCaptureFixture
) -> None:
    params, _ = _consent(sandbox)
    forged = {
        "state": params["state"],
        "error": "access_denied",
        "error_description": "no\nWARNING meetlink: forged line",
    }
    host.get(f"{CALLBACK}?{urlencode(forged)}")  # refused as input: its text is not echoed
    line = _one(caplog, logging.INFO, "400", "control characters")
    assert "forged" not in line
    # A provider's own words (an error message it sent) may hold line breaks: one line.
    said = LinkError("Zoom said:\nERROR meetlink forged\u2028line " + "x" * 1000)
    endpoints.callback_failed("/", None, "zoom", said)
    line = _one(caplog, logging.WARNING, "meetlink=rejected", "Zoom said: ERROR meetlink forged")
    assert "\n" not in line and "\u2028" not in line and len(line) < 400
