"""``meetlink demo``: the seed's whole story on the embedded defaults.

SQLite file storage, the Zoom emulator served over real HTTP on 127.0.0.1 (OAuth, REST and
webhooks go through sockets), mail captured as .eml files, and a manual clock so fourteen
days of trial pass in a second. Every step checks what it claims and fails loudly if not;
every captured mail is read back from its file by two parsers and must show exactly the text
that was sent
([`meetlink.testing.mailcheck.mail_problems`][meetlink.testing.mailcheck.mail_problems]), its
event's title included.
"""

from __future__ import annotations

import tempfile
from datetime import UTC, datetime, timedelta
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from pathlib import Path

import attrs

from meetlink import (
    Conference,
    ConferenceStatus,
    Event,
    HostNotice,
    IssuancePolicy,
    MeetLink,
    MovedOccurrence,
    Participant,
    Refusal,
    Source,
)
from meetlink.adapters.clock import ManualClock
from meetlink.adapters.mail import DirectoryMailer, JinjaMailComposer
from meetlink.adapters.sqlalchemy import SqlStorage, generate_key
from meetlink.emulators.zoom import ZoomEmulator, ZoomUser
from meetlink.errors import AddonInactive, NotMeetingHost
from meetlink.ports.mailer import MailContent
from meetlink.testing.mailcheck import mail_problems

__all__ = ["run_demo"]

START = datetime(2026, 12, 1, 0, 0, tzinfo=UTC)


class DemoFailed(AssertionError):
    """A step of the demo did not do what it says."""


def _check(condition: bool, what: str) -> None:
    if not condition:
        raise DemoFailed(what)


class _Capture:
    """The demo's mail: composed by
    [`JinjaMailComposer`][meetlink.adapters.mail.composer.JinjaMailComposer] and written as .eml
    files (both ports in one), remembering each message and its event's title, so that
    [`check`][meetlink.demo._Capture.check] can read every file back."""

    def __init__(self, directory: Path) -> None:
        self.composer = JinjaMailComposer()
        self.files = DirectoryMailer(directory)
        self.titles: dict[str, str] = {}
        self.sent: list[EmailMessage] = []
        self.checked = 0

    def compose(self, content: MailContent) -> EmailMessage:
        message = self.composer.compose(content)
        self.titles[str(message["Message-ID"])] = content.title
        return message

    def send(self, message: EmailMessage) -> None:
        self.files.send(message)
        self.sent.append(message)

    def check(self) -> None:
        """Every .eml file written since the last call reads back as sent in two parsers,
        its Subject holding its event's title."""
        for message in self.sent[self.checked :]:
            wire = (self.files.path / self.files.file_name(message)).read_bytes()
            problems = mail_problems(message, wire)
            name = message["Message-ID"]
            _check(not problems, f"S13 mail {name} reads back as sent: {problems}")
            subject = str(BytesParser(policy=policy.default).parsebytes(wire)["Subject"])
            title = self.titles[str(name)]
            _check(title in subject, f"S13 mail {name}: {title!r} in Subject {subject!r}")
        self.checked = len(self.sent)


class _Story:
    def __init__(self, ml: MeetLink, zoom: ZoomEmulator, clock: ManualClock, mailer: _Capture):
        self.ml, self.zoom, self.clock, self.mailer = ml, zoom, clock, mailer
        self.mail_dir = mailer.files.path
        self.lines: list[str] = []
        self.received: list[HostNotice] = []

    def notices(self) -> str:
        """The host notices received since the last call, as text."""
        told = [f"{n.kind.name} for {n.user_id}" for n in self.received]
        self.received.clear()
        return ", ".join(told) or "nothing"

    def say(self, rule: str, text: str) -> None:
        self.lines.append(f"[{rule:>7}] {text}")

    def link(self, user_id: str, zoom_user: ZoomUser) -> None:
        acme = self.ml.tenant("acme")  # every id below is acme's: users, events
        request = acme.begin_link(user_id)
        params = self.zoom.consent(request.authorize_url, zoom_user)
        link = acme.complete_link(params["state"], code=params.get("code"), user_id=user_id)
        self.say("S10", f"{user_id} linked Zoom account {link.email} ({link.plan})")

    def mails(self) -> list[str]:
        found = []
        for path in sorted(self.mail_dir.glob("*.eml")):
            with path.open("rb") as fh:
                message = BytesParser(policy=policy.default).parse(fh)
            found.append(f"{message['To']} | {message['Subject']}")
        return found

    def calendar_of(self, to: str, title: str) -> str:
        """The iCalendar text of the last delivered mail to ``to`` about ``title``."""
        found = ""
        for path in sorted(self.mail_dir.glob("*.eml"), key=lambda p: p.stat().st_mtime_ns):
            with path.open("rb") as fh:
                message = BytesParser(policy=policy.default).parse(fh)
            for part in message.walk():
                if part.get_content_type() != "text/calendar" or to not in str(message["To"]):
                    continue
                text = part.get_content()
                if f"SUMMARY:{title}" in text:
                    found = text
        return found

    def deliver(self) -> int:
        before = len(self.mailer.sent)
        self.ml.run_pending()
        self.mailer.check()
        return len(self.mailer.sent) - before


def _event(event_id: str, owner: str, title: str, start: datetime, **kw: object) -> Event:
    return Event(
        id=event_id,
        tenant_id="acme",
        owner_id=owner,
        title=title,
        start=start,
        end=start + timedelta(minutes=30),
        participants=(
            Participant(email="bob@customer.example", name="Bob"),
            Participant(email="carol@customer.example", name="Carol", locale="en"),
        ),
        web_meeting="zoom",
        **kw,  # type: ignore[arg-type]
    )


_SHOWN = ("DTSTART", "DTEND", "RRULE", "EXDATE", "RECURRENCE-ID", "SEQUENCE", "URL")


def _show_vevent(story: _Story, ics: str) -> None:
    """The series' lines of every VEVENT in ``ics`` (iCalendar folding undone)."""
    for line in ics[ics.index("BEGIN:VEVENT") :].replace("\r\n ", "").splitlines():
        if line.split(":")[0].split(";")[0] in (*_SHOWN, "BEGIN"):
            story.say("R2", f"    {line}")


def _skip_and_move(story: _Story, weekly: Event, issued: Conference) -> None:
    """R2: the host skips the third week (EXDATE) and moves the fourth an hour later
    (RECURRENCE-ID): the same Zoom meeting drops and moves those occurrences, and the update
    raises SEQUENCE."""
    third, fourth = (weekly.start + timedelta(weeks=n) for n in (2, 3))
    moved = MovedOccurrence(
        fourth, fourth + timedelta(hours=1), weekly.end + timedelta(weeks=3, hours=1)
    )
    conf = (
        story.ml.tenant("acme")
        .save_event(attrs.evolve(weekly, exdates=(third,), moved=(moved,)))
        .conference
    )
    _check(conf is not None and conf.status is ConferenceStatus.ISSUED, "R2 series updated")
    assert conf is not None
    same = (conf.meeting_id, conf.join_url) == (issued.meeting_id, issued.join_url)
    _check(same, "R2 the same meeting and URL after the change")
    series = next(m for m in story.zoom.meetings() if str(m["id"]) == conf.meeting_id)
    starts = [o["start_time"] for o in series["occurrences"]]
    _check(len(starts) == 7, "R2 the skipped week is gone at Zoom")
    _check(f"{moved.start.astimezone(UTC):%Y-%m-%dT%H:%M:%SZ}" in starts, "R2 moved at Zoom")
    story.say(
        "R2",
        f"week 3 skipped, week 4 an hour later: still ONE Zoom meeting, same URL, "
        f"{len(starts)} occurrences; {story.deliver()} updates mailed; Bob's:",
    )
    ics = story.calendar_of("bob@customer.example", "Weekly")
    for line in ("SEQUENCE:1", "EXDATE;TZID=", "RECURRENCE-ID;TZID="):
        _check(line in ics, f"R2 update carries {line}")
    _show_vevent(story, ics)


def _tell(story: _Story) -> None:
    ml, zoom, clock = story.ml, story.zoom, story.clock
    acme = ml.tenant("acme")  # the host's tenant: its user and event ids are its own
    alice = zoom.add_user("alice@acme.example")
    dave = zoom.add_user("dave@acme.example", plan="basic")

    try:
        ml.begin_link("acme", "alice")
        raise DemoFailed("linking must need the add-on")
    except AddonInactive:
        story.say("S3", "before a trial or contract, linking is refused (add-on inactive)")
    sub = acme.start_trial()
    story.say("S4", f"trial started, ends {sub.trial_ends_at:%Y-%m-%d}")

    story.link("alice", alice)
    _check(acme.web_meeting_available("alice"), "S11 section shown")
    story.say("S11", "alice's event form shows the Web conference section")

    tomorrow = clock.now() + timedelta(days=1, hours=1)
    saved = acme.save_event(_event("ev-1", "alice", "Sales call with Customer", tomorrow))
    conf = saved.conference
    _check(conf is not None and conf.status is ConferenceStatus.ISSUED, "S1 URL issued")
    assert conf is not None
    story.say("S1/S12", f"event saved with a Zoom URL at once: {conf.join_url}")
    story.say("S2", f"alice starts it from the event: {acme.start_url('ev-1', 'alice')[:48]}...")
    try:
        acme.start_url("ev-1", "bob")
        raise DemoFailed("only the owner may start")
    except NotMeetingHost:
        story.say("S2", "bob (not the owner) gets no start URL")
    sent = story.deliver()
    _check(sent == 2, "S13 two invitations")
    story.say("S13", f"{sent} invitations mailed with the URL and an iCalendar part")

    refused = acme.save_event(_event("ev-2", "alice", "Weekly", tomorrow, recurrence="FREQ=WEEKLY"))
    _check(refused.refusals == (Refusal.RECURRING,), "S17")
    story.say("S17", "recurring event: no URL (refusal RECURRING)")
    imported = acme.save_event(_event("ev-3", "alice", "Imported", tomorrow, source=Source.IMPORT))
    _check(imported.refusals == (Refusal.SOURCE_NOT_ALLOWED,), "S18")
    story.say("S18", "imported event: no URL (refusal SOURCE_NOT_ALLOWED)")

    acme.set_policy(IssuancePolicy.roadmap())
    _check(acme.policy() == IssuancePolicy.roadmap(), "R2/R3 policy stored")
    story.say("R2/R3", "acme turns the roadmap on: acme.set_policy(IssuancePolicy.roadmap())")
    weekly = acme.save_event(
        _event("ev-2", "alice", "Weekly", tomorrow, recurrence="FREQ=WEEKLY;COUNT=8")
    ).conference
    _check(weekly is not None and weekly.status is ConferenceStatus.ISSUED, "R2 weekly issued")
    assert weekly is not None
    series = next(m for m in zoom.meetings() if str(m["id"]) == weekly.meeting_id)
    _check(series["type"] == 8 and len(series["occurrences"]) == 8, "R2 one type 8 meeting")
    story.say(
        "R2",
        f"the weekly event is ONE Zoom meeting (type 8, {len(series['occurrences'])} "
        f"occurrences, recurrence {series['recurrence']}): {weekly.join_url}",
    )
    story.say("R2", f"{story.deliver()} invitations mailed; Bob's iCalendar part:")
    ics = story.calendar_of("bob@customer.example", "Weekly")
    _check("RRULE:FREQ=WEEKLY;COUNT=8" in ics, "R2 invitation carries the RRULE")
    _show_vevent(story, ics)
    series_event = _event("ev-2", "alice", "Weekly", tomorrow, recurrence="FREQ=WEEKLY;COUNT=8")
    _skip_and_move(story, series_event, weekly)
    poll = acme.save_event(
        _event("ev-7", "alice", "Kick-off", tomorrow, source=Source.SCHEDULING_POLL)
    )
    _check(poll.conference is not None and not poll.refusals, "R3 poll issued")
    story.say("R3", f"a date fixed by a scheduling poll gets its URL; {story.deliver()} mailed")

    story.link("dave", dave)
    long = _event("ev-4", "dave", "Long review", tomorrow)
    long = attrs.evolve(long, end=long.start + timedelta(minutes=90))
    notices = acme.save_event(long).notices
    story.say("S22", f"dave's Basic Zoom account, 90 minutes: notices {[n.name for n in notices]}")
    story.say("S13", f"{story.deliver()} invitations mailed for dave's event")

    moved = tomorrow + timedelta(hours=3)
    event = _event("ev-1", "alice", "Sales call with Customer", moved)
    acme.save_event(event)
    meeting = next(m for m in zoom.meetings() if str(m["id"]) == conf.meeting_id)
    story.say("S1", f"rescheduled: Zoom meeting now starts {meeting['start_time']}")
    story.say("S13", f"{story.deliver()} update mails sent")

    zoom.fail_next(1, status=500, path="/v2/users/me/meetings")
    pending = acme.save_event(_event("ev-5", "alice", "Demo while Zoom is down", tomorrow))
    _check(pending.conference is not None, "pending conference")
    assert pending.conference is not None
    story.say("retry", f"Zoom answered 500: conference {pending.conference.status.name}")
    clock.advance(timedelta(minutes=2))
    ml.run_pending()
    after = acme.conference("ev-5")
    _check(after is not None and after.status is ConferenceStatus.ISSUED, "retried")
    story.say("retry", "two minutes later run_pending() issued it: exactly one meeting")

    clock.set(moved - timedelta(minutes=9))
    reminders = ml.send_due_reminders()
    story.say("S14", f"{reminders} reminders queued with the URL, {story.deliver()} mailed")

    carol = "carol-user"
    story.link(carol, alice)
    _check(acme.link("alice") is None, "S9 takeover")
    story.say("S9", "carol linked alice's Zoom account: alice was unlinked automatically")
    story.say("notice", f"the host was told: {story.notices()}")

    acme.delete_event("ev-1", actor_id="bob")
    _check(all(str(m["id"]) != conf.meeting_id for m in zoom.meetings()), "S19 deleted")
    story.say("S19/S20", "bob deleted alice's event: its Zoom meeting is deleted too")
    story.say("S13", f"{story.deliver()} cancellations mailed")

    headers, body = zoom.remove_app(dave)
    reply = ml.handle_webhook("zoom", headers, body)
    _check(reply.status == 200 and acme.link("dave") is None, "S16")
    story.say("S16", "dave pressed Remove App on Zoom: the signed webhook unlinked him")
    story.say("notice", f"the host was told: {story.notices()}")
    kept = acme.conference("ev-4")
    story.say("S15", f"dave's existing URL stays: {kept.status.name if kept else None}")

    clock.set(START + timedelta(days=15))
    _check(not acme.subscription().active, "trial ended")
    story.say("S4", f"day 15: {acme.subscription().state.name}; no new URLs")
    story.say("S5", f"contracted: {acme.contract().state.name}")


def run_demo(directory: str | None = None, *, verbose: bool = True) -> int:
    """Run the story; returns 0 when every step did what it claims."""
    with tempfile.TemporaryDirectory(prefix="meetlink-demo-") as scratch:
        base = Path(directory) if directory else Path(scratch)
        base.mkdir(parents=True, exist_ok=True)
        mail_dir = base / "mail"
        mail_dir.mkdir(exist_ok=True)
        for old in mail_dir.glob("*.eml"):
            old.unlink()
        db = base / "meetlink.sqlite"
        if db.exists():
            db.unlink()
        clock = ManualClock(START)
        mailer = _Capture(mail_dir)
        zoom = ZoomEmulator(clock=clock, seed=7)
        with zoom.serve() as server:
            provider = zoom.provider(clock=clock, base_url=server.base_url)
            storage = SqlStorage(
                f"sqlite:///{db}", encryption_keys=[generate_key()], create_schema=True
            )
            with MeetLink(
                storage=storage,
                providers=[provider],
                mailer=mailer,
                composer=mailer,
                clock=clock,
                listener=lambda notice: story.received.append(notice),
            ) as ml:
                story = _Story(ml, zoom, clock, mailer)
                print(f"meetlink demo: SQLite {db}, Zoom emulator {server.base_url}")
                try:
                    _tell(story)
                    mailer.check()  # mail delivered by run_pending() outside deliver() too
                finally:
                    for line in story.lines if verbose else story.lines[-1:]:
                        print(line)
                    provider.close()
                mails = story.mails()
        where = mail_dir if directory else "(temporary dir)"
        print(f"{len(mails)} mails captured in {where}, each read back by two parsers as sent")
        if verbose:
            for line in mails[:6]:
                print(f"  {line}")
    print("demo finished: every step did what it says")
    return 0
