"""What the two routes a host exposes answer, for any web framework: the OAuth callback and
the provider webhook. The Flask and Starlette modules are thin shells over these functions;
a host on another framework can use them the same way.

The callback always ends in a redirect to the host's page (``redirect_to``) with the outcome
in the query: ``?meetlink=linked&provider=zoom`` or ``?meetlink=<reason>&provider=zoom``,
``reason`` one of [`REASONS`][meetlink.integrations.endpoints.REASONS]. It answers with a status
instead only when no browser flow can continue: 400 without a ``state`` (nobody sent it from a link)
or with a malformed one, 404 for a provider nobody registered.

The webhook answers what ``MeetLink.handle_webhook`` says (200, 400, 401, 404...), and 503
(the provider retries) when meetlink's storage cannot be reached.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import urlencode, urlsplit, urlunsplit

import attrs

from meetlink.domain.results import WebhookReply
from meetlink.errors import (
    AdminApprovalRequired,
    ConfigurationError,
    InvalidInput,
    InvalidLinkState,
    LinkDenied,
    LinkError,
    MeetLinkError,
    ProviderRejected,
    ProviderUnavailable,
    StorageError,
    UnknownProvider,
)
from meetlink.ports.provider import MAX_WEBHOOK_BYTES

__all__ = [
    "MAX_WEBHOOK_BYTES",
    "READ_CHUNK",
    "REASONS",
    "Answer",
    "BodyReader",
    "CallbackQuery",
    "CurrentUser",
    "RedirectTo",
    "callback_failed",
    "callback_query",
    "linked",
    "not_signed_in",
    "reason_for",
    "required_current_user",
    "webhook_answer",
    "webhook_failed",
    "webhook_too_large",
]

#: ``current_user(request) -> (tenant_id, user_id) | None``: who the host's session says is
#: signed in (None: nobody).
CurrentUser = Callable[[Any], tuple[str, str] | None]


def required_current_user(current_user: Callable[..., Any] | None, where: str) -> None:
    """Refuse routes made without ``current_user``: the callback completes a link for the
    (tenant, user) the host's session names, and only for the one who began it (RFC 9700
    4.7). Without the session there is nobody to bind the link to."""
    if current_user is None or not callable(current_user):
        raise ConfigurationError(
            f"{where}: pass current_user=, a function of the request returning the signed-in "
            "(tenant_id, user_id) or None: the OAuth callback links the account to that user "
            "of that tenant, and only when that user began the link"
        )


#: Where the callback sends the browser: a path or URL, or a function of the request.
RedirectTo = str | Callable[[Any], str]

#: Outcomes in the redirect's ``meetlink`` parameter, and what the host should say.
REASONS: Mapping[str, str] = {
    "linked": "the account is linked",
    "denied": "the user declined on the provider's page",
    "admin_approval_required": "the account's administrator must approve the app first",
    "expired": "the link request expired, was used already or was begun by someone else: "
    "start again",
    "not_signed_in": "nobody is signed in to the host (the session expired): sign in, start again",
    "rejected": "the provider refused the authorization (e.g. a code used twice)",
    "unavailable": "the provider or the database could not be reached: try again later",
    "error": "linking failed for another reason",
}

_MAX_PARAM = 4096  # no OAuth parameter is longer; a longer one is not from a provider
#: How much a route reads at once.
READ_CHUNK = 16_384


@attrs.frozen
class Answer:
    """An HTTP answer for the framework shell to send."""

    status: int
    body: bytes = b""
    content_type: str = "text/plain; charset=utf-8"
    location: str | None = None


@attrs.frozen
class CallbackQuery:
    """The OAuth callback's parameters, as ``complete_link`` takes them."""

    state: str
    code: str | None = None
    error: str | None = None
    error_description: str | None = None
    error_subcode: str | None = None

    def arguments(self) -> dict[str, str | None]:
        """The keyword arguments of ``complete_link`` (besides ``state``)."""
        return {
            "code": self.code,
            "error": self.error,
            "error_description": self.error_description,
            "error_subcode": self.error_subcode,
        }


def _text(status: int, text: str) -> Answer:
    return Answer(status, text.encode("utf-8"))


def callback_query(provider: str, known: tuple[str, ...], query: Mapping[str, str]) -> (
    CallbackQuery | Answer
):  # fmt: skip
    """The callback's parameters, or the answer when there is nothing to complete:
    404 for an unknown provider, 400 without a ``state`` or with a malformed parameter."""
    if provider not in known:
        return _text(404, f"unknown provider {provider[:40]!r}")
    values = {
        name: query.get(name) or None
        for name in ("state", "code", "error", "error_description", "error_subcode")
    }
    if any(v is not None and (len(v) > _MAX_PARAM or "\x00" in v) for v in values.values()):
        return _text(400, "malformed OAuth callback parameters")
    state = values.pop("state")
    if state is None:
        return _text(400, "missing 'state': this address is the OAuth callback of the app")
    return CallbackQuery(state=state, **values)


def _redirect(redirect_to: RedirectTo, request: Any, outcome: str, provider: str) -> Answer:
    target = redirect_to(request) if callable(redirect_to) else redirect_to
    parts = urlsplit(target)
    query = "&".join(
        filter(None, (parts.query, urlencode({"meetlink": outcome, "provider": provider})))
    )
    return Answer(303, location=urlunsplit(parts._replace(query=query)))


def linked(redirect_to: RedirectTo, request: Any, provider: str) -> Answer:
    """The answer after a successful link: back to the host's page."""
    return _redirect(redirect_to, request, "linked", provider)


def not_signed_in(redirect_to: RedirectTo, request: Any, provider: str) -> Answer:
    """The answer when ``current_user`` says nobody is signed in (the state is kept)."""
    return _redirect(redirect_to, request, "not_signed_in", provider)


def reason_for(exc: MeetLinkError) -> str:
    """The redirect's outcome for an error of ``complete_link``."""
    for kind, reason in (
        (LinkDenied, "denied"),
        (AdminApprovalRequired, "admin_approval_required"),
        (InvalidLinkState, "expired"),
        (ProviderRejected, "rejected"),
        (ProviderUnavailable, "unavailable"),
        (LinkError, "rejected"),
        (StorageError, "unavailable"),
    ):
        if isinstance(exc, kind):
            return reason
    return "error"


def callback_failed(
    redirect_to: RedirectTo, request: Any, provider: str, exc: MeetLinkError
) -> Answer:
    """The answer for an error of ``complete_link``: 400 for input no provider sends, else
    back to the host's page with the reason."""
    if isinstance(exc, InvalidInput):
        return _text(400, "malformed OAuth callback parameters")
    if isinstance(exc, UnknownProvider):
        return _text(404, "unknown provider")
    return _redirect(redirect_to, request, reason_for(exc), provider)


def webhook_too_large(content_length: str | int | None) -> Answer | None:
    """413 when the request says its body is larger than
    [`MAX_WEBHOOK_BYTES`][meetlink.integrations.endpoints.MAX_WEBHOOK_BYTES]."""
    try:
        size = int(content_length or 0)
    except ValueError:
        return _text(400, "malformed Content-Length")
    return BodyReader.refusal() if size > MAX_WEBHOOK_BYTES else None


class BodyReader:
    """The webhook body as the route reads it, chunk by chunk: its bytes are counted, so the
    route stops at [`MAX_WEBHOOK_BYTES`][meetlink.integrations.endpoints.MAX_WEBHOOK_BYTES] whatever
    the framing (a Content-Length that lies, chunked transfer with none). The rest of an oversized
    body is never read."""

    def __init__(self, limit: int = MAX_WEBHOOK_BYTES) -> None:
        self._limit = limit
        self._parts: list[bytes] = []
        self._size = 0

    def take(self, chunk: bytes) -> bool:
        """Keep ``chunk``; False once the body is over the limit (stop reading then)."""
        self._size += len(chunk)
        if self._size > self._limit:
            self._parts.clear()
            return False
        self._parts.append(chunk)
        return True

    def body(self) -> bytes:
        """The bytes read."""
        return b"".join(self._parts)

    @staticmethod
    def refusal() -> Answer:
        """The answer once [`take`][meetlink.integrations.endpoints.BodyReader.take] said the body
        is over the limit: 413."""
        return _text(413, "request too large")


def webhook_answer(reply: WebhookReply) -> Answer:
    """``handle_webhook``'s reply as an HTTP answer."""
    return Answer(reply.status, reply.body, reply.content_type)


def webhook_failed(exc: MeetLinkError) -> Answer:
    """The answer when ``handle_webhook`` raised: 400 for bad input, else 503 so that the
    provider delivers the webhook again later."""
    if isinstance(exc, InvalidInput):
        return _text(400, "malformed webhook request")
    if isinstance(exc, UnknownProvider):
        return _text(404, "unknown provider")
    return _text(503, "temporarily unavailable")
