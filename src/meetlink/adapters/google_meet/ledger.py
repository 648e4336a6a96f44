"""The space ledger: what meetlink knows of the Meet spaces it made, by conference marker.

A Space has no field meetlink could write its marker into (``resource.proto``: name,
meetingUri, meetingCode, config, activeConference), and Meet v2 cannot list a user's spaces.
So the adapter keeps the marker's side itself:

- ``begin(marker)`` is written *before* ``POST /v2/spaces``;
- ``made(marker, name, uri)`` the moment the answer is read, before the caller sees it;
- ``closed(name)`` when meetlink ended the space's conference and restricted it.

A retried create for a marker whose space is in the ledger gets that space back (no second
space), and ``find_by_marker`` answers from it. A create whose answer was lost on the wire
(``begin`` without ``made``) cannot be found by anyone: the space exists at Google, but no one
outside Google holds its URI (it is in no mail, no calendar, no record), and Meet v2 offers no
way to list or delete it. An entry's ``attempts`` beyond its ``spaces`` count such creates
(docs/google-meet.md, "Lost creates").

[`MemorySpaceLedger`][meetlink.adapters.google_meet.ledger.MemorySpaceLedger] keeps the ledger in
the process (bounded). Several processes that share a database should share one ledger (pass the
same object, or an implementation of
[`SpaceLedger`][meetlink.adapters.google_meet.ledger.SpaceLedger] over shared storage): with
one ledger per process, a space made by a process that died before
meetlink stored it is not found by another process.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from typing import Protocol

import attrs

__all__ = ["LedgerEntry", "MemorySpaceLedger", "SpaceLedger"]


@attrs.frozen
class LedgerEntry:
    """What the ledger holds for one marker: the creates begun, the spaces they made, and
    which of those meetlink closed (read together: one lookup per marker)."""

    attempts: int = 0
    spaces: tuple[tuple[str, str], ...] = ()  # (name, meetingUri) in the order made
    closed: frozenset[str] = frozenset()  # the names of those spaces meetlink closed

    def open_spaces(self) -> tuple[tuple[str, str], ...]:
        """The spaces made and not closed, in the order made."""
        return tuple(space for space in self.spaces if space[0] not in self.closed)


class SpaceLedger(Protocol):
    """**Protocol:** where the Google Meet adapter writes what it made (thread-safe)."""

    def begin(self, marker: str) -> None:
        """A create for ``marker`` is about to be sent."""
        ...

    def made(self, marker: str, name: str, meeting_uri: str) -> None:
        """The create for ``marker`` made space ``name``."""
        ...

    def entry(self, marker: str) -> LedgerEntry:
        """What is known of ``marker`` (an empty entry when nothing), with which of its spaces
        are closed."""
        ...

    def marker_of(self, name: str) -> str | None:
        """The marker whose create made space ``name``."""
        ...

    def close(self, name: str) -> bool:
        """Space ``name`` was closed; False when it already was."""
        ...

    def is_closed(self, name: str) -> bool:
        """Whether meetlink closed space ``name``."""
        ...


class MemorySpaceLedger:
    """A [`SpaceLedger`][meetlink.adapters.google_meet.ledger.SpaceLedger] in this process: at
    most ``max_markers`` markers (the oldest go first) and as many closed spaces."""

    def __init__(self, max_markers: int = 100_000) -> None:
        self._entries: OrderedDict[str, LedgerEntry] = OrderedDict()
        self._markers: dict[str, str] = {}
        self._closed: OrderedDict[str, None] = OrderedDict()
        self._max = max_markers
        self._lock = threading.Lock()

    def _put(self, marker: str, entry: LedgerEntry) -> None:
        self._entries[marker] = entry
        self._entries.move_to_end(marker)
        while len(self._entries) > self._max:
            _, old = self._entries.popitem(last=False)
            for name, _uri in old.spaces:
                self._markers.pop(name, None)

    def begin(self, marker: str) -> None:
        with self._lock:
            entry = self._entries.get(marker, LedgerEntry())
            self._put(marker, attrs.evolve(entry, attempts=entry.attempts + 1))

    def made(self, marker: str, name: str, meeting_uri: str) -> None:
        with self._lock:
            entry = self._entries.get(marker, LedgerEntry(attempts=1))
            if all(known != name for known, _ in entry.spaces):
                entry = attrs.evolve(entry, spaces=(*entry.spaces, (name, meeting_uri)))
            self._put(marker, entry)
            self._markers[name] = marker

    def entry(self, marker: str) -> LedgerEntry:
        with self._lock:
            entry = self._entries.get(marker, LedgerEntry())
            closed = frozenset(name for name, _ in entry.spaces if name in self._closed)
            return attrs.evolve(entry, closed=closed)

    def marker_of(self, name: str) -> str | None:
        with self._lock:
            return self._markers.get(name)

    def close(self, name: str) -> bool:
        with self._lock:
            if name in self._closed:
                return False
            self._closed[name] = None
            while len(self._closed) > self._max:
                self._closed.popitem(last=False)
            return True

    def is_closed(self, name: str) -> bool:
        with self._lock:
            return name in self._closed
