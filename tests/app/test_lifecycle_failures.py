"""Work that cannot finish: a refused token after a fresh refresh, an event that ended before
its meeting could be created (the conference becomes FAILED, never half-done)."""

from __future__ import annotations

from datetime import timedelta

from meetlink import ConferenceStatus, HostNotice, HostNoticeKind
from meetlink.errors import AuthExpired, ProviderRejected
from tests.app.conftest import make_world
from tests.conferences import status
from tests.notices import notices_into


def test_a_second_401_after_a_fresh_refresh_ends_the_link_and_tells_the_host() -> None:
    notices: list[HostNotice] = []
    w = make_world(listener=notices_into(notices))
    w.meetlink.contract("t1")
    w.link("alice", w.zoom.add_account("alice@corp.example"))
    w.meetlink.save_event(w.event())
    w.zoom.fail_next(AuthExpired("401"), method="update_meeting")
    w.zoom.fail_next(AuthExpired("401"), method="update_meeting")  # the fresh token too
    w.meetlink.save_event(w.event(title="Renamed"))
    assert w.meetlink.link("alice", tenant_id="t1") is None  # the user must link again
    assert [(n.kind, n.user_id) for n in notices] == [(HostNoticeKind.LINK_BROKEN, "alice")]
    assert w.meetlink.failed_jobs() == []  # nothing "failed for good" while the link looked fine
    assert w.zoom.calls.count("refresh") == 1  # no loop
    conf = w.meetlink.conference("e1", tenant_id="t1")
    assert conf is not None and conf.status is ConferenceStatus.DETACHED


def test_no_meeting_is_created_for_an_event_that_already_ended() -> None:
    notices: list[HostNotice] = []
    w = make_world(listener=notices_into(notices), sync_inline=False)
    w.meetlink.contract("t1")
    w.link("alice", w.zoom.add_account("alice@corp.example"))
    start = w.clock.now() + timedelta(hours=1)
    w.meetlink.save_event(w.event(start=start, end=start + timedelta(minutes=30)))
    w.clock.advance(timedelta(hours=3))  # a long outage of the workers
    w.meetlink.run_pending()
    assert w.zoom.live_meetings() == []
    conf = w.meetlink.conference("e1", tenant_id="t1")
    assert conf is not None and conf.status is ConferenceStatus.FAILED
    assert conf.error is not None and "ended" in conf.error
    assert w.meetlink.pending_jobs() == []
    assert [(n.kind, n.event_id) for n in notices] == [(HostNoticeKind.WORK_FAILED, "e1")]


def test_a_time_change_whose_update_is_refused_is_still_told_with_the_working_url() -> None:
    """The meeting keeps its old time at the provider (the update was refused for good) but
    its URL still works: participants are told the event's new time with it."""
    w = make_world()
    w.meetlink.contract("t1")
    w.link("alice", w.zoom.add_account("alice@corp.example"))
    conf = w.meetlink.save_event(w.event()).conference
    assert conf is not None and conf.join_url is not None
    w.deliver()
    w.zoom.fail_next(ProviderRejected("no", status=400), method="update_meeting")
    later = w.event().start + timedelta(hours=2)
    w.meetlink.save_event(w.event(start=later))
    told = w.deliver()
    assert status(w.meetlink.conference("e1", tenant_id="t1")) is ConferenceStatus.ISSUED
    assert sorted(m["To"].addresses[0].addr_spec for m in told) == [
        "bob@example.com", "carol@example.com"]  # fmt: skip
    for mail in told:
        [calendar] = [p for p in mail.walk() if p.get_content_type() == "text/calendar"]
        payload = calendar.get_payload(decode=True)
        assert isinstance(payload, bytes)
        ics = payload.decode()
        assert "METHOD:REQUEST" in ics and conf.join_url in ics.replace("\r\n ", "")
        assert f"DTSTART:{later:%Y%m%dT%H%M%SZ}" in ics
