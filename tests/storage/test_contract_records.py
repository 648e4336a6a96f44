"""Repository contract, part 2: events, conferences, reminders and webhook deliveries (jobs:
test_contract_jobs.py).

Every test runs against InMemoryStorage and SqlStorage on SQLite, PostgreSQL and MariaDB."""

from __future__ import annotations

from datetime import timedelta

import attrs

from meetlink.domain.conference import ConferenceStatus, KeptMeeting
from meetlink.ports.storage import Storage

from .factories import T0, conference, event_record

LEASE = T0 + timedelta(minutes=5)

# -- events ----------------------------------------------------------------------------------


def test_event_put_get_replace_delete(storage: Storage) -> None:
    record = event_record("e1", remind_at=T0)
    with storage.unit_of_work() as uow:
        assert uow.events.get("t1", "e1") is None
        uow.events.put(record)
        uow.commit()
    with storage.unit_of_work() as uow:
        stored = uow.events.get("t1", "e1")
        assert stored == record
        assert stored is not None and stored.event.participants == record.event.participants
        moved = attrs.evolve(record, sequence=3, remind_at=None)
        uow.events.put(moved)
        uow.commit()
    with storage.unit_of_work() as uow:
        assert uow.events.get("t1", "e1") == moved
        assert uow.events.delete("t1", "e1") is True
        assert uow.events.delete("t1", "e1") is False
        uow.commit()
    with storage.unit_of_work() as uow:
        assert uow.events.get("t1", "e1") is None


def test_event_with_its_conference_in_one_read(storage: Storage) -> None:
    with storage.unit_of_work() as uow:
        uow.events.put(event_record("alone"))
        uow.events.put(event_record("both", remind_at=T0))
        uow.conferences.put(conference("both", meeting_id="89012345678"))
        uow.conferences.put(conference("orphan"))  # no event: not looked for
        uow.commit()
    with storage.unit_of_work() as uow:
        assert uow.events.get_with_conference("t1", "alone") == (
            uow.events.get("t1", "alone"),
            None,
        )
        for for_update in (False, True):
            both = uow.events.get_with_conference("t1", "both", for_update=for_update)
            assert both == (uow.events.get("t1", "both"), uow.conferences.get("t1", "both"))
            assert both[1] is not None and both[1].meeting_id == "89012345678"
        assert uow.events.get_with_conference("t1", "orphan") == (None, None)
        assert uow.events.get_with_conference("t1", "ghost", for_update=True) == (None, None)


def test_due_reminders_earliest_first_with_limit(storage: Storage) -> None:
    with storage.unit_of_work() as uow:
        uow.events.put(event_record("late", remind_at=T0 + timedelta(minutes=2)))
        uow.events.put(event_record("first", remind_at=T0 - timedelta(hours=1)))
        uow.events.put(event_record("edge", remind_at=T0))
        uow.events.put(event_record("future", remind_at=T0 + timedelta(days=1)))
        uow.events.put(event_record("none", remind_at=None))
        uow.events.put(event_record("b-tie", remind_at=T0 - timedelta(minutes=1)))
        uow.events.put(event_record("a-tie", remind_at=T0 - timedelta(minutes=1)))
        uow.commit()
    with storage.unit_of_work() as uow:
        due = uow.events.due_reminders(T0 + timedelta(minutes=2), limit=10)
        assert [r.event.id for r in due] == ["first", "a-tie", "b-tie", "edge", "late"]
        assert [r.event.id for r in uow.events.due_reminders(T0, limit=2)] == ["first", "a-tie"]
        assert uow.events.due_reminders(T0 - timedelta(days=1), limit=10) == []


# -- conferences -----------------------------------------------------------------------------


def test_conference_round_trip_keeps_a_kept_meeting(storage: Storage) -> None:
    """While a replacement is pending (S21) the URL participants hold is kept with it."""
    old = conference("e1")
    kept = KeptMeeting(
        provider=old.provider,
        external_account_id=old.external_account_id,
        meeting_id="89012345678",
        join_url="https://zoom.example/j/89012345678",
        passcode="pw",
        marker=old.marker,
        synced=old.synced,
    )
    record = attrs.evolve(old, external_account_id="acct-2", marker="m2", meeting_id=None,
                          join_url=None, passcode=None, synced=None, kept=kept,
                          status=ConferenceStatus.PENDING)  # fmt: skip
    with storage.unit_of_work() as uow:
        uow.conferences.put(record)
        uow.commit()
    with storage.unit_of_work() as uow:
        assert uow.conferences.get("t1", "e1") == record
        assert [c.event_id for c in uow.conferences.by_account("zoom", "acct-2")] == ["e1"]


def test_conference_round_trip_keeps_large_meeting_ids(storage: Storage) -> None:
    """Scenario 20: a meeting id beyond 2**31 round-trips unchanged."""
    record = conference("e1")
    bare = conference("e2", meeting_id=None, join_url=None, passcode=None, synced=None,
                      mailed=None, status=ConferenceStatus.FAILED, maybe_created=True,
                      error="500 from provider")  # fmt: skip
    with storage.unit_of_work() as uow:
        uow.conferences.put(record)
        uow.conferences.put(bare)
        uow.commit()
    with storage.unit_of_work() as uow:
        stored = uow.conferences.get("t1", "e1")
        assert stored == record
        assert stored is not None and stored.meeting_id == "89012345678"
        assert uow.conferences.get("t1", "e2") == bare
        assert uow.conferences.get("t1", "e3") is None


def test_conference_put_replaces_and_delete_reports(storage: Storage) -> None:
    with storage.unit_of_work() as uow:
        uow.conferences.put(conference("e1"))
        detached = attrs.evolve(conference("e1"), status=ConferenceStatus.DETACHED)
        uow.conferences.put(detached)
        uow.commit()
    with storage.unit_of_work() as uow:
        assert uow.conferences.get("t1", "e1") == detached
        assert uow.conferences.delete("t1", "e1") is True
        assert uow.conferences.delete("t1", "e1") is False
        uow.commit()
    with storage.unit_of_work() as uow:
        assert uow.conferences.get("t1", "e1") is None


def test_conferences_by_account(storage: Storage) -> None:
    with storage.unit_of_work() as uow:
        uow.conferences.put(conference("e1"))
        uow.conferences.put(conference("e2", created_at=T0 + timedelta(seconds=1)))
        uow.conferences.put(conference("e3", external_account_id="acct-2"))
        uow.conferences.put(conference("e4", provider="teams"))
        uow.commit()
    with storage.unit_of_work() as uow:
        ids = {c.event_id for c in uow.conferences.by_account("zoom", "acct-1")}
        assert ids == {"e1", "e2"}
        assert uow.conferences.by_account("zoom", "nobody") == []


# -- reminders and webhooks ------------------------------------------------------------------


def test_reminder_log_notes_each_reminder_once(storage: Storage) -> None:
    long_email = "x" * 200 + "@example.com"
    with storage.unit_of_work() as uow:
        assert uow.reminders.record("t1", "e1", "A@Example.com", T0) is True
        assert uow.reminders.record("t1", "e1", "a@example.com", T0) is False
        assert uow.reminders.record("t1", "e1", "a@example.com", T0 + timedelta(days=1)) is True
        assert uow.reminders.record("t1", "e2", "a@example.com", T0) is True
        assert uow.reminders.record("t1", "e1", long_email, T0) is True
        assert uow.reminders.record("t1", "e1", long_email, T0) is False
        uow.commit()
    with storage.unit_of_work() as uow:
        assert uow.reminders.record("t1", "e1", "a@example.com", T0) is False


def test_webhook_log_notes_each_delivery_once(storage: Storage) -> None:
    long_key = "k" * 500
    with storage.unit_of_work() as uow:
        assert uow.webhooks.record("zoom", "d-1", T0) is True
        assert uow.webhooks.record("zoom", "d-1", T0 + timedelta(seconds=5)) is False
        assert uow.webhooks.record("zoom", "D-1", T0) is True  # keys are case-sensitive
        assert uow.webhooks.record("teams", "d-1", T0) is True
        assert uow.webhooks.record("zoom", long_key, T0) is True
        assert uow.webhooks.record("zoom", long_key, T0) is False
        uow.commit()
    with storage.unit_of_work() as uow:
        assert uow.webhooks.record("zoom", "d-1", T0) is False


def test_purging_the_reminder_and_webhook_logs(storage: Storage) -> None:
    with storage.unit_of_work() as uow:
        assert uow.reminders.record("t1", "e1", "a@example.com", T0)
        assert uow.reminders.record("t1", "e2", "a@example.com", T0 + timedelta(days=2))
        assert uow.webhooks.record("zoom", "old", T0)
        assert uow.webhooks.record("zoom", "new", T0 + timedelta(days=2))
        uow.commit()
    with storage.unit_of_work() as uow:
        assert uow.reminders.purge(T0 + timedelta(days=1)) == 1
        assert uow.webhooks.purge(T0 + timedelta(days=1)) == 1
        uow.commit()
    with storage.unit_of_work() as uow:
        assert uow.reminders.record("t1", "e1", "a@example.com", T0)  # forgotten: new again
        assert not uow.reminders.record("t1", "e2", "a@example.com", T0 + timedelta(days=2))
        assert uow.webhooks.record("zoom", "old", T0)
        assert not uow.webhooks.record("zoom", "new", T0 + timedelta(days=2))
