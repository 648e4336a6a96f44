"""The seed's rules (S1-S24), one or more tests each, through the facade on the fakes."""

from __future__ import annotations

import json
from datetime import UTC, timedelta
from email.message import EmailMessage
from typing import Any

import pytest

from meetlink import (
    AddonInactive,
    AdminApprovalRequired,
    ConferenceStatus,
    GrantRevoked,
    HostNoticeKind,
    InvalidLinkState,
    InvalidTransition,
    LinkDenied,
    Notice,
    NotMeetingHost,
    Participant,
    Refusal,
    Source,
    Span,
    SubscriptionState,
    TrialUnavailable,
    UnknownProvider,
)
from meetlink.ports.provider import Capabilities
from tests.app.conftest import World, make_world
from tests.conferences import status, terms_of
from tests.ical import calendar_of, integer
from tests.mailtext import plain


def test_s1_saving_an_event_issues_its_url_at_once(linked: World) -> None:
    result = linked.meetlink.save_event(linked.event())
    assert result.refusals == ()
    assert result.conference is not None
    assert status(result.conference) is ConferenceStatus.ISSUED
    assert result.conference.join_url and result.conference.join_url.startswith("https://")
    assert len(linked.zoom.live_meetings()) == 1


def test_s2_owner_gets_a_fresh_start_url(linked: World) -> None:
    linked.meetlink.save_event(linked.event())
    first = linked.meetlink.start_url("e1", "alice", tenant_id="t1")
    second = linked.meetlink.start_url("e1", "alice", tenant_id="t1")
    assert first.startswith("https://") and first != second


def test_s2_other_users_cannot_start_the_meeting(linked: World) -> None:
    linked.meetlink.save_event(linked.event())
    with pytest.raises(NotMeetingHost):
        linked.meetlink.start_url("e1", "mallory", tenant_id="t1")


def test_s3_without_trial_or_contract_no_url_is_issued(world: World) -> None:
    result = world.meetlink.save_event(world.event())
    assert Refusal.ADDON_INACTIVE in result.refusals
    assert result.conference is None
    with pytest.raises(AddonInactive):
        world.meetlink.begin_link("t1", "alice")


def test_s4_trial_lasts_14_days_and_is_given_once(world: World) -> None:
    sub = world.meetlink.start_trial("t1")
    assert sub.state is SubscriptionState.TRIAL and sub.active
    assert sub.trial_ends_at is not None and sub.trial_started_at is not None
    assert sub.trial_ends_at - sub.trial_started_at == timedelta(days=14)
    world.clock.advance(timedelta(days=14))
    sub = world.meetlink.subscription("t1")
    assert sub.state is SubscriptionState.TRIAL_ENDED and not sub.active
    with pytest.raises(TrialUnavailable):
        world.meetlink.start_trial("t1")


def test_s4_trial_length_is_configurable() -> None:
    from tests.app.conftest import make_world

    w = make_world(trial_length=timedelta(days=30))
    sub = w.meetlink.start_trial("t1")
    assert sub.trial_ends_at is not None and sub.trial_started_at is not None
    assert sub.trial_ends_at - sub.trial_started_at == timedelta(days=30)


def test_s5_contract_keeps_the_addon_after_the_trial(world: World) -> None:
    world.meetlink.start_trial("t1")
    world.clock.advance(timedelta(days=20))
    sub = world.meetlink.contract("t1")
    assert sub.state is SubscriptionState.CONTRACTED and sub.active
    assert world.meetlink.contract("t1").state is SubscriptionState.CONTRACTED  # idempotent
    cancelled = world.meetlink.cancel_contract("t1")
    assert cancelled.state is SubscriptionState.CANCELLED and not cancelled.active
    with pytest.raises(InvalidTransition):
        world.meetlink.cancel_contract("t1")


def test_s6_a_user_without_a_link_gets_no_url(world: World) -> None:
    world.meetlink.start_trial("t1")
    result = world.meetlink.save_event(world.event())
    assert result.refusals == (Refusal.NOT_LINKED,)
    assert world.zoom.live_meetings() == []


def test_s7_linking_another_account_replaces_the_users_link(linked: World) -> None:
    other = linked.zoom.add_account("alice.private@example.com")
    link = linked.link("alice", other)
    assert linked.account_id("alice") == other.id == link.external_account_id


def test_s8_s9_s24_linking_an_account_held_by_another_user_moves_it(linked: World) -> None:
    shared = linked.zoom.find_account(linked.account_id("alice"))
    linked.link("bob", shared)
    assert linked.meetlink.link("alice", tenant_id="t1") is None
    assert linked.account_id("bob") == shared.id
    # Nothing was revoked: bob's grant for the same account still works.
    linked.meetlink.save_event(linked.event("e2", owner_id="bob"))
    assert status(linked.meetlink.conference("e2", tenant_id="t1")) is ConferenceStatus.ISSUED


def test_s10_linking_shows_the_integration_enabled(world: World) -> None:
    world.meetlink.contract("t1")
    assert world.meetlink.link("alice", tenant_id="t1") is None
    link = world.link("alice", world.zoom.add_account("alice@corp.example", plan="basic"))
    assert world.meetlink.link("alice", tenant_id="t1") == link
    assert link.plan == "basic" and link.email == "alice@corp.example"


def test_s10_link_state_is_single_use_and_expires(world: World) -> None:
    world.meetlink.start_trial("t1")
    account = world.zoom.add_account("a@corp.example")
    request = world.meetlink.begin_link("t1", "alice")
    params = world.zoom.authorize(request.authorize_url, account)
    world.meetlink.complete_link(
        params["state"], code=params["code"], user_id="alice", tenant_id="t1"
    )
    with pytest.raises(InvalidLinkState):
        world.meetlink.complete_link(
            params["state"], code=params["code"], user_id="alice", tenant_id="t1"
        )
    late = world.meetlink.begin_link("t1", "alice")
    world.clock.advance(timedelta(minutes=10, seconds=1))
    with pytest.raises(InvalidLinkState):
        world.meetlink.complete_link(late.state, code="whatever", user_id="alice", tenant_id="t1")


def test_s10_a_link_begun_by_one_user_cannot_be_completed_by_another(world: World) -> None:
    world.meetlink.start_trial("t1")
    request = world.meetlink.begin_link("t1", "alice")
    params = world.zoom.authorize(request.authorize_url, world.zoom.add_account("a@corp.example"))
    with pytest.raises(InvalidLinkState, match=r"^this link was started by another user$"):
        world.meetlink.complete_link(
            params["state"], code=params["code"], user_id="mallory", tenant_id="t1"
        )
    assert world.meetlink.link("mallory", tenant_id="t1") is None
    world.meetlink.complete_link(  # the state stays for the user who began it
        params["state"], code=params["code"], user_id="alice", tenant_id="t1"
    )
    with pytest.raises(UnknownProvider) as unknown:
        world.meetlink.begin_link("t1", "alice", provider="zom")
    assert str(unknown.value) == "unknown video provider 'zom'; known providers: zoom"


def test_s10_deny_on_the_consent_page(world: World) -> None:
    world.meetlink.start_trial("t1")
    request = world.meetlink.begin_link("t1", "alice")
    params = world.zoom.authorize(
        request.authorize_url, world.zoom.add_account("a@x.example"), allow=False
    )
    with pytest.raises(LinkDenied):
        world.meetlink.complete_link(
            params["state"], error=params["error"], user_id="alice", tenant_id="t1"
        )


def test_s11_the_web_conference_section_needs_addon_and_link(world: World) -> None:
    assert not world.meetlink.web_meeting_available("t1", "alice")
    world.meetlink.start_trial("t1")
    assert not world.meetlink.web_meeting_available("t1", "alice")
    world.link("alice", world.zoom.add_account("a@corp.example"))
    assert world.meetlink.web_meeting_available("t1", "alice")
    world.clock.advance(timedelta(days=15))
    assert not world.meetlink.web_meeting_available("t1", "alice")


def test_s11_no_url_unless_the_box_is_ticked(linked: World) -> None:
    result = linked.meetlink.save_event(linked.event(web_meeting=None))
    assert result.conference is None and result.refusals == ()
    assert linked.zoom.live_meetings() == []


def test_s12_the_url_is_shown_on_the_event(linked: World) -> None:
    saved = linked.meetlink.save_event(linked.event())
    assert saved.conference is not None and saved.conference.join_url
    assert linked.meetlink.conference("e1", tenant_id="t1") == saved.conference
    assert "start" not in saved.conference.join_url.split("/")


def test_s13_participants_are_mailed_the_url(linked: World) -> None:
    saved = linked.meetlink.save_event(linked.event())
    mails = linked.deliver()
    assert sorted(m["To"].addresses[0].addr_spec for m in mails) == [
        "bob@example.com",
        "carol@example.com",
    ]
    assert saved.conference is not None and saved.conference.join_url
    for mail in mails:
        text = plain(mail)
        assert saved.conference.join_url in text
        calendar = [p for p in mail.walk() if p.get_content_type() == "text/calendar"]
        assert calendar and calendar[0].get_param("method") == "REQUEST"


def test_s13_time_change_updates_meeting_and_mails_again(linked: World) -> None:
    event = linked.event()
    linked.meetlink.save_event(event)
    linked.deliver()
    later = event.start + timedelta(hours=2)
    import attrs

    linked.meetlink.save_event(attrs.evolve(event, start=later, end=later + timedelta(hours=1)))
    meeting = linked.zoom.live_meetings()[0]
    assert terms_of(meeting).start == later and terms_of(meeting).duration_minutes == 60
    mails = linked.deliver()
    assert len(mails) == 2
    for mail in mails:
        [calendar] = [p for p in mail.walk() if p.get_content_type() == "text/calendar"]
        assert calendar.get_param("method") == "REQUEST"
        payload = calendar.get_payload(decode=True)
        assert isinstance(payload, bytes)
        ics = payload.decode()
        assert later.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ") in ics  # the new time


def test_s13_participant_changes_invite_and_cancel(linked: World) -> None:
    import attrs

    event = linked.event()
    linked.meetlink.save_event(event)
    linked.deliver()
    changed = attrs.evolve(
        event,
        participants=(Participant("bob@example.com"), Participant("dave@example.com", locale="en")),
    )
    linked.meetlink.save_event(changed)
    mails = {m["To"].addresses[0].addr_spec: m for m in linked.deliver()}
    assert set(mails) == {"dave@example.com", "carol@example.com"}
    methods = {
        to: next(p.get_param("method") for p in m.walk() if p.get_content_type() == "text/calendar")
        for to, m in mails.items()
    }
    assert methods == {"dave@example.com": "REQUEST", "carol@example.com": "CANCEL"}


def test_s14_reminder_shows_the_url_once_per_participant(linked: World) -> None:
    event = linked.event(start=linked.clock.now() + timedelta(minutes=30))
    saved = linked.meetlink.save_event(event)
    linked.deliver()
    assert linked.meetlink.send_due_reminders() == 0
    linked.clock.advance(timedelta(minutes=21))
    assert linked.meetlink.send_due_reminders() == 2
    assert linked.meetlink.send_due_reminders() == 0
    mails = linked.deliver()
    assert len(mails) == 2
    assert saved.conference is not None and saved.conference.join_url
    for mail in mails:
        assert saved.conference.join_url in plain(mail)
        assert not [p for p in mail.walk() if p.get_content_type() == "text/calendar"]


def test_s14_reminder_lead_is_a_setting() -> None:
    from tests.app.conftest import make_world

    w = make_world(reminder_lead=timedelta(minutes=60))
    w.meetlink.start_trial("t1")
    w.link("alice", w.zoom.add_account("a@corp.example"))
    w.meetlink.save_event(w.event(start=w.clock.now() + timedelta(minutes=50)))
    assert w.meetlink.send_due_reminders() == 2


def test_s15_unlink_keeps_existing_urls_and_refuses_new_ones(linked: World) -> None:
    linked.meetlink.save_event(linked.event())
    assert linked.meetlink.unlink("alice", tenant_id="t1") is True
    assert linked.meetlink.unlink("alice", tenant_id="t1") is False
    assert linked.meetlink.link("alice", tenant_id="t1") is None
    assert status(linked.meetlink.conference("e1", tenant_id="t1")) is ConferenceStatus.DETACHED
    detached = linked.meetlink.conference("e1", tenant_id="t1")
    assert detached is not None and detached.join_url
    result = linked.meetlink.save_event(linked.event("e2"))
    assert result.refusals == (Refusal.NOT_LINKED,)


def test_unlinking_revokes_the_grant_at_the_provider(linked: World) -> None:
    with linked.meetlink._ctx.storage.unit_of_work(read_only=True) as uow:
        link = uow.links.active_for_user("t1", "alice", "zoom")
    assert link is not None and link.tokens is not None
    assert linked.meetlink.unlink("alice", tenant_id="t1") is True
    assert linked.zoom.calls.count("revoke") == 1
    with pytest.raises(GrantRevoked):
        linked.zoom.refresh(link.tokens.refresh_token)  # the grant is dead


@pytest.mark.parametrize("kind", [bytearray, memoryview])
def test_a_webhook_body_as_a_bytearray_or_memoryview_is_read_as_its_bytes(
    linked: World, kind: type
) -> None:
    account = linked.zoom.find_account(linked.account_id("alice"))
    headers, body = linked.zoom.deauthorization(account)
    assert linked.meetlink.handle_webhook("zoom", headers, kind(body)).status == 200
    assert linked.meetlink.link("alice", tenant_id="t1") is None


def test_a_webhook_for_a_provider_without_webhooks_or_an_unknown_one_is_404_saying_so() -> None:
    w = make_world(capabilities=Capabilities(display_name="Teams", deauthorization_webhook=False))
    reply = w.meetlink.handle_webhook("zoom", {}, b"{}")
    assert (reply.status, json.loads(reply.body)) == (
        404,
        {"error": "this provider sends no webhooks"},
    )
    reply = w.meetlink.handle_webhook("nope", {}, b"{}")
    assert (reply.status, json.loads(reply.body)) == (404, {"error": "unknown provider"})


def test_s16_removing_the_app_at_the_provider_unlinks(linked: World) -> None:
    linked.meetlink.save_event(linked.event())
    account_id = linked.account_id("alice")
    account = linked.zoom.find_account(account_id)
    headers, body = linked.zoom.deauthorization(account)
    reply = linked.meetlink.handle_webhook("zoom", headers, body)
    assert reply.status == 200
    assert linked.meetlink.link("alice", tenant_id="t1") is None
    assert status(linked.meetlink.conference("e1", tenant_id="t1")) is ConferenceStatus.DETACHED
    [removed] = [
        (e.user_id, e.detail)
        for e in linked.meetlink.events(tenant_id="t1")
        if e.kind is HostNoticeKind.LINK_REMOVED_AT_PROVIDER
    ]
    assert removed == ("alice", "the app was removed at the provider")


def test_s16_replayed_deauthorization_never_removes_a_newer_link(linked: World) -> None:
    account = linked.zoom.find_account(linked.account_id("alice"))
    headers, body = linked.zoom.deauthorization(account)
    assert linked.meetlink.handle_webhook("zoom", headers, body).status == 200
    linked.clock.advance(timedelta(minutes=5))
    linked.link("alice", account)
    assert linked.meetlink.handle_webhook("zoom", headers, body).status == 200
    assert linked.meetlink.link("alice", tenant_id="t1") is not None


def test_s16_forged_webhook_changes_nothing(linked: World) -> None:
    account = linked.zoom.find_account(linked.account_id("alice"))
    headers, body = linked.zoom.deauthorization(account)
    reply = linked.meetlink.handle_webhook("zoom", headers, body + b" ")
    assert reply.status == 401
    assert linked.meetlink.link("alice", tenant_id="t1") is not None


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        ({"recurrence": "FREQ=WEEKLY;BYDAY=MO"}, Refusal.RECURRING),
        ({"span": Span.PERIOD}, Refusal.PERIOD),
        ({"span": Span.ALL_DAY}, Refusal.ALL_DAY),
    ],
)
def test_s17_no_url_for_recurring_period_or_all_day_events(
    linked: World, changes: dict[str, Any], reason: Refusal
) -> None:
    result = linked.meetlink.save_event(linked.event(**changes))
    assert result.refusals == (reason,)
    assert result.conference is None and linked.zoom.live_meetings() == []


def test_s17_an_event_that_becomes_recurring_loses_its_url(linked: World) -> None:
    linked.meetlink.save_event(linked.event())
    result = linked.meetlink.save_event(linked.event(recurrence="FREQ=DAILY"))
    assert result.conference is None
    assert linked.zoom.live_meetings() == []


@pytest.mark.parametrize(
    "source",
    [Source.WORKFLOW, Source.IMPORT, Source.SCHEDULING_POLL, Source.ATTENDANCE_CHECK],
)
def test_s18_no_url_for_events_not_registered_by_hand(linked: World, source: Source) -> None:
    result = linked.meetlink.save_event(linked.event(source=source))
    assert result.refusals == (Refusal.SOURCE_NOT_ALLOWED,)


def test_s17_s18_every_reason_is_listed(world: World) -> None:
    result = world.meetlink.save_event(
        world.event(recurrence="FREQ=DAILY", span=Span.ALL_DAY, source=Source.IMPORT)
    )
    assert set(result.refusals) == {
        Refusal.ADDON_INACTIVE,
        Refusal.NOT_LINKED,
        Refusal.RECURRING,
        Refusal.ALL_DAY,
        Refusal.SOURCE_NOT_ALLOWED,
    }


def test_s19_deleting_the_event_deletes_the_meeting(linked: World) -> None:
    linked.meetlink.save_event(linked.event())
    linked.deliver()
    assert linked.meetlink.delete_event("e1", tenant_id="t1") is True
    assert linked.zoom.live_meetings() == []
    assert linked.meetlink.conference("e1", tenant_id="t1") is None
    assert linked.meetlink.delete_event("e1", tenant_id="t1") is False
    cancellations = linked.deliver()
    assert len(cancellations) == 2


def test_s19_unticking_the_box_deletes_the_meeting(linked: World) -> None:
    linked.meetlink.save_event(linked.event())
    linked.meetlink.save_event(linked.event(web_meeting=None))
    assert linked.zoom.live_meetings() == []


def test_s20_another_user_deleting_the_event_deletes_the_meeting(linked: World) -> None:
    linked.meetlink.save_event(linked.event())
    assert linked.meetlink.delete_event("e1", actor_id="bob", tenant_id="t1") is True
    assert linked.zoom.live_meetings() == []


def test_s21_after_relinking_another_account_an_edit_reissues(linked: World) -> None:
    first = linked.meetlink.save_event(linked.event()).conference
    linked.meetlink.unlink("alice", tenant_id="t1")
    linked.link("alice", linked.zoom.add_account("alice.new@corp.example"))
    assert status(linked.meetlink.conference("e1", tenant_id="t1")) is ConferenceStatus.DETACHED
    second = linked.meetlink.save_event(linked.event(title="Sales call (moved)")).conference
    assert first is not None and second is not None
    assert second.status is ConferenceStatus.ISSUED
    assert second.join_url != first.join_url
    assert second.external_account_id == linked.account_id("alice")


def test_s21_relinking_the_same_account_reattaches_its_meetings(linked: World) -> None:
    linked.meetlink.save_event(linked.event())
    account = linked.zoom.find_account(linked.account_id("alice"))
    linked.meetlink.unlink("alice", tenant_id="t1")
    linked.link("alice", account)
    assert status(linked.meetlink.conference("e1", tenant_id="t1")) is ConferenceStatus.ISSUED


def test_s22_basic_plan_notice_for_meetings_over_40_minutes(world: World) -> None:
    world.meetlink.start_trial("t1")
    world.link("alice", world.zoom.add_account("a@corp.example", plan="basic"))
    long = world.meetlink.save_event(
        world.event(end=world.clock.now() + timedelta(days=1, minutes=41))
    )
    assert Notice.FREE_PLAN_TIME_LIMIT in long.notices
    assert status(long.conference) is ConferenceStatus.ISSUED
    short = world.meetlink.save_event(
        world.event("e2", end=world.clock.now() + timedelta(days=1, minutes=40))
    )
    assert Notice.FREE_PLAN_TIME_LIMIT not in short.notices


def test_s23_admin_approval_reported_by_the_provider(world: World) -> None:
    world.meetlink.start_trial("t1")
    request = world.meetlink.begin_link("t1", "alice")
    with pytest.raises(AdminApprovalRequired):
        world.meetlink.complete_link(
            request.state, error="admin_approval_required", user_id="alice", tenant_id="t1"
        )


def test_s13_calendar_sequence_rises_across_cancel_and_reissue(linked: World) -> None:
    def sequences(mails: list[EmailMessage]) -> list[int]:
        found: list[int] = []
        for mail in mails:
            for part in mail.walk():
                if part.get_content_type() == "text/calendar":
                    cal = calendar_of(part)
                    found.extend(integer(e, "SEQUENCE") for e in cal.walk("VEVENT"))
                    break
        return found

    linked.meetlink.save_event(linked.event())
    first = sequences(linked.deliver())
    linked.meetlink.save_event(linked.event(web_meeting=None))  # unticked: update, no URL
    cancel = sequences(linked.deliver())
    linked.meetlink.save_event(linked.event())  # ticked again: a new invitation
    again = sequences(linked.deliver())
    assert len(first) == len(cancel) == len(again) == 2
    assert first == [0, 0]  # a new event's first invitation (RFC 5546: SEQUENCE starts at 0)
    assert max(first) < min(cancel) < min(again)


def test_settings_accept_day_and_minute_spellings() -> None:
    from tests.app.conftest import make_world

    w = make_world(trial_days=30, reminder_lead_minutes=15)
    assert w.meetlink.settings.trial_length == timedelta(days=30)
    assert w.meetlink.settings.reminder_lead == timedelta(minutes=15)
    from meetlink import ConfigurationError

    with pytest.raises(ConfigurationError, match="unknown setting"):
        make_world(trial_lenght=timedelta(days=1))


def test_purge_forgets_old_logs_but_keeps_replays_detectable(linked: World) -> None:
    account = linked.zoom.find_account(linked.account_id("alice"))
    headers, body = linked.zoom.deauthorization(account)
    assert linked.meetlink.handle_webhook("zoom", headers, body).status == 200
    linked.meetlink.begin_link("t1", "bob")  # a state that will expire
    linked.clock.advance(timedelta(days=31))
    # The delivery, the expired state and the host event of the removal (30-day retention).
    assert linked.meetlink.purge() == 3
    assert linked.meetlink.purge() == 0
    from meetlink import InvalidInput

    with pytest.raises(InvalidInput):
        linked.meetlink.purge(keep=timedelta(minutes=1))
