"""Starlette routes (usable in FastAPI) for the OAuth callback and the provider webhook.

    from meetlink.integrations.starlette import routes

    app = Starlette(routes=[*routes(meetlink, current_user=who_is_signed_in,
                                    redirect_to="/settings/video")])
    # FastAPI:  app.router.routes.extend(routes(...))

- ``GET {prefix}/{provider}/callback``: completes the link for the user of the tenant
  ``current_user`` names (session binding) and redirects to ``redirect_to`` with
  ``?meetlink=<outcome>`` (``meetlink.integrations.endpoints``).
- ``POST {prefix}/{provider}/webhook``: the provider's webhook, verified on the raw body.

``meetlink`` is a [`MeetLink`][meetlink.MeetLink] (its calls then run in
Starlette's thread pool) or a [`AsyncMeetLink`][meetlink.aio.AsyncMeetLink].
``current_user(request)`` may be a plain function or a coroutine function; it returns
``(tenant_id, user_id)`` or None; it is required (ConfigurationError without it). Needs the
``starlette`` extra.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Sequence
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from meetlink.aio import AsyncMeetLink
from meetlink.app.facade import MeetLink
from meetlink.errors import MeetLinkError
from meetlink.integrations import endpoints
from meetlink.integrations.endpoints import Answer, CallbackQuery, RedirectTo

__all__ = ["routes"]


def _response(answer: Answer) -> Response:
    if answer.location is not None:
        return RedirectResponse(answer.location, status_code=answer.status)
    return Response(answer.body, status_code=answer.status, media_type=answer.content_type)


def routes(
    meetlink: MeetLink | AsyncMeetLink,
    *,
    prefix: str = "/meetlink",
    current_user: Callable[[Request], Any] | None = None,
    redirect_to: RedirectTo = "/",
    providers: Sequence[str] | None = None,
) -> list[Route]:
    """The callback and webhook routes under ``prefix``.

    ``current_user`` (required): who the session says is signed in, ``(tenant_id,
    user_id)`` or None, passed to ``complete_link``. ``redirect_to``: the host page the
    callback returns to (a path, URL, or a function of the request). ``providers``: the keys
    served (default: every registered provider)."""
    endpoints.required_current_user(current_user, "meetlink.integrations.starlette.routes")
    assert current_user is not None
    who = current_user
    facade = meetlink.meetlink if isinstance(meetlink, AsyncMeetLink) else meetlink
    known = tuple(providers) if providers is not None else facade.provider_keys

    async def call(name: str, *args: Any, **kwargs: Any) -> Any:
        if isinstance(meetlink, AsyncMeetLink):
            return await getattr(meetlink, name)(*args, **kwargs)
        return await run_in_threadpool(getattr(meetlink, name), *args, **kwargs)

    async def callback(request: Request) -> Response:
        provider = request.path_params["provider"]
        query = endpoints.callback_query(provider, known, request.query_params)
        if isinstance(query, Answer):
            return _response(query)
        return _response(await _complete(request, provider, query))

    async def _complete(request: Request, provider: str, query: CallbackQuery) -> Answer:
        found = who(request)
        user: tuple[str, str] | None = await found if inspect.isawaitable(found) else found
        if user is None:
            return endpoints.not_signed_in(redirect_to, request, provider)
        try:
            await call(
                "complete_link",
                query.state,
                **query.arguments(),
                tenant_id=user[0],
                user_id=user[1],
            )
        except MeetLinkError as exc:
            return endpoints.callback_failed(redirect_to, request, provider, exc)
        return endpoints.linked(redirect_to, request, provider)

    async def webhook(request: Request) -> Response:
        provider = request.path_params["provider"]
        too_large = endpoints.webhook_too_large(request.headers.get("content-length"))
        if too_large is not None:
            return _response(too_large)
        # Counted as it is read: a chunked body has no Content-Length to refuse it by.
        reader = endpoints.BodyReader()
        async for chunk in request.stream():
            if not reader.take(chunk):
                return _response(reader.refusal())
        body = reader.body()
        try:
            reply = await call("handle_webhook", provider, dict(request.headers), body)
        except MeetLinkError as exc:
            return _response(endpoints.webhook_failed(exc))
        return _response(endpoints.webhook_answer(reply))

    base = prefix.rstrip("/")
    return [
        Route(f"{base}/{{provider}}/callback", callback, methods=["GET"], name="meetlink_callback"),
        Route(f"{base}/{{provider}}/webhook", webhook, methods=["POST"], name="meetlink_webhook"),
    ]
