"""TeamsProvider next to ZoomProvider in one MeetLink: linking through Entra, issuing a Teams
meeting for an event, moving it, a lost create adopted through createOrGet (no listing) or
cleaned up without a PATCH, consent errors read by the adapter, and personal accounts."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest

from meetlink import AdminApprovalRequired, Event, LinkDenied, MeetLink, UnsupportedAccount
from meetlink.adapters.clock import ManualClock
from meetlink.adapters.mail import JinjaMailComposer, RecordingMailer
from meetlink.adapters.sqlalchemy import SqlStorage, generate_key
from meetlink.adapters.teams import TeamsProvider
from meetlink.adapters.zoom import ZoomProvider
from meetlink.emulators.teams import TeamsEmulator
from meetlink.emulators.zoom import ZoomEmulator


@pytest.fixture
def app(clock: ManualClock) -> Iterator[tuple[MeetLink, TeamsEmulator]]:
    zoom, teams = ZoomEmulator(clock=clock, seed=1), TeamsEmulator(clock=clock, seed=2)
    storage = SqlStorage("sqlite://", encryption_keys=[generate_key()], create_schema=True)
    with (
        ZoomProvider(
            client_id=zoom.client_id,
            client_secret=zoom.client_secret,
            redirect_uri=zoom.redirect_uri,
            webhook_secrets=zoom.webhook_secret,
            transport=zoom.transport(),
            clock=clock,
        ) as zoom_provider,
        TeamsProvider(
            client_id=teams.client_id,
            client_secret=teams.client_secret,
            redirect_uri=teams.redirect_uri,
            tenant="organizations",
            transport=teams.transport(),
            clock=clock,
        ) as teams_provider,
    ):
        meetlink = MeetLink(
            storage=storage,
            providers=[zoom_provider, teams_provider],
            mailer=RecordingMailer(),
            composer=JinjaMailComposer(),
            clock=clock,
        )
        yield meetlink, teams
    storage.close()


def _event(clock: ManualClock, hours: int = 24, title: str = "Design review") -> Event:
    start = clock.now() + timedelta(hours=hours)
    return Event(
        id="ev-1",
        tenant_id="t1",
        owner_id="alice",
        title=title,
        start=start,
        end=start + timedelta(minutes=45),
        web_meeting="teams",
    )


def _link(meetlink: MeetLink, teams: TeamsEmulator) -> None:
    meetlink.start_trial("t1")
    user = teams.add_user("alice@contoso.com")
    request = meetlink.begin_link("t1", "alice", provider="teams")
    params = teams.consent(request.authorize_url, user)
    link = meetlink.complete_link(
        params["state"], code=params["code"], user_id="alice", tenant_id="t1"
    )
    assert link.provider == "teams" and link.email == "alice@contoso.com"
    assert link.external_account_id == user.id


def test_teams_meeting_for_an_event(
    app: tuple[MeetLink, TeamsEmulator], clock: ManualClock
) -> None:
    meetlink, teams = app
    _link(meetlink, teams)
    meetlink.save_event(_event(clock))
    meetlink.run_pending()
    conference = meetlink.conference("ev-1", tenant_id="t1")
    assert conference is not None and conference.provider == "teams"
    [meeting] = teams.meetings()
    assert conference.join_url == meeting["joinWebUrl"]
    meetlink.save_event(_event(clock, hours=48, title="Moved review"))
    meetlink.run_pending()
    [meeting] = teams.meetings()
    assert meeting["subject"] == "Moved review"
    assert meeting["startDateTime"].startswith(
        (clock.now() + timedelta(hours=48)).strftime("%Y-%m-%dT%H")
    )


def test_lost_create_is_adopted_without_listing(
    app: tuple[MeetLink, TeamsEmulator], clock: ManualClock
) -> None:
    meetlink, teams = app
    _link(meetlink, teams)
    teams.fail_next(status=0, method="POST", path="/v1.0/me/onlineMeetings/createOrGet")
    meetlink.save_event(_event(clock))
    for _ in range(5):
        meetlink.run_pending()
        clock.advance(timedelta(minutes=5))
    conference = meetlink.conference("ev-1", tenant_id="t1")
    assert conference is not None and conference.join_url
    assert len(teams.meetings()) == 1
    assert not any(m == "GET" and p == "/v1.0/me/onlineMeetings" for m, p in teams.requests)


def test_cleanup_of_a_lost_create_neither_patches_nor_invents(
    app: tuple[MeetLink, TeamsEmulator], clock: ManualClock
) -> None:
    meetlink, teams = app
    _link(meetlink, teams)
    teams.fail_next(status=0, method="POST", path="/v1.0/me/onlineMeetings/createOrGet")
    meetlink.save_event(_event(clock))  # the create landed, its answer was lost
    assert meetlink.delete_event("ev-1", tenant_id="t1")
    meetlink.run_pending()
    assert teams.meetings() == []
    calls = [(m, p.rsplit("/", 1)[-1]) for m, p in teams.requests if p.startswith("/v1.0/me/o")]
    # the lost create, one createOrGet on the same externalId to find it, then its DELETE
    assert [m for m, _ in calls] == ["POST", "POST", "DELETE"]
    assert not any(m == "PATCH" for m, _ in teams.requests)


def test_create_refused_for_good_leaves_nothing_to_look_for(
    app: tuple[MeetLink, TeamsEmulator], clock: ManualClock
) -> None:
    meetlink, teams = app
    _link(meetlink, teams)
    teams.fail_next(status=403, method="POST", path="/v1.0/me/onlineMeetings/createOrGet")
    result = meetlink.save_event(_event(clock))
    assert result.conference is not None and result.conference.join_url is None
    before = len(teams.requests)
    assert meetlink.delete_event("ev-1", tenant_id="t1")
    meetlink.run_pending()
    assert teams.requests[before:] == []  # no createOrGet made just to delete it
    assert teams.meetings() == []


def test_return_from_need_admin_approval_is_admin_approval_required(
    app: tuple[MeetLink, TeamsEmulator],
) -> None:
    meetlink, teams = app
    meetlink.start_trial("t1")
    teams.require_admin_consent()
    user = teams.add_user("alice@contoso.com")
    request = meetlink.begin_link("t1", "alice", provider="teams")
    back = teams.consent(request.authorize_url, user, return_to_app=True)
    with pytest.raises(AdminApprovalRequired) as caught:
        meetlink.complete_link(
            back["state"],
            error=back["error"],
            error_subcode=back.get("error_subcode"),
            user_id="alice",
            tenant_id="t1",
        )
    admin_url = caught.value.admin_consent_url
    assert admin_url is not None
    teams.admin_consent(admin_url, teams.add_user("it@contoso.com", admin=True))
    request = meetlink.begin_link("t1", "alice", provider="teams")
    params = teams.consent(request.authorize_url, user)
    assert (
        meetlink.complete_link(
            params["state"], code=params["code"], user_id="alice", tenant_id="t1"
        ).provider
        == "teams"
    )


def test_declined_consent_is_link_denied(app: tuple[MeetLink, TeamsEmulator]) -> None:
    meetlink, teams = app
    meetlink.start_trial("t1")
    user = teams.add_user("alice@contoso.com")
    request = meetlink.begin_link("t1", "alice", provider="teams")
    back = teams.consent(request.authorize_url, user, allow=False)
    with pytest.raises(LinkDenied):
        meetlink.complete_link(
            back["state"],
            error=back["error"],
            error_description=back.get("error_description"),
            error_subcode=back.get("error_subcode"),
            user_id="alice",
            tenant_id="t1",
        )


def test_personal_account_cannot_link_on_common(clock: ManualClock) -> None:
    teams = TeamsEmulator(clock=clock, seed=3)
    storage = SqlStorage("sqlite://", encryption_keys=[generate_key()], create_schema=True)
    with TeamsProvider(
        client_id=teams.client_id,
        client_secret=teams.client_secret,
        redirect_uri=teams.redirect_uri,
        tenant="common",
        transport=teams.transport(),
        clock=clock,
    ) as provider:
        meetlink = MeetLink(
            storage=storage, providers=[provider], mailer=RecordingMailer(), clock=clock
        )
        meetlink.start_trial("t1")
        msa = teams.add_user("me@outlook.com", personal=True)
        request = meetlink.begin_link("t1", "alice", provider="teams")
        params = teams.consent(request.authorize_url, msa)
        with pytest.raises(UnsupportedAccount):
            meetlink.complete_link(
                params["state"], code=params["code"], user_id="alice", tenant_id="t1"
            )
        assert meetlink.link("alice", "teams", tenant_id="t1") is None
    storage.close()
