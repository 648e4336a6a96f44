"""Failure handling through the facade on the fakes: nothing lost, no orphans, no duplicates."""

from __future__ import annotations

import threading
from datetime import timedelta

import attrs

from meetlink import ConferenceStatus, Refusal, RetryPolicy
from meetlink.errors import (
    GrantRevoked,
    ProviderRejected,
    ProviderUnavailable,
    RateLimited,
)
from meetlink.ports.provider import Meeting, MeetingRequest
from tests.app.conftest import World, make_world
from tests.conferences import status, terms_of
from tests.notices import notices_into


def test_provider_down_keeps_the_event_pending_then_issues_exactly_once(linked: World) -> None:
    linked.zoom.fail_next(ProviderUnavailable("500"), method="create_meeting")
    result = linked.meetlink.save_event(linked.event())
    assert result.conference is not None and result.conference.status is ConferenceStatus.PENDING
    assert result.conference.join_url is None
    assert linked.meetlink.event("e1", tenant_id="t1") is not None
    assert linked.meetlink.run_pending() == 0  # not due yet: backoff
    linked.clock.advance(timedelta(minutes=1))
    linked.meetlink.run_pending()
    assert status(linked.meetlink.conference("e1", tenant_id="t1")) is ConferenceStatus.ISSUED
    assert len(linked.zoom.live_meetings()) == 1


def test_first_retry_is_within_a_minute_and_backoff_is_capped(linked: World) -> None:
    for _ in range(12):
        linked.zoom.fail_next(ProviderUnavailable("500"), method="create_meeting")
    linked.meetlink.save_event(linked.event())
    job = linked.meetlink.pending_jobs()[0]
    assert job.run_at - linked.clock.now() <= timedelta(minutes=1)
    for _ in range(11):
        linked.clock.set(linked.meetlink.pending_jobs()[0].run_at)
        linked.meetlink.run_pending()
        job = linked.meetlink.pending_jobs()[0]
        assert job.run_at - linked.clock.now() <= timedelta(minutes=15)
    linked.clock.set(job.run_at)
    linked.meetlink.run_pending()
    assert status(linked.meetlink.conference("e1", tenant_id="t1")) is ConferenceStatus.ISSUED


def test_lost_create_response_is_adopted_not_duplicated(linked: World) -> None:
    linked.zoom.fail_next(
        ProviderUnavailable("read timeout", maybe_applied=True), method="create_meeting", apply=True
    )
    result = linked.meetlink.save_event(linked.event())
    assert status(result.conference) is ConferenceStatus.PENDING
    assert len(linked.zoom.live_meetings()) == 1  # it did land
    linked.clock.advance(timedelta(minutes=1))
    linked.meetlink.run_pending()
    conf = linked.meetlink.conference("e1", tenant_id="t1")
    assert conf is not None and conf.status is ConferenceStatus.ISSUED
    assert [m["id"] for m in linked.zoom.live_meetings()] == [conf.meeting_id]


def test_event_deleted_after_a_lost_create_leaves_no_meeting(linked: World) -> None:
    linked.zoom.fail_next(
        ProviderUnavailable("read timeout", maybe_applied=True), method="create_meeting", apply=True
    )
    linked.meetlink.save_event(linked.event())
    linked.meetlink.delete_event("e1", tenant_id="t1")
    linked.clock.advance(timedelta(minutes=1))
    linked.meetlink.run_pending()
    assert linked.zoom.live_meetings() == []
    # One more look by the marker once a create in flight can no longer land unseen.
    [again] = linked.meetlink.pending_jobs()
    assert again.key.endswith(":again")
    linked.clock.set(again.run_at)
    linked.meetlink.run_pending()
    assert linked.meetlink.pending_jobs() == []


def test_rate_limit_retry_time_is_honoured(linked: World) -> None:
    retry_at = linked.clock.now() + timedelta(minutes=7)
    linked.zoom.fail_next(RateLimited("429", retry_at=retry_at), method="create_meeting")
    linked.meetlink.save_event(linked.event())
    [job] = linked.meetlink.pending_jobs()
    assert job.run_at == retry_at
    linked.clock.advance(timedelta(minutes=6))
    linked.meetlink.run_pending()
    assert status(linked.meetlink.conference("e1", tenant_id="t1")) is ConferenceStatus.PENDING
    linked.clock.advance(timedelta(minutes=1))
    linked.meetlink.run_pending()
    assert status(linked.meetlink.conference("e1", tenant_id="t1")) is ConferenceStatus.ISSUED


def test_permanent_rejection_is_recorded_and_the_event_kept(linked: World) -> None:
    linked.zoom.fail_next(ProviderRejected("bad request", code=300), method="create_meeting")
    result = linked.meetlink.save_event(linked.event())
    assert result.conference is not None
    assert result.conference.status is ConferenceStatus.FAILED  # API "Additions"
    assert "bad request" in (result.conference.error or "")
    [failed] = linked.meetlink.failed_jobs()
    assert "bad request" in (failed.last_error or "")
    assert linked.meetlink.event("e1", tenant_id="t1") is not None
    # Editing the event asks for the work again.
    linked.meetlink.save_event(linked.event(title="Retitled"))
    assert status(linked.meetlink.conference("e1", tenant_id="t1")) is ConferenceStatus.ISSUED


def test_expired_token_is_refreshed_once_for_many_threads(linked: World) -> None:
    linked.meetlink.save_event(linked.event())
    linked.clock.advance(timedelta(hours=2))  # the stored access token has expired
    linked.zoom.calls.clear()
    errors: list[BaseException] = []

    def start() -> None:
        try:
            linked.meetlink.start_url("e1", "alice", tenant_id="t1")
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=start) for _ in range(50)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert linked.zoom.calls.count("refresh") == 1
    assert linked.zoom.calls.count("start_url") == 50


def test_a_refused_token_is_refreshed_once_and_the_call_retried(linked: World) -> None:
    linked.meetlink.save_event(linked.event())
    linked.zoom.expire_tokens()  # the provider refuses the token before its stored expiry
    linked.zoom.calls.clear()
    assert linked.meetlink.start_url("e1", "alice", tenant_id="t1").startswith("https://")
    assert linked.zoom.calls == ["start_url", "refresh", "start_url"]


def test_revoked_grant_breaks_the_link_and_is_reported(linked: World) -> None:
    linked.meetlink.save_event(linked.event())
    linked.zoom.expire_tokens()
    linked.zoom.fail_next(GrantRevoked("invalid_grant"), method="refresh")
    linked.meetlink.save_event(linked.event(title="Moved"))
    assert linked.meetlink.link("alice", tenant_id="t1") is None
    assert status(linked.meetlink.conference("e1", tenant_id="t1")) is ConferenceStatus.DETACHED
    result = linked.meetlink.save_event(linked.event("e2"))
    assert result.refusals == (Refusal.LINK_BROKEN,)


def test_unlink_drops_a_never_issued_conference(linked: World) -> None:
    linked.zoom.fail_next(ProviderUnavailable("down"), method="create_meeting")
    linked.meetlink.save_event(linked.event())
    linked.meetlink.unlink("alice", tenant_id="t1")
    assert linked.meetlink.conference("e1", tenant_id="t1") is None
    linked.clock.advance(timedelta(hours=1))
    linked.meetlink.run_pending()
    assert linked.zoom.live_meetings() == []


def test_takeover_keeps_meetings_manageable(linked: World) -> None:
    linked.meetlink.save_event(linked.event())
    account = linked.zoom.find_account(linked.account_id("alice"))
    linked.link("bob", account)
    assert linked.meetlink.link("alice", tenant_id="t1") is None
    later = linked.clock.now() + timedelta(days=3)
    linked.meetlink.save_event(linked.event(start=later, end=later + timedelta(hours=1)))
    [meeting] = linked.zoom.live_meetings()
    assert terms_of(meeting).start == later
    linked.meetlink.delete_event("e1", tenant_id="t1")
    assert linked.zoom.live_meetings() == []


def test_two_quick_reschedules_end_with_the_last(linked: World) -> None:
    event = linked.event()
    linked.meetlink.save_event(event)
    linked.zoom.fail_next(ProviderUnavailable("down"), method="update_meeting")
    first = event.start + timedelta(hours=1)
    second = event.start + timedelta(hours=2)
    linked.meetlink.save_event(attrs.evolve(event, start=first, end=first + timedelta(hours=1)))
    linked.meetlink.save_event(attrs.evolve(event, start=second, end=second + timedelta(hours=1)))
    linked.clock.advance(timedelta(minutes=30))
    linked.meetlink.run_pending()
    [meeting] = linked.zoom.live_meetings()
    assert terms_of(meeting).start == second


def test_meetings_follow_their_event_after_the_addon_ends(linked: World) -> None:
    event = linked.event(start=linked.clock.now() + timedelta(days=20))
    linked.meetlink.save_event(event)
    linked.clock.advance(timedelta(days=15))
    assert not linked.meetlink.subscription("t1").active
    moved = event.start + timedelta(hours=1)
    result = linked.meetlink.save_event(
        attrs.evolve(event, start=moved, end=moved + timedelta(hours=1))
    )
    assert status(result.conference) is ConferenceStatus.ISSUED
    assert terms_of(linked.zoom.live_meetings()[0]).start == moved
    new = linked.meetlink.save_event(linked.event("e2"))
    assert Refusal.ADDON_INACTIVE in new.refusals
    linked.meetlink.delete_event(event.id, tenant_id="t1")
    assert linked.zoom.live_meetings() == []


def test_mail_is_retried_and_sent_once() -> None:
    w = make_world()
    w.meetlink.start_trial("t1")
    w.link("alice", w.zoom.add_account("a@corp.example"))
    w.meetlink.save_event(w.event())
    w.mailer.fail_next(2)
    w.meetlink.run_pending()
    assert w.mailer.outbox == []
    w.clock.advance(timedelta(minutes=5))
    w.meetlink.run_pending()
    assert len(w.mailer.outbox) == 2
    assert len({m["Message-ID"] for m in w.mailer.outbox}) == 2


def test_deleted_meeting_at_the_provider_is_recreated_on_edit(linked: World) -> None:
    linked.meetlink.save_event(linked.event())
    linked.zoom.meetings.clear()  # someone deleted it on Zoom's web site
    result = linked.meetlink.save_event(linked.event(title="New title"))
    assert status(result.conference) is ConferenceStatus.ISSUED
    assert len(linked.zoom.live_meetings()) == 1


def test_an_edit_made_during_the_inline_call_is_applied_before_save_returns(
    linked: World,
) -> None:
    event = linked.event()
    moved = event.start + timedelta(hours=4)
    original_create = linked.zoom.create_meeting

    def create_then_someone_edits(access_token: str, request: MeetingRequest) -> Meeting:
        meeting = original_create(access_token, request)
        linked.zoom.create_meeting = original_create  # type: ignore[method-assign]
        # Another request edits the event while this one waits on Zoom: its own inline
        # attempt finds the job busy and returns PENDING.
        other = linked.meetlink.save_event(
            attrs.evolve(event, start=moved, end=moved + timedelta(minutes=30))
        )
        assert status(other.conference) is ConferenceStatus.PENDING
        return meeting

    linked.zoom.create_meeting = create_then_someone_edits  # type: ignore[method-assign]
    result = linked.meetlink.save_event(event)
    assert status(result.conference) is ConferenceStatus.ISSUED
    [meeting] = linked.zoom.live_meetings()
    assert terms_of(meeting).start == moved  # the newer edit won, without run_pending()
    assert linked.meetlink.pending_jobs() == [] or all(
        j.kind == "mail" for j in linked.meetlink.pending_jobs()
    )


def test_the_host_is_told_once_about_broken_removed_taken_over_links_and_failed_work() -> None:
    from meetlink import HostNotice, HostNoticeKind

    notices: list[HostNotice] = []
    w = make_world(listener=notices_into(notices), retry=RetryPolicy(max_attempts=2))
    w.meetlink.start_trial("t1")
    alice = w.zoom.add_account("alice@corp.example")
    w.link("alice", alice)
    w.link("bob", alice)  # S9: alice is taken over
    assert [(n.kind, n.user_id) for n in notices] == [(HostNoticeKind.LINK_TAKEN_OVER, "alice")]

    headers, body = w.zoom.deauthorization(alice)
    w.meetlink.handle_webhook("zoom", headers, body)
    w.meetlink.handle_webhook("zoom", headers, body)  # a replay: no second notice
    assert [n.kind for n in notices[1:]] == [HostNoticeKind.LINK_REMOVED_AT_PROVIDER]

    w.clock.advance(timedelta(minutes=1))
    w.link("bob", alice)
    w.zoom.fail_next(ProviderUnavailable("down"), method="create_meeting")
    w.zoom.fail_next(ProviderUnavailable("down"), method="create_meeting")
    w.meetlink.save_event(w.event(owner_id="bob"))
    w.clock.advance(timedelta(minutes=5))
    w.meetlink.run_pending()
    w.meetlink.run_pending()
    assert [(n.kind, n.event_id) for n in notices[2:]] == [(HostNoticeKind.WORK_FAILED, "e1")]

    w.clock.advance(timedelta(hours=2))  # bob's token expired; Zoom refuses the refresh
    w.zoom.fail_next(GrantRevoked("invalid_grant"), method="refresh")
    w.meetlink.save_event(w.event("e2", owner_id="bob"))
    assert [(n.kind, n.user_id) for n in notices[3:]] == [(HostNoticeKind.LINK_BROKEN, "bob")]


def test_a_failing_listener_never_breaks_the_library() -> None:
    from meetlink import HostNotice, HostNoticeKind

    told: list[HostNotice] = []

    def explode(notice: HostNotice) -> None:
        told.append(notice)
        raise RuntimeError("host bug")

    w = make_world(listener=explode)
    w.meetlink.start_trial("t1")
    account = w.zoom.add_account("a@corp.example")
    w.link("alice", account)
    w.link("bob", account)  # S9: alice is taken over, the listener is told and raises
    assert [(n.kind, n.user_id) for n in told] == [(HostNoticeKind.LINK_TAKEN_OVER, "alice")]
    assert w.meetlink.link("bob", tenant_id="t1") is not None
    assert w.meetlink.link("alice", tenant_id="t1") is None


def _idempotent_world() -> World:
    from meetlink.ports.provider import Capabilities

    w = make_world(capabilities=Capabilities(display_name="Zoom", idempotent_create=True))
    w.meetlink.start_trial("t1")
    w.link("alice", w.zoom.add_account("alice@corp.example"))
    return w


def test_idempotent_provider_adopts_a_lost_create_without_listing() -> None:
    w = _idempotent_world()
    w.zoom.fail_next(
        ProviderUnavailable("lost", maybe_applied=True), method="create_meeting", apply=True
    )
    w.meetlink.save_event(w.event())
    w.clock.advance(timedelta(minutes=1))
    w.meetlink.run_pending()
    conf = w.meetlink.conference("e1", tenant_id="t1")
    assert conf is not None and conf.status is ConferenceStatus.ISSUED
    assert [m["id"] for m in w.zoom.live_meetings()] == [conf.meeting_id]
    assert "list_meetings" not in w.zoom.calls


def test_idempotent_provider_cleans_up_a_lost_create_after_delete() -> None:
    w = _idempotent_world()
    w.zoom.fail_next(
        ProviderUnavailable("lost", maybe_applied=True), method="create_meeting", apply=True
    )
    w.meetlink.save_event(w.event())
    w.meetlink.delete_event("e1", tenant_id="t1")
    w.clock.advance(timedelta(minutes=1))
    w.meetlink.run_pending()
    assert w.zoom.live_meetings() == []
    assert "list_meetings" not in w.zoom.calls
