"""How every provider translates the failures they share (httpx.MockTransport for odd
answers): 5xx, transport errors, Retry-After, an expired token, a missing meeting, a dead
grant, unreadable successes. Each provider's own codes are in tests/zoom and tests/teams."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from meetlink.adapters.failures import parse_retry_after
from meetlink.errors import (
    AuthExpired,
    GrantRevoked,
    MeetingGone,
    ProviderRejected,
    ProviderUnavailable,
    RateLimited,
)

from .mocked import KINDS, REQUEST, Handler, Mocked, answer, raising
from .targets import T0


@pytest.fixture(params=sorted(KINDS))
def provider_kind(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def kind(provider_kind: str) -> Mocked:
    return KINDS[provider_kind]


@pytest.mark.parametrize("status", [500, 502, 504])
def test_5xx_is_unavailable(mocked: Callable[[Handler], Any], kind: Mocked, status: int) -> None:
    provider = mocked(answer(status, b"<html>Bad gateway</html>"))
    with pytest.raises(ProviderUnavailable) as caught:
        provider.get_meeting("at", kind.meeting_id)
    assert caught.value.maybe_applied is True
    assert not isinstance(caught.value, RateLimited)


@pytest.mark.parametrize(
    ("exc_type", "maybe_applied"),
    [
        (httpx.ConnectError, False),
        (httpx.ConnectTimeout, False),
        (httpx.PoolTimeout, False),
        (httpx.ReadTimeout, True),
        (httpx.WriteTimeout, True),
        (httpx.RemoteProtocolError, True),
        (httpx.ReadError, True),
        (httpx.WriteError, True),
    ],
)
def test_transport_errors_never_escape(
    mocked: Callable[[Handler], Any], exc_type: type[httpx.TransportError], maybe_applied: bool
) -> None:
    provider = mocked(raising(exc_type))
    with pytest.raises(ProviderUnavailable) as caught:
        provider.create_meeting("at", REQUEST)
    assert caught.value.maybe_applied is maybe_applied
    assert isinstance(caught.value.__cause__, exc_type)
    with pytest.raises(ProviderUnavailable):
        provider.refresh("rt")


@pytest.mark.parametrize(
    ("header", "delay"),
    [("7", timedelta(seconds=7)), ("0.249", timedelta(seconds=0.249)), ("garbage", None)],
)
def test_429_is_rate_limited(
    mocked: Callable[[Handler], Any], kind: Mocked, header: str, delay: timedelta | None
) -> None:
    provider = mocked(answer(429, {"code": 429, "message": "busy"}, {"Retry-After": header}))
    with pytest.raises(RateLimited) as caught:
        provider.get_meeting("at", kind.meeting_id)
    assert caught.value.retry_at == (None if delay is None else T0 + delay)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("30", T0 + timedelta(seconds=30)),
        ("0", T0),
        ("0.249", T0 + timedelta(seconds=0.249)),
        ("-5", T0),
        ("Tue, 11 Mar 2025 10:00:00 GMT", datetime(2025, 3, 11, 10, tzinfo=UTC)),
        ("2025-03-11T09:00:00+09:00", datetime(2025, 3, 11, 0, tzinfo=UTC)),
        ("soon", None),
        ("", None),
        ("inf", None),
        ("nan", None),
        ("\uff11\uff12", None),  # fullwidth digits: float() would read them
        (None, None),
    ],
)
def test_retry_after_reads_the_same_for_every_provider(
    value: str | None, expected: datetime | None
) -> None:
    assert parse_retry_after(value, T0) == expected


def test_expired_token_is_auth_expired(mocked: Callable[[Handler], Any], kind: Mocked) -> None:
    provider = mocked(answer(401, kind.expired_token))
    with pytest.raises(AuthExpired):
        provider.account("at")
    with pytest.raises(AuthExpired):
        provider.create_meeting("at", REQUEST)


def test_missing_meeting_is_gone(mocked: Callable[[Handler], Any], kind: Mocked) -> None:
    provider = mocked(answer(404, kind.missing_meeting))
    with pytest.raises(MeetingGone):
        provider.get_meeting("at", kind.meeting_id)
    if kind.update_calls:
        with pytest.raises(MeetingGone):
            provider.update_meeting("at", kind.meeting_id, REQUEST)
    assert provider.delete_meeting("at", kind.meeting_id) is False


def test_dead_grant_is_grant_revoked(mocked: Callable[[Handler], Any], kind: Mocked) -> None:
    provider = mocked(answer(400, kind.dead_grant))
    with pytest.raises(GrantRevoked):
        provider.refresh("rt")
    with pytest.raises(GrantRevoked):
        provider.exchange_code(code="c", code_verifier="v")


def test_non_json_error_is_rejected_with_status(mocked: Callable[[Handler], Any]) -> None:
    provider = mocked(answer(400, b"<html>nope</html>"))
    with pytest.raises(ProviderRejected) as caught:
        provider.create_meeting("at", REQUEST)
    assert caught.value.status == 400


@pytest.mark.parametrize(
    "body", [b"{not json", b"", b"<ok/>", b"[1, 2]", b'{"id": 85746065432, "topic": "Sync"}']
)
def test_unreadable_create_success_is_maybe_applied(
    mocked: Callable[[Handler], Any], body: bytes
) -> None:
    with pytest.raises(ProviderUnavailable) as caught:
        mocked(answer(201, body)).create_meeting("at", REQUEST)
    assert caught.value.maybe_applied is True


@pytest.mark.parametrize("body", [{"token_type": "Bearer"}, b"{", {"access_token": 5}])
def test_token_answer_without_tokens_is_unavailable(
    mocked: Callable[[Handler], Any], body: object
) -> None:
    with pytest.raises(ProviderUnavailable) as caught:
        mocked(answer(200, body)).exchange_code(code="c", code_verifier="v")
    assert caught.value.maybe_applied is True


def test_a_read_answer_is_a_meeting(mocked: Callable[[Handler], Any], kind: Mocked) -> None:
    got = mocked(answer(200, kind.meeting_json)).get_meeting("at", kind.meeting_id)
    assert got.join_url.startswith("https://") and got.meeting_id
