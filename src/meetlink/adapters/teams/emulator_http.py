"""How requests reach the Teams emulator: routing with faults and latency, an in-process
httpx transport, and a threaded HTTP server on 127.0.0.1.

The identity host (``/{tenant}/oauth2/v2.0/...``) and Graph (``/v1.0/...``) are served by path,
so one transport or one server stands in for ``login.microsoftonline.com`` and
``graph.microsoft.com``.
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, unquote, urlsplit

import attrs
import httpx

from .emulator_graph import graph_error, handle_graph
from .emulator_identity import authorize_page, authorize_submit, entra_error, token_endpoint
from .emulator_state import EmulatorState, Fault, Incoming, Reply

__all__ = ["EmulatorServer", "EmulatorTransport", "dispatch", "serve_state"]

_IDENTITY = re.compile(r"/([^/]+)/oauth2/v2\.0/(authorize|token)")
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
    parts = urlsplit(target)
    query = dict(parse_qsl(parts.query, keep_blank_values=True))
    return Incoming(method.upper(), parts.path or "/", query, headers, body)


class EmulatorTransport(httpx.BaseTransport):
    """An in-process httpx transport over one emulator. A status-0 fault applies the request,
    then raises ``httpx.RemoteProtocolError`` (a response lost after Microsoft acted)."""

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
        """Silent: requests are in ``TeamsEmulator.requests``."""


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, state: EmulatorState) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.state = state


@attrs.frozen
class EmulatorServer:
    """A running loopback server: ``base_url`` serves both identity and Graph paths."""

    base_url: str
    host: str
    port: int


@contextmanager
def serve_state(state: EmulatorState) -> Iterator[EmulatorServer]:
    """Serve ``state`` over HTTP on 127.0.0.1 (a free port) until the block ends."""
    server = _Server(state)
    port = int(server.server_address[1])
    thread = threading.Thread(
        target=server.serve_forever, args=(0.05,), name="teams-emulator", daemon=True
    )
    thread.start()
    try:
        yield EmulatorServer(base_url=f"http://127.0.0.1:{port}", host="127.0.0.1", port=port)
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
