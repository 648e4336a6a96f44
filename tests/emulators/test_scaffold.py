"""What every emulator offers alike, on the shared scaffold (meetlink.emulators.core): the
same fault controls, reset, request log (with query strings), control endpoints (consent
without HTML, reset) and route tables, run on Zoom and Teams alike."""

from __future__ import annotations

import threading
import types
import warnings
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from meetlink.adapters.clock import ManualClock
from meetlink.emulators import TeamsEmulator, ZoomEmulator
from tests.providers.targets import pkce

T0 = datetime(2025, 3, 10, 9, 0, 0, tzinfo=UTC)
#: A path each provider serves that needs a token (a fault on it answers before the check).
API = {"zoom": "/v2/users/me", "teams": "/v1.0/me"}
#: The emulators on the scaffold (each also makes its provider: ``provider()``).
Emulator = ZoomEmulator | TeamsEmulator


@pytest.fixture(params=["zoom", "teams"])
def emulator(request: pytest.FixtureRequest) -> Emulator:
    clock = ManualClock(T0)
    if request.param == "zoom":
        return ZoomEmulator(clock=clock, seed=5)
    return TeamsEmulator(clock=clock, seed=5)


def _authorize_url(emulator: Emulator, base: str = "http://emulator") -> str:
    provider = emulator.provider()
    try:
        url: str = provider.authorization_url(state="st-1", code_challenge=pkce()[1])
    finally:
        provider.close()
    return url


def _add_and_consent(emulator: Emulator, email: str) -> dict[str, str]:
    """A new user of ``emulator`` consents: the query of the redirect back."""
    if isinstance(emulator, ZoomEmulator):  # each emulator takes its own users
        return emulator.consent(_authorize_url(emulator), emulator.add_user(email))
    return emulator.consent(_authorize_url(emulator), emulator.add_user(email))


def _get(emulator: Emulator, path: str) -> httpx.Response:
    with httpx.Client(transport=emulator.transport(), base_url="http://emulator") as client:
        return client.get(path)


def test_fault_controls_are_the_same_on_every_emulator(emulator: Emulator) -> None:
    path = API[emulator.provider_name]
    emulator.fail_next(3, status=503, path=path)
    assert emulator.pending_faults() == 3
    assert _get(emulator, path).status_code == 503
    assert emulator.pending_faults() == 2
    emulator.clear_faults()
    assert emulator.pending_faults() == 0
    assert _get(emulator, path).status_code == 401  # healthy again: no token
    with pytest.raises(ValueError, match="count must be at least 1"):
        emulator.fail_next(0)


def test_retry_after_is_the_header_text_on_every_emulator(emulator: Emulator) -> None:
    path = API[emulator.provider_name]
    emulator.fail_next(status=429, path=path, retry_after=0.249)
    emulator.fail_next(status=429, path=path, retry_after="Wed, 21 Oct 2015 07:28:00 GMT")
    assert _get(emulator, path).headers["Retry-After"] == "0.249"
    assert _get(emulator, path).headers["Retry-After"] == "Wed, 21 Oct 2015 07:28:00 GMT"
    emulator.fail_next(status=429, path=path)
    usual = _get(emulator, path).headers.get("Retry-After")
    assert usual == emulator.default_retry_after  # Zoom "1"; Microsoft sends none
    assert emulator.throttled == 3


def test_the_usual_retry_after_per_provider() -> None:
    assert ZoomEmulator.default_retry_after == "1"
    assert TeamsEmulator.default_retry_after is None


def test_reset_forgets_what_happened_and_keeps_the_app(emulator: Emulator) -> None:
    app = (emulator.client_id, emulator.client_secret, emulator.redirect_uri)
    emulator.latency = 0.0
    _add_and_consent(emulator, "someone@contoso.com")
    emulator.fail_next(2, status=500)
    _get(emulator, "/nowhere")
    assert emulator.users() and emulator.requests and emulator.pending_faults() == 1

    emulator.reset()

    assert emulator.users() == [] and emulator.requests == [] and emulator.meetings() == []
    assert emulator.pending_faults() == 0 and emulator.throttled == 0
    assert (emulator.client_id, emulator.client_secret, emulator.redirect_uri) == app
    assert "code" in _add_and_consent(emulator, "someone@contoso.com")


def test_unknown_paths_get_the_providers_404(emulator: Emulator) -> None:
    answer = _get(emulator, "/no/such/endpoint")
    assert answer.status_code == 404
    assert emulator.requests[-1] == ("GET", "/no/such/endpoint")


def test_the_request_log_keeps_query_strings(emulator: Emulator) -> None:
    _get(emulator, "/somewhere?page_size=300&next_page_token=abc")
    logged = emulator.request_log()[-1]
    assert (logged.method, logged.path, logged.query) == (
        "GET",
        "/somewhere",
        "page_size=300&next_page_token=abc",
    )
    assert emulator.requests[-1] == ("GET", "/somewhere")  # the (method, path) contract


@pytest.fixture
def served(emulator: Emulator) -> Iterator[tuple[Emulator, httpx.Client]]:
    with emulator.serve(control=True) as server, httpx.Client(base_url=server.base_url) as client:
        yield emulator, client


def test_control_requests_show_query_strings(
    served: tuple[Emulator, httpx.Client],
) -> None:
    _emulator, client = served
    client.get("/v2/users/me/meetings?type=scheduled&page_size=300")
    logged = client.get("/_emulator/requests").json()
    assert logged[-1] == {
        "method": "GET",
        "path": "/v2/users/me/meetings",
        "query": "type=scheduled&page_size=300",
    }


def test_consent_over_the_control_endpoint_needs_no_html(
    served: tuple[Emulator, httpx.Client],
) -> None:
    emulator, client = served
    client.post("/_emulator/users", json={"email": "ann@contoso.com"})
    url = _authorize_url(emulator)
    answer = client.post(
        "/_emulator/consent", json={"authorize_url": url, "email": "ann@contoso.com"}
    )
    assert answer.status_code == 200
    body = answer.json()
    assert body["params"]["state"] == "st-1" and body["params"]["code"]
    assert body["location"].startswith(emulator.redirect_uri + "?")
    denied = client.post(
        "/_emulator/consent",
        json={"authorize_url": url, "email": "ann@contoso.com", "allow": False},
    ).json()
    assert denied["params"]["error"] == "access_denied" and "code" not in denied["params"]
    unknown = client.post("/_emulator/consent", json={"authorize_url": url, "email": "x@y.z"})
    assert unknown.status_code == 404
    bad = client.post("/_emulator/consent", json={"authorize_url": url, "allow": "yes"})
    assert bad.status_code == 400


def test_consent_by_form_post_with_an_email(
    served: tuple[Emulator, httpx.Client],
) -> None:
    """The consent page's form, posted by a test without reading the page: the OAuth
    parameters of the authorize URL, ``decision`` and ``email`` (docs/testing.md)."""
    emulator, client = served
    emulator.add_user("bob@contoso.com")
    url = httpx.URL(_authorize_url(emulator))
    decision = "allow" if emulator.provider_name == "zoom" else "accept"
    fields = {**dict(url.params), "decision": decision, "email": "bob@contoso.com"}
    answer = client.post(url.path, data=fields)
    assert answer.status_code == 302
    location = httpx.URL(answer.headers["Location"])
    assert location.params["state"] == "st-1" and location.params["code"]


def test_control_reset(served: tuple[Emulator, httpx.Client]) -> None:
    emulator, client = served
    client.post("/_emulator/users", json={"email": "ann@contoso.com"})
    assert client.post("/_emulator/reset", json={}).json() == {"reset": True}
    assert client.get("/_emulator/users").json() == []
    assert emulator.users() == []


@pytest.mark.parametrize(
    ("old", "name", "new"),
    [
        ("meetlink.adapters.zoom", "ZoomEmulator", ZoomEmulator),
        ("meetlink.adapters.teams", "TeamsEmulator", TeamsEmulator),
    ],
)
def test_old_import_paths_still_work_with_a_warning(old: str, name: str, new: type) -> None:
    import importlib

    module = importlib.import_module(old)
    with pytest.warns(DeprecationWarning, match="moved to meetlink.emulators"):
        found = getattr(module, name)
    assert found is new
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(AttributeError):
            module.NoSuchName  # noqa: B018


def test_the_latency_is_waited_before_every_answer(
    emulator: Emulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Read from the waits asked for, not from a clock: three requests, three waits of the
    latency; none once it is set back to 0 (a negative one reads 0)."""
    import meetlink.emulators.core.base as base

    slept: list[float] = []
    monkeypatch.setattr(base, "time", types.SimpleNamespace(sleep=slept.append))
    path = API[emulator.provider_name]
    emulator.latency = 0.25
    for _ in range(3):
        assert _get(emulator, path).status_code == 401
    assert slept == [0.25, 0.25, 0.25]
    emulator.latency = -3
    assert emulator.latency == 0.0
    assert _get(emulator, path).status_code == 401
    assert slept == [0.25, 0.25, 0.25]


def test_served_requests_overlap(emulator: Emulator) -> None:
    """The server answers requests at once (as ``meetlink emulator`` does, on the same
    ``serve()``): each request is held until all eight are in, which a server that answers
    one at a time never reaches (its barrier breaks; the timeout is a safety net only)."""
    together = threading.Barrier(8)
    handle = emulator.handle

    def held(request: Any) -> Any:
        together.wait(timeout=60)
        return handle(request)

    emulator.handle = held  # type: ignore[method-assign]
    answers: list[int] = []
    with emulator.serve() as server:
        url = server.base_url + API[emulator.provider_name]

        def ask() -> None:
            answers.append(httpx.get(url, timeout=120).status_code)

        threads = [threading.Thread(target=ask) for _ in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    assert answers == [401] * 8
    assert not together.broken
