"""Organisation-wide install on Microsoft Teams (issue 22): the customer's admin consents to
the application permissions once; users who never linked get online meetings on their own
accounts through the app-only token, where the Teams admin granted an application access
policy."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from meetlink import (
    ConferenceStatus,
    Event,
    HostNotice,
    HostNoticeKind,
    LinkError,
    OrganisationLink,
    Participant,
    Refusal,
    messages,
)
from meetlink.emulators.teams import TeamsEmulator, TeamsUser
from meetlink.testing import Sandbox

T0 = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


def _event(sb: Sandbox, event_id: str, owner: str, *, tenant: str = "t1") -> Event:
    start = sb.clock.now() + timedelta(days=1)
    return Event(
        id=event_id,
        tenant_id=tenant,
        owner_id=owner,
        title=f"Review {event_id}",
        start=start,
        end=start + timedelta(minutes=30),
        participants=(Participant(email="guest@example.com"),),
        web_meeting="teams",
    )


def _teams(sb: Sandbox) -> TeamsEmulator:
    assert sb.teams is not None
    return sb.teams


def _link_admin(sb: Sandbox, admin: TeamsUser, *, tenant: str = "t1") -> None:
    """The admin signs in with their own Microsoft account (a user link)."""
    request = sb.meetlink.begin_link(tenant, "it-admin", provider="teams")
    params = _teams(sb).consent(request.authorize_url, admin)
    sb.meetlink.complete_link(
        params["state"], code=params["code"], user_id="it-admin", tenant_id=tenant
    )


def _link_org(sb: Sandbox, admin: TeamsUser, *, tenant: str = "t1") -> OrganisationLink:
    request = sb.meetlink.begin_org_link("teams", tenant_id=tenant, admin_user_id="it-admin")
    params = _teams(sb).admin_consent(request.authorize_url, admin)
    assert params["admin_consent"] == "True"
    return sb.meetlink.complete_org_link(
        params["state"], tenant=params["tenant"], tenant_id=tenant, admin_user_id="it-admin"
    )


def _organisation(sb: Sandbox) -> tuple[TeamsUser, dict[str, TeamsUser]]:
    teams = _teams(sb)
    admin = teams.add_user("it@contoso.example", admin=True)
    members = {n: teams.add_user(f"{n}@contoso.example") for n in ("ann", "ben", "cai", "dee")}
    for name, user in members.items():
        sb.meetlink.set_directory_address(name, user.email, "teams", tenant_id="t1")
    return admin, members


def test_admin_consents_once_and_users_get_meetings_on_their_own_accounts() -> None:
    with Sandbox(now=T0, with_teams=True, seed=21) as sb:
        teams = _teams(sb)
        sb.meetlink.contract("t1")
        admin, members = _organisation(sb)
        sb.meetlink.set_directory_address("out", "out@fabrikam.example", "teams", tenant_id="t1")
        _link_admin(sb, admin)
        org = _link_org(sb, admin)
        assert org.account_id == admin.tenant_id and org.admin_email == admin.email
        for name in ("ann", "ben", "cai"):  # the Teams admin grants them the policy
            teams.grant_access_policy(members[name])

        for name in ("ann", "ben", "cai"):
            user = members[name]
            assert sb.meetlink.link(name, "teams", tenant_id="t1") is None  # never linked
            result = sb.meetlink.save_event(_event(sb, f"e-{name}", name))
            conf = result.conference
            assert conf is not None and conf.status is ConferenceStatus.ISSUED, result
            assert conf.external_account_id == user.id
            assert [m["joinWebUrl"] for m in teams.meetings(user)] == [conf.join_url]
        assert teams.meetings(admin) == []

        nopolicy = sb.meetlink.save_event(_event(sb, "e-dee", "dee")).conference
        assert nopolicy is not None and nopolicy.status is ConferenceStatus.FAILED
        assert nopolicy.error is not None and nopolicy.error.startswith("AccessPolicyMissing")
        assert "Grant-CsApplicationAccessPolicy" in nopolicy.error
        assert members["dee"].id in nopolicy.error
        assert nopolicy.error_code == "error.access_policy_missing"
        assert "アクセスポリシー" in messages.text(nopolicy, "ja")

        outsider = sb.meetlink.save_event(_event(sb, "e-out", "out")).conference
        assert outsider is not None and outsider.status is ConferenceStatus.FAILED
        assert outsider.error is not None and outsider.error.startswith("NotInOrganisation")
        assert messages.text(outsider, "en").startswith(
            "Your company's Microsoft Teams account has no user at your address"
        )

        # the policy granted afterwards: saving again issues it
        teams.grant_access_policy(members["dee"])
        again = sb.meetlink.retry("e-dee", tenant_id="t1")
        assert again is not None and again.status is ConferenceStatus.ISSUED


def test_the_create_goes_to_the_users_object_id_with_an_app_only_token() -> None:
    with Sandbox(now=T0, with_teams=True, seed=22) as sb:
        teams = _teams(sb)
        sb.meetlink.contract("t1")
        admin, members = _organisation(sb)
        _link_admin(sb, admin)
        _link_org(sb, admin)
        teams.grant_access_policy(tenant_id=admin.tenant_id)  # -Global
        seen = len(teams.requests)
        sb.meetlink.save_event(_event(sb, "e1", "ann"))
        ann = members["ann"]
        assert teams.requests[seen:] == [
            ("GET", "/v1.0/users/ann@contoso.example"),
            ("POST", f"/v1.0/users/{ann.id}/onlineMeetings/createOrGet"),
        ]


def test_withdrawn_consent_ends_the_organisation_link() -> None:
    notices: list[HostNotice] = []
    with Sandbox(now=T0, with_teams=True, seed=23, listener=notices.append) as sb:
        teams = _teams(sb)
        sb.meetlink.contract("t1")
        admin, _ = _organisation(sb)
        _link_admin(sb, admin)
        _link_org(sb, admin)
        teams.grant_access_policy(tenant_id=admin.tenant_id)
        first = sb.meetlink.save_event(_event(sb, "e1", "ann")).conference
        assert first is not None and first.status is ConferenceStatus.ISSUED

        teams.withdraw_admin_consent(admin.tenant_id)
        sb.clock.advance(timedelta(hours=2))  # the app-only token expired: a new one is refused
        sb.clock.advance(timedelta(days=2))  # ben's lookup is stale too
        result = sb.meetlink.save_event(_event(sb, "e2", "ben"))
        assert Refusal.NOT_LINKED in result.refusals and result.conference is None
        assert sb.meetlink.org_link("teams", tenant_id="t1") is None
        broken = [n for n in notices if n.kind is HostNoticeKind.LINK_BROKEN]
        assert [(n.tenant_id, n.user_id, n.provider) for n in broken] == [("t1", "", "teams")]
        assert sb.meetlink.link("it-admin", "teams", tenant_id="t1") is not None  # untouched
        conf = sb.meetlink.conference("e1", tenant_id="t1")
        assert conf is not None and conf.status is ConferenceStatus.DETACHED


def test_an_org_link_without_consent_is_refused_clearly() -> None:
    with Sandbox(now=T0, with_teams=True, seed=24) as sb:
        sb.meetlink.contract("t1")
        admin, _ = _organisation(sb)
        _link_admin(sb, admin)
        request = sb.meetlink.begin_org_link("teams", tenant_id="t1", admin_user_id="it-admin")
        # a callback that claims a consent the tenant never gave
        with pytest.raises(LinkError, match="has not consented"):
            sb.meetlink.complete_org_link(
                request.state, tenant=admin.tenant_id, tenant_id="t1", admin_user_id="it-admin"
            )
        assert sb.meetlink.org_link("teams", tenant_id="t1") is None


def test_a_callback_naming_another_organisation_is_refused() -> None:
    with Sandbox(now=T0, with_teams=True, seed=25) as sb:
        teams = _teams(sb)
        sb.meetlink.contract("t1")
        admin, _ = _organisation(sb)
        other_admin = teams.add_user("boss@fabrikam.example", tenant_id="fabrikam-tid", admin=True)
        teams.grant_admin_consent("fabrikam-tid")  # another customer consented to the app
        _link_admin(sb, admin)  # this admin is of contoso
        request = sb.meetlink.begin_org_link("teams", tenant_id="t1", admin_user_id="it-admin")
        with pytest.raises(LinkError, match="own account of that organisation"):
            sb.meetlink.complete_org_link(
                request.state, tenant="fabrikam-tid", tenant_id="t1", admin_user_id="it-admin"
            )
        assert sb.meetlink.org_link("teams", tenant_id="t1") is None
        assert other_admin.tenant_id == "fabrikam-tid"


def test_unlinking_the_organisation_detaches_and_leaves_user_links() -> None:
    with Sandbox(now=T0, with_teams=True, seed=26) as sb:
        teams = _teams(sb)
        sb.meetlink.contract("t1")
        admin, members = _organisation(sb)
        _link_admin(sb, admin)
        _link_org(sb, admin)
        teams.grant_access_policy(tenant_id=admin.tenant_id)
        conf = sb.meetlink.save_event(_event(sb, "e1", "ann")).conference
        assert conf is not None and conf.status is ConferenceStatus.ISSUED
        assert sb.meetlink.unlink_org("teams", tenant_id="t1")
        after = sb.meetlink.conference("e1", tenant_id="t1")
        assert after is not None and after.status is ConferenceStatus.DETACHED
        assert sb.meetlink.link("it-admin", "teams", tenant_id="t1") is not None
        result = sb.meetlink.save_event(_event(sb, "e2", "ben"))
        assert Refusal.NOT_LINKED in result.refusals
        assert teams.meetings(members["ben"]) == []


def test_a_user_without_a_teams_licence_gets_a_failed_conference_with_the_reason() -> None:
    """Graph's bare 403 on onlineMeetings (no licence with meetings, a guest) for a served
    user with the access policy: FAILED with HostingNotAllowed, told apart from the missing
    access policy (403 "General") and from a user outside the organisation."""
    with Sandbox(now=T0, with_teams=True, seed=32) as sb:
        teams = _teams(sb)
        sb.meetlink.contract("t1")
        admin, members = _organisation(sb)
        _link_admin(sb, admin)
        _link_org(sb, admin)
        teams.grant_access_policy()  # -Global: every user of the tenant
        teams.forbid(members["cai"])
        conf = sb.meetlink.save_event(_event(sb, "e-cai", "cai")).conference
        assert conf is not None and conf.status is ConferenceStatus.FAILED
        assert conf.error is not None and conf.error.startswith("HostingNotAllowed")
        assert "licence" in conf.error and "Grant-CsApplicationAccessPolicy" not in conf.error
        assert teams.meetings(members["cai"]) == []
        served = sb.meetlink.save_event(_event(sb, "e-ann", "ann")).conference
        assert served is not None and served.status is ConferenceStatus.ISSUED
        teams.allow(members["cai"])  # the admin assigns a licence
        again = sb.meetlink.retry("e-cai", tenant_id="t1")
        assert again is not None and again.status is ConferenceStatus.ISSUED
