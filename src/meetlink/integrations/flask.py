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
from meetlink.errors import MeetLinkError
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
    endpoints.required_current_user(current_user, "meetlink.integrations.flask.blueprint")
    assert current_user is not None
    who = current_user
    known = tuple(providers) if providers is not None else meetlink.provider_keys
    bp = Blueprint(name, __name__, url_prefix=url_prefix.rstrip("/") or None)

    @bp.get("/<provider>/callback")
    def callback(provider: str) -> Any:
        query = endpoints.callback_query(provider, known, request.args)
        if isinstance(query, Answer):
            return _response(query)
        user = who(request)
        if user is None:
            return _response(endpoints.not_signed_in(redirect_to, request, provider))
        try:
            meetlink.complete_link(
                query.state,
                code=query.code,
                error=query.error,
                error_description=query.error_description,
                error_subcode=query.error_subcode,
                tenant_id=user[0],
                user_id=user[1],
            )
        except MeetLinkError as exc:
            return _response(endpoints.callback_failed(redirect_to, request, provider, exc))
        return _response(endpoints.linked(redirect_to, request, provider))

    @bp.post("/<provider>/webhook")
    def webhook(provider: str) -> Any:
        too_large = endpoints.webhook_too_large(request.headers.get("Content-Length"))
        if too_large is not None:
            return _response(too_large)
        # The raw bytes (the signature covers them), counted as they are read: a chunked
        # body has no Content-Length to refuse it by.
        reader = endpoints.BodyReader()
        while chunk := request.stream.read(endpoints.READ_CHUNK):
            if not reader.take(chunk):
                return _response(reader.refusal())
        body = reader.body()
        try:
            reply = meetlink.handle_webhook(provider, dict(request.headers), body)
        except MeetLinkError as exc:
            return _response(endpoints.webhook_failed(exc))
        return _response(endpoints.webhook_answer(reply))

    return bp
