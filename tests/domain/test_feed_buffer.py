"""What a unit of work notes for the host event feed until its commit numbers it
(meetlink.domain.feed.FeedBuffer, shared by the memory and SQL stores): kept in order until
the commit, dropped by a rollback, and the last commit's entries read back unchanged."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from meetlink.domain.feed import FeedBuffer
from meetlink.domain.results import HostEvent, HostEventKind, HostNotice
from meetlink.errors import StorageError

AT = datetime(2027, 3, 1, 9, 0, tzinfo=UTC)
LATER = AT + timedelta(seconds=1)
BROKEN = HostNotice(kind=HostEventKind.LINK_BROKEN, tenant_id="acme", user_id="alice")
FAILED = HostNotice(kind=HostEventKind.WORK_FAILED, tenant_id="acme", event_id="e1")
ENTRY = HostEvent(id="7", kind=HostEventKind.LINK_BROKEN, tenant_id="acme", at=AT)


def test_notices_are_kept_in_the_order_noted_until_the_commit() -> None:
    buffer = FeedBuffer()
    buffer.add(BROKEN, AT)
    buffer.add(FAILED, LATER)
    assert buffer.noted == [(BROKEN, AT), (FAILED, LATER)]
    assert buffer.written() == []  # nothing committed yet
    buffer.committed([ENTRY])
    assert buffer.noted == []
    assert buffer.written() == [ENTRY]


def test_a_notice_without_a_tenant_is_refused_and_not_kept() -> None:
    buffer = FeedBuffer()
    with pytest.raises(StorageError, match=r"^a host event needs a tenant$"):
        buffer.add(HostNotice(kind=HostEventKind.LINK_BROKEN, user_id="alice"), AT)
    assert buffer.noted == []


def test_a_rollback_drops_what_was_noted_and_keeps_the_last_commits_entries() -> None:
    buffer = FeedBuffer()
    buffer.committed([ENTRY])
    buffer.add(FAILED, LATER)
    buffer.dropped()
    assert buffer.noted == []
    assert buffer.written() == [ENTRY]


def test_each_commit_replaces_what_the_last_one_wrote() -> None:
    buffer = FeedBuffer()
    buffer.committed([ENTRY])
    buffer.committed([])
    assert buffer.written() == []


def test_what_a_caller_does_with_the_written_list_leaves_the_buffer_as_it_was() -> None:
    buffer = FeedBuffer()
    buffer.committed([ENTRY])
    buffer.written().clear()
    assert buffer.written() == [ENTRY]
