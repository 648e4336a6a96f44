"""Control endpoints of a served emulator (``serve(control=True)``, ``meetlink emulator``):
what a developer does by hand on the provider's side while building a host against it.

All under ``/_emulator/`` (never recorded in the emulator's ``requests``), JSON in and out:

=========================  =================================================================
``GET  /_emulator``          the registered app (client id and secret, redirect URI...)
``GET  /_emulator/users``    the provider's users; ``POST`` ``{"email": ...}`` adds one
``POST /_emulator/remove-app``  ``{"email": ...}``: the user removes the app at the provider;
                             Zoom's signed ``app_deauthorized`` webhook is POSTed to the
                             webhook URL (or returned, when none is set)
``POST /_emulator/webhook``  ``{"event": ..., "payload": {...}}``: any signed webhook, sent
                             the same way (providers that sign webhooks only)
``POST /_emulator/fail-next``  ``fail_next``'s keyword arguments (``count``, ``status``,
                             ``method``, ``path``, ``retry_after``)
``GET  /_emulator/meetings`` the meetings that exist now (``?email=`` for one user's)
``GET  /_emulator/requests`` every request served so far, in order: ``method``, ``path``
                             and ``query`` (the query string as received)
``POST /_emulator/consent``  ``{"authorize_url": ..., "email": ..., "allow": true}``: the
                             user signs in on the provider's page and answers; returns
                             ``{"params": {...}, "location": ...}``, the redirect back
                             (no HTML to parse); 403 while an admin must approve first
``POST /_emulator/reset``    forget every user, grant, token, meeting, fault and request;
                             the registered app and its settings stay
``POST /_emulator/access-policy``  Teams: ``{"email": ...}`` or ``{"global": true}``: the
                             Teams admin grants the app an application access policy
``POST /_emulator/forbid``   Zoom and Teams: ``{"email": ...}``: the user may no longer host
                             meetings (Zoom 3161, Graph's bare 403)
=========================  =================================================================

Options for organisation links (docs/org-install.md): ``POST /users`` takes the emulator's
``add_user`` keywords too (Zoom: ``plan``, ``account_id``, ``role``; Teams: ``tenant_id``,
``admin``, ``mail``); ``POST /consent`` with ``"admin_consent": true`` is Teams' admin consent
page; ``POST /remove-app`` with ``"admin_app": true`` is a Zoom admin removing the
admin-managed app.

They are for the developer on this machine only: a request whose ``Host`` is not the
emulator's own loopback address (``127.0.0.1:<port>`` or ``localhost:<port>``; anything else
is DNS rebinding) or whose ``Origin``, when sent, is not that address (a page the developer
visits) is 403; a ``POST`` without a JSON ``Content-Type`` is 415 (a cross-site form or
``text/plain`` request cannot send one without a CORS preflight, which is never granted).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import Any, Protocol
from urllib.parse import urlencode

import attrs
import httpx

from .oauth import ConsentBlocked, ConsentError
from .state import Recorded
from .wire import Dispatch, Incoming, Reply

__all__ = ["PREFIX", "ControlledEmulator", "EmulatorControl"]

PREFIX = "/_emulator"
_FAIL_NEXT_ARGS = frozenset({"count", "status", "method", "path", "retry_after"})
_FORWARD_TIMEOUT = 10.0


class ControlledEmulator(Protocol):
    """**Protocol:** the emulator surface the control endpoints use."""

    @property
    def client_id(self) -> str: ...

    @property
    def client_secret(self) -> str: ...

    @property
    def redirect_uri(self) -> str: ...

    def request_log(self) -> list[Recorded]: ...

    def users(self) -> list[Any]: ...

    def add_user(self, email: str) -> Any: ...

    def meetings(self, user: Any = None) -> list[dict[str, Any]]: ...

    @property
    def fail_next(self) -> Callable[..., None]: ...

    def remove_app(self, user: Any) -> tuple[dict[str, str], bytes] | None: ...

    def consent(self, authorize_url: str, user: Any, *, allow: bool = True) -> dict[str, str]: ...

    def reset(self) -> None: ...


def _json(status: int, data: Any) -> Reply:
    headers = {"Content-Type": "application/json; charset=utf-8"}
    return Reply(status, json.dumps(data, indent=1).encode("utf-8"), headers)


class _BadRequest(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


class EmulatorControl:
    """The ``/_emulator/*`` endpoints in front of one emulator's dispatch.

    ``GET /_emulator`` shows the registered app (``provider``, client id and secret, redirect
    URI, and ``extra`` such as Zoom's webhook secret); ``webhook_url`` is where webhooks are
    POSTed (the host's webhook route)."""

    def __init__(
        self,
        emulator: ControlledEmulator,
        *,
        provider: str,
        extra: Mapping[str, str] | None = None,
        webhook_url: str | None = None,
        forward: Callable[[str, Mapping[str, str], bytes], httpx.Response] | None = None,
    ) -> None:
        self._emulator = emulator
        self._app = {
            "provider": provider,
            "client_id": emulator.client_id,
            "client_secret": emulator.client_secret,
            "redirect_uri": emulator.redirect_uri,
            **(extra or {}),
        }
        self._webhook_url = webhook_url
        self._forward = forward or _post
        self._origins: frozenset[str] = frozenset()  # none until served: all refused

    def serving_at(self, port: int) -> None:
        """The loopback port the emulator is served on: the only Host (and Origin) answered."""
        self._origins = frozenset({f"127.0.0.1:{port}", f"localhost:{port}"})

    def wrap(self, dispatch: Dispatch) -> Dispatch:
        """``dispatch`` with the control endpoints in front of it (``headers`` with
        lower-case names)."""

        def handle(method: str, target: str, headers: dict[str, str], body: bytes) -> Reply:
            request = Incoming.parse(method, target, headers, body)
            path = request.path
            if path != PREFIX and not path.startswith(PREFIX + "/"):
                return dispatch(method, target, headers, body)
            try:
                self._guard(request.method, headers)
                return self._route(request.method, path[len(PREFIX) :] or "/", request)
            except _BadRequest as exc:
                return _json(exc.status, {"error": str(exc)})

        return handle

    def _guard(self, method: str, headers: Mapping[str, str]) -> None:
        """403 unless the request comes from this machine's developer (the module
        docstring says how that is told); 415 for a POST whose body is not declared JSON."""
        if headers.get("host", "").strip().lower() not in self._origins:
            raise _BadRequest(403, "control endpoints answer only at the emulator's own address")
        origin = headers.get("origin")
        if origin is not None and origin.strip().lower() not in {
            f"http://{o}" for o in self._origins
        }:
            raise _BadRequest(403, "control endpoints answer no other site's pages")
        media = headers.get("content-type", "").split(";")[0].strip().lower()
        if method != "GET" and media != "application/json":
            raise _BadRequest(415, "send JSON with Content-Type: application/json")

    def _route(self, method: str, path: str, request: Incoming) -> Reply:
        body, query = request.body, request.query
        routes: dict[tuple[str, str], Callable[[], Reply]] = {
            ("GET", "/"): lambda: _json(200, {**self._app, "webhook_url": self._webhook_url}),
            ("GET", "/users"): lambda: _json(200, [_plain(u) for u in self._emulator.users()]),
            ("POST", "/users"): lambda: self._add_user(_fields(body)),
            ("POST", "/remove-app"): lambda: self._remove_app(_fields(body)),
            ("POST", "/webhook"): lambda: self._webhook(_fields(body)),
            ("POST", "/fail-next"): lambda: self._fail_next(_fields(body)),
            ("GET", "/meetings"): lambda: self._meetings(query.get("email")),
            ("GET", "/requests"): lambda: _json(200, [_logged(r) for r in self._log()]),
            ("POST", "/consent"): lambda: self._consent(_fields(body)),
            ("POST", "/reset"): self._reset,
            ("POST", "/access-policy"): lambda: self._access_policy(_fields(body)),
            ("POST", "/forbid"): lambda: self._forbid(_fields(body)),
        }
        action = routes.get((method, path.rstrip("/") or "/"))
        if action is None:
            known = ", ".join(f"{m} {PREFIX}{p}" for m, p in routes)
            raise _BadRequest(404, f"no control endpoint {method} {PREFIX}{path}; known: {known}")
        return action()

    def _user(self, email: Any) -> Any:
        if not isinstance(email, str) or not email:
            raise _BadRequest(400, 'send {"email": "..."}')
        found = [u for u in self._emulator.users() if u.email.lower() == email.lower()]
        if not found:
            raise _BadRequest(404, f"no user {email!r}; add one with POST {PREFIX}/users")
        return found[0]

    def _add_user(self, fields: dict[str, Any]) -> Reply:
        email = fields.get("email")
        if not isinstance(email, str) or "@" not in email:
            raise _BadRequest(400, 'send {"email": "someone@example.com"}')
        allowed = getattr(self._emulator, "control_user_options", ())
        unknown = sorted(set(fields) - {"email", *allowed})
        if unknown:
            raise _BadRequest(400, f"unknown user option(s): {', '.join(unknown)}")
        options = {k: v for k, v in fields.items() if k != "email"}
        try:
            made = self._emulator.add_user(email, **options)
        except (TypeError, ValueError) as exc:
            raise _BadRequest(400, f"users: {exc}") from exc
        return _json(201, _plain(made))

    def _access_policy(self, fields: dict[str, Any]) -> Reply:
        grant = getattr(self._emulator, "grant_access_policy", None)
        if not callable(grant):
            raise _BadRequest(404, "this provider has no application access policies")
        if fields.get("global") is True:
            grant()
            return _json(200, {"granted": "global"})
        user = self._user(fields.get("email"))
        grant(user)
        return _json(200, {"granted": user.email})

    def _forbid(self, fields: dict[str, Any]) -> Reply:
        forbid = getattr(self._emulator, "forbid", None)
        if not callable(forbid):
            raise _BadRequest(404, "this provider has no per-user hosting rights")
        user = self._user(fields.get("email"))
        forbid(user)
        return _json(200, {"forbidden": user.email})

    def _remove_app(self, fields: dict[str, Any]) -> Reply:
        user = self._user(fields.get("email"))
        if fields.get("admin_app") is True:
            remove: Callable[..., Any] = self._emulator.remove_app  # Zoom's admin_app keyword
            try:
                admin_signed = remove(user, admin_app=True)
            except TypeError as exc:
                raise _BadRequest(404, "this provider has no admin-managed app") from exc
            return self._send(admin_signed, {"removed": user.email, "admin_app": True})
        signed = self._emulator.remove_app(user)
        if signed is None:
            note = "this provider sends no webhook: the link's next token refresh fails"
            return _json(200, {"removed": user.email, "webhook": None, "note": note})
        return self._send(signed, {"removed": user.email})

    def _webhook(self, fields: dict[str, Any]) -> Reply:
        sign = getattr(self._emulator, "webhook", None)
        if not callable(sign):
            raise _BadRequest(404, "this provider sends no webhooks")
        event, payload = fields.get("event"), fields.get("payload", {})
        if not isinstance(event, str) or not isinstance(payload, dict):
            raise _BadRequest(400, 'send {"event": "...", "payload": {...}}')
        return self._send(sign(event, payload), {"event": event})

    def _send(self, signed: tuple[dict[str, str], bytes], done: dict[str, Any]) -> Reply:
        headers, body = signed
        if self._webhook_url is None:  # nowhere to send it: hand it over instead
            webhook: dict[str, Any] = {"url": None, "headers": headers, "body": body.decode()}
            return _json(200, {**done, "webhook": webhook})
        try:
            answer = self._forward(self._webhook_url, headers, body)
        except httpx.HTTPError as exc:
            error = f"could not POST the webhook to {self._webhook_url}: {type(exc).__name__}"
            return _json(502, {**done, "webhook": {"url": self._webhook_url, "error": error}})
        webhook = {
            "url": self._webhook_url,
            "status": answer.status_code,
            "answer": answer.text[:2000],
        }
        return _json(200, {**done, "webhook": webhook})

    def _fail_next(self, fields: dict[str, Any]) -> Reply:
        unknown = sorted(set(fields) - _FAIL_NEXT_ARGS)
        if unknown:
            raise _BadRequest(400, f"unknown fail-next argument(s): {', '.join(unknown)}")
        try:
            self._emulator.fail_next(**fields)
        except (TypeError, ValueError) as exc:
            raise _BadRequest(400, f"fail-next: {exc}") from exc
        return _json(200, {"armed": fields})

    def _log(self) -> list[Recorded]:
        return self._emulator.request_log()

    def _consent(self, fields: dict[str, Any]) -> Reply:
        url, allow = fields.get("authorize_url"), fields.get("allow", True)
        if not isinstance(url, str) or not isinstance(allow, bool):
            raise _BadRequest(400, 'send {"authorize_url": "...", "email": "...", "allow": true}')
        user = self._user(fields.get("email"))
        answer: Callable[..., dict[str, str]] = self._emulator.consent
        if fields.get("admin_consent") is True:
            admin_page = getattr(self._emulator, "admin_consent", None)
            if not callable(admin_page):
                raise _BadRequest(404, "this provider has no admin consent page")
            answer = admin_page
        try:
            params = answer(url, user, allow=allow)
        except ConsentError as exc:  # the provider's own page refused: say what it showed
            status = 403 if isinstance(exc, ConsentBlocked) else 400
            return _json(status, {"error": type(exc).__name__, "message": str(exc)})
        separator = "&" if "?" in self._emulator.redirect_uri else "?"
        location = self._emulator.redirect_uri + separator + urlencode(params)
        return _json(200, {"params": params, "location": location})

    def _reset(self) -> Reply:
        self._emulator.reset()
        return _json(200, {"reset": True})

    def _meetings(self, email: str | None) -> Reply:
        user = None if email is None else self._user(email)
        return _json(200, self._emulator.meetings(user))


def _fields(body: bytes) -> dict[str, Any]:
    try:
        data = json.loads(body or b"{}")
    except ValueError as exc:
        raise _BadRequest(400, "the body must be a JSON object") from exc
    if not isinstance(data, dict):
        raise _BadRequest(400, "the body must be a JSON object")
    return data


def _logged(recorded: Recorded) -> dict[str, str]:
    return {"method": recorded.method, "path": recorded.path, "query": recorded.query}


def _plain(user: Any) -> dict[str, Any]:
    return attrs.asdict(user) if attrs.has(type(user)) else {"email": user.email}


def _post(url: str, headers: Mapping[str, str], body: bytes) -> httpx.Response:
    return httpx.post(url, headers=dict(headers), content=body, timeout=_FORWARD_TIMEOUT)
