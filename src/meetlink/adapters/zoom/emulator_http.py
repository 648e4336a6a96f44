"""How requests reach the emulator: routing with faults and latency, an in-process httpx
transport, and a real threaded HTTP server on 127.0.0.1.

Both the OAuth host (``/oauth/...``) and the API host (``/v2/...``) are served by path, so
one transport or one server stands in for ``https://zoom.us`` and ``https://api.zoom.us``.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, urlsplit

import attrs
import httpx

from .emulator_api import handle_api
from .emulator_oauth import authorize_page, authorize_submit, revoke_endpoint, token_endpoint
from .emulator_state import EmulatorState, Fault, Incoming, Reply

__all__ = ["EmulatorServer", "EmulatorTransport", "dispatch", "serve_state"]

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
                return _fault_reply(fault, request.path)
        reply = _route(state, request)
        return attrs.evolve(reply, drop=True) if fault is not None else reply


def _incoming(method: str, target: str, headers: dict[str, str], body: bytes) -> Incoming:
    parts = urlsplit(target)
    query = dict(parse_qsl(parts.query, keep_blank_values=True))
    return Incoming(method.upper(), parts.path or "/", query, headers, body)


class EmulatorTransport(httpx.BaseTransport):
    """An in-process httpx transport over one emulator (like ``httpx.MockTransport``).

    A status-0 fault applies the request, then raises ``httpx.RemoteProtocolError`` (a
    response lost after Zoom acted on the request).
    """

    def __init__(self, state: EmulatorState) -> None:
        self._state = state

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        """Serve ``request`` from the emulator."""
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in request.headers.raw}
        target = request.url.raw_path.decode("ascii")
        reply = dispatch(self._state, _incoming(request.method, target, headers, request.read()))
        if reply.drop:
            raise httpx.RemoteProtocolError(
                "Server disconnected without sending a response.", request=request
            )
        return httpx.Response(reply.status, headers=dict(reply.headers), content=reply.body)


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.1"

    def _serve(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length > 0 else b""
        headers = {k.lower(): v for k, v in self.headers.items()}
        reply = dispatch(self.server.state, _incoming(self.command, self.path, headers, body))
        if reply.drop:
            self.close_connection = True  # the request was applied; the answer is lost
            return
        self.send_response(reply.status)
        for name, value in reply.headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(reply.body)))
        self.end_headers()
        self.wfile.write(reply.body)

    do_GET = do_POST = do_PATCH = do_DELETE = do_PUT = _serve

    def log_message(self, format: str, *args: object) -> None:
        """Silent: requests are in ``ZoomEmulator.requests``."""


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, state: EmulatorState) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.state = state


@attrs.frozen
class EmulatorServer:
    """A running loopback server: ``base_url`` serves both the OAuth and the API paths."""

    base_url: str
    host: str
    port: int


@contextmanager
def serve_state(state: EmulatorState) -> Iterator[EmulatorServer]:
    """Serve ``state`` over HTTP on 127.0.0.1 (a free port) until the block ends."""
    server = _Server(state)
    port = int(server.server_address[1])
    thread = threading.Thread(
        target=server.serve_forever, args=(0.05,), name="zoom-emulator", daemon=True
    )
    thread.start()
    try:
        yield EmulatorServer(base_url=f"http://127.0.0.1:{port}", host="127.0.0.1", port=port)
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
