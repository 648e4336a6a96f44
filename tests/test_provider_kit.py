"""The plug-in provider kit: providers that need no link, the port's optional parts checked at
construction, ``Sandbox(providers=...)``, and the contract kit itself (it passes on the fake
and fails on providers that break the contract)."""

from __future__ import annotations

import itertools
import unittest
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import attrs
import pytest

from meetlink import ConferenceStatus, ConfigurationError, Event, LinkNotNeeded, MeetLink
from meetlink.adapters.mail import RecordingMailer
from meetlink.adapters.memory.provider import FakeVideoProvider
from meetlink.adapters.memory.storage import InMemoryStorage
from meetlink.errors import MeetingGone, NotMeetingHost, ProviderRejected
from meetlink.ports.provider import (
    Capabilities,
    Meeting,
    MeetingRequest,
    ProviderAccount,
    TokenSet,
)
from meetlink.testing import (
    ContractFailure,
    ManualClock,
    ProviderContract,
    Sandbox,
    check_provider,
)
from tests.storage.dbservers import private_database, require_server

T0 = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


class Rooms:
    """A provider that needs no link: rooms it keeps, one per marker; it records the access
    tokens it was given."""

    key = "rooms"

    def __init__(self) -> None:
        self.capabilities = Capabilities(display_name="Rooms", needs_link=False,
                                         idempotent_create=True, host_start_url=False,
                                         deauthorization_webhook=False)  # fmt: skip
        self.rooms: dict[str, MeetingRequest] = {}
        self.tokens: list[str] = []
        self._ids = itertools.count(1)

    def _meeting(self, meeting_id: str) -> Meeting:
        if meeting_id not in self.rooms:
            raise MeetingGone(meeting_id)
        request = self.rooms[meeting_id]
        return Meeting(meeting_id=meeting_id, join_url=f"https://rooms.example/{meeting_id}",
                       passcode=None, topic=request.terms.topic, start=request.terms.start,
                       duration_minutes=request.terms.duration_minutes,
                       timezone=request.terms.timezone, marker=request.marker)  # fmt: skip

    def create_meeting(self, access_token: str, request: MeetingRequest) -> Meeting:
        self.tokens.append(access_token)
        for meeting_id, held in self.rooms.items():
            if held.marker == request.marker:
                self.rooms[meeting_id] = request
                return self._meeting(meeting_id)
        meeting_id = f"room-{next(self._ids)}"
        self.rooms[meeting_id] = request
        return self._meeting(meeting_id)

    def update_meeting(self, access_token: str, meeting_id: str, request: MeetingRequest) -> None:
        self.tokens.append(access_token)
        self._meeting(meeting_id)
        self.rooms[meeting_id] = request

    def get_meeting(self, access_token: str, meeting_id: str) -> Meeting:
        return self._meeting(meeting_id)

    def delete_meeting(self, access_token: str, meeting_id: str) -> bool:
        self.tokens.append(access_token)
        return self.rooms.pop(meeting_id, None) is not None

    def find_by_marker(self, access_token: str, marker: str) -> list[Meeting]:
        return [self._meeting(i) for i, r in self.rooms.items() if r.marker == marker]


@attrs.define
class RoomsTarget:
    """The kit's target for :class:`Rooms`."""

    clock: ManualClock = attrs.Factory(lambda: ManualClock(T0))
    provider: Any = attrs.Factory(Rooms)


class TestRoomsProvider(ProviderContract):
    """The kit on a provider that needs no link (OAuth and webhook checks skip)."""

    def make_target(self) -> RoomsTarget:
        return RoomsTarget()


# -- the kit can fail -------------------------------------------------------------------------


class _PlainHttp(Rooms):
    def _meeting(self, meeting_id: str) -> Meeting:
        return attrs.evolve(super()._meeting(meeting_id), join_url=f"http://rooms/{meeting_id}")


class _NotIdempotent(Rooms):
    def create_meeting(self, access_token: str, request: MeetingRequest) -> Meeting:
        meeting_id = f"room-{next(self._ids)}"
        self.rooms[meeting_id] = request
        return self._meeting(meeting_id)


class _ForgetsUpdates(Rooms):
    def update_meeting(self, access_token: str, meeting_id: str, request: MeetingRequest) -> None:
        self._meeting(meeting_id)


@pytest.mark.parametrize(
    ("broken", "check", "said"),
    [
        (_PlainHttp, "test_meeting_lifecycle", "http://rooms/room-1"),  # not https
        (_NotIdempotent, "test_the_marker_finds_the_meeting", "create must be idempotent"),
        (_ForgetsUpdates, "test_meeting_lifecycle", "('Contract check', 'Contract moved')"),
    ],
)
def test_the_kit_fails_a_provider_that_breaks_the_contract(
    broken: type, check: str, said: str
) -> None:
    class Broken(ProviderContract):
        def make_target(self) -> RoomsTarget:
            return RoomsTarget(provider=broken())

    # Failed for the break the provider has, not for another reason.
    # (The first line is the check's own message; pytest's rewriting explains it below.)
    with pytest.raises(AssertionError) as failed:
        getattr(Broken(), check)()
    assert str(failed.value).splitlines()[0] == said
    with pytest.raises(ContractFailure) as caught:
        check_provider(lambda: RoomsTarget(provider=broken()))
    assert caught.value.check == check  # the failing check is named
    assert str(caught.value).splitlines()[0] == f"{check} failed: {said}"
    assert isinstance(caught.value, AssertionError)
    assert isinstance(caught.value.__cause__, AssertionError)


def test_check_provider_names_the_check_a_provider_error_broke() -> None:
    class Raises(Rooms):
        def get_meeting(self, access_token: str, meeting_id: str) -> Meeting:
            raise ProviderRejected("rooms refused", code="nope")

    with pytest.raises(ContractFailure, match=r"^test_meeting_lifecycle failed: rooms refused"):
        check_provider(lambda: RoomsTarget(provider=Raises()))


def test_check_provider_says_what_ran_and_what_did_not_apply() -> None:
    results = check_provider(RoomsTarget)
    assert results["test_meeting_lifecycle"] == "passed"
    assert results["test_works_inside_meetlink"] == "passed"
    assert results["test_links_through_oauth"] == "skipped: the provider needs no link (no OAuth)"
    assert results["test_a_lost_create_is_maybe_applied_and_found"].startswith("skipped: the")
    with pytest.raises(unittest.SkipTest):
        TestRoomsProvider().test_deauthorization_webhook()


# -- construction ------------------------------------------------------------------------------


def _meetlink(*providers: Any) -> MeetLink:
    return MeetLink(storage=InMemoryStorage(), providers=providers, mailer=RecordingMailer())


def test_a_provider_must_have_what_its_capabilities_promise() -> None:
    clock = ManualClock(T0)

    class NoExchange(FakeVideoProvider):
        exchange_code = None  # type: ignore[assignment]

    with pytest.raises(ConfigurationError, match=r"exchange_code \(needs_link=True\)"):
        _meetlink(NoExchange(clock))
    webhook_promised = Rooms()
    webhook_promised.capabilities = attrs.evolve(webhook_promised.capabilities,
                                                 deauthorization_webhook=True)  # fmt: skip
    with pytest.raises(ConfigurationError, match=r"parse_webhook \(deauthorization_webhook"):
        _meetlink(webhook_promised)
    start_promised = Rooms()
    start_promised.capabilities = attrs.evolve(start_promised.capabilities, host_start_url=True)
    with pytest.raises(ConfigurationError, match=r"start_url \(host_start_url=True\)"):
        _meetlink(start_promised)
    no_find = Rooms()
    no_find.find_by_marker = None  # type: ignore[assignment,method-assign]
    with pytest.raises(ConfigurationError, match="find_by_marker"):
        _meetlink(no_find)
    odd = Rooms()
    odd.capabilities = {"display_name": "Odd"}  # type: ignore[assignment]
    with pytest.raises(ConfigurationError, match="Capabilities"):
        _meetlink(odd)
    long_key = Rooms()
    long_key.key = "r" * 33
    with pytest.raises(ConfigurationError, match="32 characters"):
        _meetlink(long_key)
    _meetlink(Rooms(), FakeVideoProvider(clock, key="zoom"))  # all there: accepted


def test_the_provider_types_are_importable_from_the_port() -> None:
    import meetlink.ports.provider as port

    names = ["TokenSet", "Capabilities", "Meeting", "MeetingRequest", "ProviderAccount",
             "VideoProvider", "OAuthProvider", "StartUrlProvider", "WebhookProvider"]  # fmt: skip
    for name in names:
        assert name in port.__all__ and getattr(port, name).__module__
    assert TokenSet is port.TokenSet and ProviderAccount is port.ProviderAccount
    assert "admin_approval_redirects" not in attrs.fields_dict(Capabilities)


# -- a provider that needs no link, inside meetlink ------------------------------------------


@pytest.fixture(params=["sqlite-memory", "postgresql", "mariadb"])
def rooms_sandbox(
    request: pytest.FixtureRequest, tmp_path: Path
) -> Iterator[tuple[Sandbox, Rooms]]:
    """A Sandbox with the Rooms provider, on each database, and the provider."""
    rooms = Rooms()
    if request.param == "sqlite-memory":
        with Sandbox(now=T0, providers=[rooms]) as sb:
            yield sb, rooms
        return
    require_server(request.param)
    with (
        private_database(request.param, tmp_path) as url,
        Sandbox(now=T0, database_url=url, isolate=False, providers=[rooms]) as sb,
    ):
        yield sb, rooms


def test_no_link_needed_from_form_to_deletion(rooms_sandbox: tuple[Sandbox, Rooms]) -> None:
    sb, rooms = rooms_sandbox
    ml = sb.meetlink
    assert not ml.web_meeting_available("t1", "alice", "rooms")  # the add-on is not active
    ml.contract("t1")
    assert ml.web_meeting_available("t1", "alice", "rooms")  # S11 without any link
    with pytest.raises(LinkNotNeeded):
        ml.begin_link("t1", "alice", "rooms")
    assert (
        ml.link("alice", "rooms", tenant_id="t1") is None
        and ml.unlink("alice", "rooms", tenant_id="t1") is False
    )

    start = T0 + timedelta(days=3)
    event = Event("e1", "t1", "alice", "Review", start, start + timedelta(hours=2),
                  web_meeting="rooms")  # fmt: skip
    result = ml.save_event(event)
    assert result.conference is not None and result.refusals == ()
    assert result.conference.status is ConferenceStatus.ISSUED
    assert result.conference.external_account_id == "alice"
    assert ml.start_url("e1", "alice", tenant_id="t1") == result.conference.join_url  # no host URL
    with pytest.raises(NotMeetingHost):
        ml.start_url("e1", "mallory", tenant_id="t1")
    moved = ml.save_event(attrs.evolve(event, title="Review (moved)")).conference
    assert moved is not None and moved.join_url == result.conference.join_url
    assert [r.terms.topic for r in rooms.rooms.values()] == ["Review (moved)"]
    assert ml.handle_webhook("rooms", {}, b"{}").status == 404  # it sends none
    sb.clock.advance(timedelta(days=100))
    assert ml.keep_alive() == 0  # nothing to keep alive
    assert ml.delete_event("e1", tenant_id="t1") is True
    assert rooms.rooms == {} and set(rooms.tokens) == {""}


def test_sandbox_providers_share_its_clock_and_keys_stay_unique() -> None:
    clock = ManualClock(T0)
    with Sandbox(clock=clock, providers=[Rooms()]) as sb:
        assert sb.clock is clock and sb.meetlink.provider_keys == ("rooms", "zoom")
    with pytest.raises(ConfigurationError, match="zoom"):
        Sandbox(providers=[FakeVideoProvider(clock, key="zoom")])
    with pytest.raises(ConfigurationError, match="not both"):
        Sandbox(now=T0, clock=clock)


def test_teams_sends_no_webhooks_and_its_host_joins_with_the_join_url() -> None:
    with Sandbox(now=T0, with_teams=True) as sb:
        reply = sb.meetlink.handle_webhook("teams", {"content-type": "application/json"}, b"{}")
        assert reply.status == 404 and b"no webhooks" in reply.body
