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

from collections.abc import Callable, Sequence
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from meetlink.aio import AsyncMeetLink
from meetlink.app.facade import MeetLink
from meetlink.integrations import endpoints
from meetlink.integrations.endpoints import Answer, RedirectTo

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
    shared = endpoints.Routes(
        meetlink,
        current_user=current_user,
        redirect_to=redirect_to,
        providers=None if providers is None else tuple(providers),
        where="meetlink.integrations.starlette.routes",
    )

    async def callback(request: Request) -> Response:
        provider = request.path_params["provider"]
        return _response(
            await shared.acallback(
                request, provider, request.query_params, offload=run_in_threadpool
            )
        )

    async def webhook(request: Request) -> Response:
        chunks = request.stream().__aiter__()

        async def read(size: int) -> bytes:
            return await anext(chunks, b"")

        provider = request.path_params["provider"]
        return _response(
            await shared.awebhook(
                request, provider, request.headers, read, offload=run_in_threadpool
            )
        )

    base = prefix.rstrip("/")
    return [
        Route(f"{base}/{{provider}}/callback", callback, methods=["GET"], name="meetlink_callback"),
        Route(f"{base}/{{provider}}/webhook", webhook, methods=["POST"], name="meetlink_webhook"),
    ]
