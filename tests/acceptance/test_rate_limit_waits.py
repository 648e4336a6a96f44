"""A rate-limit wait is not a failure (issue: jobs told to wait never give up for it, and
waiting jobs do not stampede). Both workloads as a new user wrote them: Zoom asking a create
to wait a day thirty times, and 150 creates under a daily cap of 5, hand-wired and through
Sandbox. Each must end with every meeting issued, no failed job, few requests per meeting."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta

from meetlink import ConferenceStatus, Event, MeetLink
from meetlink.adapters.clock import ManualClock
from meetlink.adapters.mail import RecordingMailer
from meetlink.adapters.sqlalchemy import SqlStorage, generate_key
from meetlink.testing import Sandbox, ZoomEmulator

T0 = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
MEETINGS = "/v2/users/me/meetings"


def _link(ml: MeetLink, zoom: ZoomEmulator, user_id: str = "alice") -> None:
    user = zoom.add_user(f"{user_id}@example.com")
    request = ml.begin_link("t1", user_id)
    params = zoom.consent(request.authorize_url, user)
    ml.complete_link(params["state"], code=params["code"])


def _event(event_id: str, start: datetime, owner: str = "alice") -> Event:
    return Event(
        event_id, "t1", owner, event_id, start, start + timedelta(minutes=30), web_meeting="zoom"
    )


def _bulk(ml: MeetLink, zoom: ZoomEmulator, clock: ManualClock) -> Counter[tuple[str, str]]:
    """150 creates for one user under a cap of 5 a day, the worker running once a day."""
    ml.contract("t1")
    _link(ml, zoom)
    start = clock.now() + timedelta(days=60)
    for i in range(150):
        ml.save_event(_event(f"e{i}", start + timedelta(hours=i)))
    for _ in range(40):
        ml.run_pending()
        clock.advance(timedelta(days=1))
    return Counter(zoom.requests)


def _assert_paced(ml: MeetLink, zoom: ZoomEmulator, requests: Counter[tuple[str, str]]) -> None:
    assert len(zoom.meetings()) == 150
    assert ml.failed_jobs() == []
    assert all(ml.conference(f"e{i}").status is ConferenceStatus.ISSUED for i in range(150))
    # Per day: 5 creates that succeed, at most one that meets the cap; no listings (a 429
    # is an answer: nothing was created, nothing to look for).
    assert requests[("POST", MEETINGS)] <= 150 + 31
    assert requests[("GET", MEETINGS)] == 0


def test_a_create_told_to_wait_a_day_thirty_times_is_issued_when_zoom_allows() -> None:
    with Sandbox(now=T0, seed=3, sync_inline=False) as sb:
        sb.meetlink.contract("t1")
        sb.link_user("t1", "alice")
        sb.zoom.fail_next(30, status=429, method="POST", path=MEETINGS, retry_after=86400)
        sb.meetlink.save_event(_event("e1", sb.clock.now() + timedelta(days=60)))
        for _ in range(40):
            sb.meetlink.run_pending()
            sb.clock.advance(timedelta(days=1))
        assert sb.meetlink.failed_jobs() == []
        conf = sb.meetlink.conference("e1")
        assert conf is not None and conf.status is ConferenceStatus.ISSUED
        requests = Counter(sb.zoom.requests)
        assert requests[("POST", MEETINGS)] == 31
        assert requests[("GET", MEETINGS)] == 0


def test_hand_wired_bulk_under_a_daily_cap_is_paced_not_failed() -> None:
    clock = ManualClock(T0)
    zoom = ZoomEmulator(daily_meeting_cap=5)
    provider = zoom.provider(clock=clock)
    ml = MeetLink(
        storage=SqlStorage("sqlite://", encryption_keys=[generate_key()], create_schema=True),
        providers=[provider],
        mailer=RecordingMailer(),
        clock=clock,
        sync_inline=False,
    )
    try:
        requests = _bulk(ml, zoom, clock)
        _assert_paced(ml, zoom, requests)
    finally:
        ml.close()
        provider.close()


def test_sandbox_bulk_under_a_daily_cap_is_paced_not_failed() -> None:
    with Sandbox(now=T0, seed=4, sync_inline=False) as sb:
        sb.zoom.daily_meeting_cap = 5
        requests = _bulk(sb.meetlink, sb.zoom, sb.clock)
        _assert_paced(sb.meetlink, sb.zoom, requests)
