"""``MeetLink.close()`` releases everything the instance holds: the storage and the
providers' HTTP clients (a client the host passed in stays the host's)."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from meetlink import MeetLink
from meetlink.adapters.clock import ManualClock
from meetlink.adapters.mail import RecordingMailer
from meetlink.adapters.memory.provider import FakeVideoProvider
from meetlink.adapters.sqlalchemy import SqlStorage, generate_key
from meetlink.adapters.teams import TeamsProvider
from meetlink.adapters.zoom import ZoomProvider
from meetlink.emulators.teams import TeamsEmulator
from meetlink.emulators.zoom import ZoomEmulator


class RecordingTransport(httpx.BaseTransport):
    """An emulator transport that remembers being closed (httpx closes a client's
    transport when the client closes)."""

    def __init__(self, inner: httpx.BaseTransport) -> None:
        self.inner = inner
        self.closed = False

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        return self.inner.handle_request(request)

    def close(self) -> None:
        self.closed = True


class Unclosable(FakeVideoProvider):
    """A provider whose close fails: the others are closed all the same."""

    def __init__(self) -> None:
        super().__init__(ManualClock(), key="broken")

    def close(self) -> None:
        raise RuntimeError("cannot close")


def test_close_closes_the_providers_clients_but_not_the_hosts(
    caplog: pytest.LogCaptureFixture,
) -> None:
    zoom, teams = ZoomEmulator(), TeamsEmulator()
    zoom_transport = RecordingTransport(zoom.transport())
    teams_transport = RecordingTransport(teams.transport())
    host_client = httpx.Client(transport=zoom.transport())
    common: dict[str, Any] = {
        "client_id": "id",
        "client_secret": "secret",
        "redirect_uri": "http://h/cb",
    }
    providers = [
        Unclosable(),
        ZoomProvider(transport=zoom_transport, **common),
        TeamsProvider(transport=teams_transport, **common),
    ]
    storage = SqlStorage("sqlite://", encryption_keys=[generate_key()], create_schema=True)
    ml = MeetLink(storage=storage, providers=providers, mailer=RecordingMailer())  # type: ignore[arg-type]
    assert ml.provider_keys == ("broken", "teams", "zoom")
    other_storage = SqlStorage("sqlite://", encryption_keys=[generate_key()])
    hosts = MeetLink(
        storage=other_storage,
        providers=[ZoomProvider(client=host_client, **common)],
        mailer=RecordingMailer(),
    )
    hosts.close()
    ml.close()
    assert zoom_transport.closed and teams_transport.closed
    assert not host_client.is_closed
    assert "closing provider 'broken' failed" in caplog.text
    ml.close()  # idempotent
    host_client.close()


def test_a_meetlink_used_as_a_context_manager_closes_its_providers() -> None:
    transport = RecordingTransport(ZoomEmulator().transport())
    provider = ZoomProvider(
        client_id="id", client_secret="s", redirect_uri="http://h/cb", transport=transport
    )
    storage = SqlStorage("sqlite://", encryption_keys=[generate_key()], create_schema=True)
    with MeetLink(storage=storage, providers=[provider], mailer=RecordingMailer()):
        assert not transport.closed
    assert transport.closed
