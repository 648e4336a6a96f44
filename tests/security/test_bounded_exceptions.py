"""Exception lists are bounded and range-checked (issue 21, findings 2 and 5): at most
MAX_EXDATES skipped and MAX_MOVED moved occurrences, every time in them between EARLIEST and
LATEST like the event's own, never a plain OverflowError; and the mail an event sends is
participants x a bounded size, whatever its exceptions."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone

import pytest

from meetlink import Event, InvalidEvent, IssuancePolicy, MovedOccurrence, Participant
from meetlink.app.mailing import MAX_LISTED_ATTENDEES
from meetlink.app.validation import (
    MAX_DESCRIPTION,
    MAX_EXDATES,
    MAX_MOVED,
    MAX_NAME,
    MAX_TITLE,
)
from meetlink.testing import Sandbox
from meetlink.testing.mailcheck import wire_bytes

T0 = datetime(2027, 1, 4, 9, 0, tzinfo=UTC)
DAY = timedelta(days=1)
MINUS5 = timezone(timedelta(hours=-5))
PLUS5 = timezone(timedelta(hours=5))
#: The most one mail may weigh on the wire with every field and list at its maximum
#: (docs/security.md "Work is bounded": 1.8 MB measured, docs/performance.md).
MAX_MAIL_BYTES = 2_000_000


def _people(n: int, *, longest: bool = False) -> tuple[Participant, ...]:
    """``n`` participants (``longest``: names of 256 characters, addresses near 254 octets)."""
    if not longest:
        return tuple(Participant(f"p{i}@example.com", f"Person {i}", "en") for i in range(n))
    domain = "d" * 60 + "." + "e" * 60 + "." + "f" * 60 + ".example"
    return tuple(Participant(f"{'x' * 60}{i:03d}@{domain}", "N" * MAX_NAME, "en") for i in range(n))


def _event(
    *,
    exdates: tuple[datetime, ...] = (),
    moved: tuple[MovedOccurrence, ...] = (),
    participants: tuple[Participant, ...] = (),
    **fields: object,
) -> Event:
    return Event(
        "s1",
        "t1",
        "alice",
        fields.pop("title", "Standup"),  # type: ignore[arg-type]
        T0,
        T0 + timedelta(minutes=30),
        timezone="UTC",
        recurrence="FREQ=DAILY",
        participants=participants or _people(1),
        web_meeting="zoom",
        exdates=exdates,
        moved=moved,
        **fields,  # type: ignore[arg-type]
    )


def _moved(n: int, first: int = 1) -> tuple[MovedOccurrence, ...]:
    return tuple(
        MovedOccurrence(
            T0 + i * DAY, T0 + i * DAY + timedelta(hours=2), T0 + i * DAY + timedelta(hours=3)
        )
        for i in range(first, first + n)
    )


@pytest.fixture
def sb() -> Iterator[Sandbox]:
    with Sandbox(now=T0 - DAY, policy=IssuancePolicy.roadmap()) as sandbox:
        sandbox.meetlink.contract("t1")
        sandbox.link_user("t1", "alice")
        yield sandbox


def _refused(sb: Sandbox, make: object, field: str) -> None:
    with pytest.raises(InvalidEvent) as info:
        event = make() if callable(make) else make
        sb.meetlink.save_event(event)  # type: ignore[arg-type]
    assert info.value.field.split(".")[0] == field, info.value
    assert sb.meetlink.event("s1", tenant_id="t1") is None
    sb.meetlink.run_pending()
    assert sb.outbox == []


def test_the_number_of_skipped_occurrences_is_bounded(sb: Sandbox) -> None:
    too_many = tuple(T0 + i * DAY for i in range(1, MAX_EXDATES + 2))
    _refused(sb, _event(exdates=too_many), "exdates")
    assert sb.meetlink.save_event(_event(exdates=too_many[:-1])).conference is not None


def test_the_number_of_moved_occurrences_is_bounded(sb: Sandbox) -> None:
    _refused(sb, _event(moved=_moved(MAX_MOVED + 1)), "moved")
    assert sb.meetlink.save_event(_event(moved=_moved(MAX_MOVED))).conference is not None


@pytest.mark.parametrize(
    "when",
    [datetime(9999, 12, 31, 23, 0, tzinfo=MINUS5), datetime(1, 1, 1, 0, 0, tzinfo=PLUS5)],
)
def test_an_exdate_past_the_ends_of_utc_is_an_invalid_event(sb: Sandbox, when: datetime) -> None:
    _refused(sb, lambda: _event(exdates=(when,)), "exdates")


def test_a_moved_occurrence_ending_past_utc_is_an_invalid_event(sb: Sandbox) -> None:
    end = datetime(9999, 12, 31, 23, 0, tzinfo=MINUS5)
    start = datetime(1, 1, 1, 0, 0, tzinfo=PLUS5)

    def late() -> tuple[MovedOccurrence, ...]:
        return (MovedOccurrence(T0 + DAY, end - timedelta(hours=1), end),)

    def early() -> tuple[MovedOccurrence, ...]:
        return (MovedOccurrence(start, T0 + DAY, T0 + DAY + DAY),)

    _refused(sb, lambda: _event(moved=late()), "moved")
    _refused(sb, lambda: _event(moved=early()), "moved")


@pytest.mark.parametrize(
    "fields",
    [
        {"exdates": (datetime(9998, 1, 1, tzinfo=UTC),)},
        {"exdates": (datetime(1899, 12, 31, tzinfo=UTC),)},
        {
            "moved": (
                MovedOccurrence(
                    T0 + DAY, datetime(9998, 1, 1, tzinfo=UTC), datetime(9998, 1, 1, 1, tzinfo=UTC)
                ),
            )
        },
        {"moved": (MovedOccurrence(datetime(9998, 1, 1, tzinfo=UTC), T0 + DAY, T0 + 2 * DAY),)},
    ],
)
def test_exception_times_lie_in_the_range_of_the_event_s_own(
    sb: Sandbox, fields: dict[str, object]
) -> None:
    _refused(sb, _event(**fields), next(iter(fields)))  # type: ignore[arg-type]


@pytest.mark.meetlink_unchecked_mail
def test_each_mail_is_bounded_whatever_the_exceptions(sb: Sandbox) -> None:
    """Mail work per event is participants x a constant: every list and text at its maximum
    (the most attendees an invitation lists, each with the longest name), each mail stays
    under MAX_MAIL_BYTES, one per participant."""
    exdates = tuple(T0 + i * DAY for i in range(MAX_MOVED + 1, MAX_MOVED + 1 + MAX_EXDATES))
    event = _event(
        exdates=exdates,
        moved=_moved(MAX_MOVED),
        participants=_people(MAX_LISTED_ATTENDEES, longest=True),
        title="T" * MAX_TITLE,
        description="D" * MAX_DESCRIPTION,
    )
    sb.meetlink.save_event(event)
    sb.meetlink.run_pending()
    assert len(sb.outbox) == MAX_LISTED_ATTENDEES
    sizes = [len(wire_bytes(mail)) for mail in sb.outbox]
    assert max(sizes) <= MAX_MAIL_BYTES, sizes
