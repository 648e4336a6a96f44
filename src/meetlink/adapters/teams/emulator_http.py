"""How requests reach the Teams emulator: routing with faults and latency, an in-process
httpx transport, and a threaded HTTP server on 127.0.0.1.

The identity host (``/{tenant}/oauth2/v2.0/...``) and Graph (``/v1.0/...``) are served by path,
so one transport or one server stands in for ``login.microsoftonline.com`` and
``graph.microsoft.com``.
"""

from __future__ import annotations

import re
import time
from urllib.parse import unquote

import attrs

from meetlink.adapters.loopback import Dispatch, split_target

from .emulator_admin import admin_consent_page, admin_consent_submit
from .emulator_graph import graph_error, handle_graph
from .emulator_identity import authorize_page, authorize_submit, entra_error, token_endpoint
from .emulator_state import EmulatorState, Fault, Incoming, Reply

__all__ = ["dispatch", "raw_dispatch"]

_IDENTITY = re.compile(r"/([^/]+)/oauth2/v2\.0/(authorize|token)")
_ADMIN_CONSENT = re.compile(r"/([^/]+)/(?:v2\.0/)?adminconsent")
_REQUEST_ID = "x-emulator-request-id"


def _fault_reply(state: EmulatorState, fault: Fault, request: Incoming) -> Reply:
    headers = {"Retry-After": fault.retry_after} if fault.retry_after is not None else {}
    if not request.path.startswith("/v1.0/"):
        error = "temporarily_unavailable" if fault.status >= 500 else "invalid_request"
        reply = entra_error(state, fault.status, error, 90006, "Injected failure.")
        return attrs.evolve(reply, headers={**reply.headers, **headers})
    code, text = {
        429: ("TooManyRequests", "The server is busy. Please try again later."),
        401: ("InvalidAuthenticationToken", "Access token has expired or is not yet valid."),
        503: ("serviceNotAvailable", "The service is temporarily unavailable."),
        504: ("gatewayTimeout", "The gateway timed out."),
    }.get(fault.status, ("generalException", "Injected failure."))
    reply = graph_error(state, request, fault.status, code, text)
    return attrs.evolve(reply, headers={**reply.headers, **headers})


def _route(state: EmulatorState, request: Incoming) -> Reply:
    if request.path.startswith("/v1.0/"):
        return handle_graph(state, request)
    found = _IDENTITY.fullmatch(request.path)
    if found is not None:
        segment, endpoint = unquote(found.group(1)), found.group(2)
        if endpoint == "token" and request.method == "POST":
            return token_endpoint(state, segment, request)
        if endpoint == "authorize" and request.method == "GET":
            return authorize_page(state, segment, request)
        if endpoint == "authorize" and request.method == "POST":
            return authorize_submit(state, segment, request)
    found = _ADMIN_CONSENT.fullmatch(request.path)
    if found is not None and request.method in ("GET", "POST"):
        segment = unquote(found.group(1))
        if request.method == "GET":
            return admin_consent_page(state, segment, request)
        return admin_consent_submit(state, segment, request)
    return Reply.html(404, "<!DOCTYPE html><title>404</title><p>Not found.</p>")


def dispatch(state: EmulatorState, request: Incoming) -> Reply:
    """Record, apply any matching ``fail_next`` rule, and serve one request. Graph answers
    carry ``request-id`` and echo ``client-request-id``."""
    if state.latency > 0:
        time.sleep(state.latency)  # outside the lock: concurrent requests overlap
    with state.lock:
        state.requests.append((request.method, request.path))
        graph = request.path.startswith("/v1.0/")
        extra: dict[str, str] = {}
        if graph:
            extra["request-id"] = state.guid()
            extra["client-request-id"] = (
                request.headers.get("client-request-id") or (extra["request-id"])
            )
            request = attrs.evolve(
                request,
                headers={
                    **request.headers,
                    _REQUEST_ID: extra["request-id"],
                    "client-request-id": extra["client-request-id"],
                },
            )
        fault = next((f for f in state.faults if f.matches(request.method, request.path)), None)
        if fault is not None:
            fault.remaining -= 1
            if fault.remaining <= 0:
                state.faults.remove(fault)
        if fault is not None and fault.status != 0:
            reply = _fault_reply(state, fault, request)
        else:
            reply = _route(state, request)
            if fault is not None:
                reply = attrs.evolve(reply, drop=True)  # status 0: applied, answer lost
        return attrs.evolve(reply, headers={**reply.headers, **extra}) if extra else reply


def _incoming(method: str, target: str, headers: dict[str, str], body: bytes) -> Incoming:
    path, query = split_target(target)
    return Incoming(method.upper(), path, query, headers, body)


def raw_dispatch(state: EmulatorState) -> Dispatch:
    """``state``'s :func:`dispatch` over raw requests, for
    :class:`~meetlink.adapters.emulator_front.EmulatorFront` to serve."""

    def handle(method: str, target: str, headers: dict[str, str], body: bytes) -> Reply:
        return dispatch(state, _incoming(method, target, headers, body))

    return handle
