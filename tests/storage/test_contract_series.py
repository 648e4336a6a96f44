"""Repository contract, R2/R3: tenants' policies, series events (skipped and moved
occurrences), series terms and mail state. InMemoryStorage and SqlStorage on every backend."""

from __future__ import annotations

from datetime import timedelta

import attrs

from meetlink import IssuancePolicy, MovedOccurrence, Source, Span
from meetlink.domain.conference import MailedState, MeetingTerms
from meetlink.domain.records import EventRecord
from meetlink.ports.storage import Storage

from .factories import conference, event_record


def test_policies_put_get_replace_delete(storage: Storage) -> None:
    custom = IssuancePolicy(
        spans=frozenset({Span.TIMED, Span.ALL_DAY}),
        sources=frozenset({Source.MANUAL, Source.SCHEDULING_POLL}),
        allow_recurring=False,
    )
    with storage.unit_of_work() as uow:
        assert uow.policies.get("t1") is None
        uow.policies.put("t1", IssuancePolicy.roadmap())
        uow.policies.put("t2", custom)
        uow.commit()
    with storage.unit_of_work() as uow:
        assert uow.policies.get("t1") == IssuancePolicy.roadmap()
        assert uow.policies.get("t2") == custom
        uow.policies.put("t1", IssuancePolicy.seed())
        uow.commit()
    with storage.unit_of_work() as uow:
        assert uow.policies.get("t1") == IssuancePolicy.seed()
        assert uow.policies.delete("t1") is True
        assert uow.policies.delete("t1") is False
        uow.commit()
    with storage.unit_of_work(read_only=True) as uow:
        assert uow.policies.get("t1") is None and uow.policies.get("t2") == custom


def _series_event_record() -> EventRecord:
    record = event_record("s1")
    event = record.event
    week = timedelta(days=7)
    series = attrs.evolve(
        event,
        recurrence="FREQ=WEEKLY;COUNT=8",
        exdates=(event.start + 2 * week,),
        moved=(
            MovedOccurrence(
                event.start + week,
                event.start + week + timedelta(hours=2),
                event.end + week + timedelta(hours=2),
            ),
        ),
    )
    return attrs.evolve(record, event=series)


def test_series_events_keep_their_skipped_and_moved_occurrences(storage: Storage) -> None:
    record = _series_event_record()
    with storage.unit_of_work() as uow:
        uow.events.put(record)
        uow.commit()
    with storage.unit_of_work(read_only=True) as uow:
        stored = uow.events.get("t1", "s1")
    assert stored == record
    assert stored is not None and stored.event.moved and stored.event.exdates


def test_series_terms_and_mail_state_round_trip(storage: Storage) -> None:
    record = _series_event_record()
    event = record.event
    base = conference("s1")
    assert base.synced is not None and base.mailed is not None
    terms = attrs.evolve(
        base.synced, recurrence=event.recurrence, exdates=event.exdates, moved=event.moved
    )
    assert isinstance(terms, MeetingTerms)
    mailed = attrs.evolve(
        base.mailed,
        recurrence=event.recurrence,
        exdates=event.exdates,
        moved=event.moved,
        all_day=True,
    )
    assert isinstance(mailed, MailedState)
    conf = attrs.evolve(base, synced=terms, mailed=mailed)
    with storage.unit_of_work() as uow:
        uow.conferences.put(conf)
        uow.commit()
    with storage.unit_of_work(read_only=True) as uow:
        assert uow.conferences.get("t1", "s1") == conf
