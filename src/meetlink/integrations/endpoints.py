"""What the two routes a host exposes answer, for any web framework: the OAuth callback and
the provider webhook. [`Routes`][meetlink.integrations.endpoints.Routes] holds the whole logic
of both, once: the Flask, Starlette and Django modules are thin shells that hand it the
request's query, headers and a way to read the body, and send the
[`Answer`][meetlink.integrations.endpoints.Answer] it returns. A host on another framework can
use it (or the smaller functions below) the same way.

The callback always ends in a redirect to the host's page (``redirect_to``) with the outcome
in the query: ``?meetlink=linked&provider=zoom`` or ``?meetlink=<reason>&provider=zoom``,
``reason`` one of [`REASONS`][meetlink.integrations.endpoints.REASONS]. It answers with a status
instead only when no browser flow can continue: 400 without a ``state`` (nobody sent it from a link)
or with a malformed one, 404 for a provider nobody registered.

The webhook answers what ``MeetLink.handle_webhook`` says (200, 400, 401, 404...), and 503
(the provider retries) when meetlink's storage cannot be reached.

Every refusal these functions answer is logged on the ``meetlink.integrations`` logger, with
the route, the provider key, the answer and the error's own message (never a query parameter,
header, body, token or secret): WARNING when the host must act (a refused token request such
as a wrong client secret, an unreachable provider, a database that is missing or not migrated,
a webhook signature that does not verify), INFO for what a user or a stray request did (a
declined consent, an expired link, nobody signed in, a malformed request, an unknown
provider).
"""

from __future__ import annotations

import inspect
import json
import logging
import re
from collections.abc import Awaitable, Callable, Generator, Mapping
from typing import Any
from urllib.parse import urlencode, urlsplit, urlunsplit

import attrs

from meetlink.aio import AsyncMeetLink
from meetlink.app.facade import MeetLink
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
    UnsupportedAccount,
)
from meetlink.ports.provider import MAX_WEBHOOK_BYTES

log = logging.getLogger("meetlink.integrations")
_CONTROL = re.compile(r"[\x00-\x1f\x7f\u2028\u2029]")
_MAX_LOGGED = 300
#: Errors of ``complete_link`` caused by what a user did (or a stray request): INFO.
_USER_REFUSALS = (
    LinkDenied,
    AdminApprovalRequired,
    InvalidLinkState,
    UnsupportedAccount,
    InvalidInput,
    UnknownProvider,
)

__all__ = [
    "MAX_WEBHOOK_BYTES",
    "READ_CHUNK",
    "REASONS",
    "Answer",
    "BodyReader",
    "CallbackQuery",
    "CurrentUser",
    "RedirectTo",
    "Routes",
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


def _one_line(text: str) -> str:
    """``text`` as one bounded log line (a provider's or a caller's words may hold line
    breaks: no forged log lines)."""
    return _CONTROL.sub(" ", text)[:_MAX_LOGGED]


def _said(exc: BaseException) -> str:
    return _one_line(f"{type(exc).__name__}: {exc}")


def _logged(level: int, route: str, provider: str, answer: str, why: str) -> None:
    log.log(level, "meetlink %s route (%s) answered %s: %s", route, _one_line(provider[:40]),
            answer, why)  # fmt: skip


def callback_query(provider: str, known: tuple[str, ...], query: Mapping[str, str]) -> (
    CallbackQuery | Answer
):  # fmt: skip
    """The callback's parameters, or the answer when there is nothing to complete:
    404 for an unknown provider, 400 without a ``state`` or with a malformed parameter."""
    if provider not in known:
        _logged(logging.INFO, "callback", provider, "404", "no such provider is served here")
        return _text(404, f"unknown provider {provider[:40]!r}")
    values = {
        name: query.get(name) or None
        for name in ("state", "code", "error", "error_description", "error_subcode")
    }
    if any(v is not None and (len(v) > _MAX_PARAM or "\x00" in v) for v in values.values()):
        _logged(logging.INFO, "callback", provider, "400", "malformed OAuth callback parameters")
        return _text(400, "malformed OAuth callback parameters")
    state = values.pop("state")
    if state is None:
        _logged(logging.INFO, "callback", provider, "400", "no 'state' parameter")
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
    _logged(logging.INFO, "callback", provider, "meetlink=not_signed_in",
            "current_user says nobody is signed in (the link request is kept)")  # fmt: skip
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
    back to the host's page with the reason. Logged: INFO for a user's refusal, WARNING for
    what the host must fix (the module docstring)."""
    level = logging.INFO if isinstance(exc, _USER_REFUSALS) else logging.WARNING
    if isinstance(exc, InvalidInput):
        _logged(level, "callback", provider, "400", _said(exc))
        return _text(400, "malformed OAuth callback parameters")
    if isinstance(exc, UnknownProvider):
        _logged(level, "callback", provider, "404", _said(exc))
        return _text(404, "unknown provider")
    reason = reason_for(exc)
    _logged(level, "callback", provider, f"meetlink={reason}", _said(exc))
    return _redirect(redirect_to, request, reason, provider)


def webhook_too_large(content_length: str | int | None) -> Answer | None:
    """413 when the request says its body is larger than
    [`MAX_WEBHOOK_BYTES`][meetlink.integrations.endpoints.MAX_WEBHOOK_BYTES]."""
    try:
        size = int(content_length or 0)
    except ValueError:
        log.info("meetlink webhook route answered 400: malformed Content-Length")
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
        log.info(
            "meetlink webhook route answered 413: the body is over %d bytes", MAX_WEBHOOK_BYTES
        )
        return _text(413, "request too large")


def webhook_answer(reply: WebhookReply, provider: str = "") -> Answer:
    """``handle_webhook``'s reply as an HTTP answer (a refusal is logged with the reply's
    error: WARNING for a signature that does not verify, which a wrong webhook secret causes
    too, INFO otherwise)."""
    if reply.status >= 400:
        level = logging.WARNING if reply.status == 401 else logging.INFO
        _logged(level, "webhook", provider, str(reply.status), _reply_error(reply))
    return Answer(reply.status, reply.body, reply.content_type)


def _reply_error(reply: WebhookReply) -> str:
    try:
        said = json.loads(reply.body).get("error")
    except (ValueError, AttributeError):
        said = None
    return _one_line(said) if isinstance(said, str) else "refused"


def webhook_failed(exc: MeetLinkError, provider: str = "") -> Answer:
    """The answer when ``handle_webhook`` raised: 400 for bad input, else 503 so that the
    provider delivers the webhook again later (logged: INFO for bad input, WARNING for the
    503)."""
    if isinstance(exc, InvalidInput):
        _logged(logging.INFO, "webhook", provider, "400", _said(exc))
        return _text(400, "malformed webhook request")
    if isinstance(exc, UnknownProvider):
        _logged(logging.INFO, "webhook", provider, "404", _said(exc))
        return _text(404, "unknown provider")
    _logged(logging.WARNING, "webhook", provider, "503", _said(exc))
    return _text(503, "temporarily unavailable")


# The two routes as one flow each, written once for sync and async shells: a flow is a
# generator that yields what it needs from the outside (a facade call, who is signed in, the
# next chunk of the body) and returns the Answer. ``Routes.callback``/``webhook`` run it with
# plain calls, ``acallback``/``awebhook`` with awaits.


@attrs.frozen
class _Call:
    name: str
    args: tuple[Any, ...]
    kwargs: Mapping[str, Any]


class _Who:
    pass


class _Read:
    pass


_WHO = _Who()
_READ = _Read()
_Step = _Call | _Who | _Read
_Flow = Generator[_Step, Any, Answer]


def _content_length(headers: Mapping[str, str]) -> str | None:
    for name, value in headers.items():
        if name.lower() == "content-length":
            return value
    return None


class Routes:
    """The OAuth callback and the webhook of one facade, for any web framework.

    ``meetlink``: a [`MeetLink`][meetlink.MeetLink] or an
    [`AsyncMeetLink`][meetlink.aio.AsyncMeetLink]. ``current_user(request)`` (required): who
    the host's session says is signed in, ``(tenant_id, user_id)`` or None (in the async
    methods it may return an awaitable). ``redirect_to``: the host page the callback returns to
    (a path, URL, or a function of the request). ``providers``: the keys served (default:
    every registered provider). ``where`` names the maker in the ConfigurationError raised
    without ``current_user``.

    The sync methods need a MeetLink; the async ones take an ``offload`` (run a blocking call
    in a thread: Starlette's ``run_in_threadpool``, asgiref's ``sync_to_async``) used when the
    facade is a plain MeetLink."""

    def __init__(
        self,
        meetlink: MeetLink | AsyncMeetLink,
        *,
        current_user: Callable[[Any], Any] | None,
        redirect_to: RedirectTo = "/",
        providers: tuple[str, ...] | list[str] | None = None,
        where: str = "meetlink.integrations.endpoints.Routes",
    ) -> None:
        required_current_user(current_user, where)
        assert current_user is not None
        if not isinstance(meetlink, MeetLink | AsyncMeetLink):
            kind = type(meetlink).__name__
            raise ConfigurationError(f"{where}: pass a MeetLink or an AsyncMeetLink, not {kind}")
        self.meetlink = meetlink
        self.current_user = current_user
        self.redirect_to = redirect_to
        facade = meetlink.meetlink if isinstance(meetlink, AsyncMeetLink) else meetlink
        self.known: tuple[str, ...] = (
            tuple(providers) if providers is not None else facade.provider_keys
        )

    # -- the flows -------------------------------------------------------------------------

    def _callback(self, request: Any, provider: str, query: Mapping[str, str]) -> _Flow:
        parsed = callback_query(provider, self.known, query)
        if isinstance(parsed, Answer):
            return parsed
        user = yield _WHO
        if user is None:
            return not_signed_in(self.redirect_to, request, provider)
        try:
            yield _Call(
                "complete_link",
                (parsed.state,),
                {**parsed.arguments(), "tenant_id": user[0], "user_id": user[1]},
            )
        except MeetLinkError as exc:
            return callback_failed(self.redirect_to, request, provider, exc)
        return linked(self.redirect_to, request, provider)

    def _webhook(self, provider: str, headers: Mapping[str, str]) -> _Flow:
        too_large = webhook_too_large(_content_length(headers))
        if too_large is not None:
            return too_large
        # The raw bytes (the signature covers them), counted as they are read: a chunked body
        # has no Content-Length to refuse it by, and a Content-Length may lie.
        reader = BodyReader()
        while chunk := (yield _READ):
            if not reader.take(chunk):
                return reader.refusal()
        try:
            reply = yield _Call("handle_webhook", (provider, dict(headers), reader.body()), {})
        except MeetLinkError as exc:
            return webhook_failed(exc, provider)
        return webhook_answer(reply, provider)

    # -- sync ------------------------------------------------------------------------------

    def callback(self, request: Any, provider: str, query: Mapping[str, str]) -> Answer:
        """``GET .../{provider}/callback``: ``query`` is the request's query parameters."""
        return self._run(self._callback(request, provider, query), request, None)

    def webhook(
        self,
        request: Any,
        provider: str,
        headers: Mapping[str, str],
        read: Callable[[int], bytes],
    ) -> Answer:
        """``POST .../{provider}/webhook``: ``read(n)`` returns up to ``n`` more bytes of the
        body, ``b""`` at its end."""
        return self._run(self._webhook(provider, headers), request, read)

    def _run(self, flow: _Flow, request: Any, read: Callable[[int], bytes] | None) -> Answer:
        if not isinstance(self.meetlink, MeetLink):
            raise ConfigurationError(
                "these routes were made over an AsyncMeetLink: serve them with async views"
            )
        value: Any = None
        error: MeetLinkError | None = None
        while True:
            try:
                step = flow.send(value) if error is None else flow.throw(error)
            except StopIteration as done:
                answer: Answer = done.value
                return answer
            value, error = None, None
            if isinstance(step, _Call):
                try:
                    value = getattr(self.meetlink, step.name)(*step.args, **step.kwargs)
                except MeetLinkError as exc:
                    error = exc
            elif isinstance(step, _Who):
                value = self.current_user(request)
            else:
                assert read is not None
                value = read(READ_CHUNK)

    # -- async -----------------------------------------------------------------------------

    async def acallback(
        self,
        request: Any,
        provider: str,
        query: Mapping[str, str],
        *,
        offload: Callable[..., Awaitable[Any]],
    ) -> Answer:
        """The callback in an async view (see ``callback``)."""
        return await self._arun(self._callback(request, provider, query), request, None, offload)

    async def awebhook(
        self,
        request: Any,
        provider: str,
        headers: Mapping[str, str],
        read: Callable[[int], Awaitable[bytes]],
        *,
        offload: Callable[..., Awaitable[Any]],
    ) -> Answer:
        """The webhook in an async view: ``await read(n)`` returns up to ``n`` more bytes of
        the body, ``b""`` at its end."""
        return await self._arun(self._webhook(provider, headers), request, read, offload)

    async def _arun(
        self,
        flow: _Flow,
        request: Any,
        read: Callable[[int], Awaitable[bytes]] | None,
        offload: Callable[..., Awaitable[Any]],
    ) -> Answer:
        value: Any = None
        error: MeetLinkError | None = None
        while True:
            try:
                step = flow.send(value) if error is None else flow.throw(error)
            except StopIteration as done:
                answer: Answer = done.value
                return answer
            value, error = None, None
            if isinstance(step, _Call):
                try:
                    if isinstance(self.meetlink, AsyncMeetLink):
                        value = await getattr(self.meetlink, step.name)(*step.args, **step.kwargs)
                    else:
                        method = getattr(self.meetlink, step.name)
                        value = await offload(method, *step.args, **step.kwargs)
                except MeetLinkError as exc:
                    error = exc
            elif isinstance(step, _Who):
                value = self.current_user(request)
                while inspect.isawaitable(value):  # an awaitable may give one (a wrapper's)
                    value = await value
            else:
                assert read is not None
                value = await read(READ_CHUNK)
