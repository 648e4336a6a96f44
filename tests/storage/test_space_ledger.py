"""The Google Meet space ledger in the database (``SqlSpaceLedger``) against the in-process one
(``MemorySpaceLedger``), on SQLite, PostgreSQL and MariaDB, and what sharing it changes: a
space one process made is found by another, instead of a second space and the first left
serving nothing."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest

from meetlink.adapters.clock import ManualClock
from meetlink.adapters.google_meet import MemorySpaceLedger, SpaceLedger
from meetlink.adapters.sqlalchemy import SqlSpaceLedger, SqlStorage
from meetlink.domain.conference import MeetingTerms
from meetlink.emulators.google_meet import GoogleMeetEmulator
from meetlink.ports.provider import Meeting, MeetingRequest
from tests.providers.targets import T0, pkce

from .test_statement_counts import Counter


@pytest.fixture
def storages(fresh_database_url: str, encryption_key: str) -> Iterator[list[SqlStorage]]:
    """Two storages on one database: two processes of one installation."""
    made = [
        SqlStorage(fresh_database_url, encryption_keys=[encryption_key], create_schema=True)
        for _ in range(2)
    ]
    yield made
    for storage in made:
        storage.close()


@pytest.fixture(params=["memory", "sql"])
def ledger(request: pytest.FixtureRequest, storages: list[SqlStorage]) -> SpaceLedger:
    if request.param == "memory":
        return MemorySpaceLedger()
    return SqlSpaceLedger(storages[0])


def test_the_ledger_contract(ledger: SpaceLedger) -> None:
    assert ledger.entry("m1").attempts == 0 and ledger.entry("m1").spaces == ()
    ledger.begin("m1")
    ledger.begin("m1")  # an answer lost, then a retry
    ledger.made("m1", "spaces/b", "https://meet.google.com/bbb-bbbb-bbb")
    ledger.made("m1", "spaces/a", "https://meet.google.com/aaa-aaaa-aaa")
    ledger.made("m1", "spaces/b", "https://meet.google.com/bbb-bbbb-bbb")  # kept once
    entry = ledger.entry("m1")
    assert entry.attempts == 2
    assert entry.spaces == (
        ("spaces/b", "https://meet.google.com/bbb-bbbb-bbb"),  # in the order made
        ("spaces/a", "https://meet.google.com/aaa-aaaa-aaa"),
    )
    assert ledger.marker_of("spaces/a") == "m1" and ledger.marker_of("spaces/zz") is None
    ledger.made("m2", "spaces/c", "https://meet.google.com/ccc-cccc-ccc")  # made, no begin
    assert ledger.entry("m2").attempts == 1
    assert not ledger.is_closed("spaces/a")
    assert ledger.close("spaces/a") is True
    assert ledger.close("spaces/a") is False  # already closed
    assert ledger.is_closed("spaces/a") and not ledger.is_closed("spaces/b")
    entry = ledger.entry("m1")  # the closed ones come with the entry
    assert entry.closed == {"spaces/a"}
    assert entry.open_spaces() == (("spaces/b", "https://meet.google.com/bbb-bbbb-bbb"),)
    assert ledger.close("spaces/unknown") is True  # closed without being made here
    assert ledger.is_closed("spaces/unknown") and ledger.close("spaces/unknown") is False


def test_a_second_process_sees_what_the_first_recorded(storages: list[SqlStorage]) -> None:
    first, second = (SqlSpaceLedger(s) for s in storages)
    first.begin("m1")
    first.made("m1", "spaces/a", "https://meet.google.com/aaa-aaaa-aaa")
    assert second.entry("m1").spaces == (("spaces/a", "https://meet.google.com/aaa-aaaa-aaa"),)
    assert second.close("spaces/a") is True
    assert first.is_closed("spaces/a") and first.close("spaces/a") is False


def _request(clock: ManualClock, marker: str) -> MeetingRequest:
    terms = MeetingTerms(
        topic="Sync", start=clock.now() + timedelta(days=1), duration_minutes=30, timezone="UTC"
    )
    return MeetingRequest(terms=terms, marker=marker)


@pytest.mark.parametrize(("shared", "spaces"), [(True, 1), (False, 2)])
def test_a_create_retried_by_another_process_finds_the_space(
    storages: list[SqlStorage], shared: bool, spaces: int
) -> None:
    """Process A made the space for marker mk and died before meetlink stored it; process B
    runs the job again. With the ledger in the database B gets A's space back (one space);
    with a ledger per process B makes a second, and A's serves nothing."""
    clock = ManualClock(T0)
    meet = GoogleMeetEmulator(clock=clock, seed=7)
    ledgers: list[SpaceLedger] = (
        [SqlSpaceLedger(s) for s in storages] if shared else [MemorySpaceLedger() for _ in storages]
    )
    a, b = (meet.provider(clock=clock, ledger=ledger) for ledger in ledgers)
    user = meet.add_user("ann@contoso.com")
    verifier, challenge = pkce()
    answer = meet.consent(a.authorization_url(state="s", code_challenge=challenge), user)
    tokens = a.exchange_code(code=answer["code"], code_verifier=verifier)

    made = a.create_meeting(tokens.access_token, _request(clock, "mk"))
    again = b.create_meeting(tokens.access_token, _request(clock, "mk"))
    assert len(meet.spaces(user)) == spaces
    if shared:
        assert again.meeting_id == made.meeting_id and again.join_url == made.join_url
        assert [m.meeting_id for m in b.find_by_marker(tokens.access_token, "mk")] == [
            made.meeting_id
        ]
        assert b.delete_meeting(tokens.access_token, made.meeting_id) is True
        assert a.delete_meeting(tokens.access_token, made.meeting_id) is False  # B closed it
        fresh = a.create_meeting(tokens.access_token, _request(clock, "mk"))
        assert fresh.meeting_id != made.meeting_id  # a closed space is not handed out again
    for provider in (a, b):
        provider.close()


def test_purge_forgets_closed_spaces_and_settled_creates(storages: list[SqlStorage]) -> None:
    clock = ManualClock(T0)
    ledger = SqlSpaceLedger(storages[0], now=clock.now)
    ledger.begin("old")
    ledger.made("old", "spaces/old", "https://meet.google.com/old-oooo-old")
    ledger.begin("lost")  # an answer lost: no space known
    ledger.begin("live")
    ledger.made("live", "spaces/live", "https://meet.google.com/liv-eeee-liv")
    assert ledger.close("spaces/old")
    clock.advance(timedelta(days=40))
    ledger.begin("new")
    assert ledger.purge(clock.now() - timedelta(days=30)) == 3  # spaces/old, old, lost
    assert ledger.entry("old").spaces == () and ledger.entry("lost").attempts == 0
    assert ledger.entry("live").spaces == (("spaces/live", "https://meet.google.com/liv-eeee-liv"),)
    assert ledger.entry("new").attempts == 1
    assert not ledger.is_closed("spaces/old")  # forgotten: no longer known as closed


def test_a_lookup_by_marker_is_one_statement_however_many_spaces(
    storages: list[SqlStorage],
) -> None:
    """``create_meeting`` (a retry that gets its space back) and ``find_by_marker`` read the
    marker's spaces and which are closed in one statement, not one more per space (with
    ``is_closed`` per space, four spaces took five transactions)."""
    clock = ManualClock(T0)
    meet = GoogleMeetEmulator(clock=clock, seed=7)
    storage = storages[0]
    provider = meet.provider(clock=clock, ledger=SqlSpaceLedger(storage))
    user = meet.add_user("ann@contoso.com")
    verifier, challenge = pkce()
    answer = meet.consent(provider.authorization_url(state="s", code_challenge=challenge), user)
    token = provider.exchange_code(code=answer["code"], code_verifier=verifier).access_token
    made: list[Meeting] = []
    for _ in range(4):  # four spaces on one marker, three closed
        if made:
            assert provider.delete_meeting(token, made[-1].meeting_id)
        made.append(provider.create_meeting(token, _request(clock, "mk")))
    assert len({m.meeting_id for m in made}) == 4
    counted = Counter(storage.engine)

    found = provider.find_by_marker(token, "mk")
    assert [m.meeting_id for m in found] == [made[3].meeting_id]
    assert counted.take() == {"statements": 1, "transactions": 1, "commits": 1}
    again = provider.create_meeting(token, _request(clock, "mk"))
    assert again.meeting_id == made[3].meeting_id
    assert counted.take() == {"statements": 1, "transactions": 1, "commits": 1}
    provider.close()
