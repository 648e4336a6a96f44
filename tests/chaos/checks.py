"""What must hold after a chaos run has drained (and every account was linked again), read
through the public API, the emulators' ``meetings()`` and the delivered mail."""

from __future__ import annotations

import itertools
import re
from collections import Counter, defaultdict
from datetime import UTC, datetime
from email.message import EmailMessage
from typing import Any

import attrs
from icalendar import Calendar

from meetlink import Conference, ConferenceStatus
from tests.ical import integer

from .world import MEET, TENANTS, ChaosWorld

_EVENT_IN_TEXT = re.compile(r"\[(ev\d+)\]")
_WHEN = re.compile(r"^When:\s+(.+)$", re.MULTILINE)
_HELD = (ConferenceStatus.ISSUED, ConferenceStatus.DETACHED)


@attrs.frozen
class Mail:
    """One delivered mail as a participant's calendar sees it."""

    index: int
    to: str
    event_id: str
    method: str | None  # REQUEST / CANCEL; None for a reminder (no iCalendar part)
    sequence: int = -1
    start: datetime | None = None
    end: datetime | None = None
    url: str | None = None
    summary: str | None = None
    when: str | None = None  # a reminder's "When:" line


def read_mail(index: int, message: EmailMessage) -> Mail:
    to = message["To"].addresses[0].addr_spec
    text_part = message.get_body(("plain",))
    assert text_part is not None
    text = text_part.get_content()
    calendar_part = next(
        (p for p in message.walk() if p.get_content_type() == "text/calendar"), None
    )
    if calendar_part is None:
        found = _EVENT_IN_TEXT.search(text)
        when = _WHEN.search(text)
        assert found is not None and when is not None, text
        return Mail(index, to, found.group(1), None, when=when.group(1).strip())
    payload = calendar_part.get_payload(decode=True)
    assert isinstance(payload, bytes)
    calendar = Calendar.from_ical(payload)
    [vevent] = [c for c in calendar.walk("VEVENT")]
    uid = str(vevent["UID"])
    url = vevent.get("URL")
    return Mail(
        index,
        to,
        uid.split("@", 1)[0],
        str(calendar["METHOD"]),
        integer(vevent, "SEQUENCE"),
        vevent.decoded("DTSTART").astimezone(UTC),
        vevent.decoded("DTEND").astimezone(UTC),
        None if url is None else str(url),
        str(vevent.get("SUMMARY")),
    )


def check(world: ChaosWorld) -> dict[str, Any]:
    """Every invariant; returns the counts of the run. Raises AssertionError listing every
    problem found."""
    ml, zoom = world.inline, world.zoom
    problems: list[str] = []

    # -- no lost event -----------------------------------------------------------------------
    for event_id, event in world.events.items():
        stored = ml.event(event_id, tenant_id=event.tenant_id)
        if stored != event:
            problems.append(f"event {event_id} lost or changed: {stored} != {event}")
    for event_id in world.deleted - set(world.events):
        if any(ml.event(event_id, tenant_id=tenant) is not None for tenant in TENANTS):
            problems.append(f"deleted event {event_id} still stored")

    # -- conferences and meetings: none lost, orphaned or duplicated -------------------------
    conferences: dict[str, Conference] = {}
    for event_id, event in world.events.items():
        conf = ml.conference(event_id, tenant_id=event.tenant_id)
        if conf is None:
            continue
        conferences[event_id] = conf
        if event.web_meeting is None:
            problems.append(f"{event_id}: a conference for an event that asks for none: {conf}")
        if conf.status is ConferenceStatus.PENDING:
            problems.append(f"{event_id}: still PENDING after the drain: {conf}")
        if conf.status is ConferenceStatus.FAILED and not conf.error:
            problems.append(f"{event_id}: FAILED without an error")
    live = {str(m["id"]): m for m in zoom.meetings()}
    holders: defaultdict[str, list[str]] = defaultdict(list)
    for event_id, conf in conferences.items():
        if conf.status in _HELD and conf.provider == "zoom":
            assert conf.meeting_id is not None
            holders[conf.meeting_id].append(event_id)
    for meeting_id, events in holders.items():
        if len(events) > 1:
            problems.append(f"meeting {meeting_id} held by several events: {events}")
        if meeting_id not in live:
            problems.append(f"meeting {meeting_id} of {events} is gone at Zoom")
    for meeting_id, meeting in live.items():
        if meeting_id not in holders:
            problems.append(f"orphaned meeting {meeting_id}: {meeting['topic']!r} "
                            f"{meeting['agenda']!r}")  # fmt: skip
            continue
        holder = world.events[holders[meeting_id][0]]
        conf = conferences[holder.id]
        if conf.status is ConferenceStatus.ISSUED:
            start = datetime.fromisoformat(meeting["start_time"].replace("Z", "+00:00"))
            minutes = (holder.end - holder.start).total_seconds() / 60
            if start != holder.start or meeting["duration"] != minutes:
                problems.append(f"meeting {meeting_id} says {start} for {meeting['duration']}"
                                f" min; {holder.id} is {holder.start} - {holder.end}")  # fmt: skip
    markers = Counter(m["agenda"] for m in live.values())
    problems += [f"two meetings carry {agenda!r}" for agenda, n in markers.items() if n > 1]

    # -- Google Meet: every held conference has its space serving; no other space in sight ---
    spaces = {s["name"]: s for s in world.meet.meetings()}
    meet_holders: defaultdict[str, list[str]] = defaultdict(list)
    for event_id, conf in conferences.items():
        if conf.status in _HELD and conf.provider == MEET:
            assert conf.meeting_id is not None
            meet_holders[conf.meeting_id].append(event_id)
    for name, events in meet_holders.items():
        if len(events) > 1:
            problems.append(f"space {name} held by several events: {events}")
        if name not in spaces:
            problems.append(f"space {name} of {events} is closed or unknown at Google")
        elif spaces[name]["meetingUri"] != conferences[events[0]].join_url:
            problems.append(f"space {name} of {events} has another URI than the conference")
    problems += [f"space {name} serves no event: {s['meetingUri']} (made for "
                 f"{world.space_events.get(name, 'an unknown event')})"
                 for name, s in spaces.items() if name not in meet_holders]  # fmt: skip

    # -- mail ---------------------------------------------------------------------------------
    mails = [read_mail(i, m) for i, m in enumerate(world.sandbox.outbox)]
    calendar: defaultdict[tuple[str, str], list[Mail]] = defaultdict(list)
    reminders: Counter[tuple[str, str, str]] = Counter()
    for mail in mails:
        if mail.method is None:
            reminders[(mail.to, mail.event_id, mail.when or "")] += 1
        else:
            calendar[(mail.to, mail.event_id)].append(mail)
    problems += [f"reminder sent {n} times: {key}" for key, n in reminders.items() if n > 1]
    for (to, event_id), told in calendar.items():
        sequences = Counter(m.sequence for m in told)
        problems += [f"{to} got SEQUENCE {s} of {event_id} {n} times"
                     for s, n in sequences.items() if n > 1]  # fmt: skip
        ordered = sorted(told, key=lambda m: (m.sequence, m.index))
        for earlier, later in itertools.pairwise(ordered):
            if earlier.method == later.method == "REQUEST" and (
                earlier.start,
                earlier.end,
                earlier.url,
                earlier.summary,
            ) == (later.start, later.end, later.url, later.summary):
                problems.append(f"{to} got the same invitation to {event_id} twice")
        last = ordered[-1]
        standing = world.events.get(event_id)
        conf = conferences.get(event_id)
        invited = standing is not None and any(p.email == to for p in standing.participants)
        if invited and conf is not None and conf.status in _HELD:
            assert standing is not None
            if last.method != "REQUEST":
                problems.append(f"{to}'s last mail of {event_id} is a {last.method}, the "
                                f"event stands with {conf.status.value}")  # fmt: skip
            elif (last.start, last.end) != (standing.start, standing.end):
                problems.append(f"{to} holds {event_id} at {last.start}; it is {standing.start}")
            elif last.url != conf.join_url:
                problems.append(f"{to} holds {last.url} for {event_id}; it is {conf.join_url}")
        elif invited and standing is not None:
            # An event that stays without a held conference (withdrawn, or FAILED, e.g. the
            # event ended before its meeting could be made): an update without the URL, at
            # the event's time (or the cancellation they got when removed earlier); never a
            # URL that is gone.
            assert conf is None or conf.status not in _HELD
            if last.method == "REQUEST" and last.url:
                problems.append(f"{to} holds {last.url} for {event_id}; it has no URL now")
            elif last.method == "REQUEST" and (last.start, last.end) != (
                standing.start,
                standing.end,
            ):
                problems.append(f"{to} holds {event_id} at {last.start}; it is {standing.start}")
        elif last.method != "CANCEL":
            why = ("deleted" if standing is None else "not invited" if not invited
                   else f"conference {conf.status.value if conf else 'gone'}")  # fmt: skip
            problems.append(f"{to}'s last mail of {event_id} is a {last.method} ({why}); "
                            f"holds {last.url}")  # fmt: skip

    for event_id, conf in conferences.items():
        if conf.status in _HELD:
            for participant in world.events[event_id].participants:
                if (participant.email, event_id) not in calendar:
                    problems.append(f"{participant.email} was never told of {event_id}")

    # -- no start URL in any mail ------------------------------------------------------------
    for mail_index, message in enumerate(world.sandbox.outbox):
        wire = message.as_string()
        texts = [p.get_content() for p in message.walk() if p.get_content_maintype() == "text"]
        for start_url in world.start_urls:
            if start_url in wire or any(start_url in text for text in texts):
                problems.append(f"mail {mail_index} carries a start URL")
        if any("zak=" in text for text in texts):
            problems.append(f"mail {mail_index} carries a zak token")

    if problems:
        involved = sorted({e for p in problems for e in re.findall(r"\bev\d+\b", p)})[:4]
        story = [f"{e}:\n  " + "\n  ".join(world.history[e]) for e in involved]
        raise AssertionError("\n".join([*problems[:60], f"({len(problems)} problems)", *story]))
    kinds = Counter("reminder" if m.method is None else m.method.lower() for m in mails)
    return {
        "operations": dict(sorted(world.ops.items())),
        "operations_total": sum(world.ops.values()),
        "refused_or_failed_calls": dict(sorted(world.errors.items())),
        "succeeded_calls": dict(sorted(world.succeeded.items())),
        "succeeded_calls_total": sum(world.succeeded.values()),
        "saves_by_outcome": dict(sorted(world.saves.items())),
        "host_notices": dict(sorted(world.notices.items())),
        "users_linked_when_the_workload_ended": world.linked_at_end,
        "faults_injected": world.faults_injected,
        "faults_served": world.faults_served,
        "provider_requests_during_workload": world.workload_requests,
        "provider_requests_in_all": len(zoom.requests),
        "meet_requests_in_all": len(world.meet.requests),
        "meet_faults_injected": world.meet_faults,
        "meet_spaces_made": len(world.meet.spaces()),
        "meet_spaces_serving": len(spaces),
        "meet_spaces_closed": len(world.meet.closed()),
        "meet_spaces_unseen": len(world.meet.orphans()),
        "meet_conferences": dict(
            Counter(c.status.value for c in conferences.values() if c.provider == MEET)
        ),
        # the share of Zoom's answers during the workload that were injected faults
        "fault_share": round(world.faults_served / max(1, world.workload_requests), 3),
        "events_live": len(world.events),
        "events_deleted": len(world.deleted),
        "conferences": dict(Counter(c.status.value for c in conferences.values())),
        "failed_conference_errors": dict(
            Counter(
                (c.error or "")[:80]
                for c in conferences.values()
                if c.status is ConferenceStatus.FAILED
            )
        ),
        "meetings_created": len(world.meeting_ids),
        "meetings_live": len(live),
        "mails": dict(sorted(kinds.items())),
        "mails_total": len(mails),
        "participant_calendars_checked": len(calendar),
        "jobs": dict(sorted(world.log.counts.items())),
        "failed_jobs_at_end": len(ml.failed_jobs(limit=1000)),
        "zoom_accounts": len(world.accounts),
        "clock_days": round((world.clock.now() - world.started_at).total_seconds() / 86400, 1),
        "wall_seconds": round(world.wall, 1),
        "slow_operations": world.slow,
        "seconds_by_operation": {
            k: round(v, 1) for k, v in sorted(world.seconds.items(), key=lambda kv: -kv[1])
        },
    }
