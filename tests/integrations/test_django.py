"""What only Django's URL patterns have: the CSRF exemption of the webhook alone, sync views
refusing an AsyncMeetLink, a plain ``current_user`` kept off the event loop in async views,
the prefix and URL names, and ``limit_webhook_bodies`` refusing an oversized body before
Django copies it. The answers themselves are tests/integrations/test_routes.py's, run on
Django's sync and async views there."""

from __future__ import annotations

import asyncio
import types
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest

from meetlink import ConfigurationError
from meetlink.aio import AsyncMeetLink
from meetlink.integrations.endpoints import MAX_WEBHOOK_BYTES
from meetlink.testing import Sandbox

from .hosts import configure_django, django_host

T0 = datetime(2026, 12, 1, tzinfo=UTC)


@pytest.fixture
def sandbox() -> Iterator[Sandbox]:
    configure_django()
    with Sandbox(now=T0, seed=3) as sb:
        sb.meetlink.start_trial("t1")
        yield sb


def test_only_the_webhook_is_exempt_from_csrf(sandbox: Sandbox) -> None:
    for use_async in (False, True):
        with django_host(sandbox.meetlink, use_async=use_async) as host:
            # CSRF checks enforced: a POST to the callback is refused by Django's middleware...
            assert host.post("/meetlink/zoom/callback?state=x", {}, b"").status == 403
            # ... and a POST to the webhook reaches meetlink (401: unsigned)
            unsigned = host.post("/meetlink/zoom/webhook", {"content-type": "text/plain"}, b"{}")
            assert unsigned.status == 401


def test_sync_views_refuse_an_async_meetlink_when_they_are_made(sandbox: Sandbox) -> None:
    from meetlink.integrations.django import urlpatterns

    aml = AsyncMeetLink(sandbox.meetlink)
    with pytest.raises(ConfigurationError, match="AsyncMeetLink"):
        urlpatterns(aml, current_user=lambda request: None, async_views=False)
    assert len(urlpatterns(aml, current_user=lambda request: None)) == 2  # async views


def test_async_views_run_a_plain_current_user_off_the_event_loop(sandbox: Sandbox) -> None:
    """Django's sessions and ORM refuse to run on the event loop: a plain ``current_user`` in
    async views is called in a thread, where no loop runs."""
    from django.test import AsyncClient, override_settings

    from meetlink.integrations.django import urlpatterns

    seen: list[bool] = []

    def current_user(request: Any) -> tuple[str, str] | None:
        try:
            asyncio.get_running_loop()
            seen.append(True)
        except RuntimeError:
            seen.append(False)
        return None

    urls = types.ModuleType("async_over_plain_urls")
    urls.urlpatterns = urlpatterns(  # type: ignore[attr-defined]
        sandbox.meetlink, current_user=current_user, async_views=True
    )
    with override_settings(ROOT_URLCONF=urls):
        reply = asyncio.run(AsyncClient().get("/meetlink/zoom/callback?state=x"))
    assert reply.status_code == 303 and "not_signed_in" in reply.headers["Location"]
    assert seen == [False]
    assert asyncio.iscoroutinefunction(urls.urlpatterns[0].callback)


def test_async_views_take_a_callable_object_with_an_async_call(sandbox: Sandbox) -> None:
    """``current_user`` may be an object whose ``__call__`` is a coroutine function: it is
    awaited on the loop, not mistaken for a plain function."""
    from django.test import AsyncClient, override_settings

    from meetlink.integrations.django import urlpatterns

    class SignedIn:
        def __init__(self) -> None:
            self.on_loop: list[bool] = []

        async def __call__(self, request: Any) -> tuple[str, str] | None:
            self.on_loop.append(asyncio.get_running_loop() is not None)
            return ("t1", "alice")

    who = SignedIn()
    urls = types.ModuleType("callable_object_urls")
    urls.urlpatterns = urlpatterns(  # type: ignore[attr-defined]
        AsyncMeetLink(sandbox.meetlink), current_user=who
    )
    with override_settings(ROOT_URLCONF=urls):
        reply = asyncio.run(AsyncClient().get("/meetlink/zoom/callback?state=never-issued"))
    assert reply.status_code == 303 and "meetlink=expired" in reply.headers["Location"]
    assert who.on_loop == [True]


def test_the_prefix_and_the_url_names(sandbox: Sandbox) -> None:
    from django.test import override_settings
    from django.urls import reverse

    from meetlink.integrations.django import urlpatterns

    urls = types.ModuleType("prefixed_urls")
    urls.urlpatterns = urlpatterns(  # type: ignore[attr-defined]
        sandbox.meetlink, current_user=lambda request: None, prefix="/hooks/video"
    )
    with override_settings(ROOT_URLCONF=urls):
        assert reverse("meetlink_callback", args=["zoom"]) == "/hooks/video/zoom/callback"
        assert reverse("meetlink_webhook", args=["zoom"]) == "/hooks/video/zoom/webhook"


def _serve(app: Any, messages: list[dict[str, Any]], path: str) -> tuple[list[Any], int]:
    """``app`` given a POST to ``path`` whose body arrives as ``messages``: what it sent,
    and how many messages it left unread."""
    pending = list(messages)
    sent: list[Any] = []

    async def receive() -> dict[str, Any]:
        return pending.pop(0) if pending else {"type": "http.disconnect"}

    async def send(message: Any) -> None:
        sent.append(message)

    scope = {"type": "http", "method": "POST", "path": path, "headers": []}
    asyncio.run(app(scope, receive, send))
    return sent, len(pending)


def test_limit_webhook_bodies_refuses_while_the_body_arrives() -> None:
    from meetlink.integrations.django import limit_webhook_bodies

    reached: list[bytes] = []

    async def django_app(scope: Any, receive: Any, send: Any) -> None:
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        reached.append(body)
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"ok"})

    app = limit_webhook_bodies(django_app)
    piece = b"x" * 16_384
    flood = [{"type": "http.request", "body": piece, "more_body": True}] * 100
    sent, unread = _serve(app, flood, "/meetlink/zoom/webhook")
    assert sent[0]["status"] == 413 and reached == []
    assert unread == 100 - (MAX_WEBHOOK_BYTES // len(piece) + 1)  # stopped at the limit

    small = [
        {"type": "http.request", "body": b'{"a":', "more_body": True},
        {"type": "http.request", "body": b"1}", "more_body": False},
    ]
    sent, _ = _serve(app, small, "/meetlink/zoom/webhook")
    assert sent[0]["status"] == 200 and reached == [b'{"a":1}']  # replayed whole

    sent, _ = _serve(app, flood, "/uploads/photo")  # not meetlink's: untouched
    assert sent[0]["status"] == 200 and len(reached[-1]) == 100 * len(piece)
    sent, _ = _serve(app, flood, "/meetlink/zoom/extra/webhook")  # no provider key has a /
    assert sent[0]["status"] == 200
