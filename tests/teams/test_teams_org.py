"""Organisation links on the Teams emulator and TeamsProvider: admin consent, then
client-credentials tokens for that tenant; ``/users/{upn}`` and ``/users/{id}/onlineMeetings``
with an app-only token, which needs an application access policy for the user (403 without);
every Graph body checked against the schema extract."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from meetlink.adapters.clock import ManualClock
from meetlink.adapters.teams import TeamsProvider
from meetlink.domain.conference import MeetingTerms
from meetlink.domain.links import TokenSet
from meetlink.emulators.teams import TeamsEmulator, TeamsUser
from meetlink.errors import (
    AccessPolicyMissing,
    AdminApprovalRequired,
    GrantRevoked,
    LinkError,
    NotInOrganisation,
    ProviderRejected,
)
from meetlink.ports.provider import MeetingRequest
from tests.providers.targets import pkce

from .schemas import checking

T0 = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(T0)


@pytest.fixture
def teams(clock: ManualClock) -> TeamsEmulator:
    return TeamsEmulator(clock=clock, seed=3)


@pytest.fixture
def provider(teams: TeamsEmulator, clock: ManualClock) -> TeamsProvider:
    return TeamsProvider(
        client_id=teams.client_id,
        client_secret=teams.client_secret,
        redirect_uri=teams.redirect_uri,
        transport=checking(teams.transport()),
        clock=clock,
        organisation_links=True,
    )


def _consent(teams: TeamsEmulator, provider: TeamsProvider, admin: TeamsUser) -> TokenSet:
    org = provider.organisation()
    url = org.authorization_url(state="s", code_challenge="unused")
    assert "/v2.0/adminconsent?" in url and ".default" in url
    params = teams.admin_consent(url, admin)
    return org.exchange_code(code=params["tenant"], code_verifier="")


def _request(clock: ManualClock) -> MeetingRequest:
    terms = MeetingTerms(
        topic="Plan", start=clock.now() + timedelta(days=1), duration_minutes=30, timezone="UTC"
    )
    return MeetingRequest(terms=terms, marker="m1")


def test_an_app_only_token_acts_for_a_user_with_the_access_policy(
    teams: TeamsEmulator, provider: TeamsProvider, clock: ManualClock
) -> None:
    admin = teams.add_user("it@contoso.example", admin=True)
    ann = teams.add_user("Ann@contoso.example")
    tokens = _consent(teams, provider, admin)
    assert tokens.refresh_token == f"app-only:{admin.tenant_id}"  # no secret kept
    account = provider.organisation().account(tokens.access_token)
    assert account.account_id == admin.tenant_id and account.email == ""

    found = provider.find_user(tokens.access_token, "ann@CONTOSO.example")
    assert found is not None and found.external_account_id == ann.id
    assert provider.find_user(tokens.access_token, "nobody@contoso.example") is None

    acting = provider.acting_for(ann.id)
    with pytest.raises(AccessPolicyMissing, match="Grant-CsApplicationAccessPolicy"):
        acting.create_meeting(tokens.access_token, _request(clock))
    teams.grant_access_policy(ann)
    meeting = acting.create_meeting(tokens.access_token, _request(clock))
    assert [m["id"] for m in teams.meetings(ann)] == [meeting.meeting_id]
    assert acting.create_meeting(tokens.access_token, _request(clock)) == meeting  # createOrGet
    acting.update_meeting(tokens.access_token, meeting.meeting_id, _request(clock))
    assert acting.get_meeting(tokens.access_token, meeting.meeting_id).join_url == meeting.join_url
    assert acting.delete_meeting(tokens.access_token, meeting.meeting_id)
    assert not acting.delete_meeting(tokens.access_token, meeting.meeting_id)


def test_a_upn_or_a_stranger_is_not_in_the_organisation(
    teams: TeamsEmulator, provider: TeamsProvider, clock: ManualClock
) -> None:
    admin = teams.add_user("it@contoso.example", admin=True)
    stranger = teams.add_user("s@fabrikam.example", tenant_id="fabrikam-tid")
    teams.grant_access_policy(stranger)
    tokens = _consent(teams, provider, admin)
    assert provider.find_user(tokens.access_token, stranger.email) is None
    with pytest.raises(NotInOrganisation):  # an address never resolved: no call is made
        provider.acting_for("ann@contoso.example").create_meeting(
            tokens.access_token, _request(clock)
        )
    with pytest.raises(NotInOrganisation):
        provider.acting_for(stranger.id).create_meeting(tokens.access_token, _request(clock))


def test_a_users_token_cannot_act_for_others(
    teams: TeamsEmulator, provider: TeamsProvider, clock: ManualClock
) -> None:
    admin = teams.add_user("it@contoso.example", admin=True)
    ann = teams.add_user("ann@contoso.example")
    teams.grant_access_policy(ann)
    verifier, challenge = pkce()
    params = teams.consent(provider.authorization_url(state="s", code_challenge=challenge), admin)
    delegated = provider.exchange_code(code=params["code"], code_verifier=verifier)
    with pytest.raises(ProviderRejected):  # 403: with delegated permission only /me
        provider.acting_for(ann.id).create_meeting(delegated.access_token, _request(clock))


def test_consent_missing_then_withdrawn(
    teams: TeamsEmulator, provider: TeamsProvider, clock: ManualClock
) -> None:
    admin = teams.add_user("it@contoso.example", admin=True)
    org = provider.organisation()
    with pytest.raises(AdminApprovalRequired, match="has not consented"):
        org.exchange_code(code=admin.tenant_id, code_verifier="")
    tokens = _consent(teams, provider, admin)
    assert org.refresh(tokens.refresh_token).access_token != tokens.access_token
    teams.withdraw_admin_consent(admin.tenant_id)
    with pytest.raises(GrantRevoked, match="withdrawn"):
        org.refresh(tokens.refresh_token)


@pytest.mark.parametrize("tenant", ["common", "organizations", "a/b", "x" * 300, ""])
def test_the_callback_tenant_is_checked(provider: TeamsProvider, tenant: str) -> None:
    with pytest.raises(LinkError, match="not a Microsoft tenant"):
        provider.organisation().exchange_code(code=tenant, code_verifier="")


def test_without_organisation_links_there_is_no_organisation(teams: TeamsEmulator) -> None:
    plain = TeamsProvider(
        client_id=teams.client_id,
        client_secret=teams.client_secret,
        redirect_uri=teams.redirect_uri,
        transport=teams.transport(),
    )
    assert not plain.capabilities.organisation_install
    with pytest.raises(ProviderRejected, match="organisation_links"):
        plain.organisation()
