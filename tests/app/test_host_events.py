"""The host event feed through the facade (in-memory storage): what is recorded for which
change, that the listener gets the same events after commit, relink starts, paging, purge and
tenant isolation. The store-level ordering and crash tests are in tests/storage."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from meetlink import HostEvent, HostEventKind, HostNoticeKind, InvalidInput, Relink
from meetlink.domain.results import NOTICE_KINDS
from meetlink.errors import AuthExpired, ProviderRejected

from .conftest import World, make_world

K = HostEventKind


def _kinds(events: list[HostEvent]) -> list[HostEventKind]:
    return [e.kind for e in events]


def test_issue_update_and_withdrawal_are_recorded_and_told_after_commit() -> None:
    told: list[Any] = []
    w = make_world(listener=told.append)
    w.meetlink.contract("t1")
    w.link("alice", w.zoom.add_account("alice@corp.example"))
    w.meetlink.save_event(w.event())
    later = w.event().start + timedelta(hours=1)
    w.meetlink.save_event(w.event(start=later))  # time moved
    w.meetlink.save_event(w.event(start=later, title="Renamed"))  # same URL and time: not told
    w.meetlink.save_event(w.event(start=later, web_meeting=None))  # unticked: the URL goes
    feed = w.meetlink.events(tenant_id="t1")
    assert _kinds(feed) == [K.CONFERENCE_ISSUED, K.CONFERENCE_UPDATED, K.CONFERENCE_WITHDRAWN]
    assert [e.id for e in feed] == ["1", "2", "3"]
    assert all((e.tenant_id, e.user_id, e.event_id, e.provider) == ("t1", "alice", "e1", "zoom")
               for e in feed)  # fmt: skip
    assert told == feed  # the listener got the very events the feed holds, in order
    assert all(isinstance(e, HostEvent) and e.relink is None for e in feed)


def test_a_failed_conference_is_recorded_with_its_reason() -> None:
    w = make_world()
    w.meetlink.contract("t1")
    w.link("alice", w.zoom.add_account("alice@corp.example"))
    w.zoom.fail_next(ProviderRejected("meeting topic refused", status=400), method="create_meeting")
    w.meetlink.save_event(w.event())
    failed, gave_up = w.meetlink.events(tenant_id="t1")  # the conference, and the notice
    assert (failed.kind, gave_up.kind) == (K.CONFERENCE_FAILED, K.WORK_FAILED)
    assert failed.event_id == gave_up.event_id == "e1" and failed.provider == "zoom"
    assert "meeting topic refused" in failed.detail


def _break_the_link(w: World) -> None:
    """alice's link, then an update whose token and its refresh both get 401: LINK_BROKEN."""
    w.meetlink.contract("t1")
    w.link("alice", w.zoom.add_account("alice@corp.example"))
    w.meetlink.save_event(w.event())
    w.zoom.fail_next(AuthExpired("401"), method="update_meeting")
    w.zoom.fail_next(AuthExpired("401"), method="update_meeting")
    w.meetlink.save_event(w.event(title="Renamed"))


def test_a_broken_link_carries_its_relink_start() -> None:
    told: list[Any] = []
    w = make_world(listener=told.append)
    _break_the_link(w)
    broken = [e for e in w.meetlink.events(tenant_id="t1") if e.kind is K.LINK_BROKEN]
    assert len(broken) == 1 and broken[0].kind is HostNoticeKind.LINK_BROKEN  # one enum
    relink = broken[0].relink
    assert relink == Relink(tenant_id="t1", user_id="alice", provider="zoom")
    assert relink.admin_consent_url is None  # the fake provider has no admin consent page
    assert [e for e in told if e.kind is K.LINK_BROKEN] == broken
    request = w.meetlink.begin_link(**relink.arguments)  # one step to link again
    assert request.authorize_url


def test_a_broken_links_relink_names_the_providers_admin_consent_page(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    w = make_world()
    page = "https://login.example/adminconsent?client_id=app"  # as Teams has one
    monkeypatch.setattr(w.zoom, "admin_consent_url", lambda: page, raising=False)
    _break_the_link(w)
    [broken] = [e for e in w.meetlink.events(tenant_id="t1") if e.kind is K.LINK_BROKEN]
    assert broken.relink is not None and broken.relink.admin_consent_url == page


def test_a_failing_listener_loses_nothing_and_breaks_nothing() -> None:
    def listener(event: HostEvent) -> None:
        raise RuntimeError("the host's bug")

    w = make_world(listener=listener)
    w.meetlink.contract("t1")
    w.link("alice", w.zoom.add_account("alice@corp.example"))
    result = w.meetlink.save_event(w.event())
    assert result.conference is not None and result.conference.join_url
    assert _kinds(w.meetlink.events(tenant_id="t1")) == [K.CONFERENCE_ISSUED]


def test_tenants_have_their_own_feeds() -> None:
    w = make_world()
    for tenant in ("t1", "t2"):
        w.meetlink.contract(tenant)
        w.link("alice", w.zoom.add_account(f"alice@{tenant}.example"), tenant_id=tenant)
        w.meetlink.save_event(w.event(tenant_id=tenant))
    w.meetlink.save_event(w.event(tenant_id="t2", web_meeting=None))
    one, two = (w.meetlink.events(tenant_id=t) for t in ("t1", "t2"))
    assert [(e.id, e.kind) for e in one] == [("1", K.CONFERENCE_ISSUED)]
    assert [(e.id, e.kind) for e in two] == [("1", K.CONFERENCE_ISSUED),
                                             ("2", K.CONFERENCE_WITHDRAWN)]  # fmt: skip
    assert all(e.tenant_id == "t2" for e in two)
    assert w.meetlink.tenant("t2").events(after="1") == two[1:]
    assert w.meetlink.events(tenant_id="t3") == []


def test_paging_with_after_and_limit() -> None:
    w = make_world()
    w.meetlink.contract("t1")
    w.link("alice", w.zoom.add_account("alice@corp.example"))
    for n in range(5):
        w.meetlink.save_event(w.event(f"e{n}"))
    feed = w.meetlink.events(tenant_id="t1")
    assert [e.id for e in feed] == ["1", "2", "3", "4", "5"]
    assert w.meetlink.events(tenant_id="t1", after="2", limit=2) == feed[2:4]
    assert w.meetlink.events(tenant_id="t1", after="0") == feed
    assert w.meetlink.events(tenant_id="t1", after="5") == []
    assert w.meetlink.events(tenant_id="t1", after="999999") == []


@pytest.mark.parametrize(
    "after", ["", "abc", "-1", "01", " 1", "1.0", "1e3", "9" * 20, "१", 3, b"1", 1.0]
)
def test_an_after_that_is_no_event_id_is_refused(after: object) -> None:
    w = make_world()
    with pytest.raises(InvalidInput, match="after"):
        w.meetlink.events(tenant_id="t1", after=after)  # type: ignore[arg-type]


def test_a_feed_id_is_no_job_page_cursor() -> None:
    w = make_world()
    with pytest.raises(InvalidInput, match="after"):
        w.meetlink.failed_jobs(after="1")  # type: ignore[arg-type]


def test_purge_forgets_events_past_the_retention_and_numbering_goes_on() -> None:
    w = make_world(host_event_retention=timedelta(days=7))
    w.meetlink.contract("t1")
    w.link("alice", w.zoom.add_account("alice@corp.example"))
    w.meetlink.save_event(w.event("old"))
    w.clock.advance(timedelta(days=6))
    w.meetlink.save_event(w.event("recent"))
    w.clock.advance(timedelta(days=2))  # "old" is 8 days old, "recent" 2
    w.meetlink.purge()
    feed = w.meetlink.events(tenant_id="t1")
    assert [(e.id, e.event_id) for e in feed] == [("2", "recent")]
    w.meetlink.save_event(w.event("new"))
    assert w.meetlink.events(tenant_id="t1", after="2")[0].id == "3"  # never "1" again


# --- two consumers reading while changes happen ------------------------------------------


class TwoConsumers(RuleBasedStateMachine):
    """Any interleaving of changes in two tenants and reads by two consumers of tenant t1 that
    each resume from the last id they processed: each consumer sees every event of t1 once,
    in order, and nothing of t2."""

    def __init__(self) -> None:
        super().__init__()
        self.w: World = make_world()
        for tenant in ("t1", "t2"):
            self.w.meetlink.contract(tenant)
            self.w.link("alice", self.w.zoom.add_account(f"a@{tenant}.example"), tenant_id=tenant)
        self.seen: list[list[HostEvent]] = [[], []]
        self.cursor: list[str | None] = [None, None]

    @rule(
        tenant=st.sampled_from(["t1", "t2"]),
        event=st.sampled_from(["e1", "e2", "e3"]),
        change=st.sampled_from(["save", "move", "untick", "delete"]),
    )
    def change(self, tenant: str, event: str, change: str) -> None:
        ml, base = self.w.meetlink, self.w.event(event, tenant_id=tenant)
        if change == "save":
            ml.save_event(base)
        elif change == "move":
            ml.save_event(self.w.event(event, tenant_id=tenant, start=base.start + timedelta(
                minutes=30 * (1 + len(self.seen[0]) % 5))))  # fmt: skip
        elif change == "untick":
            ml.save_event(self.w.event(event, tenant_id=tenant, web_meeting=None))
        else:
            ml.delete_event(event, tenant_id=tenant)

    @rule(consumer=st.sampled_from([0, 1]), limit=st.integers(1, 4))
    def read(self, consumer: int, limit: int) -> None:
        page = self.w.meetlink.events(tenant_id="t1", after=self.cursor[consumer], limit=limit)
        self.seen[consumer].extend(page)
        if page:
            self.cursor[consumer] = page[-1].id

    @precondition(lambda self: True)
    @invariant()
    def each_consumer_saw_a_prefix_of_the_feed_once_in_order(self) -> None:
        feed = self.w.meetlink.events(tenant_id="t1", limit=1000)
        assert all(e.tenant_id == "t1" for e in feed)
        assert [e.id for e in feed] == [str(n) for n in range(1, len(feed) + 1)]
        for seen in self.seen:
            assert seen == feed[: len(seen)]

    def teardown(self) -> None:
        feed = self.w.meetlink.events(tenant_id="t1", limit=1000)
        for consumer in (0, 1):  # catching up: nothing missed, nothing twice
            while page := self.w.meetlink.events(tenant_id="t1", after=self.cursor[consumer]):
                self.seen[consumer].extend(page)
                self.cursor[consumer] = page[-1].id
            assert self.seen[consumer] == feed
        self.w.meetlink.close()


TestTwoConsumers = TwoConsumers.TestCase


def test_the_owner_is_told_when_another_user_deletes_her_event() -> None:
    """Issue 24, finding 6: when Bob deleted Alice's event, Alice was not told."""
    told: list[Any] = []
    w = make_world(listener=told.append)
    w.meetlink.contract("t1")
    w.link("alice", w.zoom.add_account("alice@corp.example"))
    w.meetlink.save_event(w.event())
    w.meetlink.save_event(w.event("e2"))
    w.meetlink.save_event(w.event("e3", web_meeting=None))
    assert w.meetlink.delete_event("e1", tenant_id="t1", actor_id="bob")
    assert w.meetlink.delete_event("e2", tenant_id="t1", actor_id="alice")  # her own: no notice
    assert w.meetlink.delete_event("e3", tenant_id="t1")  # no actor named: no notice
    assert w.meetlink.tenant("t1").delete_event("e1", actor_id="bob") is False  # gone already
    deleted = [e for e in w.meetlink.events(tenant_id="t1") if e.kind is K.EVENT_DELETED_BY_OTHER]
    assert len(deleted) == 1
    (notice,) = deleted
    assert (notice.tenant_id, notice.user_id, notice.event_id) == ("t1", "alice", "e1")
    assert "bob" in notice.detail
    assert K.EVENT_DELETED_BY_OTHER in NOTICE_KINDS  # a notice for the owner, not a change log
    assert [e for e in told if e.kind is K.EVENT_DELETED_BY_OTHER] == deleted
