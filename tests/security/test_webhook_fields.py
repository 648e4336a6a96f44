"""Webhook payload fields are checked as text before any storage lookup (issue 21,
finding 5): a correctly signed webhook whose ids hold a lone surrogate, a NUL or more
characters than any id has is a 400 from ``handle_webhook`` and through the routes, never a
UnicodeEncodeError (a 500) or a database error (a 503 the provider retries for days)."""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest

from meetlink.testing import Sandbox
from tests.app.conftest import make_world
from tests.integrations.hosts import Host, flask_host, starlette_host

T0 = datetime(2026, 12, 1, tzinfo=UTC)
WEBHOOK = "/meetlink/zoom/webhook"
BAD_TEXT = ["\ud800", "a\x00b", "u" * 10_000, ""]


@pytest.fixture
def sb() -> Iterator[Sandbox]:
    with Sandbox(now=T0, seed=8) as sandbox:
        sandbox.meetlink.start_trial("t1")
        sandbox.link_user("t1", "alice")
        yield sandbox


def _cases() -> list[tuple[str, dict[str, Any]]]:
    cases: list[tuple[str, dict[str, Any]]] = []
    for text in BAD_TEXT:
        cases.append(("app_deauthorized", {"user_id": text, "account_id": "a"}))
        cases.append(("endpoint.url_validation", {"plainToken": text}))
    return cases


@pytest.mark.parametrize(("event", "payload"), _cases())
def test_handle_webhook_answers_400_for_fields_that_are_no_ids(
    sb: Sandbox, event: str, payload: dict[str, Any]
) -> None:
    headers, body = sb.zoom.webhook(event, payload)
    reply = sb.meetlink.handle_webhook("zoom", headers, body)
    assert reply.status == 400, reply
    assert "error" in json.loads(reply.body)
    assert sb.meetlink.link("alice", tenant_id="t1") is not None  # nothing was unlinked


@pytest.mark.parametrize("framework", ["flask", "starlette"])
@pytest.mark.parametrize(("event", "payload"), _cases())
def test_the_routes_answer_400_too(
    sb: Sandbox, framework: str, event: str, payload: dict[str, Any]
) -> None:
    maker = flask_host if framework == "flask" else None
    with maker(sb.meetlink) if maker else starlette_host(sb.meetlink, use_async=False) as host:
        headers, body = sb.zoom.webhook(event, payload)
        assert _post(host, headers, body) == 400


def _post(host: Host, headers: dict[str, str], body: bytes) -> int:
    return host.post(WEBHOOK, headers, body).status


@pytest.mark.parametrize("text", BAD_TEXT[:3])
def test_a_host_provider_s_webhook_fields_are_checked_by_meetlink_too(text: str) -> None:
    """Whatever a provider's parser lets through, meetlink checks the ids it is about to
    look up and store (here the fake provider, which takes any ``user_id``)."""
    world = make_world()
    body = json.dumps({"event": "deauthorized", "user_id": text, "at": T0.isoformat()}).encode()
    signature = hmac.new(world.zoom.webhook_secret.encode(), body, hashlib.sha256).hexdigest()
    reply = world.meetlink.handle_webhook("zoom", {"x-fake-signature": signature}, body)
    assert reply.status == 400, reply
    world.meetlink.close()


def test_a_long_delivery_key_is_no_id_and_still_taken() -> None:
    """A delivery key is stored hashed when longer than an id, so a provider may make long
    ones (the fake's holds the whole user id and time); only its characters are checked."""
    world = make_world()
    account = "a" * 191
    body = json.dumps({"event": "deauthorized", "user_id": account, "at": T0.isoformat()}).encode()
    signature = hmac.new(world.zoom.webhook_secret.encode(), body, hashlib.sha256).hexdigest()
    reply = world.meetlink.handle_webhook("zoom", {"x-fake-signature": signature}, body)
    assert reply.status == 200, reply
    world.meetlink.close()
