"""How requests reach a provider emulator: an in-process httpx transport and a real threaded
HTTP server on 127.0.0.1, both over one ``dispatch`` function of the emulator.

An answer marked ``drop`` was applied, then its connection is lost: in-process that raises
``httpx.RemoteProtocolError``, over HTTP the connection closes without a response.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import attrs
import httpx

from .wire import Dispatch

__all__ = ["MAX_REQUEST_BODY", "EmulatorServer", "LoopbackTransport", "serve"]


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


#: The largest request body the servers read (no provider request comes near it).
MAX_REQUEST_BODY = 1024 * 1024


def _content_length(values: list[str]) -> int:
    """The one Content-Length of a request (RFC 9110 8.6), or ValueError saying why not."""
    if not values:
        return 0
    if len(set(v.strip() for v in values)) != 1:
        raise ValueError("conflicting Content-Length headers")
    value = values[0].strip()
    if not value.isascii() or not value.isdigit():
        raise ValueError("Content-Length is not a number")
    return int(value)


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.1"
    # Every answer has a status line, also to a bad or version-less ("GET /") request line:
    # the standard library would answer those as HTTP/0.9, with no status line at all.
    default_request_version = "HTTP/1.0"
    timeout = 30  # seconds a client may stall mid-request before its connection is dropped
    # The status line and headers go out before the body: without TCP_NODELAY, Nagle's
    # algorithm holds the body until the client's delayed ACK (40 ms per request on Linux).
    disable_nagle_algorithm = True

    def _read_body(self) -> bytes | None:
        """The request body, or None after answering why it cannot be read."""
        if "Transfer-Encoding" in self.headers:
            self.send_error(501, "Transfer-Encoding is not supported; send Content-Length")
            return None
        try:
            length = _content_length(self.headers.get_all("Content-Length") or [])
        except ValueError as why:
            self.send_error(400, str(why))
            return None
        if length > MAX_REQUEST_BODY:
            self.send_error(413, f"request body larger than {MAX_REQUEST_BODY} bytes")
            return None
        body = self.rfile.read(length) if length else b""
        if len(body) < length:
            self.send_error(400, "request body shorter than its Content-Length")
            return None
        return body

    def _serve(self) -> None:
        body = self._read_body()
        if body is None:
            return
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
    request_queue_size = 128  # many worker processes connecting at once (the default is 5)

    def __init__(self, dispatch: Dispatch, port: int = 0) -> None:
        super().__init__(("127.0.0.1", port), _Handler)
        self.dispatch = dispatch


@attrs.frozen
class EmulatorServer:
    """A running loopback server: ``base_url`` serves every path of the emulated provider."""

    base_url: str
    host: str
    port: int


@contextmanager
def serve(dispatch: Dispatch, *, name: str, port: int = 0) -> Iterator[EmulatorServer]:
    """Serve ``dispatch`` over HTTP on 127.0.0.1 until the block ends, on ``port`` (0: a
    free one)."""
    server = _Server(dispatch, port)
    port = int(server.server_address[1])
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), name=name, daemon=True)
    thread.start()
    try:
        yield EmulatorServer(base_url=f"http://127.0.0.1:{port}", host="127.0.0.1", port=port)
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
