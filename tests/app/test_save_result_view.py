"""The conference a ``save_event`` returns is the one stored when it returns: read in the
save's own unit of work or taken from the unit of work that finished its sync job, it must
equal what ``conference()`` reads afterwards, in every outcome."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from meetlink import ConferenceStatus, Event
from meetlink.testing import Sandbox

T0 = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


def _event(event_id: str, title: str = "Review") -> Event:
    start = T0 + timedelta(days=3)
    return Event(
        event_id, "t1", "alice", title, start, start + timedelta(minutes=30), web_meeting="zoom"
    )


def test_issued_unchanged_and_updated_saves_return_the_stored_conference() -> None:
    with Sandbox(now=T0, seed=3) as sb:
        sb.meetlink.contract("t1")
        sb.link_user("t1", "alice")
        issued = sb.meetlink.save_event(_event("e1")).conference
        assert issued is not None and issued.status is ConferenceStatus.ISSUED
        assert issued == sb.meetlink.conference("e1", tenant_id="t1")
        assert sb.meetlink.save_event(_event("e1")).conference == issued  # unchanged
        updated = sb.meetlink.save_event(_event("e1", "Review, moved")).conference
        assert updated == sb.meetlink.conference("e1", tenant_id="t1") and updated is not None
        assert updated.join_url == issued.join_url


def test_a_save_while_the_account_waits_returns_the_turn_it_was_given() -> None:
    with Sandbox(now=T0, seed=3) as sb:
        sb.zoom.daily_meeting_cap = 1
        sb.meetlink.contract("t1")
        sb.link_user("t1", "alice")
        first = sb.meetlink.save_event(_event("e1")).conference
        assert first is not None and first.status is ConferenceStatus.ISSUED
        capped = sb.meetlink.save_event(_event("e2")).conference  # Zoom: the daily cap (429)
        assert capped is not None and capped.status is ConferenceStatus.PENDING
        assert capped == sb.meetlink.conference("e2", tenant_id="t1")
        # The account waits: the third save's job is not run now but given a later turn.
        waiting = sb.meetlink.save_event(_event("e3")).conference
        assert waiting is not None and waiting.status is ConferenceStatus.PENDING
        assert waiting == sb.meetlink.conference("e3", tenant_id="t1")
        assert capped.next_attempt_at is not None and waiting.next_attempt_at is not None
        assert waiting.next_attempt_at > capped.next_attempt_at >= datetime(2026, 12, 2, tzinfo=UTC)


def test_a_queued_save_returns_its_pending_job() -> None:
    with Sandbox(now=T0, seed=3, sync_inline=False) as sb:
        sb.meetlink.contract("t1")
        sb.link_user("t1", "alice")
        queued = sb.meetlink.save_event(_event("e1")).conference
        assert queued is not None and queued.status is ConferenceStatus.PENDING
        assert (
            queued == sb.meetlink.conference("e1", tenant_id="t1") and queued.next_attempt_at == T0
        )
