"""The issuance decision (S11, S17, S18, S22) and the roadmap policy (R2, R3)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from meetlink.domain.event import Event, Source, Span
from meetlink.domain.issuance import (
    CONTEXT_REFUSALS,
    Decision,
    IssuancePolicy,
    Notice,
    ProviderTraits,
    Refusal,
    decide,
)

TOKYO = ZoneInfo("Asia/Tokyo")
START = datetime(2024, 5, 1, 10, 0, tzinfo=TOKYO)
ZOOM_BASIC = ProviderTraits(free_plan_minutes=40, plan="basic")
ZOOM_LICENSED = ProviderTraits(free_plan_minutes=40, plan="licensed")
ALL_GOOD: dict[str, Any] = {"addon_active": True, "linked": True, "provider_known": True}


def make_event(duration: timedelta = timedelta(hours=1), **overrides: Any) -> Event:
    """A seed-issuable event (manual, timed, one-off, URL requested), with overrides."""
    fields: dict[str, Any] = {"web_meeting": "zoom"}
    fields.update(overrides)
    return Event("ev-1", "tenant-1", "user-1", "Sales call", START, START + duration, **fields)


# --- the rule as a property ----------------------------------------------------------------


@st.composite
def contexts(draw: st.DrawFn) -> dict[str, Any]:
    """Arbitrary events and tenant/user/provider context."""
    return {
        "span": draw(st.sampled_from(Span)),
        "recurrence": draw(
            st.one_of(st.none(), st.sampled_from(["FREQ=DAILY", "FREQ=WEEKLY;COUNT=4"]))
        ),
        "source": draw(st.sampled_from(Source)),
        "web_meeting": draw(st.sampled_from([None, "zoom"])),
        "seconds": draw(
            st.one_of(
                st.integers(min_value=1, max_value=5 * 3600),
                st.sampled_from([40 * 60 - 1, 40 * 60, 40 * 60 + 1]),
            )
        ),
        "addon_active": draw(st.booleans()),
        "linked": draw(st.booleans()),
        "link_broken": draw(st.booleans()),
        "provider_known": draw(st.booleans()),
        "plan": draw(st.sampled_from(["basic", "licensed"])),
        "supports_recurring": draw(st.booleans()),
        "policy": draw(st.sampled_from(["seed", "roadmap"])),
    }


@settings(max_examples=400)
@given(ctx=contexts())
def test_url_issued_iff_every_condition_holds_and_each_reason_iff_its_condition(
    ctx: dict[str, Any],
) -> None:
    event = make_event(
        timedelta(seconds=ctx["seconds"]),
        span=ctx["span"],
        recurrence=ctx["recurrence"],
        source=ctx["source"],
        web_meeting=ctx["web_meeting"],
    )
    policy = IssuancePolicy.seed() if ctx["policy"] == "seed" else IssuancePolicy.roadmap()
    traits = ProviderTraits(
        free_plan_minutes=40, plan=ctx["plan"], supports_recurring=ctx["supports_recurring"]
    )
    decision = decide(
        event,
        addon_active=ctx["addon_active"],
        linked=ctx["linked"],
        link_broken=ctx["link_broken"],
        provider_known=ctx["provider_known"],
        traits=traits,
        policy=policy,
    )

    if ctx["web_meeting"] is None:
        # Nothing requested: nothing to refuse, nothing to warn about.
        assert decision.refusals == ()
        assert decision.notices == ()
        assert decision.issue
        assert not decision.withdraws
        return

    roadmap = ctx["policy"] == "roadmap"
    # Each reason, with the condition that alone must produce it. A broken link is a link
    # the user must redo, so it is reported as LINK_BROKEN rather than also NOT_LINKED.
    expected = {
        Refusal.UNKNOWN_PROVIDER: not ctx["provider_known"],
        Refusal.ADDON_INACTIVE: not ctx["addon_active"],
        Refusal.LINK_BROKEN: ctx["link_broken"],
        Refusal.NOT_LINKED: not ctx["linked"] and not ctx["link_broken"],
        Refusal.RECURRING: ctx["recurrence"] is not None
        and not (roadmap and ctx["supports_recurring"]),
        Refusal.PERIOD: ctx["span"] is Span.PERIOD and not roadmap,
        Refusal.ALL_DAY: ctx["span"] is Span.ALL_DAY and not roadmap,
        Refusal.SOURCE_NOT_ALLOWED: ctx["source"] is not Source.MANUAL
        and not (roadmap and ctx["source"] is Source.SCHEDULING_POLL),
    }
    assert set(expected) == set(Refusal)
    for reason, condition in expected.items():
        assert (reason in decision.refusals) == condition, reason
    assert len(decision.refusals) == len(set(decision.refusals)), "a reason appears twice"

    all_hold = not any(expected.values())
    assert decision.issue == all_hold

    over_limit = ctx["seconds"] > 40 * 60
    assert (Notice.FREE_PLAN_TIME_LIMIT in decision.notices) == (
        ctx["plan"] == "basic" and over_limit
    )
    assert set(decision.notices) <= {Notice.FREE_PLAN_TIME_LIMIT}

    assert decision.withdraws == any(r not in CONTEXT_REFUSALS for r in decision.refusals)
    assert decision.withdraws == any(
        condition for reason, condition in expected.items() if reason not in CONTEXT_REFUSALS
    )


def test_context_refusals_are_exactly_addon_link_and_broken_link() -> None:
    assert {Refusal.ADDON_INACTIVE, Refusal.NOT_LINKED, Refusal.LINK_BROKEN} == CONTEXT_REFUSALS


# --- examples named after the rules -----------------------------------------------------------


def test_s11_manual_timed_one_off_event_with_url_requested_is_issued() -> None:
    decision = decide(make_event(), **ALL_GOOD)
    assert decision.issue
    assert decision.refusals == ()
    assert decision.notices == ()
    assert not decision.withdraws


def test_s11_event_without_url_requested_gets_nothing_even_when_all_is_wrong() -> None:
    event = make_event(
        web_meeting=None, span=Span.ALL_DAY, recurrence="FREQ=DAILY", source=Source.IMPORT
    )
    decision = decide(
        event,
        addon_active=False,
        linked=False,
        link_broken=True,
        provider_known=False,
        traits=ZOOM_BASIC,
    )
    assert decision.refusals == ()
    assert decision.notices == ()


def test_s3_inactive_addon_refuses_without_withdrawing() -> None:
    decision = decide(make_event(), addon_active=False, linked=True, provider_known=True)
    assert decision.refusals == (Refusal.ADDON_INACTIVE,)
    assert not decision.issue
    assert not decision.withdraws


def test_s6_unlinked_owner_refuses_without_withdrawing() -> None:
    decision = decide(make_event(), addon_active=True, linked=False, provider_known=True)
    assert decision.refusals == (Refusal.NOT_LINKED,)
    assert not decision.withdraws


def test_broken_link_refuses_without_withdrawing() -> None:
    decision = decide(make_event(), **ALL_GOOD, link_broken=True)
    assert decision.refusals == (Refusal.LINK_BROKEN,)
    assert not decision.withdraws


def test_unknown_provider_refuses() -> None:
    decision = decide(make_event(web_meeting="teams"), **{**ALL_GOOD, "provider_known": False})
    assert decision.refusals == (Refusal.UNKNOWN_PROVIDER,)
    assert not decision.issue


def test_s17_no_url_for_recurring_events() -> None:
    decision = decide(make_event(recurrence="FREQ=WEEKLY;BYDAY=MO"), **ALL_GOOD)
    assert decision.refusals == (Refusal.RECURRING,)
    assert decision.withdraws


def test_s17_no_url_for_period_events() -> None:
    decision = decide(make_event(timedelta(days=3), span=Span.PERIOD), **ALL_GOOD)
    assert decision.refusals == (Refusal.PERIOD,)
    assert decision.withdraws


def test_s17_no_url_for_all_day_events() -> None:
    decision = decide(make_event(timedelta(days=1), span=Span.ALL_DAY), **ALL_GOOD)
    assert decision.refusals == (Refusal.ALL_DAY,)
    assert decision.withdraws


@pytest.mark.parametrize(
    "source",
    [Source.WORKFLOW, Source.IMPORT, Source.SCHEDULING_POLL, Source.ATTENDANCE_CHECK],
)
def test_s18_no_url_for_events_not_registered_by_hand(source: Source) -> None:
    decision = decide(make_event(source=source), **ALL_GOOD)
    assert decision.refusals == (Refusal.SOURCE_NOT_ALLOWED,)
    assert decision.withdraws


def test_s17_s18_all_applicable_reasons_are_returned_together() -> None:
    event = make_event(
        timedelta(days=2), span=Span.PERIOD, recurrence="FREQ=DAILY", source=Source.WORKFLOW
    )
    decision = decide(event, addon_active=False, linked=False, provider_known=False)
    assert set(decision.refusals) == {
        Refusal.UNKNOWN_PROVIDER,
        Refusal.ADDON_INACTIVE,
        Refusal.NOT_LINKED,
        Refusal.RECURRING,
        Refusal.PERIOD,
        Refusal.SOURCE_NOT_ALLOWED,
    }
    assert decision.withdraws


def test_s22_basic_plan_over_40_minutes_gets_a_notice_not_a_refusal() -> None:
    decision = decide(make_event(timedelta(minutes=41)), **ALL_GOOD, traits=ZOOM_BASIC)
    assert decision.notices == (Notice.FREE_PLAN_TIME_LIMIT,)
    assert decision.refusals == ()
    assert decision.issue


def test_s22_basic_plan_one_second_over_40_minutes_gets_the_notice() -> None:
    decision = decide(make_event(timedelta(minutes=40, seconds=1)), **ALL_GOOD, traits=ZOOM_BASIC)
    assert decision.notices == (Notice.FREE_PLAN_TIME_LIMIT,)


def test_s22_basic_plan_of_exactly_40_minutes_gets_no_notice() -> None:
    decision = decide(make_event(timedelta(minutes=40)), **ALL_GOOD, traits=ZOOM_BASIC)
    assert decision.notices == ()
    assert decision.issue


def test_s22_licensed_plan_gets_no_notice_for_long_meetings() -> None:
    decision = decide(make_event(timedelta(hours=3)), **ALL_GOOD, traits=ZOOM_LICENSED)
    assert decision.notices == ()


def test_s22_provider_without_free_limit_gets_no_notice_even_on_basic() -> None:
    traits = ProviderTraits(free_plan_minutes=None, plan="basic")
    decision = decide(make_event(timedelta(hours=3)), **ALL_GOOD, traits=traits)
    assert decision.notices == ()


def test_s22_notice_is_kept_alongside_refusals() -> None:
    decision = decide(
        make_event(timedelta(hours=2), recurrence="FREQ=DAILY"), **ALL_GOOD, traits=ZOOM_BASIC
    )
    assert decision.refusals == (Refusal.RECURRING,)
    assert decision.notices == (Notice.FREE_PLAN_TIME_LIMIT,)


def test_seed_policy_is_the_default() -> None:
    event = make_event(recurrence="FREQ=DAILY", source=Source.SCHEDULING_POLL)
    assert decide(event, **ALL_GOOD) == decide(event, **ALL_GOOD, policy=IssuancePolicy.seed())
    assert IssuancePolicy.seed() == IssuancePolicy()


@pytest.mark.parametrize(
    ("span", "duration"),
    [
        (Span.TIMED, timedelta(hours=1)),
        (Span.PERIOD, timedelta(days=3)),
        (Span.ALL_DAY, timedelta(days=1)),
    ],
)
def test_r2_roadmap_policy_allows_recurring_period_all_day(span: Span, duration: timedelta) -> None:
    event = make_event(duration, span=span, recurrence="FREQ=WEEKLY;COUNT=10")
    decision = decide(event, **ALL_GOOD, policy=IssuancePolicy.roadmap())
    assert decision.issue
    assert decision.refusals == ()
    # The same event is refused under the seed's rules.
    assert not decide(event, **ALL_GOOD).issue


def test_r2_roadmap_still_refuses_recurring_when_the_provider_cannot() -> None:
    decision = decide(
        make_event(recurrence="FREQ=DAILY"),
        **ALL_GOOD,
        policy=IssuancePolicy.roadmap(),
        traits=ProviderTraits(supports_recurring=False),
    )
    assert decision.refusals == (Refusal.RECURRING,)


def test_r3_roadmap_policy_allows_scheduling_poll() -> None:
    event = make_event(source=Source.SCHEDULING_POLL)
    assert decide(event, **ALL_GOOD, policy=IssuancePolicy.roadmap()).issue
    assert decide(event, **ALL_GOOD).refusals == (Refusal.SOURCE_NOT_ALLOWED,)


@pytest.mark.parametrize("source", [Source.WORKFLOW, Source.IMPORT, Source.ATTENDANCE_CHECK])
def test_r3_roadmap_still_refuses_other_non_manual_sources(source: Source) -> None:
    decision = decide(make_event(source=source), **ALL_GOOD, policy=IssuancePolicy.roadmap())
    assert decision.refusals == (Refusal.SOURCE_NOT_ALLOWED,)


def test_r2_a_rule_the_provider_cannot_schedule_gets_a_notice_not_a_refusal() -> None:
    traits = ProviderTraits(recurrence_expressible=False)
    series = make_event(recurrence="FREQ=DAILY")
    roadmap = IssuancePolicy.roadmap()
    assert decide(series, **ALL_GOOD, policy=roadmap, traits=traits) == Decision(
        (), (Notice.RECURRENCE_NOT_EXPRESSIBLE,)
    )
    assert decide(make_event(), **ALL_GOOD, traits=traits) == Decision((), ())  # a one-off


def test_a_policy_without_timed_events_refuses_one_for_its_span() -> None:
    # There is no refusal of its own for a timed event: the span's refusal stands for it.
    policy = IssuancePolicy(spans=frozenset({Span.ALL_DAY}))
    assert decide(make_event(), **ALL_GOOD, policy=policy).refusals == (Refusal.PERIOD,)
