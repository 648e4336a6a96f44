"""The host event feed's rules, without I/O: which conference moves the host is told about,
and what a feed id looks like.

A feed id is the entry's number in its tenant's feed, as decimal text (``"1"``, ``"2"``...):
numbers grow by one per recorded entry, per tenant, in the order the entries committed
(the stores take care of that: docs/events.md).

What a conference move reports ([`conference_change`][meetlink.domain.feed.conference_change]),
from the host-facing view before and after it (``Conference``, where a pending replacement
still shows the meeting participants hold):

=====================================  ==================================================
before -> after                        kind
=====================================  ==================================================
any -> FAILED (was not FAILED)         ``conference_failed``
no URL (none, PENDING, FAILED) -> URL  ``conference_issued``
URL -> URL, other URL or passcode      ``conference_updated``
ISSUED -> ISSUED, meeting time changed ``conference_updated`` (what the provider meeting
                                       says: its start, length or series)
a conference -> none                   ``conference_withdrawn``
URL -> PENDING without URL             ``conference_withdrawn``
anything else                          nothing (e.g. ISSUED -> DETACHED: the link events
                                       say why; PENDING -> PENDING: nothing to tell)
=====================================  ==================================================
"""

from __future__ import annotations

import re
from datetime import datetime

from meetlink.domain.conference import ConferenceRecord, ConferenceStatus, MeetingTerms
from meetlink.domain.results import HostEvent, HostEventKind, HostNotice
from meetlink.errors import StorageError

__all__ = ["MAX_FEED_ID", "FeedBuffer", "conference_change", "feed_entry", "feed_id", "feed_number"]

#: The largest feed number (fits a signed 64-bit column on every database).
MAX_FEED_ID = 2**63 - 1
_FEED_ID = re.compile(r"(0|[1-9][0-9]{0,18})")


def feed_id(number: int) -> str:
    """The feed id of entry ``number``."""
    return str(number)


def feed_number(text: str) -> int | None:
    """The number of a feed id, or None when ``text`` is not one (no sign, no spaces, no
    leading zeros, at most ``MAX_FEED_ID``). ``"0"`` is the place before the first entry."""
    if not _FEED_ID.fullmatch(text):
        return None
    number = int(text)
    return number if number <= MAX_FEED_ID else None


def feed_entry(notice: HostNotice, number: int, at: datetime) -> HostEvent:
    """Entry ``number`` of the notice's tenant's feed, recorded ``at``."""
    return HostEvent(
        id=feed_id(number),
        kind=notice.kind,
        tenant_id=notice.tenant_id,
        user_id=notice.user_id,
        provider=notice.provider,
        event_id=notice.event_id,
        detail=notice.detail,
        at=at,
    )


class FeedBuffer:
    """The part of a store's ``HostEventLog`` every store shares: what a unit of work noted
    for the feed until its commit numbers it (``noted``), and what its last commit wrote."""

    def __init__(self) -> None:
        self.noted: list[tuple[HostNotice, datetime]] = []
        self._written: list[HostEvent] = []

    def add(self, notice: HostNotice, at: datetime) -> None:
        """Note ``notice`` for the commit."""
        if notice.tenant_id is None:
            raise StorageError("a host event needs a tenant")
        self.noted.append((notice, at))

    def written(self) -> list[HostEvent]:
        """What the last commit recorded."""
        return list(self._written)

    def committed(self, recorded: list[HostEvent]) -> None:
        """The commit went through: ``recorded`` is what it wrote."""
        self.noted.clear()
        self._written = recorded

    def dropped(self) -> None:
        """Rolled back: nothing noted is kept."""
        self.noted.clear()


def _schedule(terms: MeetingTerms | None) -> tuple[object, ...] | None:
    if terms is None:
        return None
    return (terms.start, terms.duration_minutes, terms.recurrence, terms.exdates, terms.moved)


def conference_change(
    before: ConferenceRecord | None, after: ConferenceRecord | None
) -> HostEventKind | None:
    """What the move from ``before`` to ``after`` tells the host (the table above), or None."""
    if before is None and after is None:
        return None
    if after is None:
        return HostEventKind.CONFERENCE_WITHDRAWN
    shown_after = after.public()
    if shown_after.status is ConferenceStatus.FAILED:
        failed_before = before is not None and before.public().status is ConferenceStatus.FAILED
        return None if failed_before else HostEventKind.CONFERENCE_FAILED
    shown_before = None if before is None else before.public()
    had_url = (
        shown_before is not None
        and shown_before.join_url is not None
        and (shown_before.status is not ConferenceStatus.FAILED)
    )
    if shown_after.join_url is None:
        return HostEventKind.CONFERENCE_WITHDRAWN if had_url else None
    if not had_url:
        return HostEventKind.CONFERENCE_ISSUED
    assert shown_before is not None and before is not None
    if (shown_before.join_url, shown_before.passcode) != (
        shown_after.join_url,
        shown_after.passcode,
    ):
        return HostEventKind.CONFERENCE_UPDATED
    both_issued = before.status is after.status is ConferenceStatus.ISSUED
    if both_issued and before.kept is None and after.kept is None:
        old, new = _schedule(before.synced), _schedule(after.synced)
        if old is not None and new is not None and old != new:
            return HostEventKind.CONFERENCE_UPDATED
    return None
