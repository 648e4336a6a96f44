"""A Flask blueprint for the OAuth callback and the provider webhook.

    from meetlink.integrations.flask import blueprint

    app.register_blueprint(blueprint(meetlink, current_user=who_is_signed_in,
                                     redirect_to="/settings/video"))

- ``GET {url_prefix}/{provider}/callback``: completes the link for the user of the tenant
  ``current_user`` names (session binding) and redirects to ``redirect_to`` with
  ``?meetlink=<outcome>`` (``meetlink.integrations.endpoints``).
- ``POST {url_prefix}/{provider}/webhook``: the provider's webhook, verified on the raw body.

``current_user(request)`` gets ``flask.request`` and returns ``(tenant_id, user_id)`` or
None; it is required (ConfigurationError without it). Needs the ``flask`` extra.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from flask import Blueprint, Response, redirect, request

from meetlink.app.facade import MeetLink
from meetlink.integrations import endpoints
from meetlink.integrations.endpoints import Answer, RedirectTo

__all__ = ["blueprint"]


def _response(answer: Answer) -> Any:
    if answer.location is not None:
        return redirect(answer.location, code=answer.status)
    return Response(answer.body, status=answer.status, content_type=answer.content_type)


def blueprint(
    meetlink: MeetLink,
    *,
    url_prefix: str = "/meetlink",
    current_user: Callable[[Any], tuple[str, str] | None] | None = None,
    redirect_to: RedirectTo = "/",
    providers: Sequence[str] | None = None,
    name: str = "meetlink",
) -> Blueprint:
    """The callback and webhook routes under ``url_prefix``.

    ``current_user`` (required): who the session says is signed in, ``(tenant_id,
    user_id)`` or None, passed to ``complete_link``. ``redirect_to``: the host page the
    callback returns to (a path, URL, or a function of the request). ``providers``: the keys
    served (default: every registered provider)."""
    routes = endpoints.Routes(
        meetlink,
        current_user=current_user,
        redirect_to=redirect_to,
        providers=None if providers is None else tuple(providers),
        where="meetlink.integrations.flask.blueprint",
    )
    bp = Blueprint(name, __name__, url_prefix=url_prefix.rstrip("/") or None)

    @bp.get("/<provider>/callback")
    def callback(provider: str) -> Any:
        return _response(routes.callback(request, provider, request.args))

    @bp.post("/<provider>/webhook")
    def webhook(provider: str) -> Any:
        return _response(
            routes.webhook(request, provider, dict(request.headers), request.stream.read)
        )

    return bp
