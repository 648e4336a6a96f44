"""S14 for every occurrence (R2): one reminder per participant and occurrence, at each
occurrence's local start across daylight-saving changes, skipped occurrences silent, moved
ones reminded at their new time; the event's indexed ``remind_at`` always points at the
next reminder (no pass expands a series it does not have to)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from meetlink import Event, IssuancePolicy, MovedOccurrence, Participant
from meetlink.domain.series import Series
from meetlink.testing import Sandbox
from tests.mailtext import plain

LEAD = timedelta(minutes=10)
PEOPLE = (Participant("bob@example.com", "Bob", "en"), Participant("eve@example.com", "Eve", "en"))


def _series(zone: str, start: datetime, rule: str, **fields: object) -> Event:
    return Event(
        "s1",
        "t1",
        "alice",
        "Standup",
        start,
        start + timedelta(minutes=15),
        timezone=zone,
        recurrence=rule,
        participants=PEOPLE,
        web_meeting="zoom",
        **fields,  # type: ignore[arg-type]
    )


def _sandbox(now: datetime) -> Sandbox:
    sb = Sandbox(now=now, policy=IssuancePolicy.roadmap())
    sb.meetlink.contract("t1")
    sb.link_user("t1", "alice")
    return sb


def _reminders(sb: Sandbox) -> list[tuple[str, str]]:
    sb.meetlink.run_pending()
    return [
        (m["To"].addresses[0].addr_spec, plain(m)) for m in sb.outbox if "starts soon" in plain(m)
    ]


def _remind_at(sb: Sandbox) -> datetime | None:
    with sb.storage.unit_of_work(read_only=True) as uow:
        record = uow.events.get("t1", "s1")
    assert record is not None
    return record.remind_at


def test_weekly_reminders_follow_local_time_across_dst_skips_and_moves() -> None:
    berlin = ZoneInfo("Europe/Berlin")
    start = datetime(2027, 3, 15, 9, 30, tzinfo=berlin)  # DST starts 28 Mar, ends 31 Oct
    moved = MovedOccurrence(
        start + timedelta(days=28),
        start + timedelta(days=28, hours=4),
        start + timedelta(days=28, hours=4, minutes=15),
    )
    event = _series(
        "Europe/Berlin",
        start,
        "FREQ=WEEKLY;COUNT=6",
        exdates=(start + timedelta(days=21),),
        moved=(moved,),
    )
    with _sandbox(start - timedelta(days=1)) as sb:
        assert sb.meetlink.save_event(event).conference is not None
        occurrences = list(Series.of_event(event).occurrences())
        assert len(occurrences) == 5
        for occurrence in occurrences:
            sb.clock.set(occurrence.start.astimezone(UTC) - LEAD - timedelta(minutes=1))
            assert sb.meetlink.send_due_reminders() == 0
            sb.clock.set(occurrence.start.astimezone(UTC) - LEAD)
            assert sb.meetlink.send_due_reminders() == len(PEOPLE)
            assert sb.meetlink.send_due_reminders() == 0  # once per participant and occurrence
            following = [o for o in occurrences if o.start > occurrence.start]
            expected = following[0].start.astimezone(UTC) - LEAD if following else None
            assert _remind_at(sb) == expected  # the index points at the next reminder
            sb.clock.advance(timedelta(minutes=20))
            assert sb.meetlink.send_due_reminders() == 0
        sent = _reminders(sb)
        assert len(sent) == len(PEOPLE) * 5
        local_times = {text.split("When:")[1].split("(")[0].split()[-3] for _, text in sent}
        assert local_times == {"09:30", "13:30"}  # 09:30 local before and after DST; moved one
        assert _remind_at(sb) is None


def test_reminders_of_an_open_ended_daily_series_are_found_through_the_index() -> None:
    tokyo = ZoneInfo("Asia/Tokyo")
    start = datetime(2026, 12, 1, 9, 0, tzinfo=tokyo)
    with _sandbox(start - timedelta(hours=1)) as sb:
        sb.meetlink.save_event(_series("Asia/Tokyo", start, "FREQ=DAILY"))
        sb.clock.set(start + timedelta(days=400, minutes=-10))  # the worker was away
        assert sb.meetlink.send_due_reminders() == len(PEOPLE)  # only the current occurrence
        assert _remind_at(sb) == start + timedelta(days=401) - LEAD


def _weekly_local(start: datetime, zone: str, count: int) -> list[datetime]:
    """The occurrences of ``FREQ=WEEKLY;COUNT=count`` from ``start``, worked out by hand: the
    same local wall time on the same weekday, week after week, in UTC. A local time the clock
    skips is read with the offset before the gap (RFC 5545 section 3.3.5), which is what
    ``zoneinfo`` does with ``fold=0``."""
    tz = ZoneInfo(zone)
    local = start.astimezone(tz)
    return [
        datetime.combine(local.date() + timedelta(weeks=k), local.time(), tz).astimezone(UTC)
        for k in range(count)
    ]


@settings(max_examples=40, deadline=None)
@given(
    zone=st.sampled_from(["Europe/Berlin", "America/New_York", "Australia/Sydney"]),
    hour=st.integers(0, 23),
    offset=st.integers(0, 364),
)
def test_every_occurrence_is_reminded_once_at_its_local_time(
    zone: str, hour: int, offset: int
) -> None:
    start = (datetime(2027, 1, 1, hour, tzinfo=UTC) + timedelta(days=offset)).astimezone(
        ZoneInfo(zone)
    )
    event = _series(zone, start, "FREQ=WEEKLY;COUNT=30")  # 30 weeks: mostly across a DST change
    expected = _weekly_local(start, zone, 30)
    with _sandbox(start - timedelta(days=1)) as sb:
        sb.meetlink.save_event(event)
        sb.meetlink.run_pending()  # the invitations go
        for n, moment in enumerate(expected, 1):
            # When the reminders went out, read from the library: nothing a minute before the
            # lead; at the lead every participant's reminder, a mail job due now; once.
            sb.clock.set(moment - LEAD - timedelta(minutes=1))
            assert sb.meetlink.send_due_reminders() == 0, f"early for {moment}"
            sb.clock.set(moment - LEAD)
            assert sb.meetlink.send_due_reminders() == len(PEOPLE), f"not at {moment}"
            assert sb.meetlink.send_due_reminders() == 0
            assert _due_mail(sb) == n * len(PEOPLE)


def _due_mail(sb: Sandbox) -> int:
    now = sb.clock.now()
    return sum(j.kind == "mail" and j.run_at <= now for j in sb.meetlink.pending_jobs(limit=500))


@pytest.mark.parametrize("pending", [True, False])
def test_a_pending_series_is_looked_at_again_until_its_url_exists(pending: bool) -> None:
    tokyo = ZoneInfo("Asia/Tokyo")
    start = datetime(2026, 12, 1, 9, 0, tzinfo=tokyo)
    with _sandbox(start - timedelta(hours=1)) as sb:
        if pending:
            sb.zoom.fail_next(5, status=503, path="/v2/users/me/meetings")
        sb.meetlink.save_event(_series("Asia/Tokyo", start, "FREQ=DAILY;COUNT=3"))
        sb.clock.set(start - LEAD)
        sent = sb.meetlink.send_due_reminders()
        assert sent == (0 if pending else len(PEOPLE))
        if pending:
            assert _remind_at(sb) == start - LEAD + timedelta(minutes=1)
