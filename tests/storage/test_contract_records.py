"""Repository contract, part 2: events, conferences, jobs, reminders and webhook deliveries.

Every test runs against InMemoryStorage and SqlStorage on SQLite, PostgreSQL and MariaDB."""

from __future__ import annotations

from datetime import timedelta

import attrs
import pytest

from meetlink.domain.conference import ConferenceStatus
from meetlink.domain.records import Job, JobStatus
from meetlink.errors import ConcurrentUpdate
from meetlink.ports.storage import Storage

from .factories import T0, conference, event_record

LEASE = T0 + timedelta(minutes=5)

# -- events ----------------------------------------------------------------------------------


def test_event_put_get_replace_delete(storage: Storage) -> None:
    record = event_record("e1", remind_at=T0)
    with storage.unit_of_work() as uow:
        assert uow.events.get("e1") is None
        uow.events.put(record)
        uow.commit()
    with storage.unit_of_work() as uow:
        stored = uow.events.get("e1")
        assert stored == record
        assert stored is not None and stored.event.participants == record.event.participants
        moved = attrs.evolve(record, sequence=3, remind_at=None)
        uow.events.put(moved)
        uow.commit()
    with storage.unit_of_work() as uow:
        assert uow.events.get("e1") == moved
        assert uow.events.delete("e1") is True
        assert uow.events.delete("e1") is False
        uow.commit()
    with storage.unit_of_work() as uow:
        assert uow.events.get("e1") is None


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


def test_conference_round_trip_keeps_large_meeting_ids(storage: Storage) -> None:
    """Scenario 20: a meeting id beyond 2**31 round-trips unchanged."""
    record = conference("e1")
    bare = conference("e2", meeting_id=None, join_url=None, passcode=None, synced=None,
                      mailed=None, status=ConferenceStatus.PENDING, maybe_created=True,
                      failed=True, last_error="500 from provider")  # fmt: skip
    with storage.unit_of_work() as uow:
        uow.conferences.put(record)
        uow.conferences.put(bare)
        uow.commit()
    with storage.unit_of_work() as uow:
        stored = uow.conferences.get("e1")
        assert stored == record
        assert stored is not None and stored.meeting_id == "89012345678"
        assert uow.conferences.get("e2") == bare
        assert uow.conferences.get("e3") is None


def test_conference_put_replaces_and_delete_reports(storage: Storage) -> None:
    with storage.unit_of_work() as uow:
        uow.conferences.put(conference("e1"))
        detached = attrs.evolve(conference("e1"), status=ConferenceStatus.DETACHED)
        uow.conferences.put(detached)
        uow.commit()
    with storage.unit_of_work() as uow:
        assert uow.conferences.get("e1") == detached
        assert uow.conferences.delete("e1") is True
        assert uow.conferences.delete("e1") is False
        uow.commit()
    with storage.unit_of_work() as uow:
        assert uow.conferences.get("e1") is None


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


# -- jobs ------------------------------------------------------------------------------------


def test_ensure_inserts_then_merges(storage: Storage) -> None:
    with storage.unit_of_work() as uow:
        job = uow.jobs.ensure(kind="sync", key="e1", run_at=T0, payload={"v": 1}, now=T0)
        assert (job.generation, job.status, job.attempts) == (0, JobStatus.PENDING, 0)
        uow.commit()
    with storage.unit_of_work() as uow:
        assert uow.jobs.get(job.id) == job
        later = uow.jobs.ensure(
            kind="sync", key="e1", run_at=T0 + timedelta(hours=1), payload={"v": 2}, now=T0
        )
        assert later.id == job.id
        assert (later.generation, later.payload, later.run_at) == (1, {"v": 2}, T0)
        sooner = uow.jobs.ensure(
            kind="sync", key="e1", run_at=T0 - timedelta(hours=1), payload={"v": 3}, now=T0
        )
        assert (sooner.generation, sooner.run_at) == (2, T0 - timedelta(hours=1))
        uow.commit()
    with storage.unit_of_work() as uow:
        assert uow.jobs.find("sync", "e1") == sooner
        assert uow.jobs.find("sync", "e2") is None
        assert uow.jobs.find("mail", "e1") is None


def test_ensure_restarts_a_failed_job_and_keeps_a_running_one(storage: Storage) -> None:
    with storage.unit_of_work() as uow:
        failed = uow.jobs.ensure(kind="sync", key="f", run_at=T0, payload={}, now=T0)
        running = uow.jobs.ensure(kind="sync", key="r", run_at=T0, payload={}, now=T0)
        uow.jobs.fail(failed.id, attempts=7, error="gave up")
        uow.jobs.claim(T0, 10, LEASE)
        uow.commit()
    later = T0 + timedelta(hours=2)
    with storage.unit_of_work() as uow:
        again = uow.jobs.ensure(kind="sync", key="f", run_at=later, payload={"n": 1}, now=later)
        assert (again.status, again.attempts, again.run_at, again.generation) == (
            JobStatus.PENDING, 0, later, 1,
        )  # fmt: skip
        busy = uow.jobs.ensure(kind="sync", key="r", run_at=later, payload={"n": 1}, now=later)
        assert (busy.status, busy.lease_until, busy.run_at, busy.generation) == (
            JobStatus.RUNNING, LEASE, T0, 1,
        )  # fmt: skip
        uow.commit()
    with storage.unit_of_work() as uow:
        assert uow.jobs.get(failed.id) == again
        assert uow.jobs.get(running.id) == busy


def test_claim_takes_due_jobs_earliest_first(storage: Storage) -> None:
    with storage.unit_of_work() as uow:
        for key, minutes in (("c", -1), ("a", -10), ("future", 5), ("b", -5), ("edge", 0)):
            uow.jobs.ensure(kind="k", key=key, run_at=T0 + timedelta(minutes=minutes),
                            payload={"key": key}, now=T0)  # fmt: skip
        uow.commit()
    with storage.unit_of_work() as uow:
        claimed = uow.jobs.claim(T0, 3, LEASE)
        assert [j.key for j in claimed] == ["a", "b", "c"]
        assert all(j.status is JobStatus.RUNNING and j.lease_until == LEASE for j in claimed)
        assert [j.payload for j in claimed] == [{"key": "a"}, {"key": "b"}, {"key": "c"}]
        uow.commit()
    with storage.unit_of_work() as uow:
        assert [j.key for j in uow.jobs.claim(T0, 10, LEASE)] == ["edge"]
        assert uow.jobs.claim(T0, 10, LEASE) == []
        uow.commit()
    with storage.unit_of_work() as uow:
        stored = uow.jobs.find("k", "a")
        assert stored is not None and stored.status is JobStatus.RUNNING
        assert stored == claimed[0]


def test_claim_retakes_jobs_whose_lease_expired(storage: Storage) -> None:
    with storage.unit_of_work() as uow:
        job = uow.jobs.ensure(kind="k", key="1", run_at=T0, payload={}, now=T0)
        uow.jobs.claim(T0, 1, LEASE)
        uow.commit()
    with storage.unit_of_work() as uow:
        assert uow.jobs.claim(LEASE - timedelta(seconds=1), 10, LEASE + timedelta(hours=1)) == []
        retaken = uow.jobs.claim(LEASE, 10, LEASE + timedelta(hours=1))
        assert [j.id for j in retaken] == [job.id]
        assert retaken[0].lease_until == LEASE + timedelta(hours=1)


def test_claim_job_takes_one_due_job_once(storage: Storage) -> None:
    with storage.unit_of_work() as uow:
        due = uow.jobs.ensure(kind="k", key="due", run_at=T0, payload={"n": 1}, now=T0)
        later = uow.jobs.ensure(kind="k", key="later", run_at=T0 + timedelta(minutes=1),
                                payload={}, now=T0)  # fmt: skip
        uow.commit()
    with storage.unit_of_work() as uow:
        assert uow.jobs.claim_job(later.id, T0, LEASE) is None  # not due yet
        assert uow.jobs.claim_job("no-such-job", T0, LEASE) is None
        taken = uow.jobs.claim_job(due.id, T0, LEASE)
        assert taken is not None and taken.id == due.id and taken.payload == {"n": 1}
        assert taken.status is JobStatus.RUNNING and taken.lease_until == LEASE
        uow.commit()
    with storage.unit_of_work() as uow:
        assert uow.jobs.claim_job(due.id, T0, LEASE) is None  # someone holds it
        assert [j.key for j in uow.jobs.claim(T0, 10, LEASE)] == []
        retaken = uow.jobs.claim_job(due.id, LEASE, LEASE + timedelta(hours=1))  # lease over
        assert retaken is not None and retaken.lease_until == LEASE + timedelta(hours=1)


def test_finish_removes_current_generation_only(storage: Storage) -> None:
    with storage.unit_of_work() as uow:
        done = uow.jobs.ensure(kind="k", key="done", run_at=T0, payload={}, now=T0)
        asked = uow.jobs.ensure(kind="k", key="asked", run_at=T0, payload={}, now=T0)
        uow.jobs.claim(T0, 10, LEASE)
        uow.jobs.retry(asked.id, run_at=T0, attempts=2, error="x")
        uow.jobs.claim(T0, 10, LEASE)
        uow.jobs.ensure(kind="k", key="asked", run_at=T0, payload={"v": 2}, now=T0)
        uow.commit()
    with storage.unit_of_work() as uow:
        assert uow.jobs.finish(done.id, done.generation) is True
        assert uow.jobs.finish(asked.id, asked.generation) is False  # an older generation
        assert uow.jobs.finish("ghost", 0) is True
        uow.commit()
    with storage.unit_of_work() as uow:
        assert uow.jobs.get(done.id) is None
        again = uow.jobs.get(asked.id)
        assert again is not None
        assert (again.status, again.attempts, again.lease_until, again.generation) == (
            JobStatus.PENDING, 0, None, 1,
        )  # fmt: skip
        assert again.payload == {"v": 2}


def test_retry_and_fail(storage: Storage) -> None:
    with storage.unit_of_work() as uow:
        job = uow.jobs.ensure(kind="k", key="1", run_at=T0, payload={}, now=T0)
        soon = T0 + timedelta(minutes=1)
        pend = uow.jobs.ensure(kind="k", key="2", run_at=soon, payload={}, now=T0)
        uow.jobs.claim(T0, 1, LEASE)
        later = T0 + timedelta(minutes=30)
        uow.jobs.retry(job.id, run_at=later, attempts=1, error="503")
        uow.jobs.retry(pend.id, run_at=later, attempts=1, error="503")  # asked sooner: kept
        uow.jobs.retry("ghost", run_at=later, attempts=1, error="503")
        uow.commit()
    with storage.unit_of_work() as uow:
        retried = uow.jobs.get(job.id)
        assert retried is not None
        assert (retried.status, retried.run_at, retried.attempts, retried.last_error) == (
            JobStatus.PENDING, later, 1, "503",
        )  # fmt: skip
        assert retried.lease_until is None
        kept = uow.jobs.get(pend.id)
        assert kept is not None and kept.run_at == soon
        uow.jobs.fail(job.id, attempts=5, error="gave up")
        uow.jobs.fail("ghost", attempts=5, error="gave up")
        uow.commit()
    with storage.unit_of_work() as uow:
        failed = uow.jobs.get(job.id)
        assert failed is not None
        assert (failed.status, failed.attempts, failed.last_error) == (
            JobStatus.FAILED, 5, "gave up",
        )  # fmt: skip
        assert uow.jobs.claim(T0 + timedelta(days=1), 10, LEASE) == [
            attrs.evolve(kept, status=JobStatus.RUNNING, lease_until=LEASE)
        ]


def test_jobs_all_by_run_at(storage: Storage) -> None:
    with storage.unit_of_work() as uow:
        uow.jobs.ensure(kind="k", key="2", run_at=T0 + timedelta(minutes=2), payload={}, now=T0)
        uow.jobs.ensure(kind="k", key="1", run_at=T0 + timedelta(minutes=1), payload={}, now=T0)
        uow.jobs.ensure(kind="j", key="3", run_at=T0 + timedelta(minutes=3), payload={}, now=T0)
        uow.commit()
    with storage.unit_of_work() as uow:
        assert [j.key for j in uow.jobs.all()] == ["1", "2", "3"]
        assert uow.jobs.get("ghost") is None


def test_job_payload_round_trips_json(storage: Storage) -> None:
    payload = {"meeting_id": "89012345678", "n": 2**40, "nested": {"l": [1, "ja: 会議"]}}
    with storage.unit_of_work() as uow:
        job = uow.jobs.ensure(kind="delete", key="m", run_at=T0, payload=payload, now=T0)
        uow.commit()
    with storage.unit_of_work() as uow:
        stored = uow.jobs.get(job.id)
        assert stored is not None and stored.payload == payload


# -- reminders and webhooks ------------------------------------------------------------------


def test_reminder_log_notes_each_reminder_once(storage: Storage) -> None:
    long_email = "x" * 200 + "@example.com"
    with storage.unit_of_work() as uow:
        assert uow.reminders.record("e1", "A@Example.com", T0) is True
        assert uow.reminders.record("e1", "a@example.com", T0) is False
        assert uow.reminders.record("e1", "a@example.com", T0 + timedelta(days=1)) is True
        assert uow.reminders.record("e2", "a@example.com", T0) is True
        assert uow.reminders.record("e1", long_email, T0) is True
        assert uow.reminders.record("e1", long_email, T0) is False
        uow.commit()
    with storage.unit_of_work() as uow:
        assert uow.reminders.record("e1", "a@example.com", T0) is False


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


def test_add_inserts_a_new_job_and_refuses_a_known_key(storage: Storage) -> None:
    job = Job(id="job-add-1", kind="mail", key="<m1@x>", payload={"n": 1}, run_at=T0, created_at=T0)
    with storage.unit_of_work() as uow:
        uow.jobs.add(job)
        uow.commit()
    with storage.unit_of_work() as uow:
        assert uow.jobs.find("mail", "<m1@x>") == job
        with pytest.raises(ConcurrentUpdate):
            uow.jobs.add(attrs.evolve(job, id="job-add-2"))


def test_purging_the_reminder_and_webhook_logs(storage: Storage) -> None:
    with storage.unit_of_work() as uow:
        assert uow.reminders.record("e1", "a@example.com", T0)
        assert uow.reminders.record("e2", "a@example.com", T0 + timedelta(days=2))
        assert uow.webhooks.record("zoom", "old", T0)
        assert uow.webhooks.record("zoom", "new", T0 + timedelta(days=2))
        uow.commit()
    with storage.unit_of_work() as uow:
        assert uow.reminders.purge(T0 + timedelta(days=1)) == 1
        assert uow.webhooks.purge(T0 + timedelta(days=1)) == 1
        uow.commit()
    with storage.unit_of_work() as uow:
        assert uow.reminders.record("e1", "a@example.com", T0)  # forgotten: new again
        assert not uow.reminders.record("e2", "a@example.com", T0 + timedelta(days=2))
        assert uow.webhooks.record("zoom", "old", T0)
        assert not uow.webhooks.record("zoom", "new", T0 + timedelta(days=2))
