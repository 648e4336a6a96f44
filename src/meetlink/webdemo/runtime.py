"""What the web demo's pages work with: its users, the host's own calendar, the notices
meetlink sent the host, and the wired MeetLink (built by
[`meetlink.webdemo.server`][meetlink.webdemo.server])."""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Iterable
from datetime import datetime
from pathlib import Path

import attrs

from meetlink import Event, HostNotice, MeetLink, TenantMeetLink
from meetlink.domain.results import NOTICE_KINDS

from .clock import TravelClock
from .control import EmulatorController

__all__ = ["TENANT", "USERS", "Calendar", "DemoUser", "NoticeLog", "WebDemo", "user_by_id"]

#: The one company of the demo.
TENANT = "acme"


@attrs.frozen
class DemoUser:
    """A user of the demo's host product; ``email`` is also their Zoom/Teams sign-in."""

    id: str
    name: str
    email: str
    admin: bool = False
    zoom_plan: str = "licensed"


#: alice and bob are ordinary users (bob's Zoom account is a free Basic one, S22); admin
#: changes the contract (S5) and sees the operator page.
USERS = (
    DemoUser("alice", "Alice", "alice@acme.example"),
    DemoUser("bob", "Bob", "bob@acme.example", zoom_plan="basic"),
    DemoUser("admin", "Admin", "admin@acme.example", admin=True),
)


def user_by_id(user_id: object) -> DemoUser | None:
    """The demo user with this id, or None."""
    return next((u for u in USERS if u.id == user_id), None)


class Calendar:
    """The host's own event table. In memory: every demo start begins with a new database
    and new emulators, so nothing would match a kept table anyway."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._events: dict[str, Event] = {}

    def put(self, event: Event) -> None:
        """Store (or replace) an event."""
        with self._lock:
            self._events[event.id] = event

    def get(self, event_id: str) -> Event | None:
        """The event, or None."""
        with self._lock:
            return self._events.get(event_id)

    def remove(self, event_id: str) -> None:
        """Forget the event (nothing happens when it is unknown)."""
        with self._lock:
            self._events.pop(event_id, None)

    def all(self) -> list[Event]:
        """Every event, soonest first."""
        with self._lock:
            return sorted(self._events.values(), key=lambda e: (e.start, e.title))


@attrs.frozen
class LoggedNotice:
    """A host notice and when (demo time) it arrived."""

    at: datetime
    notice: HostNotice


class NoticeLog:
    """The host notices meetlink's ``listener`` delivered, newest first (the last 200)."""

    def __init__(self, clock: TravelClock) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self._items: deque[LoggedNotice] = deque(maxlen=200)

    def __call__(self, notice: HostNotice) -> None:
        with self._lock:
            self._items.appendleft(LoggedNotice(self._clock.now(), notice))

    def all(self) -> list[LoggedNotice]:
        """Every kept notice, newest first."""
        with self._lock:
            return list(self._items)

    def for_user(self, user_id: str) -> list[LoggedNotice]:
        """The notices about ``user_id``, newest first: what she must know or act on (a
        link that ended, work that gave up), not the feed's record of every conference
        change (those show on the event itself)."""
        return [
            item
            for item in self.all()
            if item.notice.user_id == user_id and item.notice.kind in NOTICE_KINDS
        ]


@attrs.define
class WebDemo:
    """The running demo: its address, files, clock, MeetLink and the host's state."""

    base_url: str
    directory: Path
    clock: TravelClock
    meetlink: MeetLink
    calendar: Calendar
    notices: NoticeLog
    controls: dict[str, EmulatorController]
    worker_interval: float

    @property
    def tenant(self) -> TenantMeetLink:
        """meetlink for the demo's company: every user and event id below is acme's."""
        return self.meetlink.tenant(TENANT)

    @property
    def mail_dir(self) -> Path:
        """Where the captured mail is written (one .eml file per message)."""
        return self.directory / "mail"

    @property
    def providers(self) -> Iterable[str]:
        """The provider keys, Zoom first."""
        return sorted(self.meetlink.provider_keys, key=lambda key: (key != "zoom", key))
