"""How requests reach the emulator: routing with faults and latency, an in-process httpx
transport, and a real threaded HTTP server on 127.0.0.1.

Both the OAuth host (``/oauth/...``) and the API host (``/v2/...``) are served by path, so
one transport or one server stands in for ``https://zoom.us`` and ``https://api.zoom.us``.
"""

from __future__ import annotations

import time

import attrs

from meetlink.adapters.loopback import Dispatch, split_target

from .emulator_api import handle_api
from .emulator_oauth import authorize_page, authorize_submit, revoke_endpoint, token_endpoint
from .emulator_state import EmulatorState, Fault, Incoming, Reply

__all__ = ["dispatch", "raw_dispatch"]

_PER_SECOND_MESSAGE = (
    "You have reached the maximum per-second rate limit for this API. Try again later."
)


def _fault_reply(fault: Fault, path: str) -> Reply:
    if fault.status == 429:
        headers = {
            "Retry-After": str(fault.retry_after),
            "X-RateLimit-Category": "Light",
            "X-RateLimit-Type": "QPS",
            "X-RateLimit-Remaining": "0",
        }
        return Reply.json(429, {"code": 429, "message": _PER_SECOND_MESSAGE}, headers)
    if fault.status == 401 and path.startswith("/v2/"):
        return Reply.json(401, {"code": 124, "message": "Invalid access token."})
    if path.startswith("/oauth/"):
        return Reply.json(fault.status, {"reason": "Injected failure", "error": "server_error"})
    return Reply.json(fault.status, {"code": fault.status, "message": "Injected failure."})


def _route(state: EmulatorState, request: Incoming) -> Reply:
    method, path = request.method, request.path
    if path.startswith("/v2/"):
        return handle_api(state, request)
    if path == "/oauth/authorize" and method == "GET":
        return authorize_page(state, request)
    if path == "/oauth/authorize" and method == "POST":
        return authorize_submit(state, request)
    if path == "/oauth/token" and method == "POST":
        return token_endpoint(state, request)
    if path == "/oauth/revoke" and method == "POST":
        return revoke_endpoint(state, request)
    return Reply.json(404, {"code": 404, "message": "This API endpoint is not recognized."})


def dispatch(state: EmulatorState, request: Incoming) -> Reply:
    """Record, apply any matching ``fail_next`` rule, and serve one request."""
    latency = state.latency
    if latency > 0:
        time.sleep(latency)  # outside the lock: concurrent requests overlap, as with Zoom
    with state.lock:
        state.requests.append((request.method, request.path))
        fault = next((f for f in state.faults if f.matches(request.method, request.path)), None)
        if fault is not None:
            fault.remaining -= 1
            if fault.remaining <= 0:
                state.faults.remove(fault)
            if fault.status != 0:
                reply = _fault_reply(fault, request.path)
                state.throttled += reply.status == 429
                return reply
        reply = _route(state, request)
        state.throttled += reply.status == 429
        return attrs.evolve(reply, drop=True) if fault is not None else reply


def _incoming(method: str, target: str, headers: dict[str, str], body: bytes) -> Incoming:
    path, query = split_target(target)
    return Incoming(method.upper(), path, query, headers, body)


def raw_dispatch(state: EmulatorState) -> Dispatch:
    """``state``'s :func:`dispatch` over raw requests, for
    :class:`~meetlink.adapters.emulator_front.EmulatorFront` to serve."""

    def handle(method: str, target: str, headers: dict[str, str], body: bytes) -> Reply:
        return dispatch(state, _incoming(method, target, headers, body))

    return handle
