"""The webhook routes count the bytes they read and stop at the limit whatever the framing
(issue 21, finding 3): a chunked body with no Content-Length, far over the limit, sent to a
real server process (Flask on werkzeug's server, Starlette on uvicorn, Django's sync views on
werkzeug's server and its async views on uvicorn) gets 413 while the
server's resident memory stays flat. Memory is compared, never time."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from meetlink.integrations.endpoints import MAX_WEBHOOK_BYTES

ROOT = Path(__file__).resolve().parents[2]
MIB = 1 << 20
#: What the test sends: 4,096 times the limit.
SENT = 256 * MIB
#: How much the server may grow while it is sent: an eighth of it (a route that kept the
#: body would grow by all of it). werkzeug's development server itself reads what a client
#: still sends after the answer, 10 MB at a time, and drops it.
GROWTH = SENT // 8


def _rss(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    raise AssertionError("no VmRSS")


@pytest.fixture(params=["flask", "starlette", "django", "django-async"])
def server(request: pytest.FixtureRequest) -> Iterator[tuple[int, int]]:
    """(pid, port) of a server process serving the webhook route on 127.0.0.1."""
    process = subprocess.Popen(
        [sys.executable, "-m", "tests.integrations.webhook_server", request.param],
        cwd=ROOT,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        port = int(process.stdout.readline())
        _wait_listening(port)
        yield process.pid, port
    finally:
        assert process.stdin is not None
        process.stdin.close()  # the server stops when its stdin closes
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        if process.stdout is not None:
            process.stdout.close()


def _wait_listening(port: int) -> None:
    for _ in range(300):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except ConnectionRefusedError:
            time.sleep(0.1)
    raise AssertionError(f"nothing listens on port {port}")


def _post(port: int, head: bytes, body: Iterator[bytes]) -> int:
    """Send ``head`` then ``body`` until the server answers or stops reading; the status."""
    with socket.create_connection(("127.0.0.1", port), timeout=30) as sock:
        sock.sendall(head)
        try:
            for chunk in body:
                sock.sendall(chunk)
        except (BrokenPipeError, ConnectionResetError, TimeoutError):
            pass  # the server answered and stopped reading: as it should
        answer = b""
        try:
            while b"\r\n" not in answer:
                data = sock.recv(4096)
                if not data:
                    break
                answer += data
        except (ConnectionResetError, TimeoutError):
            pass
    assert answer.startswith(b"HTTP/1."), answer[:200]
    return int(answer.split()[1])


def _chunked(total: int) -> Iterator[bytes]:
    piece = b"x" * MIB
    for _ in range(total // MIB):
        yield b"%x\r\n" % len(piece) + piece + b"\r\n"
    yield b"0\r\n\r\n"


HEAD = (
    b"POST /meetlink/zoom/webhook HTTP/1.1\r\nHost: 127.0.0.1\r\n"
    b"Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"
)


def test_a_chunked_body_over_the_limit_is_refused_with_flat_memory(
    server: tuple[int, int],
) -> None:
    pid, port = server
    # Warm up: the first request loads what every request needs.
    assert _post(port, HEAD, iter([b"2\r\n{}\r\n0\r\n\r\n"])) == 401  # unsigned
    before = _rss(pid)
    assert _post(port, HEAD, _chunked(SENT)) == 413
    grown = _rss(pid) - before
    assert grown < GROWTH, f"the server grew by {grown / MIB:.0f} MiB for {SENT // MIB} MiB sent"
    assert SENT > 1000 * MAX_WEBHOOK_BYTES


def test_a_chunked_body_under_the_limit_still_reaches_handle_webhook(
    server: tuple[int, int],
) -> None:
    _, port = server
    body = b"{" + b" " * (MAX_WEBHOOK_BYTES - 2) + b"}"
    chunks = iter([b"%x\r\n" % len(body) + body + b"\r\n0\r\n\r\n"])
    assert _post(port, HEAD, chunks) == 401  # read whole, then refused for its signature


def test_a_signed_chunked_webhook_is_read_whole(server: tuple[int, int]) -> None:
    """Under the limit, a chunked body reaches ``handle_webhook`` whole: signed as the
    server's sandbox signs (same seed, same clock), its validation answer comes back. (Django's
    own WSGI request reads no body without a Content-Length: the route reads the server's
    de-chunked input.)"""
    from meetlink.testing import Sandbox

    from .webhook_server import T0

    with Sandbox(now=T0, seed=1) as twin:
        headers, body = twin.zoom.webhook("endpoint.url_validation", {"plainToken": "abc"})
    head = b"POST /meetlink/zoom/webhook HTTP/1.1\r\nHost: 127.0.0.1\r\n" + b"".join(
        f"{name}: {value}\r\n".encode() for name, value in headers.items()
    )
    head += b"Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
    half = len(body) // 2
    chunks = [body[:half], body[half:]]
    framed = b"".join(b"%x\r\n" % len(c) + c + b"\r\n" for c in chunks) + b"0\r\n\r\n"
    _, port = server
    assert _post(port, head, iter([framed])) == 200
