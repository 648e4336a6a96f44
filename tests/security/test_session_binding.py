"""The OAuth state is bound to the session that began the link (issue 14, items 1 and 7):
a link URL sent to someone else can never move their Zoom account to the sender; a code
injected into another callback is a link error; the provider's error text is not echoed."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest

from meetlink import InvalidInput, InvalidLinkState, LinkError
from meetlink.errors import GrantRevoked
from meetlink.testing import Sandbox

T0 = datetime(2026, 12, 1, tzinfo=UTC)


@pytest.fixture
def sb() -> Iterator[Sandbox]:
    with Sandbox(now=T0, seed=7) as sandbox:
        sandbox.meetlink.start_trial("t1")
        sandbox.meetlink.start_trial("t2")
        yield sandbox


def test_a_link_url_sent_to_a_victim_in_another_tenant_cannot_take_their_account(
    sb: Sandbox,
) -> None:
    """Issue 14.1: mallory (tenant t1) sends her authorize URL to victor (tenant t2); victor
    presses Allow on the genuine Zoom page; the host's callback runs in victor's session."""
    _, victor_zoom = sb.link_user("t2", "victor", "victor@victim.example")
    lure = sb.meetlink.begin_link("t1", "mallory")
    params = sb.zoom.consent(lure.authorize_url, victor_zoom)  # victor presses Allow
    with pytest.raises(InvalidLinkState):
        sb.meetlink.complete_link(
            params["state"], code=params["code"], user_id="victor", tenant_id="t2"
        )
    assert sb.meetlink.link("mallory", tenant_id="t1") is None
    held = sb.meetlink.link("victor", tenant_id="t2")
    assert held is not None and held.external_account_id == victor_zoom.id


def test_the_state_still_completes_for_the_user_who_began_it(sb: Sandbox) -> None:
    """A refused completion changes nothing: the state stays valid for its own session."""
    alice_zoom = sb.zoom.add_user("alice@corp.example")
    request = sb.meetlink.begin_link("t1", "alice")
    params = sb.zoom.consent(request.authorize_url, alice_zoom)
    with pytest.raises(InvalidLinkState):
        sb.meetlink.complete_link(
            params["state"], code=params["code"], user_id="bob", tenant_id="t1"
        )
    with pytest.raises(InvalidLinkState):  # the same user id in another tenant is not alice
        sb.meetlink.complete_link(
            params["state"], code=params["code"], user_id="alice", tenant_id="t2"
        )
    link = sb.meetlink.complete_link(
        params["state"], code=params["code"], user_id="alice", tenant_id="t1"
    )
    assert link.user_id == "alice" and link.external_account_id == alice_zoom.id


def test_a_code_injected_into_another_users_callback_is_a_link_error(sb: Sandbox) -> None:
    """Issue 14.7: the code of bob's flow pasted into alice's callback fails PKCE at Zoom;
    meetlink says so as InvalidLinkState (a LinkError), not as a broken grant."""
    alice_zoom = sb.zoom.add_user("alice@corp.example")
    bob_zoom = sb.zoom.add_user("bob@corp.example")
    alice_request = sb.meetlink.begin_link("t1", "alice")
    bob_request = sb.meetlink.begin_link("t1", "bob")
    sb.zoom.consent(alice_request.authorize_url, alice_zoom)
    bob_params = sb.zoom.consent(bob_request.authorize_url, bob_zoom)
    with pytest.raises(LinkError) as info:
        sb.meetlink.complete_link(
            alice_request.state, code=bob_params["code"], user_id="alice", tenant_id="t1"
        )
    assert isinstance(info.value, InvalidLinkState)
    assert not isinstance(info.value, GrantRevoked)
    assert (
        sb.meetlink.link("alice", tenant_id="t1") is None
        and sb.meetlink.link("bob", tenant_id="t1") is None
    )


@pytest.mark.parametrize(
    "error",
    [
        "server_error\r\nX-Injected: 1",
        "<script>alert(1)</script>",
        "temporarily_unavailable" + "x" * 300,
    ],
)
def test_the_providers_error_text_is_not_repeated_verbatim(sb: Sandbox, error: str) -> None:
    """Issue 14.7: ``error`` comes from the callback's query string (anyone can craft it)."""
    request = sb.meetlink.begin_link("t1", "alice")
    # Control characters are refused as input (InvalidInput naming ``error``); any other
    # text that is not an OAuth error code is not repeated.
    with pytest.raises((LinkError, InvalidInput)) as info:
        sb.meetlink.complete_link(request.state, error=error[:256], user_id="alice", tenant_id="t1")
    message = str(info.value)
    assert "\r" not in message and "\n" not in message and "<" not in message
    assert "Injected" not in message and "xxx" not in message


def test_a_plain_oauth_error_code_is_still_named(sb: Sandbox) -> None:
    request = sb.meetlink.begin_link("t1", "alice")
    with pytest.raises(LinkError, match="temporarily_unavailable"):
        sb.meetlink.complete_link(
            request.state, error="temporarily_unavailable", user_id="alice", tenant_id="t1"
        )
