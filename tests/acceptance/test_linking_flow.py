"""The full link flow through the facade and the Zoom emulator: Allow, Deny, Pre-Approval,
takeover, relinking, and the webhook entry point under fuzzing."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from meetlink import InvalidLinkState, LinkDenied
from meetlink.emulators.zoom import ConsentBlocked
from meetlink.testing import Sandbox

T0 = datetime(2026, 12, 1, tzinfo=UTC)


@pytest.fixture
def sb() -> Iterator[Sandbox]:
    with Sandbox(now=T0, seed=3) as sandbox:
        sandbox.meetlink.start_trial("t1")
        yield sandbox


def test_allow_links_with_plan_and_email(sb: Sandbox) -> None:
    user = sb.zoom.add_user("alice@corp.example", plan="basic")
    request = sb.meetlink.begin_link("t1", "alice")
    assert "code_challenge_method=S256" in request.authorize_url
    assert request.expires_at == T0 + timedelta(minutes=10)
    params = sb.zoom.consent(request.authorize_url, user)
    link = sb.meetlink.complete_link(
        params["state"], code=params["code"], user_id="alice", tenant_id="t1"
    )
    assert (link.external_account_id, link.email, link.plan) == (user.id, user.email, "basic")


def test_deny_raises_link_denied_and_burns_the_state(sb: Sandbox) -> None:
    user = sb.zoom.add_user("alice@corp.example")
    request = sb.meetlink.begin_link("t1", "alice")
    params = sb.zoom.consent(request.authorize_url, user, allow=False)
    with pytest.raises(LinkDenied):
        sb.meetlink.complete_link(
            params["state"], error=params["error"], user_id="alice", tenant_id="t1"
        )
    with pytest.raises(InvalidLinkState):
        sb.meetlink.complete_link(params["state"], code="anything", user_id="alice", tenant_id="t1")
    assert sb.meetlink.link("alice", tenant_id="t1") is None


def test_pre_approval_keeps_the_user_at_zoom_until_approved(sb: Sandbox) -> None:
    user = sb.zoom.add_user("alice@bigcorp.example", account_id="bigcorp")
    sb.zoom.require_admin_approval("bigcorp")
    request = sb.meetlink.begin_link("t1", "alice")
    with pytest.raises(ConsentBlocked):
        sb.zoom.consent(request.authorize_url, user)
    sb.zoom.approve("bigcorp")
    request = sb.meetlink.begin_link("t1", "alice")  # the user presses "Link" again (S23)
    params = sb.zoom.consent(request.authorize_url, user)
    assert (
        sb.meetlink.complete_link(
            params["state"], code=params["code"], user_id="alice", tenant_id="t1"
        ).email
        == user.email
    )
    # approval covers every user of that account
    other = sb.zoom.add_user("bob@bigcorp.example", account_id="bigcorp")
    again = sb.meetlink.begin_link("t1", "bob")
    params = sb.zoom.consent(again.authorize_url, other)
    assert (
        sb.meetlink.complete_link(
            params["state"], code=params["code"], user_id="bob", tenant_id="t1"
        ).user_id
        == "bob"
    )


def test_takeover_and_relink(sb: Sandbox) -> None:
    _, shared = sb.link_user("t1", "alice", "shared@corp.example")
    request = sb.meetlink.begin_link("t1", "bob")
    params = sb.zoom.consent(request.authorize_url, shared)
    sb.meetlink.complete_link(params["state"], code=params["code"], user_id="bob", tenant_id="t1")
    assert sb.meetlink.link("alice", tenant_id="t1") is None  # S9
    bob = sb.meetlink.link("bob", tenant_id="t1")
    assert bob is not None and bob.external_account_id == shared.id
    # bob's grant still works after the takeover: nothing was revoked at Zoom
    start = sb.clock.now() + timedelta(days=1)
    from meetlink import Event

    result = sb.meetlink.save_event(
        Event("e", "t1", "bob", "x", start, start + timedelta(hours=1), web_meeting="zoom")
    )
    assert result.conference is not None and result.conference.join_url


def test_code_is_single_use_at_zoom(sb: Sandbox) -> None:
    user = sb.zoom.add_user("alice@corp.example")
    request = sb.meetlink.begin_link("t1", "alice")
    params = sb.zoom.consent(request.authorize_url, user)
    sb.meetlink.complete_link(params["state"], code=params["code"], user_id="alice", tenant_id="t1")
    second = sb.meetlink.begin_link("t1", "alice")
    from meetlink import MeetLinkError

    with pytest.raises(MeetLinkError):
        sb.meetlink.complete_link(
            second.state, code=params["code"], user_id="alice", tenant_id="t1"
        )  # a replayed code


def test_url_validation_challenge(sb: Sandbox) -> None:
    headers, body = sb.zoom.webhook("endpoint.url_validation", {"plainToken": "abc123"})
    reply = sb.meetlink.handle_webhook("zoom", headers, body)
    assert reply.status == 200
    data = json.loads(reply.body)
    import hashlib
    import hmac

    expected = hmac.new(sb.zoom.webhook_secret.encode(), b"abc123", hashlib.sha256).hexdigest()
    assert data == {"plainToken": "abc123", "encryptedToken": expected}


def test_stale_webhook_is_refused(sb: Sandbox) -> None:
    _, user = sb.link_user("t1", "alice")
    headers, body = sb.zoom.remove_app(user)
    sb.clock.advance(timedelta(minutes=6))
    assert sb.meetlink.handle_webhook("zoom", headers, body).status == 401
    assert sb.meetlink.link("alice", tenant_id="t1") is not None


header_names = st.sampled_from(
    ["x-zm-signature", "x-zm-request-timestamp", "content-type", "authorization", "x-other"]
)


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    headers=st.dictionaries(header_names, st.text(max_size=80), max_size=5),
    body=st.one_of(
        st.binary(max_size=300),
        st.builds(
            lambda d: json.dumps(d).encode(),
            st.dictionaries(st.text(max_size=10), st.text(max_size=20), max_size=4),
        ),
    ),
)
def test_webhook_fuzz_only_clean_replies_and_no_change(
    sb: Sandbox, headers: dict[str, str], body: bytes
) -> None:
    if sb.meetlink.link("alice", tenant_id="t1") is None:
        sb.link_user("t1", "alice", "alice-fuzz@corp.example")
    reply = sb.meetlink.handle_webhook("zoom", headers, body)
    assert reply.status in {400, 401, 413}
    assert sb.meetlink.link("alice", tenant_id="t1") is not None


def test_pre_approval_pending_reads_as_admin_approval_required(sb: Sandbox) -> None:
    from meetlink import AdminApprovalRequired

    user = sb.zoom.add_user("carol@bigcorp.example", account_id="bigcorp2")
    sb.zoom.require_admin_approval("bigcorp2")
    request = sb.meetlink.begin_link("t1", "carol")
    with pytest.raises(AdminApprovalRequired):
        sb.zoom.consent(request.authorize_url, user)
    assert sb.meetlink.link("carol", tenant_id="t1") is None
