"""Provider rate budgets: bursts stay under Zoom's limits instead of meeting its 429s.

Zoom allows 100 meeting creates and updates per user per UTC day, and a number of requests
per second per account by category (FACTS: Zoom rate limits). meetlink spends from a budget
of those limits when it claims a job: a job whose account has nothing left is deferred to
when the budget returns (not attempted, not an attempt), and other accounts' work goes on.
"""

from __future__ import annotations

import threading
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

from meetlink import ConferenceStatus, Event, MeetLink
from meetlink.adapters.clock import SystemClock
from meetlink.adapters.mail import RecordingMailer
from meetlink.adapters.sqlalchemy import SqlStorage, generate_key
from meetlink.adapters.zoom import ZoomProvider
from meetlink.adapters.zoom.budget import ZOOM_PRO_PER_SECOND, zoom_rate_budget
from meetlink.ports.clock import Clock
from meetlink.ports.provider import Scope, Window
from meetlink.testing import Sandbox, ZoomEmulator

T0 = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
MIDNIGHT = datetime(2026, 12, 2, tzinfo=UTC)
CREATE = ("POST", "/v2/users/me/meetings")


def _event(event_id: str, start: datetime, owner: str = "alice") -> Event:
    return Event(
        event_id, "t1", owner, event_id, start, start + timedelta(minutes=30), web_meeting="zoom"
    )


def _statuses(ml: MeetLink, ids: list[str]) -> Counter[ConferenceStatus]:
    return Counter(ml.conference(i, tenant_id="t1").status for i in ids)  # type: ignore[union-attr]


def test_a_burst_over_one_account_never_meets_the_daily_cap() -> None:
    with Sandbox(now=T0, seed=1, sync_inline=False) as sb:
        sb.meetlink.contract("t1")
        sb.link_user("t1", "alice")
        ids = [f"e{i}" for i in range(150)]
        for i, event_id in enumerate(ids):
            sb.meetlink.save_event(_event(event_id, T0 + timedelta(days=3, minutes=i)))
        sb.meetlink.run_pending()
        assert _statuses(sb.meetlink, ids) == {
            ConferenceStatus.ISSUED: 100,
            ConferenceStatus.PENDING: 50,
        }
        assert sb.zoom.throttled == 0 and Counter(sb.zoom.requests)[CREATE] == 100
        waiting = [j for j in sb.meetlink.pending_jobs(limit=500) if j.kind == "sync"]
        assert (len(waiting), {(j.attempts, j.waits) for j in waiting}) == (50, {(0, 0)})
        # They come back one per second from 00:00 UTC (as after a 429): no stampede.
        turns = sorted(j.run_at for j in waiting)
        assert turns == [MIDNIGHT + timedelta(seconds=n) for n in range(50)]
        sb.clock.set(MIDNIGHT + timedelta(minutes=1))
        sb.meetlink.run_pending()
        assert _statuses(sb.meetlink, ids) == {ConferenceStatus.ISSUED: 150}
        assert sb.zoom.throttled == 0 and Counter(sb.zoom.requests)[CREATE] == 150
        assert sb.meetlink.failed_jobs() == []


def test_other_accounts_proceed_while_one_is_out_of_budget() -> None:
    with Sandbox(now=T0, seed=2, sync_inline=False) as sb:
        sb.zoom.daily_meeting_cap = 3  # the budget follows the emulator's limit
        sb.meetlink.contract("t1")
        sb.link_user("t1", "alice")
        sb.link_user("t1", "bob")
        start = T0 + timedelta(days=2)
        alice = [f"a{i}" for i in range(6)]
        bob = [f"b{i}" for i in range(3)]
        for i, event_id in enumerate(alice):  # alice's burst is queued first
            sb.meetlink.save_event(_event(event_id, start + timedelta(hours=i)))
        for i, event_id in enumerate(bob):
            sb.meetlink.save_event(_event(event_id, start + timedelta(hours=i), owner="bob"))
        sb.meetlink.run_pending()
        assert _statuses(sb.meetlink, bob) == {ConferenceStatus.ISSUED: 3}
        assert _statuses(sb.meetlink, alice) == {
            ConferenceStatus.ISSUED: 3,
            ConferenceStatus.PENDING: 3,
        }
        assert sb.zoom.throttled == 0 and Counter(sb.zoom.requests)[CREATE] == 6


def test_an_inline_save_over_the_budget_is_pending_without_calling_zoom() -> None:
    with Sandbox(now=T0, seed=3) as sb:
        sb.zoom.daily_meeting_cap = 2
        sb.meetlink.contract("t1")
        sb.link_user("t1", "alice")
        start = T0 + timedelta(days=1)
        for event_id in ("e1", "e2"):
            result = sb.meetlink.save_event(_event(event_id, start))
            assert result.conference.status is ConferenceStatus.ISSUED  # type: ignore[union-attr]
        over = sb.meetlink.save_event(_event("e3", start)).conference
        assert over is not None and over.status is ConferenceStatus.PENDING
        assert over.next_attempt_at == MIDNIGHT
        assert Counter(sb.zoom.requests)[CREATE] == 2 and sb.zoom.throttled == 0


def _meetlink(path: Path, zoom: ZoomEmulator, clock: Clock, **options: object) -> MeetLink:
    provider = zoom.provider(clock=clock)
    if "rate_budget" in options:  # the host's own budget instead of the emulator's
        provider = ZoomProvider(
            client_id=zoom.client_id,
            client_secret=zoom.client_secret,
            redirect_uri=zoom.redirect_uri,
            transport=zoom.transport(),
            clock=clock,
            rate_budget=options.pop("rate_budget"),  # type: ignore[arg-type]
        )
    storage = SqlStorage(f"sqlite:///{path}", encryption_keys=[KEY], create_schema=True)
    return MeetLink(
        storage=storage,
        providers=[provider],
        mailer=RecordingMailer(),
        clock=clock,
        sync_inline=False,
        **options,  # type: ignore[arg-type]
    )


KEY = generate_key()


def _link(ml: MeetLink, zoom: ZoomEmulator, user_id: str) -> None:
    user = zoom.add_user(f"{user_id}@example.com")
    request = ml.begin_link("t1", user_id)
    params = zoom.consent(request.authorize_url, user)
    ml.complete_link(params["state"], code=params["code"], user_id=user_id, tenant_id="t1")


def _drain(instances: list[MeetLink], threads_each: int) -> None:
    threads = [
        threading.Thread(target=ml.run_pending) for ml in instances for _ in range(threads_each)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()


def _burst(tmp_path: Path, per_second: dict[str, int], events: int, **options: object) -> int:
    """``events`` creates for one account from four worker threads on a real clock; the
    emulator's 429s."""
    clock = SystemClock()
    tmp_path.mkdir()
    zoom = ZoomEmulator(clock=clock, seed=4, per_second=per_second)
    ml = _meetlink(tmp_path / "burst.sqlite", zoom, clock, **options)
    try:
        ml.contract("t1")
        _link(ml, zoom, "alice")
        start = clock.now() + timedelta(days=1)
        ids = [f"e{i}" for i in range(events)]
        for i, event_id in enumerate(ids):
            ml.save_event(_event(event_id, start + timedelta(minutes=i)))
        while _statuses(ml, ids)[ConferenceStatus.ISSUED] < events and not zoom.throttled:
            _drain([ml], 4)
        return zoom.throttled
    finally:
        ml.close()


def test_per_second_limits_are_paced_on_a_real_clock(tmp_path: Path) -> None:
    # The emulator's per-second limits (per Zoom account, by category) and a real clock: the
    # budget paces the creates under them; without a budget the same burst meets 429s.
    assert _burst(tmp_path / "paced", {"Medium": 20, "Light": 30}, 16) == 0
    unpaced = _burst(tmp_path / "unpaced", {"Medium": 2, "Light": 2}, 8, rate_budget=None)
    assert unpaced > 0


def test_worker_processes_share_one_budget(tmp_path: Path) -> None:
    # Two MeetLinks on one database (as two worker processes would be) spend from the same
    # stored budget: together they create no more than the cap allows.
    clock = SystemClock()
    zoom = ZoomEmulator(clock=clock, seed=5, daily_meeting_cap=5)
    first = _meetlink(tmp_path / "shared.sqlite", zoom, clock)
    second = _meetlink(tmp_path / "shared.sqlite", zoom, clock)
    try:
        first.contract("t1")
        _link(first, zoom, "alice")
        start = clock.now() + timedelta(days=1)
        ids = [f"e{i}" for i in range(12)]
        for i, event_id in enumerate(ids):
            first.save_event(_event(event_id, start + timedelta(minutes=i)))
        _drain([first, second], 2)
        assert _statuses(first, ids) == {ConferenceStatus.ISSUED: 5, ConferenceStatus.PENDING: 7}
        assert zoom.throttled == 0 and Counter(zoom.requests)[CREATE] == 5
    finally:
        first.close()
        second.close()


def test_zoom_declares_its_daily_cap_only_when_talking_to_zoom() -> None:
    common = {"client_id": "id", "client_secret": "secret", "redirect_uri": "https://h/cb"}
    with ZoomProvider(**common) as real:  # type: ignore[arg-type]
        budget = real.capabilities.rate_budget
        assert budget is not None
        [daily] = budget.limits
        assert (daily.name, daily.count, daily.scope, daily.window) == (
            "meetings-per-day", 100, Scope.ACCOUNT, Window.UTC_DAY,
        )  # fmt: skip
    zoom = ZoomEmulator(daily_meeting_cap=7)
    with ZoomProvider(transport=zoom.transport(), **common) as elsewhere:  # type: ignore[arg-type]
        assert elsewhere.capabilities.rate_budget is None
    paced = zoom_rate_budget(ZOOM_PRO_PER_SECOND)
    with ZoomProvider(transport=zoom.transport(), rate_budget=paced, **common) as given:  # type: ignore[arg-type]
        assert given.capabilities.rate_budget is paced
    with zoom.provider() as emulated:  # follows the emulator's limits as they change
        assert [lim.count for lim in emulated.capabilities.rate_budget.limits] == [7]  # type: ignore[union-attr]
        zoom.daily_meeting_cap = 9
        assert [lim.count for lim in emulated.capabilities.rate_budget.limits] == [9]  # type: ignore[union-attr]
