"""What Zoom does beyond the contract every provider meets (tests/providers): Basic plans,
a revoke that kills the grant, listings and start URLs, webhooks. Run on ZoomProvider +
emulator in-process and over loopback HTTP, and on the generic fake that mimics Zoom."""

from __future__ import annotations

import pytest

from meetlink.errors import (
    AdminApprovalRequired,
    AuthExpired,
    GrantRevoked,
    LinkDenied,
    LinkError,
    MeetingGone,
    ProviderUnavailable,
    WebhookRejected,
)
from meetlink.ports.provider import WebhookKind
from tests.providers.targets import ZoomTarget, link, meeting_request


def test_basic_plan_is_reported(target: ZoomTarget) -> None:
    _, tokens = link(target, "free@example.com", plan="basic")
    assert target.provider.account(tokens.access_token).plan == "basic"


def test_revoke_kills_the_grant(target: ZoomTarget) -> None:
    _, tokens = link(target)
    target.provider.revoke(tokens)
    with pytest.raises(AuthExpired):
        target.provider.account(tokens.access_token)
    with pytest.raises(GrantRevoked):
        target.provider.refresh(tokens.refresh_token)


def test_listings_and_start_urls(target: ZoomTarget) -> None:
    _, tokens = link(target)
    token = tokens.access_token
    made = target.provider.create_meeting(token, meeting_request(target, "mk-life"))
    assert made.meeting_id.isdigit()
    listed = target.provider.list_meetings(token)
    assert [m.meeting_id for m in listed if m.marker == "mk-life"] == [made.meeting_id]
    start_url = target.provider.start_url(token, made.meeting_id)
    assert start_url and start_url != made.join_url
    target.provider.delete_meeting(token, made.meeting_id)
    with pytest.raises(MeetingGone):
        target.provider.start_url(token, made.meeting_id)


def test_a_lost_create_is_found_by_listing(target: ZoomTarget) -> None:
    _, tokens = link(target)
    target.lose_next_create_response()
    with pytest.raises(ProviderUnavailable):
        target.provider.create_meeting(tokens.access_token, meeting_request(target, "mk-lost"))
    found = [m for m in target.provider.list_meetings(tokens.access_token) if m.marker == "mk-lost"]
    assert len(found) == 1
    [by_marker] = target.provider.find_by_marker(tokens.access_token, "mk-lost")
    assert by_marker.meeting_id == found[0].meeting_id
    assert target.provider.find_by_marker(tokens.access_token, "mk-other") == []


def test_callback_errors_are_typed(target: ZoomTarget) -> None:
    denied = target.provider.link_error(error="access_denied")
    assert isinstance(denied, LinkDenied)
    admin = target.provider.link_error(error="admin_approval_required")
    assert isinstance(admin, AdminApprovalRequired)
    other = target.provider.link_error(error="server_error", description="busy")
    assert type(other) is LinkError and "server_error" in str(other)


def test_deauthorization_webhook(target: ZoomTarget) -> None:
    account, tokens = link(target)
    me = target.provider.account(tokens.access_token)
    notice = target.remove_app(account)
    assert notice is not None  # Zoom sends a deauthorization webhook
    headers, body = notice
    message = target.provider.parse_webhook(headers, body, target.clock.now())
    assert message.kind is WebhookKind.DEAUTHORIZED
    assert message.external_account_id == me.external_account_id
    assert message.delivery_key
    again = target.provider.parse_webhook(headers, body, target.clock.now())
    assert again.delivery_key == message.delivery_key
    with pytest.raises(AuthExpired):
        target.provider.account(tokens.access_token)


def test_forged_webhook_is_rejected(target: ZoomTarget) -> None:
    account = target.add_account("forge@example.com")
    notice = target.remove_app(account)
    assert notice is not None  # Zoom sends a deauthorization webhook
    headers, body = notice
    with pytest.raises(WebhookRejected) as caught:
        target.provider.parse_webhook(headers, body + b" ", target.clock.now())
    assert caught.value.status in (400, 401)
