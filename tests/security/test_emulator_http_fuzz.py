"""Both emulators' HTTP servers answer any request with an HTTP status line and keep serving:
arbitrary request lines, headers and Content-Length values (issue 14, item 7)."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from contextlib import ExitStack

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from meetlink.emulators.core.loopback import EmulatorServer
from meetlink.emulators.teams import TeamsEmulator
from meetlink.emulators.zoom import ZoomEmulator

PATHS = [
    "/oauth/token",
    "/oauth/authorize?response_type=code&client_id=x&state=s",
    "/oauth/revoke",
    "/v2/users/me",
    "/v2/users/me/meetings",
    "/v2/meetings/123",
    "/common/oauth2/v2.0/token",
    "/organizations/oauth2/v2.0/authorize?client_id=x",
    "/v1.0/me/onlineMeetings",
    "/v1.0/me/onlineMeetings/createOrGet",
    "/",
]
_TEXT = st.text(st.characters(codec="latin-1"), max_size=40)
_WORD = st.text(st.characters(min_codepoint=33, max_codepoint=126), min_size=1, max_size=12)

methods = st.one_of(st.sampled_from(["GET", "POST", "PATCH", "DELETE", "PUT", "HEAD"]), _WORD)
targets = st.one_of(
    st.sampled_from(PATHS),
    st.builds(lambda p, q: p + "?" + q, st.sampled_from(PATHS), _TEXT),
    _TEXT.map(lambda t: "/" + t),
)
versions = st.sampled_from(["HTTP/1.1", "HTTP/1.0", "HTTP/2.0", "HTTP/1", "FTP/1.1", ""])
header_names = st.one_of(
    st.sampled_from(
        ["Content-Type", "Authorization", "Transfer-Encoding", "Expect", "Connection", "Host"]
    ),
    _WORD,
)
header_values = st.one_of(
    st.sampled_from(
        [
            "application/json",
            "application/x-www-form-urlencoded",
            "Basic eDp5",
            "Bearer x",
            "chunked",
            "100-continue",
            "close",
            "keep-alive",
        ]
    ),
    _TEXT,
)
lengths = st.one_of(
    st.none(),
    st.integers(min_value=-3, max_value=3000).map(str),
    _TEXT,
    st.sampled_from(["1e3", " 5", "0x10", "99999999999999999999", "5, 6"]),
)
bodies = st.one_of(
    st.binary(max_size=300),
    st.sampled_from([b"{}", b'{"topic": 1}', b"grant_type=authorization_code&code=x", b"[" * 3000]),
)


def _request(
    method: str,
    target: str,
    version: str,
    headers: list[tuple[str, str]],
    length: str | None,
    body: bytes,
) -> bytes:
    line = " ".join(part for part in (method, target, version) if part)
    lines = [line] + [f"{name}: {value}" for name, value in headers]
    if length is not None:
        lines.append(f"Content-Length: {length}")
    head = "\r\n".join(lines) + "\r\n\r\n"
    return head.encode("latin-1") + body


def _exchange(server: EmulatorServer, raw: bytes) -> bytes:
    """Send ``raw``, close our side, and read what the server answers until it closes."""
    with socket.create_connection((server.host, server.port), timeout=20) as sock:
        sock.sendall(raw)
        sock.shutdown(socket.SHUT_WR)
        chunks = []
        while chunk := sock.recv(65536):
            chunks.append(chunk)
    return b"".join(chunks)


@pytest.fixture(scope="module")
def servers() -> Iterator[list[EmulatorServer]]:
    with ExitStack() as stack:
        zoom = ZoomEmulator(seed=1)
        teams = TeamsEmulator(seed=1)
        yield [stack.enter_context(zoom.serve()), stack.enter_context(teams.serve())]


def _still_serving(server: EmulatorServer) -> None:
    answer = _exchange(server, b"GET /v2/users/me HTTP/1.1\r\nHost: x\r\n\r\n")
    assert answer.startswith(b"HTTP/1.1 "), answer[:80]


@settings(max_examples=150)
@given(
    which=st.integers(min_value=0, max_value=1),
    method=methods,
    target=targets,
    version=versions,
    headers=st.lists(st.tuples(header_names, header_values), max_size=6),
    length=lengths,
    body=bodies,
)
def test_any_request_gets_an_http_answer_and_the_server_keeps_serving(
    servers: list[EmulatorServer],
    which: int,
    method: str,
    target: str,
    version: str,
    headers: list[tuple[str, str]],
    length: str | None,
    body: bytes,
) -> None:
    server = servers[which]
    answer = _exchange(server, _request(method, target, version, headers, length, body))
    assert answer[:9] in (b"HTTP/1.1 ", b"HTTP/1.0 "), answer[:120]
    status = int(answer[9:12])
    assert 100 <= status < 600 and status != 500, answer[:300]  # answered, no crash
    _still_serving(server)


@pytest.mark.parametrize(
    ("length", "status"),
    [("abc", 400), ("-1", 400), ("5, 6", 400), ("99999999999", 413), ("10", 400)],
)
def test_a_bad_content_length_is_answered_400_or_413(
    servers: list[EmulatorServer], length: str, status: int
) -> None:
    for server in servers:
        raw = f"POST /oauth/token HTTP/1.1\r\nContent-Length: {length}\r\n\r\nab".encode()
        answer = _exchange(server, raw)
        assert answer.startswith(f"HTTP/1.1 {status} ".encode()), answer[:80]
        _still_serving(server)
