"""How requests reach a provider emulator: an in-process httpx transport and a real threaded
HTTP server on 127.0.0.1, both over one ``dispatch`` function of the emulator.

An answer marked ``drop`` was applied, then its connection is lost: in-process that raises
``httpx.RemoteProtocolError``, over HTTP the connection closes without a response.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Protocol
from urllib.parse import parse_qsl, urlsplit

import attrs
import httpx

__all__ = ["Dispatch", "EmulatorServer", "LoopbackTransport", "Served", "serve", "split_target"]


class Served(Protocol):
    """**Protocol:** an emulator's answer."""

    @property
    def status(self) -> int: ...

    @property
    def body(self) -> bytes: ...

    @property
    def headers(self) -> Mapping[str, str]: ...

    @property
    def drop(self) -> bool: ...


#: ``dispatch(method, target, headers, body)``: ``target`` is the path with its query string,
#: header names are lower-case.
Dispatch = Callable[[str, str, dict[str, str], bytes], Served]


def split_target(target: str) -> tuple[str, dict[str, str]]:
    """A request target split into its path and its query parameters."""
    parts = urlsplit(target)
    return parts.path or "/", dict(parse_qsl(parts.query, keep_blank_values=True))


class LoopbackTransport(httpx.BaseTransport):
    """An in-process httpx transport over one emulator (like ``httpx.MockTransport``)."""

    def __init__(self, dispatch: Dispatch) -> None:
        self._dispatch = dispatch

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        """Serve ``request`` from the emulator."""
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in request.headers.raw}
        target = request.url.raw_path.decode("ascii")
        reply = self._dispatch(request.method, target, headers, request.read())
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
        reply = self.server.dispatch(self.command, self.path, headers, body)
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
        """Silent: the emulator records its requests itself."""


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, dispatch: Dispatch) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.dispatch = dispatch


@attrs.frozen
class EmulatorServer:
    """A running loopback server: ``base_url`` serves every path of the emulated provider."""

    base_url: str
    host: str
    port: int


@contextmanager
def serve(dispatch: Dispatch, *, name: str) -> Iterator[EmulatorServer]:
    """Serve ``dispatch`` over HTTP on 127.0.0.1 (a free port) until the block ends."""
    server = _Server(dispatch)
    port = int(server.server_address[1])
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), name=name, daemon=True)
    thread.start()
    try:
        yield EmulatorServer(base_url=f"http://127.0.0.1:{port}", host="127.0.0.1", port=port)
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
