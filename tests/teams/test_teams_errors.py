"""How TeamsProvider translates every kind of failure (httpx.MockTransport for odd answers)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import httpx
import pytest

from meetlink.adapters.clock import ManualClock
from meetlink.adapters.teams import TeamsProvider
from meetlink.errors import (
    GrantRevoked,
    ProviderRejected,
    ProviderUnavailable,
    RateLimited,
)
from tests.providers.mocked import REQUEST, Handler, answer
from tests.providers.targets import T0


def graph(code: str, message: str = "m") -> dict[str, object]:
    return {"error": {"code": code, "message": message, "innerError": {"request-id": "r"}}}


def entra(error: str, code: int, sub: str | None = None) -> dict[str, object]:
    body: dict[str, object] = {
        "error": error,
        "error_description": f"AADSTS{code}: text\r\nTrace ID: t",
        "error_codes": [code],
    }
    if sub:
        body["suberror"] = sub
    return body


def test_503_without_retry_after_is_unavailable(mocked: Callable[[Handler], TeamsProvider]) -> None:
    provider = mocked(answer(503, graph("serviceNotAvailable")))
    with pytest.raises(ProviderUnavailable) as caught:
        provider.get_meeting("at", "id")
    assert not isinstance(caught.value, RateLimited)


@pytest.mark.parametrize(
    ("status", "header", "delay"),
    [
        (429, "7", timedelta(seconds=7)),
        (429, "0.249", timedelta(seconds=0.249)),
        (429, None, None),
        (503, "2", timedelta(seconds=2)),
        (429, "garbage", None),
    ],
)
def test_throttling_is_rate_limited(
    mocked: Callable[[Handler], TeamsProvider],
    status: int,
    header: str | None,
    delay: timedelta | None,
) -> None:
    headers = {"Retry-After": header} if header is not None else {}
    provider = mocked(answer(status, graph("TooManyRequests"), headers))
    with pytest.raises(RateLimited) as caught:
        provider.create_meeting("at", REQUEST)
    assert caught.value.retry_at == (None if delay is None else T0 + delay)


def test_bare_403_is_rejected_with_status(mocked: Callable[[Handler], TeamsProvider]) -> None:
    provider = mocked(answer(403, graph("Forbidden", "")))
    with pytest.raises(ProviderRejected) as caught:
        provider.create_meeting("at", REQUEST)
    assert caught.value.status == 403 and caught.value.provider_code == "Forbidden"


@pytest.mark.parametrize(
    ("body", "status"),
    [
        (entra("invalid_grant", 65001, "consent_required"), 400),
        (entra("invalid_grant", 50173), 400),
        (entra("invalid_grant", 700082, "bad_token"), 400),
        (entra("invalid_grant", 70008), 400),
        (entra("interaction_required", 50076, "basic_action"), 400),
        (entra("invalid_grant", 53003), 400),
        (entra("unauthorized_client", 700016), 400),
    ],
)
def test_reconnect_errors_are_grant_revoked(
    mocked: Callable[[Handler], TeamsProvider], body: dict[str, object], status: int
) -> None:
    provider = mocked(answer(status, body))
    with pytest.raises(GrantRevoked) as caught:
        provider.refresh("rt")
    assert f"AADSTS{body['error_codes'][0]}" in str(caught.value)  # type: ignore[index]


@pytest.mark.parametrize("status", [400, 401])
def test_invalid_client_is_rejected_not_auth_expired(
    mocked: Callable[[Handler], TeamsProvider], status: int
) -> None:
    provider = mocked(answer(status, entra("invalid_client", 7000215)))
    with pytest.raises(ProviderRejected) as caught:
        provider.exchange_code(code="c", code_verifier="v")
    assert caught.value.provider_code == "invalid_client" and caught.value.status == status


@pytest.mark.parametrize(
    "body", [entra("temporarily_unavailable", 90006), entra("server_error", 90024)]
)
def test_transient_token_errors_are_unavailable(
    mocked: Callable[[Handler], TeamsProvider], body: dict[str, object]
) -> None:
    provider = mocked(answer(400, body))
    with pytest.raises(ProviderUnavailable):
        provider.refresh("rt")


def test_refresh_without_a_new_refresh_token_keeps_the_old_one(
    mocked: Callable[[Handler], TeamsProvider],
) -> None:
    provider = mocked(answer(200, {"access_token": "at2", "expires_in": 4000}))
    tokens = provider.refresh("rt-old")
    assert tokens.refresh_token == "rt-old"
    assert tokens.expires_at == T0 + timedelta(seconds=4000)


def test_account_needs_a_tenant(mocked: Callable[[Handler], TeamsProvider]) -> None:
    provider = mocked(answer(200, {"id": "oid", "mail": None, "userPrincipalName": "u@x"}))
    with pytest.raises(ProviderRejected):
        provider.account("opaque-token")


def test_account_tenant_from_configuration(clock: ManualClock) -> None:
    handler = answer(200, {"id": "oid", "mail": None, "userPrincipalName": "u@x"})
    with TeamsProvider(
        client_id="c",
        client_secret="s",
        redirect_uri="https://app/cb",
        tenant="11111111-2222-3333-4444-555555555555",
        transport=httpx.MockTransport(handler),
        clock=clock,
    ) as provider:
        account = provider.account("opaque-token")
    assert account.account_id == "11111111-2222-3333-4444-555555555555"
    assert account.email == "u@x"


def test_graph_zero_date_reads_as_unknown(mocked: Callable[[Handler], TeamsProvider]) -> None:
    meeting = {
        "id": "m1",
        "joinUrl": "https://teams.microsoft.com/l/meetup-join/x",
        "startDateTime": "0001-01-01T00:00:00Z",
        "endDateTime": "0001-01-01T00:00:00Z",
        "externalId": "mk",
    }
    got = mocked(answer(200, meeting)).get_meeting("at", "m1")
    assert got.start is None and got.duration_minutes is None
    assert got.join_url.endswith("/x") and got.marker == "mk"


def test_meeting_ids_are_path_escaped(mocked: Callable[[Handler], TeamsProvider]) -> None:
    seen: list[bytes] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request.url.raw_path)
        return httpx.Response(204)

    assert mocked(handler).delete_meeting("at", "a/b+c=") is True
    assert seen == [b"/v1.0/me/onlineMeetings/a%2Fb%2Bc%3D"]
