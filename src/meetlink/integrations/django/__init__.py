"""Django URL patterns for the OAuth callback and the provider webhook, sync or async views.

    # urls.py
    from meetlink.integrations.django import urlpatterns as meetlink_urls

    urlpatterns = [
        ...,
        *meetlink_urls(meetlink, current_user=who_is_signed_in, redirect_to="/settings/video"),
    ]

- ``GET {prefix}<provider>/callback``: completes the link for the user of the tenant
  ``current_user`` names (session binding) and redirects to ``redirect_to`` with
  ``?meetlink=<outcome>`` (``meetlink.integrations.endpoints``).
- ``POST {prefix}<provider>/webhook``: the provider's webhook, verified on the raw body,
  exempt from Django's CSRF check (the provider's signature is its proof; the callback is not
  exempt).

Over a [`MeetLink`][meetlink.MeetLink] the views are plain (sync) views; over an
[`AsyncMeetLink`][meetlink.aio.AsyncMeetLink] they are async views (``async_views=True`` makes
async views over a MeetLink too, its calls then run in a thread). ``current_user(request)``
returns ``(tenant_id, user_id)`` or None; in async views it may be a coroutine function (a
plain one runs in a thread there, as Django's ORM and sessions need). It is required
(ConfigurationError without it).

Answers are those of Flask and Starlette (``meetlink.integrations.endpoints.Routes`` is the
one logic behind all three). The webhook body is read at most
[`MAX_WEBHOOK_BYTES`][meetlink.integrations.endpoints.MAX_WEBHOOK_BYTES] (and a byte) at a
time, whatever the framing; under ASGI, Django itself first copies any body to a temporary
file before a view runs: wrap the ASGI application in
[`limit_webhook_bodies`][meetlink.integrations.django.limit_webhook_bodies] so that an oversized
webhook is refused while it arrives. Needs the ``django`` extra.
"""

from __future__ import annotations

import inspect
import threading
from collections.abc import Callable, Sequence
from typing import Any

from asgiref.sync import sync_to_async
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.urls import URLPattern, path
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST

from meetlink.aio import AsyncMeetLink
from meetlink.app.facade import MeetLink
from meetlink.errors import ConfigurationError
from meetlink.integrations import endpoints
from meetlink.integrations.django.apps import config, database_url
from meetlink.integrations.endpoints import Answer, RedirectTo

__all__ = [
    "database_url",
    "get_async_meetlink",
    "get_meetlink",
    "limit_webhook_bodies",
    "urlpatterns",
]


def get_meetlink() -> MeetLink:
    """The process's [`MeetLink`][meetlink.MeetLink], made on first use from
    ``settings.MEETLINK["FACTORY"]`` (needs ``"meetlink.integrations.django"`` in
    ``INSTALLED_APPS``)."""
    return config().meetlink()


def get_async_meetlink() -> AsyncMeetLink:
    """An [`AsyncMeetLink`][meetlink.aio.AsyncMeetLink] over the process's MeetLink, for async
    views (``settings.MEETLINK["ASYNC_MAX_WORKERS"]`` threads, default 8)."""
    return config().async_meetlink()


def _response(answer: Answer) -> HttpResponseBase:
    response = HttpResponse(answer.body, status=answer.status, content_type=answer.content_type)
    if answer.location is not None:
        response["Location"] = answer.location
    return response


def _headers(request: HttpRequest) -> dict[str, str]:
    return dict(request.headers)


def _sync_reader(request: HttpRequest) -> Callable[[int], bytes]:
    """How a sync view reads the raw body. Django's WSGI request reads ``Content-Length``
    bytes and nothing without one; a server that de-chunks the body for the application
    (``wsgi.input_terminated``: gunicorn, werkzeug) lets the view read a chunked body from the
    server's input, still counted."""
    meta = request.META
    if not meta.get("CONTENT_LENGTH") and meta.get("wsgi.input_terminated"):
        stream = meta.get("wsgi.input")
        if stream is not None:
            read: Callable[[int], bytes] = stream.read
            return read
    body: Callable[[int], bytes] = request.read
    return body


async def _offload(call: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    # A meetlink call never touches Django's ORM: any thread will do, not the one Django
    # keeps for thread-sensitive code.
    return await sync_to_async(call, thread_sensitive=False)(*args, **kwargs)


def _is_async(function: Callable[..., Any]) -> bool:
    """A coroutine function, or an object whose ``__call__`` is one."""
    call = getattr(function, "__call__", None)  # noqa: B004  (the method itself is wanted)
    return inspect.iscoroutinefunction(function) or inspect.iscoroutinefunction(call)


class _Shared:
    """The routes, made on first use when they serve the process's MeetLink (so that loading
    the URLs, as ``manage.py check`` and ``makemigrations`` do, makes no MeetLink)."""

    def __init__(self, make: Callable[[], endpoints.Routes]) -> None:
        self._make = make
        self._lock = threading.Lock()
        self.routes: endpoints.Routes | None = None

    def get(self) -> endpoints.Routes:
        with self._lock:
            if self.routes is None:
                self.routes = self._make()
            return self.routes

    async def aget(self) -> endpoints.Routes:
        if self.routes is not None:
            return self.routes
        return await sync_to_async(self.get, thread_sensitive=False)()


def urlpatterns(
    meetlink: MeetLink | AsyncMeetLink | None = None,
    *,
    current_user: Callable[[Any], Any] | None = None,
    prefix: str = "meetlink/",
    redirect_to: RedirectTo = "/",
    providers: Sequence[str] | None = None,
    async_views: bool | None = None,
    name: str = "meetlink",
) -> list[URLPattern]:
    """The callback and webhook views under ``prefix`` (Django's form: no leading slash).

    ``meetlink``: the MeetLink or AsyncMeetLink they serve; None (the default): the process's
    own from ``settings.MEETLINK`` ([`get_meetlink`][meetlink.integrations.django.get_meetlink],
    or [`get_async_meetlink`][meetlink.integrations.django.get_async_meetlink] for async views),
    made at the first request. ``current_user`` (required): who the session says is signed
    in, ``(tenant_id, user_id)`` or None, passed to ``complete_link``. ``redirect_to``: the
    host page the callback returns to (a path, URL, or a function of the request).
    ``providers``: the keys served (default: every registered provider). ``async_views``:
    async views (default: when ``meetlink`` is an AsyncMeetLink). The URL names are
    ``{name}_callback`` and ``{name}_webhook`` (``reverse("meetlink_callback",
    args=["zoom"])``)."""
    where = "meetlink.integrations.django.urlpatterns"
    asynchronous = isinstance(meetlink, AsyncMeetLink) if async_views is None else async_views
    endpoints.required_current_user(current_user, where)
    if not asynchronous and isinstance(meetlink, AsyncMeetLink):
        raise ConfigurationError(
            f"{where}: sync views need a MeetLink, not an AsyncMeetLink (or async_views=True)"
        )
    who = current_user
    if asynchronous and callable(who) and not _is_async(who):
        who = sync_to_async(who)  # sessions and the ORM must not run on the event loop

    def make() -> endpoints.Routes:
        served = meetlink
        if served is None:
            served = get_async_meetlink() if asynchronous else get_meetlink()
        return endpoints.Routes(
            served,
            current_user=who,
            redirect_to=redirect_to,
            providers=None if providers is None else tuple(providers),
            where=where,
        )

    shared = _Shared(make)
    if meetlink is not None:
        shared.get()  # a wrong facade is refused now, not at the first request
    base = prefix.lstrip("/")
    if base and not base.endswith("/"):
        base += "/"

    callback: Callable[..., Any]
    webhook: Callable[..., Any]
    if asynchronous:

        async def acallback(request: HttpRequest, provider: str) -> HttpResponseBase:
            routes = await shared.aget()
            answer = await routes.acallback(request, provider, request.GET, offload=_offload)
            return _response(answer)

        async def awebhook(request: HttpRequest, provider: str) -> HttpResponseBase:
            read_body = request.read  # the body Django spooled before the view: a file

            async def read(size: int) -> bytes:
                chunk: bytes = read_body(size)
                return chunk

            routes = await shared.aget()
            answer = await routes.awebhook(
                request, provider, _headers(request), read, offload=_offload
            )
            return _response(answer)

        callback, webhook = acallback, awebhook
    else:

        def scallback(request: HttpRequest, provider: str) -> HttpResponseBase:
            return _response(shared.get().callback(request, provider, request.GET))

        def swebhook(request: HttpRequest, provider: str) -> HttpResponseBase:
            reader = _sync_reader(request)
            answer = shared.get().webhook(request, provider, _headers(request), reader)
            return _response(answer)

        callback, webhook = scallback, swebhook

    return [
        path(f"{base}<str:provider>/callback", require_GET(callback), name=f"{name}_callback"),
        path(
            f"{base}<str:provider>/webhook",
            csrf_exempt(require_POST(webhook)),
            name=f"{name}_webhook",
        ),
    ]


def limit_webhook_bodies(application: Any, *, prefix: str = "/meetlink/") -> Any:
    """``application`` (Django's ASGI application) with meetlink's webhook bodies counted as
    they arrive: a ``POST {prefix}<provider>/webhook`` whose body goes over
    [`MAX_WEBHOOK_BYTES`][meetlink.integrations.endpoints.MAX_WEBHOOK_BYTES] is answered 413
    there, before Django copies it to a temporary file. Every other request passes untouched.

        # asgi.py
        application = limit_webhook_bodies(get_asgi_application())
    """
    base = "/" + prefix.strip("/") + "/" if prefix.strip("/") else "/"

    def is_webhook(scope: dict[str, Any]) -> bool:
        route = scope.get("path", "")
        if scope.get("type") != "http" or scope.get("method") != "POST":
            return False
        if not route.startswith(base) or not route.endswith("/webhook"):
            return False
        return "/" not in route[len(base) : -len("/webhook")]

    async def limited(scope: dict[str, Any], receive: Any, send: Any) -> None:
        if not is_webhook(scope):
            await application(scope, receive, send)
            return
        messages: list[dict[str, Any]] = []
        size = 0
        while True:  # the body (at most the limit and a message) before Django sees any
            message = await receive()
            messages.append(message)
            if message.get("type") != "http.request":
                break
            size += len(message.get("body", b""))
            if size > endpoints.MAX_WEBHOOK_BYTES:
                answer = endpoints.BodyReader.refusal()
                await send(
                    {
                        "type": "http.response.start",
                        "status": answer.status,
                        "headers": [(b"content-type", answer.content_type.encode())],
                    }
                )
                await send({"type": "http.response.body", "body": answer.body})
                return
            if not message.get("more_body", False):
                break

        async def replay() -> Any:
            return messages.pop(0) if messages else await receive()

        await application(scope, replay, send)

    return limited
