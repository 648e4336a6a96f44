"""Google Meet beyond the shared contract (tests/providers): the consent URL, the scopes, the
refresh token's lives, the quotas, what "delete" does to a space, the ledger, and the Space
as the protos define it (every body through the schema-checking transport)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from meetlink.adapters.clock import ManualClock
from meetlink.adapters.google_meet import MEET_SCOPE, GoogleMeetProvider, MemorySpaceLedger
from meetlink.domain.conference import MeetingTerms
from meetlink.domain.links import TokenSet
from meetlink.emulators.google_meet import GoogleMeetEmulator, GoogleUser
from meetlink.errors import (
    AdminApprovalRequired,
    ConfigurationError,
    GrantRevoked,
    MeetingGone,
    ProviderRejected,
    RateLimited,
)
from meetlink.ports.provider import MeetingRequest
from tests.providers.schemas import SchemaChecking
from tests.providers.targets import pkce

from .schemas import check


def _link(
    meet: GoogleMeetEmulator,
    provider: GoogleMeetProvider,
    email: str = "ann@contoso.com",
    **consent: Any,
) -> tuple[GoogleUser, TokenSet]:
    user = meet.add_user(email)
    verifier, challenge = pkce()
    answer = meet.consent(
        provider.authorization_url(state="s", code_challenge=challenge), user, **consent
    )
    return user, provider.exchange_code(code=answer["code"], code_verifier=verifier)


def _request(clock: ManualClock, marker: str = "mk") -> MeetingRequest:
    terms = MeetingTerms(
        topic="Sync", start=clock.now() + timedelta(days=1), duration_minutes=30, timezone="UTC"
    )
    return MeetingRequest(terms=terms, marker=marker)


def test_consent_url_asks_offline_access_pkce_and_the_fewest_scopes(
    provider: GoogleMeetProvider,
) -> None:
    url = provider.authorization_url(state="st", code_challenge="ch")
    query = {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}
    assert urlsplit(url).netloc == "accounts.google.com"
    assert query["access_type"] == "offline" and query["prompt"] == "consent"
    assert query["code_challenge_method"] == "S256" and query["code_challenge"] == "ch"
    assert query["include_granted_scopes"] == "true"
    assert query["scope"].split() == ["openid", "email", MEET_SCOPE]


def test_a_link_without_the_meet_scope_is_refused(
    meet: GoogleMeetEmulator, provider: GoogleMeetProvider
) -> None:
    with pytest.raises(ProviderRejected) as caught:
        _link(meet, provider, scopes={"openid", "email"})  # the user unticked Meet
    assert caught.value.provider_code == "insufficient_scope"


def test_refresh_keeps_the_refresh_token_and_idle_or_testing_tokens_die(
    meet: GoogleMeetEmulator, provider: GoogleMeetProvider, clock: ManualClock
) -> None:
    _, tokens = _link(meet, provider)
    clock.advance(timedelta(days=182))
    fresh = provider.refresh(tokens.refresh_token)
    assert fresh.refresh_token == tokens.refresh_token  # Google sends none: the old one stays
    clock.advance(timedelta(days=183))  # six months unused
    with pytest.raises(GrantRevoked):
        provider.refresh(tokens.refresh_token)

    meet.testing_mode = True  # an External app in Testing: 7-day refresh tokens
    _, testing = _link(meet, provider, "bob@contoso.com")
    clock.advance(timedelta(days=6, hours=23))
    provider.refresh(testing.refresh_token)
    clock.advance(timedelta(hours=1))
    with pytest.raises(GrantRevoked):
        provider.refresh(testing.refresh_token)


def test_revoke_ends_the_grant_and_a_removed_app_is_grant_revoked(
    meet: GoogleMeetEmulator, provider: GoogleMeetProvider
) -> None:
    _, tokens = _link(meet, provider)
    provider.revoke(tokens)
    with pytest.raises(GrantRevoked):
        provider.refresh(tokens.refresh_token)
    provider.revoke(tokens)  # already dead (invalid_token): counts as revoked
    user, other = _link(meet, provider, "cy@contoso.com")
    meet.remove_app(user)
    with pytest.raises(GrantRevoked):
        provider.refresh(other.refresh_token)


def test_callback_errors(provider: GoogleMeetProvider) -> None:
    assert isinstance(provider.link_error(error="admin_policy_enforced"), AdminApprovalRequired)


def test_a_new_space_has_the_chosen_access_type(
    meet: GoogleMeetEmulator, clock: ManualClock
) -> None:
    with pytest.raises(ConfigurationError):
        meet.provider(clock=clock, access_type="ANYONE")
    for access in ("TRUSTED", "OPEN", "RESTRICTED"):
        with meet.provider(clock=clock, access_type=access) as provider:
            _, tokens = _link(meet, provider, f"{access.lower()}@contoso.com")
            made = provider.create_meeting(tokens.access_token, _request(clock, access))
            [space] = [s for s in meet.spaces() if s["name"] == made.meeting_id]
            assert space["config"]["accessType"] == access
            assert made.join_url == space["meetingUri"]


def test_delete_ends_the_conference_and_restricts_but_the_link_remains(
    meet: GoogleMeetEmulator, provider: GoogleMeetProvider, clock: ManualClock
) -> None:
    user, tokens = _link(meet, provider)
    made = provider.create_meeting(tokens.access_token, _request(clock))
    meet.start_conference(made.join_url)
    assert meet.can_join(made.join_url, same_domain=True) == "join"
    assert provider.delete_meeting(tokens.access_token, made.meeting_id) is True
    [space] = meet.spaces(user)
    assert "activeConference" not in space and space["config"]["accessType"] == "RESTRICTED"
    assert meet.meetings(user) == [] and meet.closed() == [made.meeting_id]
    assert meet.can_join(made.join_url, same_domain=True) == "knock"  # not destroyed: knocks
    assert meet.can_join(made.join_url, invited=True) == "join"
    assert provider.delete_meeting(tokens.access_token, made.meeting_id) is False
    with pytest.raises(MeetingGone):
        provider.get_meeting(tokens.access_token, made.meeting_id)
    with pytest.raises(MeetingGone):
        provider.update_meeting(tokens.access_token, made.meeting_id, _request(clock))
    # Without a conference in progress the delete restricts all the same.
    other = provider.create_meeting(tokens.access_token, _request(clock, "mk-2"))
    assert provider.delete_meeting(tokens.access_token, other.meeting_id) is True
    assert meet.meetings(user) == []


def test_an_update_makes_no_call(
    meet: GoogleMeetEmulator, provider: GoogleMeetProvider, clock: ManualClock
) -> None:
    _, tokens = _link(meet, provider)
    made = provider.create_meeting(tokens.access_token, _request(clock))
    before = len(meet.requests)
    provider.update_meeting(tokens.access_token, made.meeting_id, _request(clock))
    assert len(meet.requests) == before


def test_a_retried_create_gets_the_space_its_marker_made(
    meet: GoogleMeetEmulator, provider: GoogleMeetProvider, clock: ManualClock
) -> None:
    user, tokens = _link(meet, provider)
    made = provider.create_meeting(tokens.access_token, _request(clock, "mk-once"))
    again = provider.create_meeting(tokens.access_token, _request(clock, "mk-once"))
    assert again.meeting_id == made.meeting_id and len(meet.spaces(user)) == 1
    assert provider.ledger.entry("mk-once").attempts == 1
    provider.delete_meeting(tokens.access_token, made.meeting_id)
    fresh = provider.create_meeting(tokens.access_token, _request(clock, "mk-once"))
    assert fresh.meeting_id != made.meeting_id  # a closed space is never handed out again


def test_a_shared_ledger_finds_what_another_process_made(
    meet: GoogleMeetEmulator, clock: ManualClock
) -> None:
    ledger = MemorySpaceLedger()
    with meet.provider(clock=clock, ledger=ledger) as first:
        _, tokens = _link(meet, first)
        made = first.create_meeting(tokens.access_token, _request(clock, "mk-shared"))
    with meet.provider(clock=clock, ledger=ledger) as second:
        [found] = second.find_by_marker(tokens.access_token, "mk-shared")
    assert found.meeting_id == made.meeting_id and found.marker == "mk-shared"


def test_creates_are_limited_per_user_and_project(
    meet: GoogleMeetEmulator, provider: GoogleMeetProvider, clock: ManualClock
) -> None:
    _, tokens = _link(meet, provider)
    for n in range(10):
        provider.create_meeting(tokens.access_token, _request(clock, f"u{n}"))
    with pytest.raises(RateLimited):
        provider.create_meeting(tokens.access_token, _request(clock, "u10"))
    clock.advance(timedelta(seconds=60))
    provider.create_meeting(tokens.access_token, _request(clock, "u11"))
    meet.creates_per_project = 3
    clock.advance(timedelta(seconds=60))
    _, other = _link(meet, provider, "dee@contoso.com")
    for n in range(3):
        provider.create_meeting(other.access_token, _request(clock, f"p{n}"))
    with pytest.raises(RateLimited):
        provider.create_meeting(tokens.access_token, _request(clock, "p3"))


def test_another_users_space_is_not_theirs_to_close(
    meet: GoogleMeetEmulator, provider: GoogleMeetProvider, clock: ManualClock
) -> None:
    _, ann = _link(meet, provider)
    _, bob = _link(meet, provider, "bob@contoso.com")
    made = provider.create_meeting(ann.access_token, _request(clock))
    with pytest.raises(ProviderRejected) as caught:
        provider.delete_meeting(bob.access_token, made.meeting_id)
    assert caught.value.status == 403 and meet.closed() == []


@pytest.mark.parametrize("meeting_id", ["", "spaces/", "spaces/a/b", "../v2/spaces", "spaces/x y"])
def test_a_meeting_id_that_is_no_space_name_is_refused_before_any_call(
    meet: GoogleMeetEmulator, provider: GoogleMeetProvider, meeting_id: str
) -> None:
    before = len(meet.requests)
    with pytest.raises(ProviderRejected):
        provider.get_meeting("at", meeting_id)
    with pytest.raises(ProviderRejected):
        provider.delete_meeting("at", meeting_id)
    assert len(meet.requests) == before


def test_every_body_follows_the_protos(
    meet: GoogleMeetEmulator,
    provider: GoogleMeetProvider,
    checker: SchemaChecking,
    clock: ManualClock,
) -> None:
    _, tokens = _link(meet, provider)
    made = provider.create_meeting(tokens.access_token, _request(clock))
    meet.start_conference(made.meeting_id)
    provider.get_meeting(tokens.access_token, made.meeting_id)
    provider.delete_meeting(tokens.access_token, made.meeting_id)
    with pytest.raises(MeetingGone):
        provider.get_meeting(tokens.access_token, made.meeting_id + "x")
    assert {"SpaceInput", "Space", "Empty", "Status", "TokenAnswer"} <= set(checker.checked)
    with pytest.raises(Exception, match="Additional properties"):
        check("Space", {**meet.spaces()[0], "startTime": "2025-01-01T00:00:00Z"})


@pytest.mark.parametrize(
    ("query", "body", "status"),
    [
        ("updateMask=config.title", {"config": {"accessType": "OPEN"}}, 400),
        ("updateMask=config.accessType", {"config": {"accessType": "NOBODY"}}, 400),
        ("updateMask=config.accessType", {"config": {"colour": "red"}}, 400),
    ],
)
def test_the_emulator_refuses_what_meet_refuses(
    meet: GoogleMeetEmulator,
    provider: GoogleMeetProvider,
    clock: ManualClock,
    query: str,
    body: object,
    status: int,
) -> None:
    _, tokens = _link(meet, provider)
    made = provider.create_meeting(tokens.access_token, _request(clock))
    with httpx.Client(transport=meet.transport()) as raw:
        answer = raw.patch(
            f"https://meet.googleapis.com/v2/{made.meeting_id}?{query}",
            json=body,
            headers={"Authorization": f"Bearer {tokens.access_token}"},
        )
    assert answer.status_code == status
    check("Status", answer.json())
    assert meet.spaces()[0]["config"]["accessType"] == "TRUSTED"


def test_a_marker_another_account_used_never_hands_out_its_space(
    meet: GoogleMeetEmulator, provider: GoogleMeetProvider, clock: ManualClock
) -> None:
    """The ledger is keyed by marker alone. A caller that reuses a marker another account's
    create used (a host calling the provider with markers of its own, two installations'
    markers) must neither get that account's space back nor find it: Google lets anyone read
    a space (its settings only its owner), so the ledger's space is the caller's only when
    Google shows it its config."""
    _, ann = _link(meet, provider)
    bob_user, bob = _link(meet, provider, "bob@fabrikam.example")
    anns = provider.create_meeting(ann.access_token, _request(clock, "mk-shared"))
    bobs = provider.create_meeting(bob.access_token, _request(clock, "mk-shared"))
    assert bobs.meeting_id != anns.meeting_id
    assert [s["name"] for s in meet.spaces(bob_user)] == [bobs.meeting_id]
    found = {
        who: [m.meeting_id for m in provider.find_by_marker(tokens.access_token, "mk-shared")]
        for who, tokens in (("ann", ann), ("bob", bob))
    }
    assert found == {"ann": [anns.meeting_id], "bob": [bobs.meeting_id]}
    seen = provider.get_meeting(bob.access_token, anns.meeting_id)  # anyone may read it
    assert seen.join_url == anns.join_url and seen.marker is None  # not whose marker it is
    with pytest.raises(ProviderRejected):  # closing another's space stays refused
        provider.delete_meeting(bob.access_token, anns.meeting_id)
    assert meet.meetings() != [] and meet.closed() == []


@pytest.mark.parametrize("marker", ["", "m" * 65])
def test_a_marker_the_ledger_cannot_keep_is_refused_before_any_call(
    meet: GoogleMeetEmulator, provider: GoogleMeetProvider, clock: ManualClock, marker: str
) -> None:
    _, tokens = _link(meet, provider)
    before = len(meet.requests)
    with pytest.raises(ProviderRejected):
        provider.create_meeting(tokens.access_token, _request(clock, marker))
    assert len(meet.requests) == before and provider.ledger.entry(marker).attempts == 0


def test_the_emulator_shows_a_spaces_settings_to_its_owner_only(
    meet: GoogleMeetEmulator, provider: GoogleMeetProvider, clock: ManualClock
) -> None:
    _, ann = _link(meet, provider)
    _, bob = _link(meet, provider, "bob@fabrikam.example")
    made = provider.create_meeting(ann.access_token, _request(clock))
    meet.start_conference(made.join_url)
    with httpx.Client(transport=meet.transport()) as raw:
        url = f"https://meet.googleapis.com/v2/{made.meeting_id}"
        owner, other = (
            raw.get(url, headers={"Authorization": f"Bearer {t.access_token}"}).json()
            for t in (ann, bob)
        )
    check("Space", owner)
    check("Space", other)
    assert {"config", "activeConference"} <= set(owner)
    assert set(other) == {"name", "meetingUri", "meetingCode"}
