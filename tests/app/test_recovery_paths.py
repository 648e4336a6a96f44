"""Recovery paths that only run when something else has failed: each test puts the library
in that state and checks what it promises (docs/testing.md "Planted bugs": each failed with
its path taken out)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from meetlink import ConferenceStatus
from meetlink.adapters.memory.storage import _Links
from meetlink.errors import ProviderUnavailable, StorageError
from tests.app.conftest import make_world
from tests.conferences import status


def test_a_rotated_token_pair_that_could_not_be_stored_is_kept_and_stored_next_time(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The provider rotated the refresh token (the old one is dead) but the database was
    away: the new pair stays in memory and is stored on the next try, without a second
    refresh (which would be refused: the link would die)."""
    w = make_world()
    w.meetlink.start_trial("t1")
    w.link("alice", w.zoom.add_account("alice@corp.example"))
    away = [True]
    swap = _Links.swap_tokens

    def swap_or_fail(self: Any, *args: Any, **kwargs: Any) -> Any:
        if away[0]:
            raise StorageError("the database is away")
        return swap(self, *args, **kwargs)

    monkeypatch.setattr(_Links, "swap_tokens", swap_or_fail)
    w.clock.advance(timedelta(hours=2))  # the access token expired: the next call refreshes
    w.meetlink.save_event(w.event())
    assert w.zoom.calls.count("refresh") == 1
    assert status(w.meetlink.conference("e1", tenant_id="t1")) is ConferenceStatus.PENDING
    away[0] = False
    w.clock.advance(timedelta(minutes=5))
    w.meetlink.run_pending()
    assert w.zoom.calls.count("refresh") == 1  # the kept pair was stored, not refreshed again
    assert status(w.meetlink.conference("e1", tenant_id="t1")) is ConferenceStatus.ISSUED
    assert w.meetlink.link("alice", tenant_id="t1") is not None


def test_extra_meetings_a_lost_create_made_are_deleted() -> None:
    """The create's answer was lost and the provider had made the meeting twice (a retried
    request applied twice): the retry finds both by their marker, keeps one for the event and
    deletes the other (no orphan at the provider)."""
    w = make_world()
    w.meetlink.start_trial("t1")
    w.link("alice", w.zoom.add_account("alice@corp.example"))
    lost = ProviderUnavailable("answer lost", maybe_applied=True)
    w.zoom.fail_next(lost, method="create_meeting", apply=True)
    w.meetlink.save_event(w.event())
    [(made, meeting)] = list(w.zoom.meetings.items())
    again = f"{made}-again"  # the same create, applied a second time
    w.zoom.meetings[again] = {**meeting, "id": again}
    assert len(w.zoom.live_meetings()) == 2
    w.clock.advance(timedelta(minutes=5))
    w.meetlink.run_pending()
    conf = w.meetlink.conference("e1", tenant_id="t1")
    assert conf is not None and conf.status is ConferenceStatus.ISSUED
    assert list(w.zoom.meetings) == [conf.meeting_id]  # one left, the event's
    assert w.zoom.calls.count("create_meeting") == 1  # adopted, not created a third time


def test_the_delete_after_a_lost_create_looks_again_when_the_lease_has_run_out() -> None:
    """The create's answer was lost and the event deleted: the delete finds nothing by the
    marker yet (a create may still land), so it asks for one more look after a job lease."""
    w = make_world()
    w.meetlink.start_trial("t1")
    w.link("alice", w.zoom.add_account("alice@corp.example"))
    w.zoom.fail_next(ProviderUnavailable("answer lost", maybe_applied=True),
                     method="create_meeting")  # fmt: skip
    w.meetlink.save_event(w.event())
    w.meetlink.delete_event("e1", tenant_id="t1")
    w.meetlink.run_pending()
    [again] = [job for job in w.meetlink.pending_jobs() if job.key.endswith(":again")]
    now = w.clock.now()
    assert (again.kind, again.created_at, again.run_at, again.payload["looked_again"]) == (
        "delete",
        now,
        now + w.meetlink.settings.job_lease,
        True,
    )
