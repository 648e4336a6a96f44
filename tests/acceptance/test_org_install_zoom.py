"""Organisation-wide install on Zoom (issue 22): the tenant's admin installs the
admin-managed app once; users who never linked get meetings on their own Zoom users."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import attrs
import pytest

from meetlink import (
    ConferenceStatus,
    Event,
    HostNotice,
    HostNoticeKind,
    InvalidInput,
    InvalidLinkState,
    Participant,
    Refusal,
    messages,
)
from meetlink.emulators.core.oauth import ConsentBlocked
from meetlink.emulators.zoom import ZoomUser
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
        web_meeting="zoom",
    )


def _organisation(sb: Sandbox, *, tenant: str = "t1") -> tuple[ZoomUser, dict[str, ZoomUser]]:
    """A Zoom account with an admin and three members; the tenant knows their addresses."""
    admin = sb.zoom.add_user("admin@acme.example", role="admin")
    members = {
        name: sb.zoom.add_user(f"{name}@acme.example", account_id=admin.account_id)
        for name in ("ann", "ben", "cai")
    }
    for name, user in members.items():
        sb.meetlink.set_directory_address(name, user.email, tenant_id=tenant)
    return admin, members


def test_admin_links_once_and_three_users_get_meetings_on_their_own_accounts() -> None:
    with Sandbox(now=T0, seed=3) as sb:
        sb.meetlink.contract("t1")
        admin, members = _organisation(sb)
        sb.meetlink.set_directory_address("out", "outsider@elsewhere.example", tenant_id="t1")
        org = sb.link_org("t1", "it-admin", admin)
        assert org.account_id == admin.account_id and org.admin_email == admin.email
        assert sb.meetlink.org_link(tenant_id="t1") == org

        for name, user in members.items():
            assert sb.meetlink.link(name, tenant_id="t1") is None  # never linked
            result = sb.meetlink.save_event(_event(sb, f"e-{name}", name))
            conf = result.conference
            assert conf is not None and conf.status is ConferenceStatus.ISSUED, result
            assert conf.external_account_id == user.id
            hosted = sb.zoom.meetings(user)
            assert [m["join_url"] for m in hosted] == [conf.join_url]
        assert sb.zoom.meetings(admin) == []  # nothing on the admin's own user

        outsider = sb.meetlink.save_event(_event(sb, "e-out", "out")).conference
        assert outsider is not None and outsider.status is ConferenceStatus.FAILED
        assert outsider.error is not None and outsider.error.startswith("NotInOrganisation")
        assert "outsider@elsewhere.example" in outsider.error
        assert outsider.error_code == "error.not_in_organisation"
        assert messages.text(outsider, "ja").startswith(
            "会社のZoomアカウントに、このユーザーのアドレスが見つかりません。"
        )

        served = {e.user_id: e for e in sb.meetlink.directory(tenant_id="t1")}
        assert {u for u, e in served.items() if e.found} == {"ann", "ben", "cai"}
        assert served["out"].found is False and served["out"].resolved_at is not None
        assert served["ann"].external_account_id == members["ann"].id


def test_the_create_goes_to_the_users_path_with_the_admin_token() -> None:
    with Sandbox(now=T0, seed=4) as sb:
        sb.meetlink.contract("t1")
        admin, members = _organisation(sb)
        sb.link_org("t1", "it-admin", admin)
        seen = len(sb.zoom.requests)
        sb.meetlink.save_event(_event(sb, "e1", "ann"))
        paths = sb.zoom.requests[seen:]
        ann = members["ann"].id
        assert ("GET", "/v2/users/ann@acme.example") in paths  # the directory lookup
        assert ("POST", f"/v2/users/{ann}/meetings") in paths
        assert not any("/users/me" in p for _, p in paths)


def test_a_users_own_link_wins() -> None:
    with Sandbox(now=T0, seed=5) as sb:
        sb.meetlink.contract("t1")
        admin, _ = _organisation(sb)
        sb.link_org("t1", "it-admin", admin)
        _, personal = sb.link_user("t1", "ann", "ann.private@example.com")
        conf = sb.meetlink.save_event(_event(sb, "e1", "ann")).conference
        assert conf is not None and conf.external_account_id == personal.id
        assert len(sb.zoom.meetings(personal)) == 1


def test_a_member_cannot_install_the_admin_managed_app() -> None:
    with Sandbox(now=T0, seed=6) as sb:
        sb.meetlink.contract("t1")
        _, members = _organisation(sb)
        request = sb.meetlink.begin_org_link(tenant_id="t1", admin_user_id="it-admin")
        with pytest.raises(ConsentBlocked):
            sb.zoom.consent(request.authorize_url, members["ann"])
        assert sb.meetlink.org_link(tenant_id="t1") is None


def test_an_organisation_state_completes_only_as_an_organisation_link() -> None:
    with Sandbox(now=T0, seed=7) as sb:
        sb.meetlink.contract("t1")
        admin, _ = _organisation(sb)
        request = sb.meetlink.begin_org_link(tenant_id="t1", admin_user_id="it-admin")
        params = sb.zoom.consent(request.authorize_url, admin)
        with pytest.raises(InvalidLinkState):
            sb.meetlink.complete_link(
                params["state"], code=params["code"], user_id="it-admin", tenant_id="t1"
            )
        with pytest.raises(InvalidLinkState):  # another admin of the host
            sb.meetlink.complete_org_link(
                params["state"], code=params["code"], tenant_id="t1", admin_user_id="mallory"
            )
        with pytest.raises(InvalidLinkState):  # another tenant
            sb.meetlink.complete_org_link(
                params["state"], code=params["code"], tenant_id="t2", admin_user_id="it-admin"
            )
        org = sb.meetlink.complete_org_link(
            params["state"], code=params["code"], tenant_id="t1", admin_user_id="it-admin"
        )
        assert org.account_id == admin.account_id
        assert sb.meetlink.link("it-admin", tenant_id="t1") is None  # no user link was made


def test_unlinking_the_organisation_detaches_its_users_and_leaves_user_links() -> None:
    with Sandbox(now=T0, seed=8) as sb:
        sb.meetlink.contract("t1")
        admin, members = _organisation(sb)
        sb.link_org("t1", "it-admin", admin)
        sb.link_user("t1", "dan")
        served = sb.meetlink.save_event(_event(sb, "e-ann", "ann")).conference
        own = sb.meetlink.save_event(_event(sb, "e-dan", "dan")).conference
        assert served is not None and own is not None
        assert served.status is own.status is ConferenceStatus.ISSUED

        assert sb.meetlink.unlink_org(tenant_id="t1")
        assert sb.meetlink.org_link(tenant_id="t1") is None
        after = sb.meetlink.conference("e-ann", tenant_id="t1")
        assert after is not None and after.status is ConferenceStatus.DETACHED
        assert after.join_url == served.join_url  # the URL participants hold stays
        dan = sb.meetlink.conference("e-dan", tenant_id="t1")
        assert dan is not None and dan.status is ConferenceStatus.ISSUED
        assert sb.meetlink.link("dan", tenant_id="t1") is not None

        # issuance stops: a new event of a served user is refused as not linked
        result = sb.meetlink.save_event(_event(sb, "e-ben", "ben"))
        assert Refusal.NOT_LINKED in result.refusals and result.conference is None
        assert sb.zoom.meetings(members["ben"]) == []
        assert not sb.meetlink.unlink_org(tenant_id="t1")

        # linking the organisation again re-attaches what it served
        sb.link_org("t1", "it-admin", admin)
        again = sb.meetlink.conference("e-ann", tenant_id="t1")
        assert again is not None and again.status is ConferenceStatus.ISSUED


def test_removing_the_admin_managed_app_at_zoom_ends_the_organisation_link() -> None:
    with Sandbox(now=T0, seed=9) as sb:
        sb.meetlink.contract("t1")
        admin, _ = _organisation(sb)
        sb.link_org("t1", "it-admin", admin)
        sb.link_user("t1", "dan", "admin@personal.example")
        sb.meetlink.save_event(_event(sb, "e-ann", "ann"))
        headers, body = sb.zoom.remove_app(admin, admin_app=True)
        reply = sb.meetlink.handle_webhook("zoom", headers, body)
        assert reply.status == 200
        assert sb.meetlink.org_link(tenant_id="t1") is None
        conf = sb.meetlink.conference("e-ann", tenant_id="t1")
        assert conf is not None and conf.status is ConferenceStatus.DETACHED
        assert sb.meetlink.link("dan", tenant_id="t1") is not None  # user links untouched


def test_the_daily_cap_is_per_served_user() -> None:
    with Sandbox(now=T0, seed=10) as sb:
        sb.meetlink.contract("t1")
        admin, members = _organisation(sb)
        sb.link_org("t1", "it-admin", admin)
        sb.zoom.daily_meeting_cap = 1
        first = sb.meetlink.save_event(_event(sb, "e1", "ann")).conference
        second = sb.meetlink.save_event(_event(sb, "e2", "ann")).conference
        other = sb.meetlink.save_event(_event(sb, "e3", "ben")).conference
        assert first is not None and first.status is ConferenceStatus.ISSUED
        assert second is not None and second.status is ConferenceStatus.PENDING  # ann's cap
        assert other is not None and other.status is ConferenceStatus.ISSUED  # ben's own cap
        assert len(sb.zoom.meetings(members["ann"])) == 1


def test_the_tenant_handle_links_the_organisation() -> None:
    with Sandbox(now=T0, seed=11) as sb:
        t1 = sb.meetlink.tenant("t1")
        t1.contract()
        admin = sb.zoom.add_user("owner@acme.example", role="owner")
        ann = sb.zoom.add_user("ann@acme.example", account_id=admin.account_id)
        t1.set_directory_address("ann", ann.email)
        request = t1.begin_org_link(admin_user_id="boss")
        params = sb.zoom.consent(request.authorize_url, admin)
        org = t1.complete_org_link(params["state"], code=params["code"], admin_user_id="boss")
        assert t1.org_link() == org and sb.meetlink.org_link(tenant_id="t2") is None
        conf = t1.save_event(_event(sb, "e1", "ann")).conference
        assert conf is not None and conf.status is ConferenceStatus.ISSUED
        assert conf.external_account_id == ann.id
        assert [e.user_id for e in t1.directory()] == ["ann"]
        t1.set_directory_address("ann", None)
        assert t1.directory() == []
        assert t1.unlink_org()


def test_another_tenant_gets_nothing_from_an_organisation_link_and_can_take_it_over() -> None:
    notices: list[HostNotice] = []
    with Sandbox(now=T0, seed=12, listener=notices.append) as sb:
        for tenant in ("t1", "t2"):
            sb.meetlink.contract(tenant)
        admin, members = _organisation(sb)
        sb.link_org("t1", "it-admin", admin)
        # t2 knows the same address but has no organisation link: nothing is issued there
        sb.meetlink.set_directory_address("ann", members["ann"].email, tenant_id="t2")
        result = sb.meetlink.save_event(_event(sb, "e1", "ann", tenant="t2"))
        assert Refusal.NOT_LINKED in result.refusals and result.conference is None
        served = sb.meetlink.save_event(_event(sb, "e1", "ann")).conference
        assert served is not None and served.status is ConferenceStatus.ISSUED

        # the Zoom account's admin installs the app for t2: one organisation, one tenant (S9)
        sb.link_org("t2", "t2-admin", admin)
        taken = [n for n in notices if n.kind is HostNoticeKind.LINK_TAKEN_OVER]
        assert [(n.tenant_id, n.user_id) for n in taken] == [("t1", "")]
        assert sb.meetlink.org_link(tenant_id="t1") is None
        assert sb.meetlink.org_link(tenant_id="t2") is not None
        after = sb.meetlink.conference("e1", tenant_id="t1")
        assert after is not None and after.status is ConferenceStatus.DETACHED
        mine = sb.meetlink.save_event(_event(sb, "e2", "ann", tenant="t2")).conference
        assert mine is not None and mine.status is ConferenceStatus.ISSUED


def test_a_directory_address_is_checked() -> None:
    with Sandbox(now=T0) as sb:
        for bad in ("", "no-at-sign", "two words@acme.example", "a@b\nc", "x" * 321 + "@a"):
            with pytest.raises(InvalidInput):
                sb.meetlink.set_directory_address("ann", bad, tenant_id="t1")
        assert sb.meetlink.directory(tenant_id="t1") == []


def test_keep_alive_refreshes_the_organisation_grant_with_its_own_app() -> None:
    with Sandbox(now=T0, seed=13) as sb:
        sb.meetlink.contract("t1")
        admin, members = _organisation(sb)
        sb.link_org("t1", "it-admin", admin)
        sb.clock.advance(timedelta(days=60))
        assert sb.meetlink.keep_alive() == 1  # the organisation's refresh token, idle 60 days
        sb.clock.advance(timedelta(days=60))  # 120 days after the install: alive all the same
        conf = sb.meetlink.save_event(_event(sb, "e1", "ann")).conference
        assert conf is not None and conf.status is ConferenceStatus.ISSUED
        assert conf.external_account_id == members["ann"].id


def test_a_user_whose_plan_cannot_host_gets_a_failed_conference_with_the_reason() -> None:
    """Zoom answers 3161 for a user of the account who may not host: FAILED with
    HostingNotAllowed (not retried as if Zoom were down); once the admin allows hosting, a
    retry issues the meeting on that user."""
    with Sandbox(now=T0, seed=31) as sb:
        sb.meetlink.contract("t1")
        admin, members = _organisation(sb)
        sb.link_org("t1", "it-admin", admin)
        sb.zoom.forbid(members["ben"])
        refused = sb.meetlink.save_event(_event(sb, "e-ben", "ben"))
        conf = refused.conference
        assert conf is not None and conf.status is ConferenceStatus.FAILED, refused
        assert conf.error is not None and conf.error.startswith("HostingNotAllowed")
        assert "3161" in conf.error and "hosting" in conf.error
        assert sb.zoom.meetings(members["ben"]) == []
        assert sb.meetlink.run_pending() == 0  # nothing left to retry on its own

        other = sb.meetlink.save_event(_event(sb, "e-ann", "ann")).conference
        assert other is not None and other.status is ConferenceStatus.ISSUED

        sb.zoom.allow(members["ben"])  # the admin turns hosting on for Ben
        again = sb.meetlink.retry("e-ben", tenant_id="t1")
        assert again is not None and again.status is ConferenceStatus.ISSUED
        assert [str(m["id"]) for m in sb.zoom.meetings(members["ben"])] == [again.meeting_id]


def test_the_organisation_links_events_reach_the_feed_with_an_admin_relink() -> None:
    with Sandbox(now=T0, seed=13) as sb:
        for tenant in ("t1", "t2"):
            sb.meetlink.contract(tenant)
        admin, _ = _organisation(sb)
        sb.zoom.daily_meeting_cap = 1
        sb.link_org("t1", "it-admin", admin)
        sb.meetlink.save_event(_event(sb, "e1", "ann"))
        sb.meetlink.save_event(_event(sb, "e2", "ann"))  # over ann's cap: PENDING
        assert sb.meetlink.unlink_org(tenant_id="t1")
        feed = [(e.kind.value, e.user_id, e.event_id) for e in sb.meetlink.events(tenant_id="t1")]
        # e1 keeps its URL (DETACHED, not told); e2's pending conference stops
        assert feed == [("conference_issued", "ann", "e1"), ("conference_withdrawn", "ann", "e2")]

        sb.link_org("t1", "it-admin", admin)
        sb.link_org("t2", "t2-admin", admin)  # the same organisation, now for t2 (S9)
        [taken] = sb.meetlink.events(tenant_id="t1", after="2")
        assert (taken.kind, taken.tenant_id, taken.user_id) == (HostNoticeKind.LINK_TAKEN_OVER,
                                                                "t1", "")  # fmt: skip
        assert taken.relink is not None and taken.relink.organisation

        headers, body = sb.zoom.remove_app(admin, admin_app=True)
        assert sb.meetlink.handle_webhook("zoom", headers, body).status == 200
        [removed] = sb.meetlink.events(tenant_id="t2")
        assert removed.kind is HostNoticeKind.LINK_REMOVED_AT_PROVIDER
        assert (removed.user_id, removed.provider) == ("", "zoom")
        relink = removed.relink
        assert relink is not None and relink.organisation
        assert relink.arguments == {"tenant_id": "t2", "provider": "zoom"}
        # one step for the host's administrator: the organisation app's consent page
        request = sb.meetlink.begin_org_link(**relink.arguments, admin_user_id="t2-admin")
        params = sb.zoom.consent(request.authorize_url, admin)
        sb.meetlink.complete_org_link(
            params["state"], code=params["code"], tenant_id="t2", admin_user_id="t2-admin"
        )
        assert sb.meetlink.org_link(tenant_id="t2") is not None


def test_a_user_added_to_the_organisation_later_gets_the_meeting_on_retry() -> None:
    """An outsider's conference is FAILED (NotInOrganisation); once the Zoom admin adds that
    address to the account, the host's retry looks the address up again at once (a cached
    "not found" does not wait for org_lookup_ttl) and the meeting is made on the new user."""
    with Sandbox(now=T0, seed=33) as sb:
        sb.meetlink.contract("t1")
        admin, _ = _organisation(sb)
        sb.link_org("t1", "it-admin", admin)
        sb.meetlink.set_directory_address("dan", "dan@acme.example", tenant_id="t1")
        failed = sb.meetlink.save_event(_event(sb, "e-dan", "dan")).conference
        assert failed is not None and failed.status is ConferenceStatus.FAILED
        assert (failed.error or "").startswith("NotInOrganisation")
        dan = sb.zoom.add_user("dan@acme.example", account_id=admin.account_id)
        again = sb.meetlink.retry("e-dan", tenant_id="t1")
        assert again is not None and again.status is ConferenceStatus.ISSUED, again
        assert again.external_account_id == dan.id
        assert [str(m["id"]) for m in sb.zoom.meetings(dan)] == [again.meeting_id]


def test_a_meeting_made_while_the_address_was_unresolved_keeps_its_holder() -> None:
    """A conference recorded under the user's address (the lookup had failed, Zoom took the
    email where a user id goes) is still the organisation's once a later lookup resolves
    the address to a Zoom user id: editing the event updates the meeting, deleting it
    deletes the meeting; nothing is DETACHED or left at Zoom."""
    with Sandbox(now=T0, seed=34) as sb:
        sb.meetlink.contract("t1")
        admin, members = _organisation(sb)
        sb.link_org("t1", "it-admin", admin)
        sb.zoom.fail_next(1, status=503, method="GET", path="/v2/users/ann@acme.example")
        event = _event(sb, "e-ann", "ann")
        conf = sb.meetlink.save_event(event).conference
        assert conf is not None and conf.status is ConferenceStatus.ISSUED
        assert conf.external_account_id == "ann@acme.example"  # unresolved: the address
        sb.clock.advance(timedelta(days=2))  # past org_lookup_ttl: the next save looks up
        moved = attrs.evolve(event, start=event.start + timedelta(days=3),
                             end=event.end + timedelta(days=3))  # fmt: skip
        kept = sb.meetlink.save_event(moved).conference
        assert kept is not None and kept.status is ConferenceStatus.ISSUED, kept
        entry = {e.user_id: e for e in sb.meetlink.directory(tenant_id="t1")}["ann"]
        assert entry.external_account_id == members["ann"].id  # resolved now
        (meeting,) = sb.zoom.meetings(members["ann"])
        assert meeting["start_time"] == moved.start.strftime("%Y-%m-%dT%H:%M:%SZ")
        assert sb.meetlink.delete_event("e-ann", tenant_id="t1")
        sb.meetlink.run_pending()
        assert sb.zoom.meetings(members["ann"]) == []


def test_unlinking_the_organisation_detaches_a_meeting_recorded_under_an_address() -> None:
    """S15 for the organisation's users reaches a conference recorded under its user's address
    (made while the lookup failed), also after the address was resolved since."""
    with Sandbox(now=T0, seed=35) as sb:
        sb.meetlink.contract("t1")
        admin, _ = _organisation(sb)
        sb.link_org("t1", "it-admin", admin)
        sb.zoom.fail_next(1, status=503, method="GET", path="/v2/users/ann@acme.example")
        first = sb.meetlink.save_event(_event(sb, "e-ann", "ann")).conference
        assert first is not None and first.external_account_id == "ann@acme.example"
        sb.clock.advance(timedelta(days=2))
        sb.meetlink.save_event(_event(sb, "e-ann-2", "ann"))  # resolves the address
        assert sb.meetlink.unlink_org(tenant_id="t1")
        detached = sb.meetlink.conference("e-ann", tenant_id="t1")
        assert detached is not None and detached.status is ConferenceStatus.DETACHED


def test_giving_the_same_address_again_keeps_its_lookup() -> None:
    with Sandbox(now=T0, seed=4) as sb:
        sb.meetlink.contract("t1")
        admin, members = _organisation(sb)
        sb.link_org("t1", "it-admin", admin)
        lookup = ("GET", "/v2/users/ann@acme.example")
        sb.meetlink.save_event(_event(sb, "e1", "ann"))
        assert sb.zoom.requests.count(lookup) == 1
        sb.meetlink.set_directory_address("ann", members["ann"].email, tenant_id="t1")
        sb.meetlink.save_event(_event(sb, "e2", "ann"))
        assert sb.zoom.requests.count(lookup) == 1  # the same address: looked up already


def test_a_retry_left_by_a_user_who_unlinked_runs_through_the_organisation_serving_them() -> None:
    """ann's update failed and waits for its retry; ann unlinks (the conference DETACHED);
    the admin links the organisation before ann's address is known, so nothing is regained
    then; once another save resolved ann's address, the retry finds the organisation holding
    ann's account: the conference is regained and the update made with the admin's token."""
    with Sandbox(now=T0, seed=9) as sb:
        sb.meetlink.contract("t1")
        admin = sb.zoom.add_user("admin@acme.example", role="admin")
        ann = sb.zoom.add_user("ann@acme.example", account_id=admin.account_id)
        request = sb.meetlink.begin_link("t1", "ann")
        params = sb.zoom.consent(request.authorize_url, ann)
        sb.meetlink.complete_link(params["state"], code=params["code"], user_id="ann",
                                  tenant_id="t1")  # fmt: skip
        first = sb.meetlink.save_event(_event(sb, "e1", "ann")).conference
        assert first is not None and first.status is ConferenceStatus.ISSUED
        sb.zoom.fail_next(status=500, method="PATCH", path="/v2/meetings/")
        renamed = attrs.evolve(_event(sb, "e1", "ann"), title="Renamed")
        sb.meetlink.save_event(renamed)
        waiting = [j.key for j in sb.meetlink.pending_jobs() if j.kind == "sync"]
        assert waiting == ["e1"]  # the update's retry
        assert sb.meetlink.unlink("ann", tenant_id="t1")
        detached = sb.meetlink.conference("e1", tenant_id="t1")
        assert detached is not None and detached.status is ConferenceStatus.DETACHED

        sb.link_org("t1", "it-admin", admin)
        sb.meetlink.set_directory_address("ann", ann.email, tenant_id="t1")
        other = sb.meetlink.save_event(_event(sb, "e2", "ann")).conference  # resolves ann
        assert other is not None and other.external_account_id == ann.id
        still = sb.meetlink.conference("e1", tenant_id="t1")
        assert still is not None and still.status is ConferenceStatus.DETACHED

        sb.clock.advance(timedelta(minutes=5))
        sb.meetlink.run_pending()
        regained = sb.meetlink.conference("e1", tenant_id="t1")
        assert regained is not None and regained.status is ConferenceStatus.ISSUED
        assert regained.join_url == first.join_url
        meeting = next(m for m in sb.zoom.meetings(ann) if str(m["id"]) == first.meeting_id)
        assert meeting["topic"] == "Renamed"
        assert sb.meetlink.failed_jobs() == [] and sb.meetlink.pending_jobs() == []  # mail sent
