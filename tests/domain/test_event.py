"""Event and Participant validation: every bad input names its field (InvalidEvent)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from meetlink.domain.event import LOCALES, Event, MovedOccurrence, Participant, Source, Span
from meetlink.errors import InvalidEvent, MeetLinkError

TOKYO = ZoneInfo("Asia/Tokyo")
START = datetime(2024, 5, 1, 10, 0, tzinfo=TOKYO)
END = START + timedelta(hours=1)


def make_event(**overrides: Any) -> Event:
    """A valid event, with any field replaced."""
    fields: dict[str, Any] = {
        "id": "ev-1",
        "tenant_id": "tenant-1",
        "owner_id": "user-1",
        "title": "Sales call",
        "start": START,
        "end": END,
    }
    fields.update(overrides)
    return Event(**fields)


# --- valid input -------------------------------------------------------------------------


def test_minimal_event_constructs_with_seed_defaults() -> None:
    event = make_event()
    assert event.timezone == "Asia/Tokyo"
    assert event.span is Span.TIMED
    assert event.source is Source.MANUAL
    assert event.recurrence is None
    assert event.web_meeting is None
    assert event.participants == ()
    assert event.duration == timedelta(hours=1)
    assert event.duration_minutes == 60


def test_full_event_constructs() -> None:
    people = (
        Participant("ann@example.com", name="Ann", locale="en"),
        Participant("bo.b+tag@sub.example.co.jp", name="ボブ", locale="ja"),
    )
    event = make_event(
        timezone="Europe/Paris",
        span=Span.PERIOD,
        recurrence="FREQ=WEEKLY;COUNT=4",
        source=Source.IMPORT,
        participants=people,
        web_meeting="zoom",
        description="Agenda:\n1. pricing",  # the description may be multi-line
        title="商談 – Q2",
    )
    assert event.participants == people
    assert event.web_meeting == "zoom"
    assert event.description.startswith("Agenda:")


def test_single_participant_is_wrapped_in_a_tuple() -> None:
    ann = Participant("ann@example.com")
    assert make_event(participants=ann).participants == (ann,)


def test_participant_list_is_converted_to_tuple() -> None:
    ann = Participant("ann@example.com")
    assert make_event(participants=[ann]).participants == (ann,)


def test_start_and_end_may_use_different_aware_zones() -> None:
    event = make_event(start=START, end=(START + timedelta(minutes=30)).astimezone(UTC))
    assert event.duration_minutes == 30


def test_participant_defaults() -> None:
    p = Participant("ann@example.com")
    assert (p.name, p.locale) == ("", "ja")
    assert set(LOCALES) == {"ja", "en"}


# --- invalid input: each names its field ----------------------------------------------------

NAIVE = datetime(2024, 5, 1, 10, 0)

INVALID_EVENTS: list[tuple[str, dict[str, Any], str]] = [
    ("naive start", {"start": NAIVE, "end": NAIVE + timedelta(hours=1)}, "start"),
    ("naive start, aware end", {"start": NAIVE}, "start"),
    ("naive end", {"end": NAIVE + timedelta(hours=1)}, "end"),
    ("start is a date", {"start": date(2024, 5, 1)}, "start"),
    ("end is a string", {"end": "2024-05-01T11:00+09:00"}, "end"),
    ("end equals start", {"end": START}, "end"),
    ("end before start", {"end": START - timedelta(minutes=1)}, "end"),
    ("end one microsecond early", {"end": START - timedelta(microseconds=1)}, "end"),
    ("unknown timezone", {"timezone": "Mars/Olympus_Mons"}, "timezone"),
    ("empty timezone", {"timezone": ""}, "timezone"),
    ("path-like timezone", {"timezone": "../etc/passwd"}, "timezone"),
    ("empty id", {"id": ""}, "id"),
    ("blank id", {"id": "   "}, "id"),
    ("id with newline", {"id": "ev\n1"}, "id"),
    ("empty title", {"title": ""}, "title"),
    ("blank title", {"title": " \t "}, "title"),
    ("empty owner", {"owner_id": ""}, "owner_id"),
    ("owner not a string", {"owner_id": 42}, "owner_id"),
    ("empty tenant", {"tenant_id": ""}, "tenant_id"),
    ("tenant with NUL", {"tenant_id": "t\x00"}, "tenant_id"),
    ("title with LF", {"title": "Call\nBcc: evil@example.com"}, "title"),
    ("title with CR", {"title": "Call\r"}, "title"),
    ("title with NUL", {"title": "Call\x00"}, "title"),
    ("title with DEL", {"title": "Call\x7f"}, "title"),
    ("title with ESC", {"title": "\x1b[31mCall"}, "title"),
    ("span not a Span", {"span": "timed"}, "span"),
    ("source not a Source", {"source": "manual"}, "source"),
    ("blank recurrence", {"recurrence": "  "}, "recurrence"),
    ("empty web_meeting", {"web_meeting": ""}, "web_meeting"),
    ("description not a string", {"description": None}, "description"),
    ("participant not a Participant", {"participants": ["ann@example.com"]}, "participants"),
    ("participants not iterable", {"participants": 3}, "participants"),
    (
        "duplicate participant emails",
        {"participants": (Participant("ann@example.com"), Participant("ann@example.com"))},
        "participants",
    ),
    (
        "duplicate participant emails differing in case",
        {"participants": (Participant("Ann@Example.com"), Participant("ann@example.com"))},
        "participants",
    ),
]


@pytest.mark.parametrize(
    ("overrides", "field"),
    [pytest.param(o, f, id=name) for name, o, f in INVALID_EVENTS],
)
def test_invalid_event_names_the_field(overrides: dict[str, Any], field: str) -> None:
    with pytest.raises(InvalidEvent) as info:
        make_event(**overrides)
    assert info.value.field == field
    assert str(info.value).startswith(f"{field}: ")


BAD_EMAILS = [
    pytest.param("ann @example.com", id="space"),
    pytest.param(" ann@example.com", id="leading space"),
    pytest.param("ann@example.com\r\nBcc: evil@example.com", id="CRLF header injection"),
    pytest.param("ann.example.com", id="no @"),
    pytest.param("ann@@example.com", id="two @"),
    pytest.param("a@b@example.com", id="two @ apart"),
    pytest.param("ann@localhost", id="undotted domain"),
    pytest.param("@example.com", id="empty local part"),
    pytest.param("ann@", id="empty domain"),
    pytest.param("", id="empty"),
    pytest.param("a" * 250 + "@example.com", id="too long"),
    pytest.param(None, id="not a string"),
]


@pytest.mark.parametrize("email", BAD_EMAILS)
def test_bad_participant_email_names_the_field(email: Any) -> None:
    with pytest.raises(InvalidEvent) as info:
        Participant(email)
    assert info.value.field == "participants.email"


def test_email_with_trailing_newline_is_refused() -> None:
    with pytest.raises(InvalidEvent) as info:
        Participant("ann@example.com\n")
    assert info.value.field == "participants.email"


@settings(max_examples=60)
@given(
    position=st.integers(min_value=0, max_value=len("ann@example.com") - 1),
    char=st.sampled_from(" \t\r\n\x00\x0b\x0c\x7f"),
)
def test_whitespace_or_control_character_inside_email_is_refused(position: int, char: str) -> None:
    email = "ann@example.com"
    with pytest.raises(InvalidEvent) as info:
        Participant(email[:position] + char + email[position:])
    assert info.value.field == "participants.email"


@pytest.mark.parametrize("locale", ["fr", "", "JA", "en-US", None])
def test_bad_participant_locale_names_the_field(locale: Any) -> None:
    with pytest.raises(InvalidEvent) as info:
        Participant("ann@example.com", locale=locale)
    assert info.value.field == "participants.locale"


@pytest.mark.parametrize("name", ["Ann\r\nBcc: x@example.com", "Ann\x00", None])
def test_bad_participant_name_names_the_field(name: Any) -> None:
    with pytest.raises(InvalidEvent) as info:
        Participant("ann@example.com", name=name)
    assert info.value.field == "participants.name"


def test_invalid_event_is_a_value_error_and_a_meetlink_error() -> None:
    with pytest.raises(ValueError) as info:
        make_event(title="")
    assert isinstance(info.value, InvalidEvent) and info.value.field == "title"
    assert isinstance(info.value, MeetLinkError)


@settings(max_examples=60)
@given(
    title=st.text(min_size=1).filter(lambda t: t.strip()), ctl=st.sampled_from("\x00\n\r\t\x1f\x7f")
)
def test_any_control_character_in_title_is_refused(title: str, ctl: str) -> None:
    with pytest.raises(InvalidEvent) as info:
        make_event(title=title + ctl)
    assert info.value.field == "title"


# --- duration -------------------------------------------------------------------------------

aware_starts = st.datetimes(
    min_value=datetime(2000, 1, 1),
    max_value=datetime(2100, 1, 1),
    timezones=st.timezones(),
)


def ceil_minutes(duration: timedelta) -> int:
    """Exact ceiling of a duration in minutes (integer microseconds, no float rounding)."""
    micros = duration // timedelta(microseconds=1)
    return -(-micros // 60_000_000)


@settings(max_examples=150)
@given(
    start=aware_starts,
    seconds=st.integers(min_value=1, max_value=400 * 24 * 3600),
)
def test_duration_minutes_is_the_ceiling_in_minutes_and_at_least_one(
    start: datetime, seconds: int
) -> None:
    duration = timedelta(seconds=seconds)
    # Elapsed (UTC) time: wall-clock arithmetic in a zone would skip or repeat DST hours.
    end = (start.astimezone(UTC) + duration).astimezone(start.tzinfo)
    event = make_event(start=start, end=end)
    assert event.duration == duration
    assert event.duration_minutes == ceil_minutes(duration)
    assert event.duration_minutes >= 1


@pytest.mark.parametrize(
    ("duration", "minutes"),
    [
        (timedelta(microseconds=1), 1),
        (timedelta(seconds=1), 1),
        (timedelta(seconds=59), 1),
        (timedelta(seconds=60), 1),
        (timedelta(seconds=61), 2),
        (timedelta(minutes=40), 40),
        (timedelta(minutes=40, seconds=1), 41),
        (timedelta(days=1), 1440),
    ],
)
def test_duration_minutes_examples(duration: timedelta, minutes: int) -> None:
    assert make_event(end=START + duration).duration_minutes == minutes


def test_duration_minutes_rounds_up_sub_second_remainder() -> None:
    event = make_event(end=START + timedelta(seconds=60, microseconds=500_000))
    assert event.duration_minutes == 2


def test_duration_is_elapsed_time_across_a_dst_change() -> None:
    new_york = ZoneInfo("America/New_York")
    event = make_event(
        start=datetime(2024, 3, 10, 1, 30, tzinfo=new_york),
        end=datetime(2024, 3, 10, 3, 30, tzinfo=new_york),
        timezone="America/New_York",
    )
    assert event.duration == timedelta(hours=1)
    assert event.duration_minutes == 60


# -- R2: skipped and moved occurrences ----------------------------------------------------


def test_series_exceptions_are_keyword_fields_with_defaults() -> None:
    start = datetime(2026, 12, 7, 10, 0, tzinfo=UTC)
    plain = Event("e", "t", "o", "x", start, start + timedelta(hours=1))
    assert plain.exdates == () and plain.moved == ()
    week = timedelta(days=7)
    moved = MovedOccurrence(
        start + week, start + week + timedelta(hours=2), start + week + timedelta(hours=3)
    )
    series = Event(
        "e", "t", "o", "x", start, start + timedelta(hours=1),
        recurrence="FREQ=WEEKLY;COUNT=5",
        exdates=[start + 3 * week, start + 2 * week, start + 2 * week],
        moved=[moved],
    )  # fmt: skip
    assert series.exdates == (start + 2 * week, start + 3 * week)  # ordered, once each
    assert series.moved == (moved,) and series.recurring


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"exdates": (datetime(2026, 12, 14, 10),)}, "exdates"),
        ({"exdates": ("2026-12-14",)}, "exdates"),
        ({"moved": ("x",)}, "moved"),
    ],
)
def test_series_exceptions_are_checked(fields: dict[str, object], field: str) -> None:
    start = datetime(2026, 12, 7, 10, 0, tzinfo=UTC)
    with pytest.raises(InvalidEvent, match=field):
        Event(
            "e",
            "t",
            "o",
            "x",
            start,
            start + timedelta(hours=1),
            recurrence="FREQ=DAILY",
            **fields,  # type: ignore[arg-type]  # wrong types and values, on purpose
        )


def test_series_exceptions_need_a_recurrence_and_do_not_contradict() -> None:
    start = datetime(2026, 12, 7, 10, 0, tzinfo=UTC)
    end = start + timedelta(hours=1)
    day = timedelta(days=1)
    with pytest.raises(InvalidEvent, match="exdates"):
        Event("e", "t", "o", "x", start, end, exdates=(start + day,))
    moved = MovedOccurrence(start + day, start + day, end + day)
    with pytest.raises(InvalidEvent, match="moved"):
        Event(
            "e",
            "t",
            "o",
            "x",
            start,
            end,
            recurrence="FREQ=DAILY",
            exdates=(start + day,),
            moved=(moved,),
        )
    with pytest.raises(InvalidEvent, match="moved"):
        Event("e", "t", "o", "x", start, end, recurrence="FREQ=DAILY", moved=(moved, moved))
    with pytest.raises(InvalidEvent, match=r"moved\.end"):
        MovedOccurrence(start, end, start)


MOVED_FROM = datetime(2026, 12, 14, 10, 0, tzinfo=UTC)
MOVED_TO = datetime(2026, 12, 14, 15, 0, tzinfo=UTC)


AWARE = "must be timezone-aware"


@pytest.mark.parametrize(
    ("fields", "text", "reason"),
    [
        ({"recurrence_id": datetime(2026, 12, 14, 10, 0)}, f"moved.recurrence_id: {AWARE}", None),
        ({"start": datetime(2026, 12, 14, 15, 0)}, f"moved.start: {AWARE}", None),
        ({"end": datetime(2026, 12, 14, 16, 0)}, f"moved.end: {AWARE}", None),
        ({"start": "2026-12-14T15:00Z"}, "moved.start: must be a datetime", None),
        ({"end": MOVED_TO}, "moved.end: must be after start", "end_before_start"),  # no length
        (
            {"end": MOVED_TO - timedelta(microseconds=1)},
            "moved.end: must be after start",
            "end_before_start",
        ),
        # 15:30 in Tokyo is 06:30 UTC: before the 15:00 UTC start, whatever the clock reads.
        (
            {"end": datetime(2026, 12, 14, 15, 30, tzinfo=TOKYO)},
            "moved.end: must be after start",
            "end_before_start",
        ),
    ],
)
def test_a_bad_moved_occurrence_names_its_field(
    fields: dict[str, Any], text: str, reason: str | None
) -> None:
    given: dict[str, Any] = {
        "recurrence_id": MOVED_FROM,
        "start": MOVED_TO,
        "end": MOVED_TO + timedelta(hours=1),
    }
    given.update(fields)
    with pytest.raises(InvalidEvent) as info:
        MovedOccurrence(**given)
    assert str(info.value) == text
    assert info.value.field == text.split(":")[0]
    assert info.value.params.get("reason") == reason


def test_a_moved_occurrence_may_end_in_another_zone_after_it_starts() -> None:
    # 00:30 the next day in Tokyo is 15:30 UTC: after the 15:00 UTC start.
    end = datetime(2026, 12, 15, 0, 30, tzinfo=TOKYO)
    assert MovedOccurrence(MOVED_FROM, MOVED_TO, end).end == end
