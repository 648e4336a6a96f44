"""What Teams does beyond the contract every provider meets (tests/providers), on
TeamsProvider + TeamsEmulator in-process and over loopback HTTP: an idempotent create
(createOrGet) instead of listing, no separate start URL, no webhooks, no revoke endpoint,
refresh failures with AADSTS codes, Graph's shapes."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from meetlink.adapters.teams import TEAMS_CAPABILITIES
from meetlink.domain.links import TokenSet
from meetlink.errors import (
    AuthExpired,
    GrantRevoked,
    MeetingGone,
    ProviderUnavailable,
)
from tests.providers.targets import TeamsTarget, link, meeting_request, pkce


def test_key_and_capabilities(target: TeamsTarget) -> None:
    assert target.provider.key == "teams"
    caps = target.provider.capabilities
    assert caps is TEAMS_CAPABILITIES
    assert caps.display_name == "Microsoft Teams"
    assert caps.idempotent_create is True and caps.host_start_url is False
    assert caps.free_plan_minutes is None and caps.deauthorization_webhook is False
    assert caps.supports_recurring is True and caps.needs_link is True
    assert caps.recurrence is None  # an onlineMeeting carries no schedule of occurrences


def test_authorization_url_carries_state_challenge_and_scopes(target: TeamsTarget) -> None:
    url = target.provider.authorization_url(state="st4te", code_challenge="ch4llenge")
    parts = urlsplit(url)
    query = {k: v[0] for k, v in parse_qs(parts.query).items()}
    assert parts.path == "/organizations/oauth2/v2.0/authorize"
    assert query["state"] == "st4te" and query["code_challenge"] == "ch4llenge"
    assert query["code_challenge_method"] == "S256" and query["response_type"] == "code"
    assert set(query["scope"].split()) == {
        "openid", "profile", "offline_access", "User.Read", "OnlineMeetings.ReadWrite"
    }  # fmt: skip


def test_link_and_account(target: TeamsTarget) -> None:
    user, tokens = link(target, "ann@contoso.com")
    assert tokens.expires_at > target.clock.now()
    account = target.provider.account(tokens.access_token)
    assert account.email == "ann@contoso.com" and account.plan == "licensed"
    assert account.external_account_id == user.id  # the oid
    assert account.account_id == user.tenant_id  # the tid


def test_account_without_mail_uses_the_upn(target: TeamsTarget) -> None:
    user = target.emulator.add_user("nomail@contoso.com", mail=False)
    verifier, challenge = pkce()
    answer = target.consent(
        target.provider.authorization_url(state="s", code_challenge=challenge), user
    )
    tokens = target.provider.exchange_code(code=answer["code"], code_verifier=verifier)
    assert target.provider.account(tokens.access_token).email == "nomail@contoso.com"


def test_pkce_mismatch_is_invalid_grant(target: TeamsTarget) -> None:
    account = target.add_account("pkce@contoso.com")
    answer = target.consent(
        target.provider.authorization_url(state="s", code_challenge=pkce()[1]), account
    )
    with pytest.raises(GrantRevoked) as caught:
        target.provider.exchange_code(code=answer["code"], code_verifier=pkce()[0])
    assert "AADSTS501481" in str(caught.value)


def test_revoke_is_a_documented_no_op(target: TeamsTarget) -> None:
    _, tokens = link(target)
    before = len(target.emulator.requests)
    target.provider.revoke(tokens)
    assert len(target.emulator.requests) == before  # nothing to call at Entra
    assert target.provider.account(tokens.access_token).email == "host@contoso.com"


def test_revoked_consent_breaks_refresh_but_not_issued_access_tokens(target: TeamsTarget) -> None:
    account, tokens = link(target)
    target.emulator.revoke_consent(account)
    with pytest.raises(GrantRevoked) as caught:
        target.provider.refresh(tokens.refresh_token)
    assert "AADSTS65001" in str(caught.value) and "consent_required" in str(caught.value)
    assert target.provider.account(tokens.access_token).email == "host@contoso.com"
    target.expire_access_tokens()
    with pytest.raises(AuthExpired):
        target.provider.account(tokens.access_token)
    _, again = _link_existing(target, account)
    assert target.provider.refresh(again.refresh_token).access_token


def _link_existing(target: TeamsTarget, account: Any) -> tuple[Any, TokenSet]:
    verifier, challenge = pkce()
    answer = target.consent(
        target.provider.authorization_url(state="s", code_challenge=challenge), account
    )
    return account, target.provider.exchange_code(code=answer["code"], code_verifier=verifier)


def test_meetings_are_graph_online_meetings(target: TeamsTarget) -> None:
    _, tokens = link(target)
    token = tokens.access_token
    made = target.provider.create_meeting(token, meeting_request(target, "mk-life"))
    assert made.join_url.startswith("https://teams.microsoft.com/l/meetup-join/")
    assert made.passcode is None  # joinMeetingIdSettings.passcode is null by default
    moved = meeting_request(target, "mk-life", topic="Moved sync", hours=48)
    target.provider.update_meeting(token, made.meeting_id, moved)
    got = target.provider.get_meeting(token, made.meeting_id)
    assert got.duration_minutes == 30 and got.timezone == "UTC"  # Graph keeps UTC only


def test_lost_create_is_maybe_applied_and_a_retry_returns_the_same_meeting(
    target: TeamsTarget,
) -> None:
    account, tokens = link(target)
    request = meeting_request(target, "mk-lost")
    target.lose_next_create_response()
    with pytest.raises(ProviderUnavailable) as caught:
        target.provider.create_meeting(tokens.access_token, request)
    assert caught.value.maybe_applied is True
    assert target.live_meeting_count(account) == 1
    [lost] = target.emulator.meetings(account)
    again = target.provider.create_meeting(tokens.access_token, request)
    assert again.meeting_id == lost["id"] and again.marker == "mk-lost"
    assert target.live_meeting_count(account) == 1


def test_retry_with_new_terms_patches_the_existing_meeting(target: TeamsTarget) -> None:
    account, tokens = link(target)
    first = target.provider.create_meeting(tokens.access_token, meeting_request(target, "mk-move"))
    moved = meeting_request(target, "mk-move", topic="Moved", hours=72)
    again = target.provider.create_meeting(tokens.access_token, moved)
    assert again.meeting_id == first.meeting_id and again.join_url == first.join_url
    assert again.start == moved.terms.start and again.topic == "Moved"
    assert again.marker == "mk-move"
    assert target.live_meeting_count(account) == 1
    methods = [m for m, p in target.emulator.requests if "onlineMeetings" in p]
    assert methods[-2:] == ["POST", "PATCH"]


def test_same_marker_for_two_users_gives_two_meetings(target: TeamsTarget) -> None:
    _, ann_tokens = link(target, "ann@contoso.com")
    _, bob_tokens = link(target, "bob@contoso.com")
    one = target.provider.create_meeting(ann_tokens.access_token, meeting_request(target, "shared"))
    two = target.provider.create_meeting(bob_tokens.access_token, meeting_request(target, "shared"))
    assert one.meeting_id != two.meeting_id
    with pytest.raises(MeetingGone):
        target.provider.get_meeting(bob_tokens.access_token, one.meeting_id)


def test_traffic_was_schema_checked(target: TeamsTarget) -> None:
    _, tokens = link(target)
    made = target.provider.create_meeting(tokens.access_token, meeting_request(target))
    target.provider.update_meeting(
        tokens.access_token, made.meeting_id, meeting_request(target, hours=5)
    )
    target.provider.delete_meeting(tokens.access_token, made.meeting_id)
    target.provider.delete_meeting(tokens.access_token, made.meeting_id)
    target.provider.account(tokens.access_token)
    assert set(target.checker.checked) >= {
        "createOrGet_request",
        "microsoft.graph.onlineMeeting",
        "microsoft.graph.user_me",
        "microsoft.graph.ODataErrors.ODataError",
    }
