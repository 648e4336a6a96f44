"""Webhook verification and parsing (FACTS.md §6), including Hypothesis fuzzing."""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from meetlink.adapters.zoom import MAX_BODY, parse_webhook, sign_webhook
from meetlink.emulators.zoom import ZoomEmulator
from meetlink.errors import WebhookRejected
from meetlink.ports.provider import WebhookKind, WebhookMessage

NOW = datetime(2025, 3, 10, 9, 0, 0, tzinfo=UTC)
TS = str(int(NOW.timestamp()))
SECRET = "whsec-current"


def signed(body: bytes, *, secret: str = SECRET, ts: str = TS) -> dict[str, str]:
    return {
        "x-zm-request-timestamp": ts,
        "x-zm-signature": sign_webhook(secret, ts, body),
        "content-type": "application/json; charset=utf-8",
    }


def event(name: str, payload: Mapping[str, object], event_ts: int = 1741597200000) -> bytes:
    return json.dumps({"event": name, "payload": payload, "event_ts": event_ts}).encode()


def test_signature_matches_zoom_sample_algorithm() -> None:
    body = b'{"event":"x"}'
    expected = hmac.new(SECRET.encode(), f"v0:{TS}:".encode() + body, hashlib.sha256).hexdigest()
    assert sign_webhook(SECRET, TS, body) == "v0=" + expected


def test_url_validation_reply() -> None:
    body = event("endpoint.url_validation", {"plainToken": "qgg8vlvZRS6UYooatFL8Aw"})
    message = parse_webhook(signed(body), body, NOW, [SECRET])
    assert message.kind is WebhookKind.URL_VALIDATION
    reply = json.loads(message.reply_body)
    digest = hmac.new(SECRET.encode(), b"qgg8vlvZRS6UYooatFL8Aw", hashlib.sha256).hexdigest()
    assert reply == {"plainToken": "qgg8vlvZRS6UYooatFL8Aw", "encryptedToken": digest}
    assert message.reply_content_type == "application/json"


def test_app_deauthorized() -> None:
    payload = {
        "account_id": "acc",
        "user_id": "u-1",
        "signature": "sig",
        "deauthorization_time": "2025-03-10T08:59:58.632Z",
        "client_id": "cid",
    }
    body = event("app_deauthorized", payload)
    message = parse_webhook(signed(body), body, NOW, [SECRET])
    assert message.kind is WebhookKind.DEAUTHORIZED
    assert message.external_account_id == "u-1"
    assert message.occurred_at == datetime(2025, 3, 10, 8, 59, 58, 632000, tzinfo=UTC)
    # A retry arrives with a new timestamp header but is the same delivery.
    later = str(int(NOW.timestamp()) + 60)
    again = parse_webhook(signed(body, ts=later), body, NOW + timedelta(seconds=60), [SECRET])
    assert again.delivery_key == message.delivery_key
    other = event("app_deauthorized", {**payload, "deauthorization_time": "2025-03-11T00:00:00Z"})
    assert parse_webhook(signed(other), other, NOW, [SECRET]).delivery_key != message.delivery_key


def test_other_events_are_other() -> None:
    body = event("meeting.started", {"object": {"id": "1"}})
    assert parse_webhook(signed(body), body, NOW, [SECRET]).kind is WebhookKind.OTHER


def test_rotated_secrets_are_all_accepted() -> None:
    body = event("meeting.started", {})
    headers = signed(body, secret="whsec-old")
    assert parse_webhook(headers, body, NOW, [SECRET, "whsec-old"]).kind is WebhookKind.OTHER
    with pytest.raises(WebhookRejected) as caught:
        parse_webhook(headers, body, NOW, [SECRET])
    assert caught.value.status == 401


def test_url_validation_answers_with_the_matching_secret() -> None:
    body = event("endpoint.url_validation", {"plainToken": "p"})
    message = parse_webhook(signed(body, secret="whsec-old"), body, NOW, [SECRET, "whsec-old"])
    digest = hmac.new(b"whsec-old", b"p", hashlib.sha256).hexdigest()
    assert json.loads(message.reply_body)["encryptedToken"] == digest


@pytest.mark.parametrize("skew", [301, -301, 86400])
def test_stale_or_future_timestamp_is_401(skew: int) -> None:
    body = event("meeting.started", {})
    ts = str(int(NOW.timestamp()) + skew)
    with pytest.raises(WebhookRejected) as caught:
        parse_webhook(signed(body, ts=ts), body, NOW, [SECRET])
    assert caught.value.status == 401


@pytest.mark.parametrize("skew", [300, -300, 0])
def test_timestamp_within_window_is_accepted(skew: int) -> None:
    body = event("meeting.started", {})
    ts = str(int(NOW.timestamp()) + skew)
    assert parse_webhook(signed(body, ts=ts), body, NOW, [SECRET]).kind is WebhookKind.OTHER


@pytest.mark.parametrize(
    ("headers", "status"),
    [
        ({}, 401),
        ({"x-zm-request-timestamp": TS}, 401),
        ({"x-zm-signature": "v0=abc"}, 401),
        ({"x-zm-request-timestamp": "soon", "x-zm-signature": "v0=abc"}, 400),
        ({"x-zm-request-timestamp": "1.5e9", "x-zm-signature": "v0=abc"}, 400),
        ({"x-zm-request-timestamp": "\uff11\uff12", "x-zm-signature": "v0=abc"}, 400),
        ({"x-zm-request-timestamp": TS, "x-zm-signature": "v0=\ud800"}, 401),
    ],
)
def test_bad_headers(headers: dict[str, str], status: int) -> None:
    with pytest.raises(WebhookRejected) as caught:
        parse_webhook(headers, b"{}", NOW, [SECRET])
    assert caught.value.status == status


def test_header_names_are_case_insensitive() -> None:
    body = event("meeting.started", {})
    headers = {k.upper(): v for k, v in signed(body).items()}
    assert parse_webhook(headers, body, NOW, [SECRET]).kind is WebhookKind.OTHER


def test_oversized_body_is_413() -> None:
    body = b"{" + b" " * MAX_BODY + b"}"
    with pytest.raises(WebhookRejected) as caught:
        parse_webhook(signed(body), body, NOW, [SECRET])
    assert caught.value.status == 413


@pytest.mark.parametrize(
    "body",
    [
        b"not json",
        b"[1, 2]",
        b'{"payload": {}}',
        b'{"event": 5}',
        b"\xff\xfe",
        event("endpoint.url_validation", {}),
        event("app_deauthorized", {"account_id": "a"}),
    ],
)
def test_signed_but_malformed_is_400(body: bytes) -> None:
    with pytest.raises(WebhookRejected) as caught:
        parse_webhook(signed(body), body, NOW, [SECRET])
    assert caught.value.status == 400


def test_no_secret_configured_rejects() -> None:
    body = event("meeting.started", {})
    with pytest.raises(WebhookRejected) as caught:
        parse_webhook(signed(body), body, NOW, [])
    assert caught.value.status == 401


def test_emulator_webhooks_verify_on_its_clock() -> None:
    from meetlink.adapters.clock import ManualClock

    clock = ManualClock(NOW)
    zoom = ZoomEmulator(clock=clock, seed=1)
    headers, body = zoom.webhook("endpoint.url_validation", {"plainToken": "abc"})
    assert headers["x-zm-request-timestamp"] == TS
    assert json.loads(body)["event_ts"] == int(NOW.timestamp() * 1000)
    message = parse_webhook(headers, body, NOW, [zoom.webhook_secret])
    assert message.kind is WebhookKind.URL_VALIDATION
    with pytest.raises(WebhookRejected):
        parse_webhook(headers, body, NOW + timedelta(minutes=6), [zoom.webhook_secret])


# --- fuzzing ----------------------------------------------------------------------------

_header_names = st.sampled_from(
    ["x-zm-signature", "x-zm-request-timestamp", "X-Zm-Signature", "content-type", "other"]
)
_header_values = st.one_of(
    st.text(max_size=80),
    st.integers(min_value=0, max_value=2 * int(NOW.timestamp())).map(str),
    st.just(TS),
    st.text(alphabet="0123456789abcdef", max_size=64).map(lambda h: "v0=" + h),
)


def _outcome_ok(headers: dict[str, str], body: bytes) -> None:
    try:
        result = parse_webhook(headers, body, NOW, [SECRET, "whsec-old"])
    except WebhookRejected as exc:
        assert exc.status in (400, 401, 413)
    else:
        assert isinstance(result, WebhookMessage)


@settings(max_examples=300, deadline=None)
@given(
    headers=st.dictionaries(_header_names, _header_values, max_size=5), body=st.binary(max_size=512)
)
def test_fuzz_arbitrary_requests(headers: dict[str, str], body: bytes) -> None:
    _outcome_ok(headers, body)


_json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=10), children, max_size=3)
    ),
    max_leaves=10,
)


@settings(max_examples=300, deadline=None)
@given(
    name=st.sampled_from(["endpoint.url_validation", "app_deauthorized", "meeting.started"]),
    payload=st.dictionaries(
        st.sampled_from(["plainToken", "user_id", "deauthorization_time", "account_id", "x"]),
        _json_values,
        max_size=4,
    ),
    event_ts=_json_values,
)
def test_fuzz_validly_signed_json(name: str, payload: dict[str, object], event_ts: object) -> None:
    body = json.dumps({"event": name, "payload": payload, "event_ts": event_ts}).encode()
    _outcome_ok(signed(body), body)


@settings(max_examples=200, deadline=None)
@given(
    body=st.binary(min_size=1, max_size=256),
    data=st.data(),
)
def test_fuzz_mutated_body_fails_signature(body: bytes, data: st.DataObject) -> None:
    headers = signed(body)
    index = data.draw(st.integers(min_value=0, max_value=len(body) - 1))
    flip = data.draw(st.integers(min_value=1, max_value=255))
    mutated = [
        body[:index] + bytes([body[index] ^ flip]) + body[index + 1 :],
        body + data.draw(st.binary(min_size=1, max_size=8)),
        body[:index],
    ]
    for candidate in mutated:
        with pytest.raises(WebhookRejected) as caught:
            parse_webhook(headers, candidate, NOW, [SECRET])
        assert caught.value.status == 401


# --- meetings deleted or changed on Zoom's site (drift repair) ---------------------------


def _parsed(name: str, payload: dict[str, object]) -> WebhookMessage:
    body = event(name, payload)
    return parse_webhook(signed(body), body, NOW, [SECRET])


def test_meeting_deleted_and_updated_name_the_meeting_and_its_host() -> None:
    deleted = _parsed("meeting.deleted", {"object": {"id": 85746065432, "host_id": "KdYK"}})
    assert (deleted.kind, deleted.meeting_id) == (WebhookKind.MEETING_DELETED, "85746065432")
    assert deleted.external_account_id == "KdYK" and deleted.start is None
    updated = _parsed(
        "meeting.updated",
        {
            "operator_id": "KdYK",
            "object": {"id": "85746065432", "start_time": "2025-03-11T01:00:00Z", "duration": 45},
        },
    )
    assert (updated.kind, updated.meeting_id) == (WebhookKind.MEETING_CHANGED, "85746065432")
    assert updated.external_account_id == "KdYK"
    assert updated.start == datetime(2025, 3, 11, 1, 0, tzinfo=UTC)
    assert updated.duration_minutes == 45


@pytest.mark.parametrize(
    "thing",
    [
        {"host_id": "KdYK"},  # no id
        {"id": True, "host_id": "KdYK"},
        {"id": "12a", "host_id": "KdYK"},
        {"id": -5, "host_id": "KdYK"},
        {"id": "1" * 21, "host_id": "KdYK"},
        {"id": "١٢", "host_id": "KdYK"},  # digits, but not ASCII
        {"id": 123},  # no host, no operator
        {"id": 123, "host_id": "a\nb"},
        {"id": 123, "host_id": "x" * 500},
    ],
)
def test_a_meeting_webhook_that_names_no_meeting_is_of_no_interest(thing: object) -> None:
    assert _parsed("meeting.deleted", {"object": thing}).kind is WebhookKind.OTHER


def test_an_odd_duration_or_time_is_left_out() -> None:
    updated = _parsed(
        "meeting.updated",
        {"object": {"id": 1, "host_id": "h", "duration": True, "start_time": "soon"}},
    )
    assert updated.kind is WebhookKind.MEETING_CHANGED
    assert updated.duration_minutes is None and updated.start is None
