"""No lost events, no orphaned or duplicated Zoom meetings, through the real ZoomProvider and
the Zoom emulator: random saves, edits, unticks, deletions, HTTP faults (500, 429, answers
lost after Zoom acted), unlink/relink and time. After the workers drain, Zoom holds exactly
the meetings the conferences point at, each at its event's time."""

from __future__ import annotations

import contextlib
from datetime import UTC, datetime, timedelta

from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, rule

from meetlink import ConferenceStatus, Event, MeetLinkError
from meetlink.testing import Sandbox

EVENTS = ("e1", "e2", "e3")
PATHS = ("/v2/users/me/meetings", "/v2/meetings/", "/oauth/token", None)


class ZoomNoOrphans(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.sb = Sandbox(now=datetime(2026, 12, 1, tzinfo=UTC), seed=1)
        self.sb.meetlink.contract("t1")
        _, self.user = self.sb.link_user("t1", "alice")
        self.saved: dict[str, Event] = {}

    @rule(event_id=st.sampled_from(EVENTS), hours=st.integers(1, 48), ticked=st.booleans())
    def save(self, event_id: str, hours: int, ticked: bool) -> None:
        start = self.sb.clock.now() + timedelta(hours=hours)
        event = Event(
            event_id, "t1", "alice", f"Meeting {hours}", start, start + timedelta(minutes=30),
            web_meeting="zoom" if ticked else None,
        )  # fmt: skip
        self.sb.meetlink.save_event(event)
        self.saved[event_id] = event

    @rule(event_id=st.sampled_from(EVENTS))
    def delete(self, event_id: str) -> None:
        self.sb.meetlink.delete_event(event_id, tenant_id="t1")
        self.saved.pop(event_id, None)

    @rule(
        status=st.sampled_from([0, 500, 503, 429]),
        method=st.sampled_from(["POST", "PATCH", "DELETE", "GET", None]),
        path=st.sampled_from(PATHS),
    )
    def zoom_fails_next(self, status: int, method: str | None, path: str | None) -> None:
        self.sb.zoom.fail_next(1, status=status, method=method, path=path, retry_after=30)

    @rule()
    def unlink(self) -> None:
        self.sb.meetlink.unlink("alice", tenant_id="t1")

    @rule()
    def link_again(self) -> None:
        self.sb.clock.advance(timedelta(seconds=1))
        request = self.sb.meetlink.begin_link("t1", "alice")
        params = self.sb.zoom.consent(request.authorize_url, self.user)
        with contextlib.suppress(MeetLinkError):  # Zoom was down: the user tries again later
            self.sb.meetlink.complete_link(
                params["state"], code=params["code"], user_id="alice", tenant_id="t1"
            )

    @rule(minutes=st.integers(0, 20))
    def workers_run(self, minutes: int) -> None:
        self.sb.clock.advance(timedelta(minutes=minutes))
        self.sb.meetlink.run_pending()

    def teardown(self) -> None:
        try:
            ml = self.sb.meetlink
            self.sb.zoom.clear_faults()
            if ml.link("alice", tenant_id="t1") is None:
                self.link_again()
            assert ml.link("alice", tenant_id="t1") is not None
            for event_id, event in self.saved.items():
                if event.web_meeting and ml.conference(event_id, tenant_id="t1") is None:
                    ml.save_event(event)  # re-issue what an unlink dropped (S21)
            for _ in range(30):
                self.sb.clock.advance(timedelta(minutes=16))
                ml.run_pending()
                if not ml.pending_jobs():
                    break
            assert ml.pending_jobs() == [] and ml.failed_jobs() == []
            live = {str(m["id"]): m for m in self.sb.zoom.meetings()}
            pointed: dict[str, Event] = {}
            for event_id, event in self.saved.items():
                conf = ml.conference(event_id, tenant_id="t1")
                if event.web_meeting is None:
                    assert conf is None
                    continue
                assert conf is not None and conf.status is ConferenceStatus.ISSUED, conf
                pointed[str(conf.meeting_id)] = event
            assert set(live) == set(pointed), (sorted(live), sorted(pointed))
            for meeting_id, event in pointed.items():
                expected = event.start.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
                assert live[meeting_id]["start_time"] == expected
                assert live[meeting_id]["topic"] == event.title
        finally:
            self.sb.close()


TestZoomNoOrphans = ZoomNoOrphans.TestCase
TestZoomNoOrphans.settings = settings(max_examples=60, stateful_step_count=30)
