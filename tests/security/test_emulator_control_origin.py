"""The emulator's control endpoints answer only the developer's own requests (issue 21,
finding 6): a request whose Host is not the emulator's loopback address (DNS rebinding) or
whose Origin is another site's (a page the developer visits) is refused, and the
state-changing endpoints need a JSON content type (a cross-site form or ``text/plain`` POST
cannot send one without a CORS preflight, which the emulator never grants)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from meetlink.emulators import EmulatorServer, TeamsEmulator, ZoomEmulator

T0 = datetime(2026, 12, 1, tzinfo=UTC)
JSON = {"Content-Type": "application/json"}


@pytest.fixture(params=["zoom", "teams"])
def served(request: pytest.FixtureRequest) -> Iterator[tuple[Any, EmulatorServer]]:
    emulator: Any = (ZoomEmulator if request.param == "zoom" else TeamsEmulator)(seed=4)
    emulator.add_user("alice@example.com")
    with emulator.serve(control=True) as server:
        yield emulator, server


def _get(server: EmulatorServer, path: str, **headers: str) -> httpx.Response:
    return httpx.get(f"{server.base_url}{path}", headers=headers, timeout=10)


def _post(server: EmulatorServer, path: str, body: bytes, **headers: str) -> httpx.Response:
    return httpx.post(f"{server.base_url}{path}", content=body, headers=headers, timeout=10)


@pytest.mark.parametrize(
    "host", ["rebound.attacker.example", "rebound.attacker.example:{port}", "127.0.0.1:1", ""]
)
def test_a_foreign_host_gets_no_secrets(served: tuple[Any, EmulatorServer], host: str) -> None:
    emulator, server = served
    answer = _get(server, "/_emulator", Host=host.format(port=server.port))
    assert answer.status_code == 403
    assert emulator.client_secret not in answer.text
    for path in ("/_emulator/users", "/_emulator/meetings", "/_emulator/requests"):
        assert _get(server, path, Host=host.format(port=server.port)).status_code == 403


@pytest.mark.parametrize("host", ["127.0.0.1:{port}", "localhost:{port}"])
def test_the_emulator_s_own_address_is_answered(
    served: tuple[Any, EmulatorServer], host: str
) -> None:
    emulator, server = served
    answer = _get(server, "/_emulator", Host=host.format(port=server.port))
    assert answer.status_code == 200 and answer.json()["client_secret"] == emulator.client_secret
    same_origin = f"http://{host.format(port=server.port)}"
    assert _get(server, "/_emulator/users", Origin=same_origin).status_code == 200


def test_another_origin_is_refused(served: tuple[Any, EmulatorServer]) -> None:
    _, server = served
    evil = {"Origin": "http://evil.example", **JSON}
    assert _get(server, "/_emulator", Origin="http://evil.example").status_code == 403
    body = b'{"email": "mallory@example.com"}'
    assert _post(server, "/_emulator/users", body, **evil).status_code == 403
    other_port = f"http://127.0.0.1:{server.port + 1}"
    assert _post(server, "/_emulator/users", body, Origin=other_port, **JSON).status_code == 403
    assert _post(server, "/_emulator/users", body, Origin="null", **JSON).status_code == 403


@pytest.mark.parametrize("content_type", ["text/plain", "application/x-www-form-urlencoded", ""])
def test_state_changes_need_a_json_content_type(
    served: tuple[Any, EmulatorServer], content_type: str
) -> None:
    emulator, server = served
    headers = {"Content-Type": content_type} if content_type else {}
    users = len(emulator.users())
    for path, body in (
        ("/_emulator/users", b'{"email": "mallory@example.com"}'),
        ("/_emulator/fail-next", b'{"status": 500}'),
        ("/_emulator/webhook", b'{"event": "app_deauthorized", "payload": {"user_id": "x"}}'),
        ("/_emulator/remove-app", b'{"email": "alice@example.com"}'),
    ):
        answer = _post(server, path, body, **headers)
        assert answer.status_code == 415, (path, answer.status_code, answer.text)
    assert len(emulator.users()) == users
    # Nothing was armed: the next provider request is answered as usual.
    assert _get(server, "/_emulator/users").status_code == 200
    assert emulator.requests == []


def test_the_developer_s_own_json_requests_work(served: tuple[Any, EmulatorServer]) -> None:
    emulator, server = served
    body = b'{"email": "bob@example.com"}'
    added = _post(server, "/_emulator/users", body, **{"Content-Type": "application/json"})
    assert added.status_code == 201
    charset = {"Content-Type": "application/json; charset=utf-8"}
    assert _post(server, "/_emulator/fail-next", b'{"status": 503}', **charset).status_code == 200
    assert "bob@example.com" in [u.email for u in emulator.users()]
