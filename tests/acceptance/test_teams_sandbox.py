"""Microsoft Teams (R1) through the test kit: a Sandbox with both providers."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from meetlink import AdminApprovalRequired, ConferenceStatus, Event, Participant, Refusal
from meetlink.testing import Sandbox
from tests.mailtext import plain

T0 = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


def _event(sb: Sandbox, event_id: str, owner: str, provider: str) -> Event:
    start = sb.clock.now() + timedelta(days=1)
    return Event(
        event_id,
        "t1",
        owner,
        "Review",
        start,
        start + timedelta(minutes=90),
        participants=(Participant("bob@example.com"),),
        web_meeting=provider,
    )


def test_teams_is_unknown_unless_registered() -> None:
    with Sandbox(now=T0) as sb:
        sb.meetlink.contract("t1")
        result = sb.meetlink.save_event(_event(sb, "e1", "alice", "teams"))
        assert Refusal.UNKNOWN_PROVIDER in result.refusals


def test_zoom_and_teams_side_by_side() -> None:
    with Sandbox(now=T0, with_teams=True, seed=2) as sb:
        assert sb.teams is not None
        sb.meetlink.contract("t1")
        sb.link_user("t1", "alice")
        carol = sb.teams.add_user("carol@contoso.example")
        request = sb.meetlink.begin_link("t1", "carol", provider="teams")
        params = sb.teams.consent(request.authorize_url, carol)
        link = sb.meetlink.complete_link(
            params["state"], code=params["code"], user_id="carol", tenant_id="t1"
        )
        assert (
            link.provider == "teams" and sb.meetlink.link("carol", "teams", tenant_id="t1") == link
        )
        assert sb.meetlink.link("carol", tenant_id="t1") is None  # no Zoom link

        zoom_conf = sb.meetlink.save_event(_event(sb, "z1", "alice", "zoom")).conference
        teams_result = sb.meetlink.save_event(_event(sb, "t1", "carol", "teams"))
        assert zoom_conf is not None and zoom_conf.provider == "zoom"
        teams_conf = teams_result.conference
        assert teams_conf is not None and teams_conf.status is ConferenceStatus.ISSUED
        assert teams_conf.provider == "teams" and teams_result.notices == ()  # no 40-min limit
        assert len(sb.teams.meetings()) == 1 and len(sb.zoom.meetings()) == 1
        assert (
            sb.meetlink.start_url("t1", "carol", tenant_id="t1") == teams_conf.join_url
        )  # no host URL

        sb.meetlink.run_pending()
        assert any(teams_conf.join_url in plain(m) for m in sb.outbox)

        assert sb.meetlink.delete_event("t1", tenant_id="t1")
        assert sb.teams.meetings() == []


def test_teams_admin_approval_reported_in_the_error_description() -> None:
    with Sandbox(now=T0, with_teams=True) as sb:
        sb.meetlink.contract("t1")
        request = sb.meetlink.begin_link("t1", "carol", provider="teams")
        with pytest.raises(AdminApprovalRequired):
            sb.meetlink.complete_link(
                request.state,
                error="access_denied",
                error_description="AADSTS90094: Need admin approval.",
                user_id="carol",
                tenant_id="t1",
            )
