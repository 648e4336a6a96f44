"""``MeetLink.tenant(tenant_id)`` and ``AsyncMeetLink.tenant``: the facade for one tenant, and
``tenant_id`` a required keyword wherever the facade takes a user or event id."""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Callable

import pytest

from meetlink import (
    ConferenceStatus,
    InvalidEvent,
    InvalidInput,
    LinkRequest,
    MeetLink,
    NotMeetingHost,
    SubscriptionState,
    TenantMeetLink,
    UnknownEvent,
)
from meetlink.aio import AsyncMeetLink, AsyncTenantMeetLink
from meetlink.domain.issuance import IssuancePolicy
from tests.app.conftest import World

SCOPED = {
    "link": ("user_id", "provider"),
    "unlink": ("user_id", "provider"),
    "conference": ("event_id",),
    "event": ("event_id",),
    "start_url": ("event_id", "user_id"),
    "delete_event": ("event_id",),
    "retry": ("event_id",),
}


@pytest.mark.parametrize("facade", [MeetLink, AsyncMeetLink], ids=["MeetLink", "AsyncMeetLink"])
def test_tenant_id_is_a_required_keyword_wherever_an_id_is_taken(
    facade: type[MeetLink] | type[AsyncMeetLink],
) -> None:
    for name, leading in SCOPED.items():
        params = inspect.signature(getattr(facade, name)).parameters
        assert tuple(params)[1 : 1 + len(leading)] == leading, name
        tenant = params["tenant_id"]
        assert tenant.kind is inspect.Parameter.KEYWORD_ONLY, name
        assert tenant.default is inspect.Parameter.empty, name
    complete = inspect.signature(facade.complete_link).parameters
    for required in ("user_id", "tenant_id"):
        assert complete[required].kind is inspect.Parameter.KEYWORD_ONLY
        assert complete[required].default is inspect.Parameter.empty


def test_a_call_without_its_tenant_is_refused(linked: World) -> None:
    ml = linked.meetlink
    with pytest.raises(TypeError):
        ml.link("alice")  # type: ignore[call-arg]
    with pytest.raises(TypeError):
        ml.conference("e1")  # type: ignore[call-arg]
    with pytest.raises(InvalidInput):
        ml.link("alice", tenant_id=None)  # type: ignore[arg-type]


@pytest.mark.parametrize("bad", ["", " ", "t\x00", "t" * 192, None, 42])
def test_the_handle_checks_its_tenant_once_when_made(world: World, bad: object) -> None:
    with pytest.raises(InvalidInput) as info:
        world.meetlink.tenant(bad)  # type: ignore[arg-type]
    assert "tenant_id" in str(info.value)


def test_the_handle_is_the_facade_for_its_tenant(world: World) -> None:
    ml = world.meetlink
    t1, t2 = ml.tenant("t1"), ml.tenant("t2")
    assert isinstance(t1, TenantMeetLink) and t1.tenant_id == "t1" and t1.meetlink is ml
    assert t1.subscription().state is SubscriptionState.NOT_STARTED
    assert t1.start_trial().state is SubscriptionState.TRIAL
    assert ml.subscription("t1").state is SubscriptionState.TRIAL
    assert t2.subscription().state is SubscriptionState.NOT_STARTED  # its own contract
    t2.contract()
    t1.set_policy(IssuancePolicy.roadmap())
    assert t1.policy() == IssuancePolicy.roadmap() and t2.policy() == IssuancePolicy.seed()
    t1.set_policy(None)

    account = world.zoom.add_account("alice@corp.example")
    request = t1.begin_link("alice")
    params = world.zoom.authorize(request.authorize_url, account)
    linked = t1.complete_link(params["state"], code=params["code"], user_id="alice")
    assert (linked.tenant_id, linked.user_id) == ("t1", "alice")
    assert t1.link("alice") == linked == ml.link("alice", tenant_id="t1")
    assert t2.link("alice") is None
    assert t1.web_meeting_available("alice") and not t2.web_meeting_available("alice")

    saved = t1.save_event(world.event("e1"))
    assert saved.conference is not None and saved.conference.status is ConferenceStatus.ISSUED
    assert t1.conference("e1") == saved.conference == ml.conference("e1", tenant_id="t1")
    assert t1.event("e1") == world.event("e1") and t2.event("e1") is None
    assert t2.conference("e1") is None
    assert t1.start_url("e1", "alice").startswith("https://")
    with pytest.raises(NotMeetingHost):
        t1.start_url("e1", "bob")
    with pytest.raises(UnknownEvent):
        t2.start_url("e1", "alice")
    assert t1.retry("e1") == saved.conference
    with pytest.raises(UnknownEvent):
        t2.retry("e1")
    assert t2.delete_event("e1", actor_id="bob") is False
    assert t1.delete_event("e1", actor_id="bob") is True
    assert t1.unlink("alice") is True and t1.link("alice") is None


def test_the_handle_refuses_another_tenants_event_and_stores_nothing(linked: World) -> None:
    t2 = linked.meetlink.tenant("t2")
    with pytest.raises(InvalidEvent) as info:
        t2.save_event(linked.event("e1"))  # an event of t1
    assert info.value.field == "tenant_id"
    with pytest.raises(InvalidEvent):
        t2.web_meeting_available("alice", event=linked.event("e1"))
    assert linked.meetlink.event("e1", tenant_id="t1") is None
    assert linked.meetlink.event("e1", tenant_id="t2") is None
    assert linked.zoom.live_meetings() == [] and linked.meetlink.pending_jobs() == []


def test_the_async_handle_is_the_handle_off_the_event_loop(linked: World) -> None:
    async def scenario() -> None:
        async with AsyncMeetLink(linked.meetlink) as aml:
            t1 = aml.tenant("t1")
            assert isinstance(t1, AsyncTenantMeetLink) and t1.tenant_id == "t1"
            with pytest.raises(InvalidInput):
                aml.tenant("")
            saved = await t1.save_event(linked.event("e1"))
            assert saved.conference is not None
            assert await t1.conference("e1") == saved.conference
            assert await aml.tenant("t2").conference("e1") is None
            with pytest.raises(InvalidEvent):
                await aml.tenant("t2").save_event(linked.event("e2"))
            assert (await t1.link("alice")) == linked.meetlink.link("alice", tenant_id="t1")
            assert await t1.web_meeting_available("alice")
            assert (await t1.subscription()).active
            assert await t1.start_url("e1", "alice")
            assert await t1.retry("e1") == saved.conference
            assert await t1.event("e1") == linked.event("e1")
            assert await t1.delete_event("e1", actor_id="bob") is True
            assert await t1.unlink("alice") is True

    asyncio.run(scenario())


def test_clearing_a_tenants_policy_returns_it_to_the_setting_and_leaves_others(
    world: World,
) -> None:
    # A survivor of the app/ mutation run: Policies.set deleting the policy of tenant None.
    ml = world.meetlink
    t1, t2 = ml.tenant("t1"), ml.tenant("t2")
    t1.set_policy(IssuancePolicy.roadmap())
    t2.set_policy(IssuancePolicy.roadmap())
    t1.set_policy(None)
    assert t1.policy() == IssuancePolicy.seed()
    assert t2.policy() == IssuancePolicy.roadmap()


def test_the_handle_passes_every_argument_on() -> None:
    """Each argument the handle takes reaches the facade: the event a form shows, who deleted
    an event, the reason of a refusal, and the provider's error description of a callback."""
    from meetlink import AdminApprovalRequired, HostNotice, HostNoticeKind
    from meetlink.testing import Sandbox
    from tests.app.conftest import make_world
    from tests.notices import notices_into

    notices: list[HostNotice] = []
    w = make_world(listener=notices_into(notices))
    w.meetlink.start_trial("t1")
    w.link("alice", w.zoom.add_account("alice@corp.example"))
    t1 = w.meetlink.tenant("t1")
    assert t1.web_meeting_available("alice")
    assert t1.web_meeting_available("alice", event=w.event())  # a timed one-off event
    # The seed's policy gives no URL to a recurring event: only known from the event.
    assert not t1.web_meeting_available("alice", event=w.event(recurrence="FREQ=DAILY"))
    assert t1.save_event(w.event("e1")).conference is not None
    assert t1.delete_event("e1", actor_id="bob")
    assert [(n.kind, n.user_id) for n in notices] == [
        (HostNoticeKind.EVENT_DELETED_BY_OTHER, "alice")
    ]
    with pytest.raises(InvalidEvent) as info:
        w.meetlink.tenant("t2").save_event(w.event("e2"))
    assert info.value.params["reason"] == "other_tenant"
    with Sandbox(with_teams=True) as sb:
        sb.meetlink.contract("t1")
        handle = sb.meetlink.tenant("t1")
        flows: list[tuple[Callable[..., object], Callable[[], LinkRequest]]] = [
            (handle.complete_link, lambda: handle.begin_link("carol", provider="teams")),
            (
                handle.complete_org_link,
                lambda: handle.begin_org_link("teams", admin_user_id="carol"),
            ),
        ]
        for complete, begin in flows:
            request = begin()
            with pytest.raises(AdminApprovalRequired):
                complete(
                    request.state,
                    error="access_denied",
                    error_description="AADSTS90094: Need admin approval.",
                    **({"user_id": "carol"} if complete == handle.complete_link
                       else {"admin_user_id": "carol"}),
                )  # fmt: skip
