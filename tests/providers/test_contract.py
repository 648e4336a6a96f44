"""The VideoProvider contract every provider meets, run on every target in
``targets.TARGETS`` (Zoom and Teams, each in-process and over loopback HTTP, and the generic
fake). What one provider does beyond it is tested in tests/zoom and tests/teams; what
differs is read from the target's ``facts``."""

from __future__ import annotations

from datetime import datetime

import pytest

from meetlink.errors import (
    AuthExpired,
    GrantRevoked,
    LinkDenied,
    MeetingGone,
    ProviderError,
    ProviderUnavailable,
)
from meetlink.testing.contract import ProviderContract

from .targets import AnyTarget, link, meeting_request, pkce


def test_key_and_capabilities(target: AnyTarget) -> None:
    assert target.provider.key
    assert target.provider.capabilities.display_name


def test_authorization_url_carries_state_and_challenge(target: AnyTarget) -> None:
    url = target.provider.authorization_url(state="st4te", code_challenge="ch4llenge")
    assert "state=st4te" in url and "code_challenge=ch4llenge" in url
    assert "code_challenge_method=S256" in url


def test_link_and_account(target: AnyTarget) -> None:
    _, tokens = link(target, "ann@contoso.com")
    account = target.provider.account(tokens.access_token)
    assert account.email == "ann@contoso.com" and account.plan == "licensed"
    assert account.external_account_id and account.account_id


def test_deny_returns_access_denied(target: AnyTarget) -> None:
    account = target.add_account("no@contoso.com")
    url = target.provider.authorization_url(state="s-9", code_challenge=pkce()[1])
    answer = target.consent(url, account, allow=False)
    assert answer["error"] == "access_denied" and answer["state"] == "s-9"
    assert "code" not in answer
    assert isinstance(target.provider.link_error(error="access_denied"), LinkDenied)


def test_code_is_single_use(target: AnyTarget) -> None:
    account = target.add_account("once@contoso.com")
    verifier, challenge = pkce()
    url = target.provider.authorization_url(state="s", code_challenge=challenge)
    answer = target.consent(url, account)
    target.provider.exchange_code(code=answer["code"], code_verifier=verifier)
    with pytest.raises(ProviderError) as caught:
        target.provider.exchange_code(code=answer["code"], code_verifier=verifier)
    assert not isinstance(caught.value, ProviderUnavailable)


def test_pkce_mismatch_is_invalid_grant(target: AnyTarget) -> None:
    account = target.add_account("pkce@contoso.com")
    url = target.provider.authorization_url(state="s", code_challenge=pkce()[1])
    answer = target.consent(url, account)
    with pytest.raises(GrantRevoked):
        target.provider.exchange_code(code=answer["code"], code_verifier=pkce()[0])


def test_refresh_rotates(target: AnyTarget) -> None:
    _, tokens = link(target)
    fresh = target.provider.refresh(tokens.refresh_token)
    if target.facts.refresh_rotates:
        assert fresh.refresh_token != tokens.refresh_token
    else:  # Google keeps the refresh token: its answer carries none
        assert fresh.refresh_token == tokens.refresh_token
    assert fresh.access_token != tokens.access_token
    assert target.provider.account(fresh.access_token).email == "host@contoso.com"
    if target.facts.rotation_kills_old_refresh_token and target.facts.refresh_rotates:
        with pytest.raises(GrantRevoked):
            target.provider.refresh(tokens.refresh_token)
    else:  # Entra does not revoke it (FACTS.md §1.5)
        assert target.provider.refresh(tokens.refresh_token).access_token
    assert target.provider.refresh(fresh.refresh_token).access_token


def test_expired_access_token_is_auth_expired(target: AnyTarget) -> None:
    _, tokens = link(target)
    target.expire_access_tokens()
    with pytest.raises(AuthExpired):
        target.provider.account(tokens.access_token)
    fresh = target.provider.refresh(tokens.refresh_token)
    assert target.provider.account(fresh.access_token).email == "host@contoso.com"


def test_meeting_lifecycle(target: AnyTarget) -> None:
    account, tokens = link(target)
    token = tokens.access_token
    request = meeting_request(target, "mk-life")
    made = target.provider.create_meeting(token, request)
    assert made.meeting_id and made.join_url.startswith("https://")
    assert made.marker == "mk-life"
    if target.facts.keeps_terms:
        assert made.start == request.terms.start
        assert made.duration_minutes == 30 and made.topic == "Weekly sync"
        assert isinstance(made.start, datetime) and made.start.tzinfo is not None
    else:  # a Meet space has no time and no title
        assert (made.start, made.duration_minutes, made.topic) == (None, None, "")
    got = target.provider.get_meeting(token, made.meeting_id)
    assert (got.meeting_id, got.join_url, got.marker) == (made.meeting_id, made.join_url, "mk-life")

    moved = meeting_request(target, "mk-life", topic="Moved sync", hours=48)
    target.provider.update_meeting(token, made.meeting_id, moved)
    got = target.provider.get_meeting(token, made.meeting_id)
    if target.facts.keeps_terms:
        assert got.topic == "Moved sync" and got.start == moved.terms.start
    assert got.join_url == made.join_url

    assert target.live_meeting_count(account) == 1
    assert target.provider.delete_meeting(token, made.meeting_id) is True
    assert target.provider.delete_meeting(token, made.meeting_id) is False
    assert target.live_meeting_count(account) == 0
    with pytest.raises(MeetingGone):
        target.provider.get_meeting(token, made.meeting_id)
    with pytest.raises(MeetingGone):
        target.provider.update_meeting(token, made.meeting_id, moved)


def test_lost_create_is_maybe_applied_and_found_by_marker(target: AnyTarget) -> None:
    account, tokens = link(target)
    target.lose_next_create_response()
    with pytest.raises(ProviderUnavailable) as caught:
        target.provider.create_meeting(tokens.access_token, meeting_request(target, "mk-lost"))
    assert caught.value.maybe_applied is True
    if not target.facts.finds_lost_answers:
        # Meet: the space exists, but nobody outside Google can name it (no marker field, no
        # listing); it serves nothing and is in no one's sight. A retried create makes one.
        assert target.provider.find_by_marker(tokens.access_token, "mk-lost") == []
        assert target.live_meeting_count(account) == 0
        assert len(target.emulator.orphans()) == 1
        made = target.provider.create_meeting(
            tokens.access_token, meeting_request(target, "mk-lost")
        )
        [found] = target.provider.find_by_marker(tokens.access_token, "mk-lost")
        assert found.meeting_id == made.meeting_id
        assert target.live_meeting_count(account) == 1
        return
    assert target.live_meeting_count(account) == 1
    [found] = target.provider.find_by_marker(tokens.access_token, "mk-lost")
    assert found.marker == "mk-lost"
    assert target.live_meeting_count(account) == 1  # found, not made again


class TestProviderKit(ProviderContract):
    """The public contract kit (meetlink.testing) on every target."""

    @pytest.fixture(autouse=True)
    def _given(self, target: AnyTarget) -> None:
        self._made = target

    def make_target(self) -> AnyTarget:
        return self._made
