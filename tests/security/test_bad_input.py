"""No plain Python error for bad input (issue 14, item 6), and the smaller findings of item 7:
each case named in the issue, through the public surface."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest

from meetlink import (
    Event,
    InvalidEvent,
    InvalidInput,
    InvalidLinkState,
    MeetLink,
)
from meetlink.adapters.mail import RecordingMailer
from meetlink.adapters.memory.provider import FakeVideoProvider
from meetlink.adapters.memory.storage import InMemoryStorage
from meetlink.adapters.sqlalchemy import SqlStorage, generate_key
from meetlink.adapters.zoom.webhooks import sign_webhook
from meetlink.errors import ConfigurationError
from meetlink.testing import Sandbox

T0 = datetime(2026, 12, 1, tzinfo=UTC)


@pytest.fixture
def sb() -> Iterator[Sandbox]:
    with Sandbox(now=T0, seed=5) as sandbox:
        sandbox.meetlink.start_trial("t1")
        yield sandbox


def _argument(info: pytest.ExceptionInfo[BaseException], name: str) -> None:
    assert str(info.value).startswith(f"{name}: "), str(info.value)


def test_complete_link_without_a_state(sb: Sandbox) -> None:
    """A callback without ``?state=``: the host passes None."""
    with pytest.raises(InvalidInput) as info:
        sb.meetlink.complete_link(None, code="x", user_id="alice", tenant_id="t1")  # type: ignore[arg-type]
    _argument(info, "state")
    assert isinstance(info.value, InvalidLinkState)  # the callback's "link again" path


@pytest.mark.parametrize(
    ("call", "argument"),
    [
        (lambda ml: ml.begin_link("t1", "alice\ud800"), "user_id"),
        (lambda ml: ml.begin_link("t1", "alice", provider=None), "provider"),
        (lambda ml: ml.begin_link("t1", 42), "user_id"),
        (lambda ml: ml.handle_webhook("zoom", {}, "{}"), "body"),
        (lambda ml: ml.handle_webhook("zoom", None, b"{}"), "headers"),
        (lambda ml: ml.handle_webhook("zoom", 5, b"{}"), "headers"),
        (lambda ml: ml.handle_webhook(None, {}, b"{}"), "provider"),
        (lambda ml: ml.purge(keep=30), "keep"),
        (lambda ml: ml.purge(keep=timedelta.max), "keep"),
        (lambda ml: ml.run_pending("10"), "max_jobs"),
        (lambda ml: ml.run_pending(-1), "max_jobs"),
        (lambda ml: ml.run_pending(True), "max_jobs"),
        (lambda ml: ml.save_event({"id": "e1"}), "event"),
        (lambda ml: ml.complete_link("s", code=b"x", user_id="alice", tenant_id="t1"), "code"),
        (lambda ml: ml.complete_link("s", error=7, user_id="alice", tenant_id="t1"), "error"),
        (lambda ml: ml.delete_event("e1", actor_id=3, tenant_id="t1"), "actor_id"),
        (lambda ml: ml.conference("e1", tenant_id=""), "tenant_id"),
        (lambda ml: ml.events(tenant_id="t1", limit="10"), "limit"),
        (lambda ml: ml.events(tenant_id="t1", limit=0), "limit"),
    ],
)
def test_bad_arguments_are_invalid_input_naming_them(sb: Sandbox, call: Any, argument: str) -> None:
    with pytest.raises(InvalidInput) as info:
        call(sb.meetlink)
    _argument(info, argument)


def test_an_event_ending_past_year_9999_in_utc_is_invalid() -> None:
    west = timezone(timedelta(hours=-5))
    with pytest.raises(InvalidEvent) as info:
        Event(
            "e1",
            "t1",
            "alice",
            "x",
            datetime(9999, 12, 31, 20, 0, tzinfo=west),
            datetime(9999, 12, 31, 22, 0, tzinfo=west),
        )
    assert info.value.field == "start"


def test_an_event_far_in_the_future_is_refused_at_the_facade(sb: Sandbox) -> None:
    start = datetime(9998, 1, 1, tzinfo=UTC)
    with pytest.raises(InvalidEvent) as info:
        sb.meetlink.save_event(Event("e1", "t1", "alice", "x", start, start + timedelta(hours=1)))
    assert info.value.field == "start"


@pytest.mark.parametrize("name", ["Factory", "localtime", "posixrules", "posix/Asia/Tokyo"])
def test_only_iana_time_zones(name: str) -> None:
    with pytest.raises(InvalidEvent) as info:
        Event("e1", "t1", "alice", "x", T0, T0 + timedelta(hours=1), timezone=name)
    assert info.value.field == "timezone"


@pytest.mark.parametrize("name", ["Asia/Tokyo", "UTC", "America/Argentina/Buenos_Aires"])
def test_iana_time_zones_are_accepted(name: str) -> None:
    event = Event("e1", "t1", "alice", "x", T0, T0 + timedelta(hours=1), timezone=name)
    assert event.timezone == name  # kept as given, not swapped for a default


def test_a_signed_webhook_nested_1000_deep_is_answered_400(sb: Sandbox) -> None:
    body = b'{"event": "x", "payload": ' + b"[" * 1000 + b"]" * 1000 + b"}"
    stamp = str(int(sb.clock.now().timestamp()))
    headers = {
        "x-zm-request-timestamp": stamp,
        "x-zm-signature": sign_webhook(sb.zoom.webhook_secret, stamp, body),
    }
    reply = sb.meetlink.handle_webhook("zoom", headers, body)
    assert reply.status == 400
    assert b"nested" in reply.body


@pytest.mark.parametrize(
    "keys",
    [[None], [generate_key(), None], [1234], 5, [object()]],
)
def test_encryption_keys_that_are_not_keys_are_a_configuration_error(keys: Any) -> None:
    with pytest.raises(ConfigurationError):
        SqlStorage("sqlite://", encryption_keys=keys)


def test_duplicate_provider_keys_are_refused() -> None:
    from meetlink.adapters.clock import ManualClock

    clock = ManualClock(T0)
    first, second = FakeVideoProvider(clock, key="zoom"), FakeVideoProvider(clock, key="zoom")
    with pytest.raises(ConfigurationError, match="zoom"):
        MeetLink(storage=InMemoryStorage(), providers=[first, second], mailer=RecordingMailer())
    with pytest.raises(ConfigurationError, match="another key"):
        MeetLink(storage=InMemoryStorage(), providers={"teams": first}, mailer=RecordingMailer())


# Negative reminder_lead / trial_days: tests/app/test_settings.py (the one Settings check).


# -- item 7: webhook headers as frameworks hand them over; undated deauthorizations ---------


def _deauthorization(sb: Sandbox, user_id: str, sent: datetime) -> tuple[dict[str, str], bytes]:
    """An ``app_deauthorized`` with neither ``deauthorization_time`` nor ``event_ts``."""
    body = json.dumps(
        {"event": "app_deauthorized", "payload": {"user_id": user_id, "account_id": "a"}}
    ).encode()
    stamp = str(int(sent.timestamp()))
    return {
        "x-zm-request-timestamp": stamp,
        "x-zm-signature": sign_webhook(sb.zoom.webhook_secret, stamp, body),
    }, body


def test_a_second_undated_removal_after_a_relink_is_not_taken_for_a_replay(sb: Sandbox) -> None:
    _, user = sb.link_user("t1", "alice")
    first = _deauthorization(sb, user.id, sb.clock.now())
    assert sb.meetlink.handle_webhook("zoom", *first).status == 200
    assert sb.meetlink.link("alice", tenant_id="t1") is None
    sb.clock.advance(timedelta(minutes=1))
    request = sb.meetlink.begin_link("t1", "alice")
    params = sb.zoom.consent(request.authorize_url, user)
    sb.meetlink.complete_link(params["state"], code=params["code"], user_id="alice", tenant_id="t1")
    sb.clock.advance(timedelta(minutes=1))
    assert sb.meetlink.handle_webhook("zoom", *first).status == 200  # a replay: no effect
    assert sb.meetlink.link("alice", tenant_id="t1") is not None
    second = _deauthorization(sb, user.id, sb.clock.now())  # a genuine second removal
    assert sb.meetlink.handle_webhook("zoom", *second).status == 200
    assert sb.meetlink.link("alice", tenant_id="t1") is None


@pytest.mark.parametrize("shape", ["asgi", "wsgi", "bytes-mapping"])
def test_webhook_headers_in_the_shapes_frameworks_use(sb: Sandbox, shape: str) -> None:
    _, user = sb.link_user("t1", "alice")
    headers, body = sb.zoom.remove_app(user)
    given: Any
    if shape == "asgi":
        given = [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in headers.items()]
    elif shape == "wsgi":
        # Entries that are not text come first here: each is skipped, not the end of them.
        given = {"wsgi.input": object(), "REQUEST_METHOD": "POST"}
        given.update({"HTTP_" + k.upper().replace("-", "_"): v for k, v in headers.items()})
    else:
        given = {k.encode(): v.encode() for k, v in headers.items()}
    assert sb.meetlink.handle_webhook("zoom", given, body).status == 200
    assert sb.meetlink.link("alice", tenant_id="t1") is None
