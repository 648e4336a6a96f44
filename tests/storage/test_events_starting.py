"""``EventRepository.starting``: the events starting in a window, of every tenant, keyset paged
by (start, tenant, event) the same on every store (the meeting check walks it)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import attrs

from meetlink.ports.storage import Storage

from .factories import event_record

BASE = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)


def test_starting_pages_through_the_window_in_order(storage: Storage) -> None:
    layout = [  # (tenant, event, minutes after BASE)
        ("t2", "a", 0), ("t1", "b", 0), ("t1", "a", 0), ("t1", "c", 30), ("t3", "z", 59),
        ("t1", "early", -1), ("t1", "late", 60), ("t2", "far", 60 * 24),
    ]  # fmt: skip
    with storage.unit_of_work() as uow:
        for tenant, event_id, minutes in layout:
            record = event_record(event_id, tenant)
            start = BASE + timedelta(minutes=minutes)
            event = attrs.evolve(record.event, start=start, end=start + timedelta(minutes=30))
            uow.events.add(attrs.evolve(record, event=event))
        uow.commit()
    seen: list[tuple[str, str]] = []
    after = None
    with storage.unit_of_work(read_only=True) as uow:
        while page := uow.events.starting(BASE, BASE + timedelta(hours=1), limit=2, after=after):
            assert len(page) <= 2
            seen.extend((r.event.tenant_id, r.event.id) for r in page)
            last = page[-1].event
            after = (last.start, last.tenant_id, last.id)
    assert seen == [("t1", "a"), ("t1", "b"), ("t2", "a"), ("t1", "c"), ("t3", "z")]
