"""The admin-managed (account-level) app on the Zoom emulator and ZoomProvider: only an
owner or admin installs it, its token acts for every user of its account (and nobody else's)
with the ``:admin`` scopes, ``/users/{userId}`` takes an id or an email, 1001 for anyone
else; every body is checked against Zoom's OpenAPI schemas."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from meetlink.adapters.clock import ManualClock
from meetlink.adapters.zoom import ZoomProvider
from meetlink.domain.conference import MeetingTerms
from meetlink.domain.links import TokenSet
from meetlink.emulators.zoom import ConsentBlocked, ZoomEmulator, ZoomUser
from meetlink.errors import GrantRevoked, NotInOrganisation, ProviderRejected, WebhookRejected
from meetlink.ports.provider import MeetingRequest
from tests.providers.targets import pkce

from .schemas import checking

T0 = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(T0)


@pytest.fixture
def zoom(clock: ManualClock) -> ZoomEmulator:
    return ZoomEmulator(clock=clock, seed=1)


@pytest.fixture
def provider(zoom: ZoomEmulator, clock: ManualClock) -> ZoomProvider:
    return ZoomProvider(
        client_id=zoom.client_id,
        client_secret=zoom.client_secret,
        redirect_uri=zoom.redirect_uri,
        webhook_secrets=[zoom.webhook_secret, zoom.admin_webhook_secret],  # one per app
        transport=checking(zoom.transport()),
        clock=clock,
        org_client_id=zoom.admin_client_id,
        org_client_secret=zoom.admin_client_secret,
    )


def _install(zoom: ZoomEmulator, app: ZoomProvider, user: ZoomUser) -> TokenSet:
    verifier, challenge = pkce()
    answer = zoom.consent(app.authorization_url(state="s", code_challenge=challenge), user)
    return app.exchange_code(code=answer["code"], code_verifier=verifier)


def _request(clock: ManualClock) -> MeetingRequest:
    terms = MeetingTerms(
        topic="Plan", start=clock.now() + timedelta(days=1), duration_minutes=30, timezone="UTC"
    )
    return MeetingRequest(terms=terms, marker="m1")


def test_the_admin_token_acts_for_every_user_of_its_account(
    zoom: ZoomEmulator, provider: ZoomProvider, clock: ManualClock
) -> None:
    admin = zoom.add_user("it@acme.example", role="admin")
    ann = zoom.add_user("Ann@acme.example", account_id=admin.account_id)
    org = provider.organisation()
    tokens = _install(zoom, org, admin)
    assert all(scope.endswith(":admin") for scope in tokens.scope.split())
    assert org.account(tokens.access_token).account_id == admin.account_id

    found = provider.find_user(tokens.access_token, "ann@ACME.example")  # any case
    assert found is not None and found.external_account_id == ann.id

    by_id = provider.acting_for(ann.id).create_meeting(tokens.access_token, _request(clock))
    by_email = provider.acting_for(ann.email).create_meeting(tokens.access_token, _request(clock))
    assert {m["id"] for m in zoom.meetings(ann)} == {
        int(by_id.meeting_id),
        int(by_email.meeting_id),
    }
    assert zoom.meetings(admin) == []
    acting = provider.acting_for(ann.id)
    listed = [m.meeting_id for m in acting.find_by_marker(tokens.access_token, "m1")]
    assert sorted(listed) == sorted([by_id.meeting_id, by_email.meeting_id])  # Zoom's list order
    acting.update_meeting(tokens.access_token, by_id.meeting_id, _request(clock))
    assert acting.start_url(tokens.access_token, by_id.meeting_id).startswith("https://")
    assert acting.delete_meeting(tokens.access_token, by_id.meeting_id)
    assert ("POST", f"/v2/users/{ann.id}/meetings") in zoom.requests
    assert ("POST", "/v2/users/Ann@acme.example/meetings") in zoom.requests


def test_nobody_outside_the_account_is_reachable(
    zoom: ZoomEmulator, provider: ZoomProvider, clock: ManualClock
) -> None:
    admin = zoom.add_user("it@acme.example", role="owner")
    stranger = zoom.add_user("s@other.example")
    tokens = _install(zoom, provider.organisation(), admin)
    assert provider.find_user(tokens.access_token, stranger.email) is None
    assert provider.find_user(tokens.access_token, "nobody@acme.example") is None
    with pytest.raises(NotInOrganisation, match=r"nobody@acme\.example"):
        provider.acting_for("nobody@acme.example").create_meeting(
            tokens.access_token, _request(clock)
        )
    with pytest.raises(NotInOrganisation):
        provider.acting_for(stranger.id).create_meeting(tokens.access_token, _request(clock))
    theirs = _install(zoom, provider, stranger)  # their own user-level link
    meeting = provider.create_meeting(theirs.access_token, _request(clock))
    with pytest.raises(ProviderRejected):  # 3000: not a meeting of the admin's account
        provider.acting_for(stranger.id).get_meeting(tokens.access_token, meeting.meeting_id)


def test_a_user_token_reaches_only_its_own_user(
    zoom: ZoomEmulator, provider: ZoomProvider, clock: ManualClock
) -> None:
    admin = zoom.add_user("it@acme.example", role="admin")
    ann = zoom.add_user("ann@acme.example", account_id=admin.account_id)
    mine = _install(zoom, provider, admin)  # the admin's own user-level link
    assert provider.find_user(mine.access_token, ann.email) is None
    with pytest.raises(ProviderRejected):
        provider.acting_for(ann.id).create_meeting(mine.access_token, _request(clock))


def test_only_an_owner_or_admin_installs_it_and_its_tokens_stay_its_own(
    zoom: ZoomEmulator, provider: ZoomProvider
) -> None:
    admin = zoom.add_user("it@acme.example", role="admin")
    member = zoom.add_user("ann@acme.example", account_id=admin.account_id)
    org = provider.organisation()
    with pytest.raises(ConsentBlocked, match="An account admin is required"):
        _install(zoom, org, member)
    tokens = _install(zoom, org, admin)
    with pytest.raises(GrantRevoked):  # the user-managed app cannot refresh the admin app's
        provider.refresh(tokens.refresh_token)
    fresh = org.refresh(tokens.refresh_token)
    org.revoke(fresh)
    with pytest.raises(GrantRevoked):
        org.refresh(fresh.refresh_token)


def test_without_an_admin_app_there_is_no_organisation(zoom: ZoomEmulator) -> None:
    plain = ZoomProvider(
        client_id=zoom.client_id,
        client_secret=zoom.client_secret,
        redirect_uri=zoom.redirect_uri,
        transport=zoom.transport(),
    )
    assert not plain.capabilities.organisation_install
    with pytest.raises(ProviderRejected, match="admin-managed"):
        plain.organisation()


def test_the_admin_app_removal_names_its_account(
    zoom: ZoomEmulator, provider: ZoomProvider, clock: ManualClock
) -> None:
    admin = zoom.add_user("it@acme.example", role="admin")
    tokens = _install(zoom, provider.organisation(), admin)
    headers, body = zoom.remove_app(admin, admin_app=True)
    message = provider.parse_webhook(headers, body, clock.now())
    assert message.organisation_id == admin.account_id and message.external_account_id is None
    with pytest.raises(GrantRevoked):
        provider.organisation().refresh(tokens.refresh_token)
    headers, body = zoom.remove_app(admin)  # the user-managed app: a user's removal
    assert provider.parse_webhook(headers, body, clock.now()).organisation_id is None


def test_each_app_signs_its_webhooks_with_its_own_secret_token(
    zoom: ZoomEmulator, clock: ManualClock
) -> None:
    """Zoom signs a webhook with the secret token of the app that sends it: a provider given
    only the user-managed app's secret refuses the admin-managed app's removal (the host
    must pass both, docs/org-install.md), and the other way round."""
    admin = zoom.add_user("it@acme.example", role="admin")
    ann = zoom.add_user("ann@acme.example", account_id=admin.account_id)

    def given(*secrets: str) -> ZoomProvider:
        return ZoomProvider(
            client_id=zoom.client_id,
            client_secret=zoom.client_secret,
            redirect_uri=zoom.redirect_uri,
            webhook_secrets=list(secrets),
            transport=zoom.transport(),
            clock=clock,
            org_client_id=zoom.admin_client_id,
            org_client_secret=zoom.admin_client_secret,
        )

    user_only, admin_only = given(zoom.webhook_secret), given(zoom.admin_webhook_secret)
    assert zoom.webhook_secret != zoom.admin_webhook_secret
    by_admin = zoom.remove_app(admin, admin_app=True)
    by_user = zoom.remove_app(ann)
    assert by_admin[0]["clientid"] == zoom.admin_client_id
    assert by_user[0]["clientid"] == zoom.client_id
    with pytest.raises(WebhookRejected):
        user_only.parse_webhook(*by_admin, clock.now())
    with pytest.raises(WebhookRejected):
        admin_only.parse_webhook(*by_user, clock.now())
    assert admin_only.parse_webhook(*by_admin, clock.now()).organisation_id == admin.account_id
    assert user_only.parse_webhook(*by_user, clock.now()).external_account_id == ann.id
