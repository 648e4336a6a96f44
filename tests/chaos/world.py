"""The chaos world: one database, the Zoom emulator, two MeetLink instances on them (one saving
inline, one leaving the provider work to workers, as a web process and a worker process
would), many tenants, users and Zoom accounts, Google Meet beside Zoom (every user also links
a Google account; about a fifth of the events ask for Meet), and a seeded random workload
through the public API only.

Faults come from ``ZoomEmulator.fail_next`` (5xx, 429 with any Retry-After, lost answers),
on any path the library calls, and from ``GoogleMeetEmulator.fail_next`` on Meet's paths (the
measured fault share is Zoom's). The clock jumps from a minute to days. The workload saves,
edits and deletes events (also two saves of one event at once from two threads), runs
workers and reminders, unlinks, links again, re-issues on another account (S21), takes
accounts over, removes the app with its deauthorization webhook delivered or lost, and
replays webhooks. :meth:`ChaosWorld.finish` then drains, relinks every Zoom account, drains
again and checks what must hold (:mod:`tests.chaos.checks`).
"""

from __future__ import annotations

import logging
import random
import re
import threading
import time
from collections import Counter, defaultdict
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import TypeVar

import attrs

from meetlink import (
    AccountLink,
    ConferenceStatus,
    Event,
    MeetLink,
    MeetLinkError,
    Participant,
    SaveResult,
)
from meetlink.adapters.google_meet import GoogleMeetProvider
from meetlink.adapters.mail import JinjaMailComposer
from meetlink.adapters.zoom import ZoomProvider
from meetlink.domain.results import HostNotice
from meetlink.emulators.google_meet import GoogleUser
from meetlink.emulators.zoom import ZoomUser
from meetlink.ports.provider import Meeting, MeetingRequest
from meetlink.testing import Sandbox

T = TypeVar("T")
TENANTS = ("t0", "t1", "t2")


def tenant_of(user: str) -> str:
    """The tenant of a host user of the chaos world (``<tenant>-u<n>``)."""
    return user.split("-")[0]


USERS_PER_TENANT = 4
PARTICIPANTS = tuple(Participant(f"p{i}@example.com", f"P{i}", locale="en") for i in range(8))
#: Clock jumps, from a minute to days.
JUMPS = (
    timedelta(minutes=1),
    timedelta(minutes=7),
    timedelta(minutes=30),
    timedelta(hours=2),
    timedelta(hours=9),
    timedelta(days=1),
    timedelta(days=3),
)
#: (method, path prefix, statuses) a fault may hit.
FAULT_TARGETS: tuple[tuple[str | None, str | None, tuple[int, ...]], ...] = (
    ("POST", "/v2/users/me/meetings", (500, 503, 0, 429)),
    ("PATCH", "/v2/meetings/", (500, 503, 0, 429)),
    ("DELETE", "/v2/meetings/", (500, 503, 0, 429)),
    ("GET", "/v2/users/me/meetings", (500, 503, 429)),
    ("GET", "/v2/users/me", (500, 503)),
    ("POST", "/oauth/token", (500, 503)),
    (None, None, (500, 503, 0, 429)),
)
RETRY_AFTER = (1, 30, 120, 900, 3600, 6 * 3600)
#: (method, path prefix, statuses) a fault at Google may hit (lost creates included).
MEET_FAULT_TARGETS: tuple[tuple[str | None, str | None, tuple[int, ...]], ...] = (
    ("POST", "/v2/spaces", (500, 503, 0, 429)),
    ("PATCH", "/v2/spaces/", (500, 503, 0, 429)),
    ("GET", "/v2/spaces/", (500, 503, 429)),
    ("POST", "/token", (500, 503)),
    (None, None, (500, 503, 0)),
)

MEET = "google_meet"


class JobLog(logging.Handler):
    """Counts the job runner's outcomes from its log lines (meetlink.jobs)."""

    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.counts: Counter[str] = Counter()
        self._lock2 = threading.Lock()

    def emit(self, record: logging.LogRecord) -> None:
        text = record.getMessage()
        with self._lock2:
            if "failed for good" in text:
                self.counts["failed"] += 1
            elif " parked (" in text:
                self.counts["parked"] += 1
            elif "; again at " in text:
                waited = "RateLimited" in text
                self.counts["waited (rate limit)" if waited else "retried"] += 1
            elif text.endswith(" done"):
                self.counts["done"] += 1


@attrs.define
class Account:
    """A Zoom account of the emulator and the host user who last linked it."""

    zoom: ZoomUser
    holder: str | None = None


class ChaosWorld:
    """One seeded chaos run on the database at ``url``."""

    def __init__(self, url: str, *, seed: int, now: datetime) -> None:
        self.rng = random.Random(seed)
        random.seed(seed)  # the retry jitter
        self.notices: Counter[str] = Counter()  # what the host's listener was told
        self.sandbox = Sandbox(now=now, database_url=url, isolate=False, seed=seed,
                               sync_inline=True, listener=self._notice,
                               with_meet=True)  # fmt: skip
        self.zoom = self.sandbox.zoom
        assert self.sandbox.meet is not None and self.sandbox.meet_provider is not None
        self.meet = self.sandbox.meet
        self.clock = self.sandbox.clock
        self.inline = self.sandbox.meetlink
        # A second process on the same database: workers only, saves leave the work to them.
        self._provider: ZoomProvider = self.zoom.provider(clock=self.clock)
        # One ledger of the spaces made, shared by the two instances (docs/google-meet.md).
        ledger = self.sandbox.meet_provider.ledger
        self._meet_provider: GoogleMeetProvider = self.meet.provider(clock=self.clock,
                                                                     ledger=ledger)  # fmt: skip
        self.space_events: dict[str, str] = {}  # Meet space name -> the event it was made for
        self._watch_meet(self.sandbox.meet_provider, "inline")
        self._watch_meet(self._meet_provider, "queued")
        self.queued = MeetLink(
            storage=self.sandbox.storage,
            providers=[self._provider, self._meet_provider],
            mailer=self.sandbox.mailer,
            composer=JinjaMailComposer(),
            clock=self.clock,
            sync_inline=False,
            listener=self._notice,
        )
        self.ops: Counter[str] = Counter()
        self.slow: list[tuple[str, float]] = []  # operations that took over a second
        self.history: defaultdict[str, list[str]] = defaultdict(list)  # event id -> lines
        self.step = 0
        self.mailed = 0
        self.seconds: defaultdict[str, float] = defaultdict(float)  # wall time per operation
        self.saves: Counter[str] = Counter()  # conference status (and refusals) after a save
        self.errors: Counter[str] = Counter()
        self.succeeded: Counter[str] = Counter()  # facade calls that returned (links made too)
        self.faults_injected = 0
        self.events: dict[str, Event] = {}  # the last saved version of each live event
        self.deleted: set[str] = set()
        self.next_event = 0
        self.users = [f"{t}-u{i}" for t in TENANTS for i in range(USERS_PER_TENANT)]
        self.accounts: dict[str, Account] = {}  # Zoom user id ->
        self.home: dict[str, str] = {}  # host user -> the Zoom account they link by default
        self.google: dict[str, GoogleUser] = {}  # host user -> their Google account
        self.meet_faults = 0
        self.webhooks: list[tuple[datetime, dict[str, str], bytes]] = []
        self.started: set[str] = set()  # meetings in progress
        self.start_urls: set[str] = set()
        self.meeting_ids: set[str] = set()
        self.log = JobLog()
        self.wall = 0.0
        self.started_at = now
        self.faults_served = 0
        self.faults_cleared = 0
        self.workload_requests = 0
        self.linked_at_end = 0

    def _link_of(self, user: str) -> AccountLink | None:
        """The active link of a host user (``<tenant>-u<n>``), in their tenant."""
        return self.inline.link(user, tenant_id=tenant_of(user))

    def _notice(self, notice: HostNotice) -> None:
        self.notices[notice.kind.value] += 1

    # -- set-up ------------------------------------------------------------------------------

    def setup(self) -> None:
        for tenant in TENANTS:
            self.inline.contract(tenant)
        for user in self.users:
            account = self._new_account(user)
            self.home[user] = account.zoom.id
            self._link(user, account)
            self.google[user] = self.meet.add_user(f"{user}.g@example.com")
            self._link_meet(user)

    def _link_meet(self, user: str, tries: int = 3) -> bool:
        """``user`` links their Google account (again)."""
        tenant = tenant_of(user)
        for _ in range(tries):
            try:
                request = self._any().begin_link(tenant, user, provider=MEET)
                params = self.meet.consent(request.authorize_url, self.google[user])
                self._any().complete_link(params["state"], code=params["code"],
                                          user_id=user, tenant_id=tenant)  # fmt: skip
            except MeetLinkError as exc:
                self.errors[f"link meet: {type(exc).__name__}"] += 1
                continue
            return True
        return False

    def _new_account(self, user: str) -> Account:
        n = len(self.accounts)
        zoom_user = self.zoom.add_user(f"{user}.z{n}@example.com",
                                       plan="basic" if n % 5 == 4 else "licensed")  # fmt: skip
        account = Account(zoom_user)
        self.accounts[zoom_user.id] = account
        return account

    def _link(self, user: str, account: Account, tries: int = 3) -> bool:
        """``user`` links ``account`` through the OAuth flow; a user whose link failed
        (Zoom answered a fault) tries again, up to ``tries`` times."""
        tenant = tenant_of(user)
        for _ in range(tries):
            try:
                request = self._any().begin_link(tenant, user)
                params = self.zoom.consent(request.authorize_url, account.zoom)
                self._any().complete_link(params["state"], code=params["code"],
                                          user_id=user, tenant_id=tenant)  # fmt: skip
            except MeetLinkError as exc:
                self.errors[f"link: {type(exc).__name__}"] += 1
                continue
            self.succeeded["link"] += 1
            account.holder = user
            return True
        return False

    def _watch_meet(self, provider: GoogleMeetProvider, who: str) -> None:
        """Write what the Google Meet adapter does into the history of the event it does it
        for (the event id is in the meeting topic), so that a space left serving no event has a
        story when a check fails."""
        create, delete, find = (provider.create_meeting, provider.delete_meeting,
                                provider.find_by_marker)  # fmt: skip

        def created(access_token: str, request: MeetingRequest) -> Meeting:
            found = re.search(r"\[(ev\d+)\]", request.terms.topic)
            event_id = found.group(1) if found else "?"
            try:
                meeting = create(access_token, request)
            except Exception as exc:
                self.note(event_id, f"{who}: meet create {request.marker[:8]} raised "
                                    f"{type(exc).__name__}")  # fmt: skip
                raise
            self.space_events[meeting.meeting_id] = event_id
            self.note(event_id, f"{who}: meet create {request.marker[:8]} -> {meeting.meeting_id}")
            return meeting

        def deleted(access_token: str, meeting_id: str) -> bool:
            event_id = self.space_events.get(meeting_id, "?")
            try:
                done = delete(access_token, meeting_id)
            except Exception as exc:
                self.note(event_id, f"{who}: meet delete {meeting_id} raised {type(exc).__name__}")
                raise
            self.note(event_id, f"{who}: meet delete {meeting_id} -> {done}")
            return done

        def searched(access_token: str, marker: str) -> list[Meeting]:
            found = find(access_token, marker)
            for meeting in found:
                event_id = self.space_events.get(meeting.meeting_id, "?")
                self.note(event_id, f"{who}: meet find {marker[:8]} -> {meeting.meeting_id}")
            return found

        provider.create_meeting = created  # type: ignore[method-assign]
        provider.delete_meeting = deleted  # type: ignore[method-assign]
        provider.find_by_marker = searched  # type: ignore[method-assign]

    def _any(self) -> MeetLink:
        return self.inline if self.rng.random() < 0.5 else self.queued

    # -- the workload ------------------------------------------------------------------------

    def run(self, operations: int, fault_share: float) -> None:
        logger = logging.getLogger("meetlink.jobs")
        level = logger.level
        logger.addHandler(self.log)
        logger.setLevel(logging.INFO)
        started = time.perf_counter()
        try:
            self.setup()
            kinds, weights = zip(*self.WEIGHTS.items(), strict=True)
            for _ in range(operations):
                # Faults wait in the emulator until a matching request comes: inject while
                # the share of Zoom's answers that were faults is below the target (and few
                # wait), so that it lands near it whatever the workload asks.
                pending = self.zoom.pending_faults()
                if pending > 6:  # rules for requests that do not come: Zoom heals
                    self.faults_cleared += pending
                    self.zoom.clear_faults()
                    pending = 0
                served = self.faults_injected - self.faults_cleared - pending
                owed = fault_share * len(self.zoom.requests) - served - pending
                if owed >= 1 or self.rng.random() < fault_share / 4:
                    self._inject_fault(max(1, min(3, round(owed))))
                if self.rng.random() < fault_share / 3 and self.meet.pending_faults() < 4:
                    self._inject_meet_fault()
                kind = self.rng.choices(kinds, weights)[0]
                self.ops[kind] += 1
                self.step += 1
                began = time.perf_counter()
                getattr(self, f"op_{kind}")()
                took = time.perf_counter() - began
                self.seconds[kind] += took
                if took > 1:
                    self.slow.append((kind, round(took, 1)))
                self._observe()
            pending = self.zoom.pending_faults()
            self.faults_served = self.faults_injected - self.faults_cleared - pending
            self.workload_requests = len(self.zoom.requests)
            self.linked_at_end = sum(self._link_of(u) is not None for u in self.users)
        finally:
            self.wall = time.perf_counter() - started
            logger.removeHandler(self.log)
            logger.setLevel(level)

    WEIGHTS: dict[str, float] = {  # noqa: RUF012
        "save_new": 18,
        "save_edit": 16,
        "delete": 5,
        "run_pending": 15,
        "advance": 8,
        "reminders": 2,
        "reminder_time": 3,
        "retry": 2,
        "parallel_workers": 3,
        "meeting_starts": 1.5,
        "meeting_ends": 1.5,
        "contract_ends": 0.4,
        "contract_again": 2.5,
        "concurrent_saves": 3,
        "unlink": 1,
        "relink": 6,
        "reissue": 2,
        "takeover": 2,
        "remove_app_delivered": 1,
        "remove_app_lost": 1,
        "replay_webhook": 1.5,
        "meet_revoked": 0.8,
        "meet_relink": 2,
    }

    def _inject_fault(self, count: int) -> None:
        generic = self.rng.random() < 0.6
        method, path, statuses = FAULT_TARGETS[-1] if generic else self.rng.choice(FAULT_TARGETS)
        status = self.rng.choice(statuses)
        retry_after = self.rng.choice(RETRY_AFTER)
        self.zoom.fail_next(count, status=status, method=method, path=path,
                            retry_after=retry_after)  # fmt: skip
        self.faults_injected += count

    def _inject_meet_fault(self) -> None:
        method, path, statuses = self.rng.choice(MEET_FAULT_TARGETS)
        self.meet.fail_next(1, status=self.rng.choice(statuses), method=method, path=path,
                            retry_after=self.rng.choice((None, *RETRY_AFTER[:3])))  # fmt: skip
        self.meet_faults += 1

    def note(self, event_id: str, line: str) -> None:
        """Add to the event's history (printed when a check fails)."""
        self.history[event_id].append(f"#{self.step} {self.clock.now():%m-%d %H:%M} {line}")

    def _observe(self) -> None:
        """Remember every meeting and start URL Zoom has shown (start URLs must never be
        mailed, also those of meetings deleted since), and what each mail told."""
        from .checks import read_mail

        outbox = self.sandbox.outbox
        for message in outbox[self.mailed :]:
            mail = read_mail(0, message)
            url = mail.url and mail.url.split("?")[0]
            self.note(mail.event_id, f"mail to {mail.to}: {mail.method or 'reminder'} "
                      f"seq={mail.sequence} {mail.start} {url}")  # fmt: skip
        self.mailed = len(outbox)
        for meeting in self.zoom.meetings():
            self.meeting_ids.add(str(meeting["id"]))
            self.start_urls.add(meeting["start_url"])

    def _call(self, what: str, call: Callable[[], T]) -> T | None:
        """A facade call: only meetlink's own errors may escape, and they are counted."""
        try:
            returned = call()
        except MeetLinkError as exc:
            self.errors[f"{what}: {type(exc).__name__}"] += 1
            return None
        self.succeeded[what] += 1
        return returned

    # events

    def _event(self, event_id: str, user: str) -> Event:
        start = self.clock.now() + self.rng.choice(
            (
                timedelta(minutes=12),
                timedelta(hours=3),
                timedelta(days=1),
                timedelta(days=6),
                timedelta(days=20),
            )
        )
        start = start.replace(second=0, microsecond=0)
        return Event(
            event_id,
            user.split("-")[0],
            user,
            f"[{event_id}] meeting",
            start,
            start + timedelta(minutes=self.rng.choice((30, 45, 60, 90))),
            timezone=self.rng.choice(("Asia/Tokyo", "UTC", "Europe/Paris")),
            participants=tuple(self.rng.sample(PARTICIPANTS, self.rng.randint(0, 3))),
            web_meeting=self._box(),
        )

    def _box(self) -> str | None:
        """What the "Web conference" box asks for: Zoom, Google Meet, or nothing."""
        roll = self.rng.random()
        return "zoom" if roll < 0.65 else MEET if roll < 0.85 else None

    def _edit(self, event: Event) -> Event:
        change = self.rng.choice(("time", "time", "time", "title", "people", "people", "box"))
        if change == "time":
            shift = self.rng.choice((-1, 1)) * self.rng.choice(
                (timedelta(minutes=15), timedelta(hours=1), timedelta(days=1))
            )
            return attrs.evolve(event, start=event.start + shift, end=event.end + shift)
        if change == "title":
            return attrs.evolve(event, title=f"[{event.id}] moved {self.rng.randint(0, 999)}")
        if change == "people":
            people = tuple(self.rng.sample(PARTICIPANTS, self.rng.randint(0, 3)))
            return attrs.evolve(event, participants=people)
        return attrs.evolve(event, web_meeting=None if event.web_meeting else self._box())

    def _save(self, ml: MeetLink, event: Event) -> None:
        result = self._call("save_event", lambda: ml.save_event(event))
        self._note_save(ml, event, result)
        if result is not None:
            self.events[event.id] = event
            conf = result.conference
            outcome = "none" if conf is None else conf.status.value
            refusals = ",".join(r.value for r in result.refusals)
            self.saves[f"{outcome} {refusals}".strip()] += 1

    def op_save_new(self) -> None:
        event_id = f"ev{self.next_event}"
        self.next_event += 1
        self._save(self._any(), self._event(event_id, self.rng.choice(self.users)))

    def _note_save(self, ml: MeetLink, event: Event, result: SaveResult | None) -> None:
        way = "inline" if ml is self.inline else "queued"
        people = ",".join(p.email.split("@")[0] for p in event.participants)
        conf = None if result is None else result.conference
        told = (
            "error"
            if result is None
            else (conf and f"{conf.status.value} {conf.meeting_id} {conf.external_account_id}")
        )
        self.note(event.id, f"save ({way}) by {event.owner_id} box={event.web_meeting} "
                  f"[{people}] {event.start:%m-%d %H:%M} -> {told}")  # fmt: skip

    def _pick(self) -> Event | None:
        if not self.events:
            return None
        return self.events[self.rng.choice(sorted(self.events))]

    def op_save_edit(self) -> None:
        if (event := self._pick()) is not None:
            self._save(self._any(), self._edit(event))

    def op_delete(self) -> None:
        if (event := self._pick()) is None:
            return
        actor = self.rng.choice([event.owner_id, *self.users])
        ml = self._any()
        if self._call(
            "delete_event",
            lambda: ml.delete_event(event.id, actor_id=actor, tenant_id=event.tenant_id),
        ):
            self.note(event.id, f"deleted by {actor}")
            del self.events[event.id]
            self.deleted.add(event.id)

    def op_retry(self) -> None:
        for event_id in self.rng.sample(sorted(self.events), min(8, len(self.events))):
            tenant = self.events[event_id].tenant_id
            conf = self.inline.conference(event_id, tenant_id=tenant)
            if conf is not None and conf.status is ConferenceStatus.FAILED:
                ml = self._any()
                self._call("retry", lambda e=event_id, m=ml, t=tenant: m.retry(e, tenant_id=t))  # type: ignore[misc]
                return

    def op_concurrent_saves(self) -> None:
        """Two saves of one event at once (a double click, two editors), one per instance."""
        event = self._pick()
        if event is None:
            return
        first, second = self._edit(event), self._edit(event)
        gate = threading.Barrier(2)
        failures: list[BaseException] = []

        def save(ml: MeetLink, version: Event) -> None:
            try:
                gate.wait(10)
                ml.save_event(version)
            except MeetLinkError as exc:
                self.errors[f"concurrent save: {type(exc).__name__}"] += 1
            except BaseException as exc:
                failures.append(exc)

        threads = [
            threading.Thread(target=save, args=(self.inline, first)),
            threading.Thread(target=save, args=(self.queued, second)),
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(120)
        assert not failures, failures
        stored = self.inline.event(event.id, tenant_id=event.tenant_id)
        assert stored in (first, second, event), (stored, first, second)
        if stored is not None:
            self.events[event.id] = stored
            kept = "first" if stored == first else "second" if stored == second else "neither"
            conf = self.inline.conference(event.id, tenant_id=event.tenant_id)
            self.note(event.id, f"two saves at once; kept {kept}: {conf}")

    # workers and time

    def op_run_pending(self) -> None:
        ml = self._any()
        self._call("run_pending", lambda: ml.run_pending(max_jobs=self.rng.choice((None, 5))))

    def op_parallel_workers(self) -> None:
        """Two workers (one per instance) run the due jobs at the same moment."""
        gate = threading.Barrier(2)
        failures: list[BaseException] = []

        def work(ml: MeetLink) -> None:
            try:
                gate.wait(10)
                ml.run_pending()
            except MeetLinkError as exc:
                self.errors[f"parallel run_pending: {type(exc).__name__}"] += 1
            except BaseException as exc:
                failures.append(exc)

        threads = [threading.Thread(target=work, args=(ml,)) for ml in (self.inline, self.queued)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(300)
        assert not failures, failures

    def op_meeting_starts(self) -> None:
        """The host starts a meeting: Zoom refuses to delete it (3002) until it ends."""
        live = sorted(str(m["id"]) for m in self.zoom.meetings() if m.get("status") != "started")
        if live:
            meeting_id = self.rng.choice(live)
            self.zoom.start_meeting(meeting_id)
            self.started.add(meeting_id)

    def op_meeting_ends(self) -> None:
        if self.started:
            self._end(self.rng.choice(sorted(self.started)))

    def _end(self, meeting_id: str) -> None:
        self.started.discard(meeting_id)
        if any(str(m["id"]) == meeting_id for m in self.zoom.meetings()):
            self.zoom.end_meeting(meeting_id)

    def op_contract_ends(self) -> None:
        """A tenant's contract ends: issued URLs stay, new ones are refused."""
        tenant = self.rng.choice(TENANTS)
        if self.inline.subscription(tenant).state.value == "contracted":
            self._call("cancel_contract", lambda: self._any().cancel_contract(tenant))

    def op_contract_again(self) -> None:
        self._call("contract", lambda: self._any().contract(self.rng.choice(TENANTS)))

    def op_advance(self) -> None:
        self.clock.advance(self.rng.choice(JUMPS))

    def op_reminders(self) -> None:
        self._call("send_due_reminders", self._any().send_due_reminders)

    def op_reminder_time(self) -> None:
        """Time comes to just before an event ahead starts; reminders are sent (twice, by
        both instances: a double scheduler)."""
        ahead = [e for e in self.events.values() if e.start > self.clock.now()]
        if not ahead:
            return
        event = min(ahead, key=lambda e: e.start)
        lead = self.rng.choice((timedelta(minutes=2), timedelta(minutes=5), timedelta(0)))
        self.clock.set(max(self.clock.now(), event.start - lead))
        self._call("run_pending", self.inline.run_pending)
        for ml in (self.inline, self.queued):
            self._call("send_due_reminders", ml.send_due_reminders)

    # links

    def _holding(self) -> list[tuple[str, Account]]:
        """(host user, account) for every active link."""
        held = []
        for user in self.users:
            link = self._link_of(user)
            if link is not None:
                held.append((user, self.accounts[link.external_account_id]))
        return held

    def op_meet_revoked(self) -> None:
        """A user removes the app from their Google account: no webhook; the next refresh
        answers invalid_grant."""
        self.meet.remove_app(self.google[self.rng.choice(self.users)])

    def op_meet_relink(self) -> None:
        user = self.rng.choice(self.users)
        if self.inline.link(user, MEET, tenant_id=tenant_of(user)) is None:
            self._link_meet(user)

    def op_unlink(self) -> None:
        user = self.rng.choice(self.users)
        self._call("unlink", lambda: self._any().unlink(user, tenant_id=tenant_of(user)))

    def op_relink(self) -> None:
        """A user links their account again (mostly one whose link is gone)."""
        sample = self.rng.sample(self.users, 4)
        unlinked = [u for u in sample if self._link_of(u) is None]
        user = self.rng.choice(unlinked if unlinked and self.rng.random() < 0.8 else self.users)
        self._link(user, self.accounts[self.home[user]])

    def op_reissue(self) -> None:
        """S21: the owner links another Zoom account and saves their events again."""
        user = self.rng.choice(self.users)
        current = self._link_of(user)
        spare = [a for a in self.accounts.values() if a.holder is None]
        account = self.rng.choice(spare) if spare and self.rng.random() < 0.5 else None
        if account is None or (current and account.zoom.id == current.external_account_id):
            account = self._new_account(user)
        if current is not None and self.rng.random() < 0.5:
            self._call("unlink", lambda: self._any().unlink(user, tenant_id=tenant_of(user)))
        if not self._link(user, account):
            return
        self.home[user] = account.zoom.id
        for event in [e for e in self.events.values() if e.owner_id == user][:6]:
            self._save(self._any(), event)

    def op_takeover(self) -> None:
        """Another user links a Zoom account someone holds (S9)."""
        held = self._holding()
        if not held:
            return
        holder, account = self.rng.choice(held)
        taker = self.rng.choice([u for u in self.users if u != holder])
        self._link(taker, account)

    def _remove_app(self, deliver: bool) -> None:
        held = self._holding()
        if not held:
            return
        _, account = self.rng.choice(held)
        headers, body = self.zoom.remove_app(account.zoom)
        account.holder = None
        if deliver:
            ml = self._any()
            reply = self._call("handle_webhook", lambda: ml.handle_webhook("zoom", headers, body))
            assert reply is not None and reply.status == 200, reply
            self.webhooks.append((self.clock.now(), headers, body))

    def op_remove_app_delivered(self) -> None:
        self._remove_app(deliver=True)

    def op_remove_app_lost(self) -> None:
        self._remove_app(deliver=False)

    def op_replay_webhook(self) -> None:
        """A delivery arrives again: 200 and no change while fresh, 401 once stale; never
        does it remove a link made after it was sent."""
        if not self.webhooks:
            return
        sent_at, headers, body = self.rng.choice(self.webhooks)
        before = {u: self._link_of(u) for u in self.users}
        reply = self._any().handle_webhook("zoom", headers, body)
        assert reply.status in (200, 401), reply
        for user, link in before.items():
            if link is not None and link.linked_at > sent_at:
                assert self._link_of(user) == link, (user, "lost to a replayed webhook")

    # -- the end -----------------------------------------------------------------------------

    def drain(self, *, limit: int = 400) -> None:
        """Workers run until no job is due or waiting on time (parked deletions may stay),
        time passing as it must."""
        self.zoom.clear_faults()
        self.meet.clear_faults()
        for meeting_id in sorted(self.started):  # every meeting in progress ends
            self._end(meeting_id)
        for _ in range(limit):
            self.queued.run_pending()
            self.inline.run_pending()
            pending = [j for j in self.inline.pending_jobs(limit=1000)
                       if not (j.last_error or "").startswith("parked")]  # fmt: skip
            if not pending:
                self._observe()  # what the drain made: its start URLs count as shown too
                return
            soonest = min(job.run_at for job in pending)
            self.clock.set(max(self.clock.now() + timedelta(seconds=1), soonest))
        raise AssertionError(f"not drained: {self.inline.pending_jobs()}")

    def relink_every_account(self) -> None:
        """Every Zoom account is linked again (by a user of its own: no two accounts per
        user), so parked deletions and detached conferences can run; then drain."""
        for tenant in TENANTS:
            self.inline.contract(tenant)
        for n, account in enumerate(self.accounts.values()):
            fixer = f"t0-fixer{n}"
            if not self._link(fixer, account):
                raise AssertionError(f"could not link {account.zoom.email} again")
        for user in self.users:  # every Google account again, by its own user: a fresh grant
            # (one the user revoked at Google still looks linked until a refresh fails)
            if not self._link_meet(user):
                raise AssertionError(f"could not link {user}'s Google account again")
        self.drain()

    def close(self) -> None:
        self.queued.close()
        self._provider.close()
        self._meet_provider.close()
        self.sandbox.close()
