"""A rate-limit wait is not a failure (issue: jobs told to wait never give up for it, and
waiting jobs do not stampede). Both workloads as a new user wrote them: Zoom asking a create
to wait a day thirty times, and 150 creates under a daily cap of 5, hand-wired and through
Sandbox. Each must end with every meeting issued, no failed job, few requests per meeting."""

from __future__ import annotations

import itertools
from collections import Counter
from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from meetlink import ConferenceStatus, Event, MeetLink
from meetlink.adapters.clock import ManualClock
from meetlink.adapters.mail import RecordingMailer
from meetlink.adapters.sqlalchemy import SqlStorage, generate_key
from meetlink.testing import Sandbox, ZoomEmulator
from tests.conferences import status

T0 = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
MEETINGS = "/v2/users/me/meetings"


def _link(ml: MeetLink, zoom: ZoomEmulator, user_id: str = "alice") -> None:
    user = zoom.add_user(f"{user_id}@example.com")
    request = ml.begin_link("t1", user_id)
    params = zoom.consent(request.authorize_url, user)
    ml.complete_link(params["state"], code=params["code"], user_id=user_id, tenant_id="t1")


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
    assert all(
        status(ml.conference(f"e{i}", tenant_id="t1")) is ConferenceStatus.ISSUED
        for i in range(150)
    )
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
        conf = sb.meetlink.conference("e1", tenant_id="t1")
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


# -- paced release: no stampede at the reset, other accounts never held up ---------------------


def _creates_since(zoom: ZoomEmulator, seen: int) -> int:
    return sum(1 for request in zoom.requests[seen:] if request == ("POST", MEETINGS))


def test_jobs_waiting_on_a_daily_cap_are_released_one_per_slot_and_never_hold_others() -> None:
    spacing = timedelta(seconds=1)  # RetryPolicy.release_spacing's default
    with Sandbox(now=T0, seed=5, sync_inline=False) as sb:
        sb.zoom.daily_meeting_cap = 3
        sb.meetlink.contract("t1")
        sb.link_user("t1", "alice")
        sb.link_user("t1", "bob")
        start = T0 + timedelta(days=30)
        for i in range(8):
            sb.meetlink.save_event(_event(f"a{i}", start + timedelta(hours=i)))
        for i in range(2):
            sb.meetlink.save_event(_event(f"b{i}", start + timedelta(hours=i), owner="bob"))
        sb.meetlink.run_pending()
        # alice: 3 made, the 4th met the cap; bob's jobs ran in the same pass, not held up.
        assert all(status(sb.meetlink.conference(f"b{i}", tenant_id="t1"))
                   is ConferenceStatus.ISSUED for i in range(2))  # fmt: skip
        issued = [f"a{i}" for i in range(8) if status(sb.meetlink.conference(
            f"a{i}", tenant_id="t1")) is ConferenceStatus.ISSUED]  # fmt: skip
        assert len(issued) == 3
        midnight = datetime(2026, 12, 2, tzinfo=UTC)
        turns = sorted(
            conf.next_attempt_at
            for i in range(8)
            if (conf := sb.meetlink.conference(f"a{i}", tenant_id="t1")) is not None
            and conf.status is ConferenceStatus.PENDING
            and conf.next_attempt_at is not None
        )
        assert len(turns) == 5 and turns[0] >= midnight
        assert all(later - earlier >= spacing for earlier, later in itertools.pairwise(turns))
        # A new event of bob's is still issued at once while alice waits.
        sb.meetlink.save_event(_event("b9", start, owner="bob"))
        seen = len(sb.zoom.requests)
        sb.meetlink.run_pending()
        assert status(sb.meetlink.conference("b9", tenant_id="t1")) is ConferenceStatus.ISSUED
        assert _creates_since(sb.zoom, seen) == 1  # bob's; alice's account is not asked
        # Just before the reset nothing of alice's runs; at the reset one job per slot.
        sb.clock.set(midnight - timedelta(seconds=1))
        seen = len(sb.zoom.requests)
        sb.meetlink.run_pending()
        assert _creates_since(sb.zoom, seen) == 0
        per_slot = []
        for _ in range(4):
            sb.clock.set(max(sb.clock.now() + spacing, midnight))
            seen = len(sb.zoom.requests)
            sb.meetlink.run_pending()
            per_slot.append(_creates_since(sb.zoom, seen))
        # Three slots make the day's three meetings; the fourth finds the day's budget spent
        # and waits for the next reset without asking Zoom (no 429).
        assert per_slot == [1, 1, 1, 0]
        assert sb.zoom.throttled == 0
        assert sum(status(sb.meetlink.conference(f"a{i}", tenant_id="t1"))
                   is ConferenceStatus.ISSUED for i in range(8)) == 6  # fmt: skip
        assert sb.meetlink.failed_jobs() == []


# -- property: waits never fail a job whose event is ahead --------------------------------------

_RETRY_AFTER = st.sampled_from([1, 5, 60, 600, 3600, 4 * 3600, 86400, 3 * 86400])
_STEP = st.one_of(
    st.tuples(st.just("429"), st.integers(1, 6), _RETRY_AFTER),  # a burst of 429s
    st.tuples(st.just("cap"), st.integers(0, 2), st.just(0)),  # the day's cap drops
    st.tuples(
        st.just("run"), st.sampled_from([1, 10, 60, 6 * 60, 24 * 60, 3 * 24 * 60]), st.just(0)
    ),  # minutes of clock time, then a worker pass
)


@settings(max_examples=50)
@given(steps=st.lists(_STEP, min_size=1, max_size=12), seed=st.integers(0, 2**16))
def test_rate_limit_waits_never_fail_a_job_and_every_meeting_is_issued(
    steps: list[tuple[str, int, int]], seed: int
) -> None:
    """Random bursts of 429s (any Retry-After, beyond the 25-hour clamp too) and days whose
    cap is tiny, with a worker at random times: while the events are ahead no job fails, and
    once Zoom allows progress again every meeting is issued, with one create per meeting
    plus one per 429 answered (at most one cap hit per account and day), never a listing."""
    owners = ("alice", "bob")
    with Sandbox(now=T0, seed=seed, sync_inline=False) as sb:
        sb.meetlink.contract("t1")
        for owner in owners:
            sb.link_user("t1", owner)
        start = T0 + timedelta(days=60)  # every step together stays well before it
        ids = [f"{owner}-{i}" for owner in owners for i in range(3)]
        for event_id in ids:
            sb.meetlink.save_event(_event(event_id, start, owner=event_id.split("-")[0]))
        injected = 0

        def check_nothing_failed() -> None:
            assert sb.meetlink.failed_jobs() == []
            for event_id in ids:
                conf = sb.meetlink.conference(event_id, tenant_id="t1")
                assert conf is not None and conf.status in (
                    ConferenceStatus.PENDING, ConferenceStatus.ISSUED), conf  # fmt: skip

        for kind, amount, retry_after in steps:
            if kind == "429":
                sb.zoom.fail_next(amount, status=429, method="POST", path=MEETINGS,
                                  retry_after=retry_after)  # fmt: skip
                injected += amount
            elif kind == "cap":
                sb.zoom.daily_meeting_cap = amount
            else:
                sb.clock.advance(timedelta(minutes=amount))
                sb.meetlink.run_pending()
            check_nothing_failed()
        # Zoom allows progress again: the cap is back and the 429s are used up or cleared.
        sb.zoom.daily_meeting_cap = 100
        days = 0
        while any(
            status(sb.meetlink.conference(e, tenant_id="t1")) is not ConferenceStatus.ISSUED
            for e in ids
        ):
            sb.meetlink.run_pending()
            check_nothing_failed()
            sb.clock.advance(timedelta(hours=6))
            days += 1
            if days == 8:
                sb.zoom.clear_faults()  # bursts still queued (never asked for): drop them
            assert days < 40, "not issued while Zoom allows progress"
        answered_429 = injected - sb.zoom.pending_faults()
        elapsed_days = (sb.clock.now() - T0).days + 1
        requests = Counter(sb.zoom.requests)
        assert len(sb.zoom.meetings()) == len(ids)
        assert requests[("POST", MEETINGS)] <= len(ids) + answered_429 + elapsed_days * 2
        assert requests[("GET", MEETINGS)] == 0


def test_a_meeting_in_progress_holds_its_own_deletion_not_the_account() -> None:
    """Zoom refuses to delete a meeting while it runs (3002): that deletion waits for its
    end, but the account is not rate limited: its other work goes on at once."""
    with Sandbox(now=T0, seed=6) as sb:
        sb.meetlink.contract("t1")
        sb.link_user("t1", "alice")
        running = sb.meetlink.save_event(
            Event(
                "e1",
                "t1",
                "alice",
                "Running",
                T0 + timedelta(minutes=5),
                T0 + timedelta(hours=2),
                web_meeting="zoom",
            )
        ).conference
        assert running is not None and running.meeting_id is not None
        sb.clock.advance(timedelta(minutes=6))
        sb.zoom.start_meeting(running.meeting_id)
        sb.meetlink.delete_event("e1", tenant_id="t1")
        [waiting] = sb.meetlink.pending_jobs()
        assert waiting.kind == "delete" and waiting.run_at == T0 + timedelta(hours=2)
        soon = sb.meetlink.save_event(_event("e2", T0 + timedelta(hours=1))).conference
        assert soon is not None and soon.status is ConferenceStatus.ISSUED
        sb.zoom.end_meeting(running.meeting_id)
        sb.clock.set(T0 + timedelta(hours=2))
        sb.meetlink.run_pending()
        assert [str(m["id"]) for m in sb.zoom.meetings()] == [soon.meeting_id]
