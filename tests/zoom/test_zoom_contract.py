"""The VideoProvider contract, run against every target in harness.TARGETS:
ZoomProvider + emulator in-process, ZoomProvider + emulator over loopback HTTP, and the
generic FakeVideoProvider."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest

from meetlink.domain.conference import MeetingTerms
from meetlink.domain.links import TokenSet
from meetlink.errors import (
    AdminApprovalRequired,
    AuthExpired,
    GrantRevoked,
    LinkDenied,
    LinkError,
    MeetingGone,
    ProviderError,
    ProviderUnavailable,
    WebhookRejected,
)
from meetlink.ports.provider import MeetingRequest, WebhookKind
from meetlink.testing import ProviderContract

from .harness import Target, pkce


def _link(
    target: Target, email: str = "host@example.com", plan: str = "licensed"
) -> tuple[Any, TokenSet]:
    account = target.add_account(email, plan=plan)
    verifier, challenge = pkce()
    url = target.provider.authorization_url(state="s-1", code_challenge=challenge)
    answer = target.consent(url, account)
    assert answer["state"] == "s-1"
    return account, target.provider.exchange_code(code=answer["code"], code_verifier=verifier)


def _request(
    target: Target, marker: str = "mk-1", *, topic: str = "Weekly sync", hours: int = 24
) -> MeetingRequest:
    start = target.clock.now().replace(microsecond=0) + timedelta(hours=hours)
    terms = MeetingTerms(
        topic=topic, start=start, duration_minutes=30, timezone="Asia/Tokyo", agenda="Notes"
    )
    return MeetingRequest(terms=terms, marker=marker)


def test_key_and_capabilities(target: Target) -> None:
    assert target.provider.key
    assert target.provider.capabilities.display_name


def test_authorization_url_carries_state_and_challenge(target: Target) -> None:
    url = target.provider.authorization_url(state="st4te", code_challenge="ch4llenge")
    assert "state=st4te" in url and "code_challenge=ch4llenge" in url
    assert "code_challenge_method=S256" in url


def test_link_and_account(target: Target) -> None:
    _, tokens = _link(target, "ann@example.com")
    assert tokens.expires_at > target.clock.now()
    account = target.provider.account(tokens.access_token)
    assert account.email == "ann@example.com"
    assert account.plan == "licensed"
    assert account.external_account_id and account.account_id


def test_basic_plan_is_reported(target: Target) -> None:
    _, tokens = _link(target, "free@example.com", plan="basic")
    assert target.provider.account(tokens.access_token).plan == "basic"


def test_deny_returns_access_denied(target: Target) -> None:
    account = target.add_account("no@example.com")
    url = target.provider.authorization_url(state="s-9", code_challenge=pkce()[1])
    assert target.consent(url, account, allow=False) == {"error": "access_denied", "state": "s-9"}


def test_code_is_single_use(target: Target) -> None:
    account = target.add_account("once@example.com")
    verifier, challenge = pkce()
    answer = target.consent(
        target.provider.authorization_url(state="s", code_challenge=challenge), account
    )
    target.provider.exchange_code(code=answer["code"], code_verifier=verifier)
    with pytest.raises(ProviderError) as caught:
        target.provider.exchange_code(code=answer["code"], code_verifier=verifier)
    assert not isinstance(caught.value, ProviderUnavailable)


def test_pkce_mismatch_is_invalid_grant(target: Target) -> None:
    account = target.add_account("pkce@example.com")
    _, challenge = pkce()
    answer = target.consent(
        target.provider.authorization_url(state="s", code_challenge=challenge), account
    )
    with pytest.raises(GrantRevoked):
        target.provider.exchange_code(code=answer["code"], code_verifier=pkce()[0])


def test_refresh_rotates_and_old_refresh_token_dies(target: Target) -> None:
    _, tokens = _link(target)
    fresh = target.provider.refresh(tokens.refresh_token)
    assert fresh.refresh_token != tokens.refresh_token
    assert target.provider.account(fresh.access_token).email == "host@example.com"
    with pytest.raises(GrantRevoked):
        target.provider.refresh(tokens.refresh_token)
    target.provider.refresh(fresh.refresh_token)


def test_expired_access_token_is_auth_expired(target: Target) -> None:
    _, tokens = _link(target)
    target.expire_access_tokens()
    with pytest.raises(AuthExpired):
        target.provider.account(tokens.access_token)
    fresh = target.provider.refresh(tokens.refresh_token)
    assert target.provider.account(fresh.access_token).email == "host@example.com"


def test_revoke_kills_the_grant(target: Target) -> None:
    _, tokens = _link(target)
    target.provider.revoke(tokens)
    with pytest.raises(AuthExpired):
        target.provider.account(tokens.access_token)
    with pytest.raises(GrantRevoked):
        target.provider.refresh(tokens.refresh_token)


def test_meeting_lifecycle(target: Target) -> None:
    account, tokens = _link(target)
    token = tokens.access_token
    request = _request(target, "mk-life")
    made = target.provider.create_meeting(token, request)
    assert made.meeting_id.isdigit() and made.join_url.startswith("https://")
    assert made.marker == "mk-life"
    assert made.start == request.terms.start
    assert made.duration_minutes == 30 and made.topic == "Weekly sync"
    got = target.provider.get_meeting(token, made.meeting_id)
    assert (got.meeting_id, got.join_url, got.marker) == (made.meeting_id, made.join_url, "mk-life")

    moved = _request(target, "mk-life", topic="Moved sync", hours=48)
    target.provider.update_meeting(token, made.meeting_id, moved)
    got = target.provider.get_meeting(token, made.meeting_id)
    assert got.topic == "Moved sync" and got.start == moved.terms.start

    listed = target.provider.list_meetings(token)
    assert [m.meeting_id for m in listed if m.marker == "mk-life"] == [made.meeting_id]

    start_url = target.provider.start_url(token, made.meeting_id)
    assert start_url and start_url != made.join_url

    assert target.live_meeting_count(account) == 1
    assert target.provider.delete_meeting(token, made.meeting_id) is True
    assert target.provider.delete_meeting(token, made.meeting_id) is False
    assert target.live_meeting_count(account) == 0
    with pytest.raises(MeetingGone):
        target.provider.get_meeting(token, made.meeting_id)
    with pytest.raises(MeetingGone):
        target.provider.update_meeting(token, made.meeting_id, moved)


def test_lost_create_is_maybe_applied_and_found_by_marker(target: Target) -> None:
    account, tokens = _link(target)
    target.lose_next_create_response()
    with pytest.raises(ProviderUnavailable) as caught:
        target.provider.create_meeting(tokens.access_token, _request(target, "mk-lost"))
    assert caught.value.maybe_applied is True
    assert target.live_meeting_count(account) == 1
    found = [m for m in target.provider.list_meetings(tokens.access_token) if m.marker == "mk-lost"]
    assert len(found) == 1
    [by_marker] = target.provider.find_by_marker(tokens.access_token, "mk-lost")
    assert by_marker.meeting_id == found[0].meeting_id
    assert target.provider.find_by_marker(tokens.access_token, "mk-other") == []


def test_callback_errors_are_typed(target: Target) -> None:
    denied = target.provider.link_error(error="access_denied")
    assert isinstance(denied, LinkDenied)
    admin = target.provider.link_error(error="admin_approval_required")
    assert isinstance(admin, AdminApprovalRequired)
    other = target.provider.link_error(error="server_error", description="busy")
    assert type(other) is LinkError and "server_error" in str(other)


def test_deauthorization_webhook(target: Target) -> None:
    account, tokens = _link(target)
    me = target.provider.account(tokens.access_token)
    headers, body = target.remove_app(account)
    message = target.provider.parse_webhook(headers, body, target.clock.now())
    assert message.kind is WebhookKind.DEAUTHORIZED
    assert message.external_account_id == me.external_account_id
    assert message.delivery_key
    again = target.provider.parse_webhook(headers, body, target.clock.now())
    assert again.delivery_key == message.delivery_key
    with pytest.raises(AuthExpired):
        target.provider.account(tokens.access_token)


def test_forged_webhook_is_rejected(target: Target) -> None:
    account = target.add_account("forge@example.com")
    headers, body = target.remove_app(account)
    with pytest.raises(WebhookRejected) as caught:
        target.provider.parse_webhook(headers, body + b" ", target.clock.now())
    assert caught.value.status in (400, 401)


def test_meeting_start_is_aware(target: Target) -> None:
    _, tokens = _link(target)
    made = target.provider.create_meeting(tokens.access_token, _request(target))
    assert isinstance(made.start, datetime) and made.start.tzinfo is not None


class TestZoomProviderKit(ProviderContract):
    """The public contract kit (meetlink.testing) on every target: Zoom in-process, Zoom
    over loopback HTTP, and the fake."""

    @pytest.fixture(autouse=True)
    def _given(self, target: Target) -> None:
        self._made = target

    def make_target(self) -> Target:
        return self._made
