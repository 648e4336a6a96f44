"""How ZoomProvider translates every kind of failure (httpx.MockTransport for odd answers)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from meetlink.adapters.clock import ManualClock
from meetlink.adapters.zoom import ZoomProvider
from meetlink.domain.links import TokenSet
from meetlink.errors import (
    AuthExpired,
    MeetingGone,
    ProviderRejected,
    RateLimited,
)
from tests.providers.mocked import REQUEST, Handler, answer
from tests.providers.targets import T0

DAILY = (
    "You have exceeded the daily rate limit (100) of Meeting Create/Update API requests "
    "permitted for this particular user. You may resume these requests at GMT 00:00:00."
)


@pytest.mark.parametrize(
    ("retry_after", "expected"),
    [
        ("30", T0 + timedelta(seconds=30)),
        ("0", T0),
        ("Tue, 11 Mar 2025 10:00:00 GMT", datetime(2025, 3, 11, 10, tzinfo=UTC)),
        ("2025-03-11T00:00:00Z", datetime(2025, 3, 11, tzinfo=UTC)),
        ("2025-03-11T09:00:00+09:00", datetime(2025, 3, 11, 0, tzinfo=UTC)),
        ("soon", None),
        ("", None),
        # One reading for every provider (meetlink.adapters.failures): a negative delay means
        # now, a fraction is honoured (Graph sends 0.249).
        ("-5", T0),
        ("1.5", T0 + timedelta(seconds=1.5)),
        ("Tue, 99 Foo 2025", None),
        (None, None),
    ],
)
def test_429_retry_after_variants(
    mocked: Callable[[Handler], ZoomProvider], retry_after: str | None, expected: datetime | None
) -> None:
    headers = {"Retry-After": retry_after} if retry_after is not None else {}
    body = {"code": 429, "message": "You have reached the maximum per-second rate limit."}
    provider = mocked(answer(429, body, headers))
    with pytest.raises(RateLimited) as caught:
        provider.get_meeting("at", "123")
    assert caught.value.retry_at == expected


def test_daily_limit_message_means_next_utc_midnight(
    mocked: Callable[[Handler], ZoomProvider], clock: ManualClock
) -> None:
    clock.set(datetime(2025, 3, 10, 23, 59, 30, tzinfo=UTC))
    provider = mocked(answer(429, {"code": 429, "message": DAILY}, {"Retry-After": "1"}))
    with pytest.raises(RateLimited) as caught:
        provider.create_meeting("at", REQUEST)
    assert caught.value.retry_at == datetime(2025, 3, 11, tzinfo=UTC)


def test_429_with_garbage_body(mocked: Callable[[Handler], ZoomProvider]) -> None:
    with pytest.raises(RateLimited) as caught:
        mocked(answer(429, b"<xml/>")).account("at")
    assert caught.value.retry_at is None


@pytest.mark.parametrize(
    ("status", "body"),
    [
        (401, {"code": 124, "message": "Invalid access token."}),
        (401, {"code": 124, "message": "Access token is expired."}),
        (401, b"<html>Unauthorized</html>"),
        (400, {"code": 124, "message": "Invalid access token."}),
    ],
)
def test_401_and_code_124_are_auth_expired(
    mocked: Callable[[Handler], ZoomProvider], status: int, body: object
) -> None:
    provider = mocked(answer(status, body))
    with pytest.raises(AuthExpired):
        provider.account("at")
    with pytest.raises(AuthExpired):
        provider.list_meetings("at")


@pytest.mark.parametrize(
    "body",
    [
        {"reason": "Invalid client_id or client_secret", "error": "invalid_client"},
        {"reason": "Bad request", "error": "invalid_request"},
        b"<error>nope</error>",
    ],
)
def test_other_token_errors_are_rejected(
    mocked: Callable[[Handler], ZoomProvider], body: object
) -> None:
    with pytest.raises(ProviderRejected):
        mocked(answer(400, body)).refresh("rt")


def test_revoke_invalid_token_is_not_a_silent_success(
    mocked: Callable[[Handler], ZoomProvider],
) -> None:
    tokens = TokenSet(access_token="t", refresh_token="r", expires_at=T0 + timedelta(hours=1))
    invalid = answer(400, {"reason": "Invalid Token!", "error": "invalid_request"})
    with pytest.raises(ProviderRejected, match="may still be authorised") as caught:
        mocked(invalid).revoke(tokens)
    assert caught.value.provider_code == "invalid_token"
    with pytest.raises(ProviderRejected):
        mocked(answer(400, {"reason": "Invalid client", "error": "invalid_client"})).revoke(tokens)


@pytest.mark.parametrize(
    ("status", "body"),
    [
        (404, {"code": 3001, "message": "Meeting 123 is not found or has expired."}),
        (400, {"code": 3001, "message": "Meeting 123 is not found or has expired."}),
        (404, {"code": 1001, "message": "Meeting does not exist."}),
        (404, b""),
        (400, {"code": 300, "message": "Meeting 123 is not found or has expired"}),
    ],
)
def test_missing_meeting_is_gone(
    mocked: Callable[[Handler], ZoomProvider], status: int, body: object
) -> None:
    provider = mocked(answer(status, body))
    with pytest.raises(MeetingGone):
        provider.get_meeting("at", "123")
    with pytest.raises(MeetingGone):
        provider.update_meeting("at", "123", REQUEST)
    with pytest.raises(MeetingGone):
        provider.start_url("at", "123")
    assert provider.delete_meeting("at", "123") is False


#: A passcode-policy refusal as Zoom sends it (licht1stein/pyzoom#70, FACTS.md §3.3).
POLICY_XML = (
    b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?><result><code>300</code>'
    b"<message>Validation Failed.</message><errors><field>password</field><message>Password"
    b" provided does not match the password requirement settings set for this account."
    b"</message></errors></result>"
)


def test_xml_error_body_is_read(mocked: Callable[[Handler], ZoomProvider]) -> None:
    provider = mocked(answer(400, POLICY_XML, {"Content-Type": "application/xml"}))
    with pytest.raises(ProviderRejected) as caught:
        provider.create_meeting("at", REQUEST)
    assert (caught.value.provider_code, caught.value.status) == (300, 400)
    assert "Validation Failed. password: Password provided does not match" in str(caught.value)


@pytest.mark.parametrize(
    "body",
    [
        b"<html><body>Bad gateway</body></html",  # not well formed
        b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY a "aaaa">]><result><code>&a;</code></result>',
    ],
)
def test_unreadable_or_dtd_xml_is_rejected_without_parsing(
    mocked: Callable[[Handler], ZoomProvider], body: bytes
) -> None:
    with pytest.raises(ProviderRejected) as caught:
        mocked(answer(400, body)).delete_meeting("at", "123")
    assert "XML" in str(caught.value) and caught.value.provider_code is None


@pytest.mark.parametrize("body", [b'{"id": 123, "join_url": "https://x', b"<meeting/>", b"[1, 2]"])
def test_malformed_read_answer_is_rejected(
    mocked: Callable[[Handler], ZoomProvider], body: bytes
) -> None:
    with pytest.raises(ProviderRejected):
        mocked(answer(200, body)).get_meeting("at", "123")
    with pytest.raises(ProviderRejected):
        mocked(answer(200, body)).account("at")
    with pytest.raises(ProviderRejected):
        mocked(answer(200, body)).list_meetings("at")


def test_validation_error_keeps_code(mocked: Callable[[Handler], ZoomProvider]) -> None:
    body = {"code": 300, "message": "Validation Failed.", "errors": [{"field": "topic"}]}
    with pytest.raises(ProviderRejected) as caught:
        mocked(answer(400, body)).create_meeting("at", REQUEST)
    assert (caught.value.provider_code, caught.value.status) == (300, 400)


def test_bad_meeting_id_never_reaches_zoom(mocked: Callable[[Handler], ZoomProvider]) -> None:
    calls: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(request)
        return httpx.Response(204)

    with pytest.raises(ProviderRejected):
        mocked(handler).get_meeting("at", "../users/me")
    assert calls == []


def test_list_follows_next_page_token(mocked: Callable[[Handler], ZoomProvider]) -> None:
    seen: list[str | None] = []

    def handler(request: httpx.Request) -> httpx.Response:
        token = request.url.params.get("next_page_token")
        seen.append(token)
        assert request.url.params["type"] == "scheduled"  # meetings whose time passed too
        n = 1 if token is None else 2
        item = {"id": 1000000000 + n, "join_url": f"https://z/j/{n}", "agenda": f"[meetlink:m{n}]"}
        return httpx.Response(
            200, json={"meetings": [item], "next_page_token": "p2" if n == 1 else ""}
        )

    found = mocked(handler).list_meetings("at")
    assert [m.marker for m in found] == ["m1", "m2"]
    assert seen == [None, "p2"]
