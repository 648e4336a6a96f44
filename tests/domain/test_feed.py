"""The host event feed's rules (meetlink.domain.feed): the kind each conference move reports,
case by case from the table in the module's docstring, and what a feed id is."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from meetlink.domain.conference import (
    ConferenceRecord,
    ConferenceStatus,
    KeptMeeting,
    MeetingTerms,
)
from meetlink.domain.feed import (
    MAX_FEED_ID,
    conference_change,
    feed_entry,
    feed_id,
    feed_number,
)
from meetlink.domain.results import HostEvent, HostEventKind, HostNotice

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
P, ISS, D, F = (
    ConferenceStatus.PENDING,
    ConferenceStatus.ISSUED,
    ConferenceStatus.DETACHED,
    ConferenceStatus.FAILED,
)
FAILED, ISSUED = HostEventKind.CONFERENCE_FAILED, HostEventKind.CONFERENCE_ISSUED
UPDATED, WITHDRAWN = HostEventKind.CONFERENCE_UPDATED, HostEventKind.CONFERENCE_WITHDRAWN
URL = "https://zoom.example/j/1"


def _terms(**changes: Any) -> MeetingTerms:
    fields: dict[str, Any] = {
        "topic": "Call",
        "start": NOW,
        "duration_minutes": 30,
        "timezone": "UTC",
    }
    fields.update(changes)
    return MeetingTerms(**fields)


TERMS = _terms()


def _conf(status: ConferenceStatus, url: str | None = URL, **changes: Any) -> ConferenceRecord:
    fields: dict[str, Any] = {
        "tenant_id": "acme",
        "event_id": "ev1",
        "provider": "zoom",
        "external_account_id": "acc1",
        "status": status,
        "marker": "m1",
        "meeting_id": None if url is None else "1",
        "join_url": url,
        "passcode": None if url is None else "123",
        "synced": None if url is None else TERMS,
        "created_at": NOW,
    }
    fields.update(changes)
    return ConferenceRecord(**fields)


KEPT = KeptMeeting(
    provider="zoom",
    external_account_id="acc1",
    meeting_id="1",
    join_url=URL,
    passcode="123",
    marker="m1",
    synced=TERMS,
)

CASES = [
    # (before, after, kind)
    (None, None, None),
    (None, _conf(P, None), None),  # asked for: nothing to tell yet
    (None, _conf(ISS), ISSUED),
    (None, _conf(F, None), FAILED),
    (_conf(P, None), _conf(ISS), ISSUED),
    (_conf(F, None), _conf(ISS), ISSUED),
    (_conf(P, None), _conf(F, None), FAILED),
    (_conf(ISS), _conf(F, None), FAILED),
    (_conf(F, None), _conf(F, None, error="again"), None),  # FAILED already
    (_conf(ISS), _conf(ISS), None),
    (_conf(ISS), _conf(ISS, join_url=URL + "2"), UPDATED),
    (_conf(ISS), _conf(ISS, passcode="999"), UPDATED),
    (_conf(ISS), _conf(ISS, passcode=None), UPDATED),
    (_conf(ISS), _conf(ISS, synced=_terms(duration_minutes=45)), UPDATED),
    (_conf(ISS), _conf(ISS, synced=_terms(start=NOW + timedelta(hours=1))), UPDATED),
    (_conf(ISS), _conf(ISS, synced=_terms(recurrence="FREQ=DAILY;COUNT=2")), UPDATED),
    (_conf(ISS), _conf(ISS, synced=_terms(exdates=(NOW,))), UPDATED),
    (_conf(ISS), _conf(ISS, synced=_terms(topic="Renamed")), None),  # not the meeting's time
    (_conf(ISS), _conf(ISS, synced=None), None),  # nothing known of the meeting's time
    (_conf(ISS, synced=None), _conf(ISS), None),
    (_conf(ISS), _conf(P, maybe_created=True), None),  # URL kept while pending: nothing
    (_conf(D), _conf(D, synced=_terms(duration_minutes=45)), None),
    (_conf(ISS), _conf(D), None),  # the link events say why
    (_conf(ISS), _conf(P, None), WITHDRAWN),
    (_conf(ISS), None, WITHDRAWN),
    (_conf(P, None), None, WITHDRAWN),  # a conference -> none
    (_conf(ISS), _conf(P, None, kept=KEPT), None),  # participants still hold the kept meeting
    (_conf(P, None, kept=KEPT), _conf(ISS, join_url=URL + "2"), UPDATED),  # the replacement
    (
        _conf(P, None, kept=KEPT),
        _conf(P, None, kept=KEPT, synced=_terms(duration_minutes=45)),
        None,
    ),
]


@pytest.mark.parametrize(("before", "after", "kind"), CASES)
def test_conference_change(
    before: ConferenceRecord | None, after: ConferenceRecord | None, kind: HostEventKind | None
) -> None:
    assert conference_change(before, after) is kind


@pytest.mark.parametrize(
    ("text", "number"),
    [
        ("0", 0),
        ("1", 1),
        ("42", 42),
        (str(MAX_FEED_ID), MAX_FEED_ID),
        (str(MAX_FEED_ID + 1), None),
        ("9" * 19, None),
        ("1" + "0" * 19, None),  # 20 digits
        ("01", None),
        ("-1", None),
        ("+1", None),
        (" 1", None),
        ("1 ", None),
        ("", None),
        ("1.0", None),
        ("one", None),
        ("١", None),  # an Arabic-Indic one: a digit to int(), not to a feed id
    ],
)
def test_feed_number(text: str, number: int | None) -> None:
    assert feed_number(text) == number


def test_feed_ids_are_decimal_numbers_read_back() -> None:
    for number in (0, 1, 10, 2**40, MAX_FEED_ID):
        assert feed_id(number) == str(number)
        assert feed_number(feed_id(number)) == number


def test_a_feed_entry_is_the_notice_numbered_and_dated() -> None:
    notice = HostNotice(
        kind=HostEventKind.WORK_FAILED,
        tenant_id="acme",
        user_id="alice",
        provider="zoom",
        event_id="ev1",
        detail="the meeting could not be made",
    )
    assert feed_entry(notice, 42, NOW) == HostEvent(
        id="42",
        kind=HostEventKind.WORK_FAILED,
        tenant_id="acme",
        user_id="alice",
        provider="zoom",
        event_id="ev1",
        detail="the meeting could not be made",
        at=NOW,
    )
