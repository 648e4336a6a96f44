"""A provider account whose plan or licence cannot host meetings (issue 22's "the
organisation's plan cannot create meetings", and the same for a user's own link): Zoom's
400 code 3161 and Graph's bare 403 become HostingNotAllowed, told apart from the other
refusals; the conference is FAILED with that reason, not retried as if the provider were down."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from meetlink import ConferenceStatus, Event, HostingNotAllowed, ProviderRejected, messages
from meetlink.adapters.teams.failures import graph_failure
from meetlink.adapters.zoom.failures import api_failure
from meetlink.testing import Sandbox

T0 = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
_3161 = "Meeting hosting and scheduling capabilities are not allowed for your user account."


def _zoom(code: int, message: str) -> bytes:
    return json.dumps({"code": code, "message": message}).encode()


def _graph(code: str, message: str) -> bytes:
    return json.dumps({"error": {"code": code, "message": message}}).encode()


def test_zoom_3161_is_hosting_not_allowed() -> None:
    error = api_failure(400, {}, _zoom(3161, _3161), now=T0, what="create meeting")
    assert isinstance(error, HostingNotAllowed) and isinstance(error, ProviderRejected)
    assert error.provider_code == 3161 and error.status == 400
    assert "3161" in str(error) and "admin" in str(error)


@pytest.mark.parametrize(("code", "message"), [(3000, "Cannot access"), (300, "Invalid field")])
def test_other_zoom_refusals_are_not(code: int, message: str) -> None:
    error = api_failure(400, {}, _zoom(code, message), now=T0, what="create meeting")
    assert type(error) is ProviderRejected


def test_a_bare_graph_403_is_hosting_not_allowed() -> None:
    error = graph_failure(403, {}, _graph("Forbidden", ""), now=T0, what="create meeting")
    assert isinstance(error, HostingNotAllowed) and error.status == 403
    assert "licence" in str(error)


@pytest.mark.parametrize(
    ("code", "message"),
    [
        ("General", "No application access policy found for this app."),
        ("Forbidden", "Insufficient privileges to complete the operation."),
        ("Authorization_RequestDenied", ""),
    ],
)
def test_a_graph_403_with_a_reason_is_not(code: str, message: str) -> None:
    error = graph_failure(403, {}, _graph(code, message), now=T0, what="create meeting")
    assert type(error) is ProviderRejected


def _event(provider: str) -> Event:
    start = T0 + timedelta(days=1)
    return Event(id="e1", tenant_id="t1", owner_id="alice", title="Plan", start=start,
                 end=start + timedelta(hours=1), web_meeting=provider)  # fmt: skip


def test_a_linked_zoom_user_who_may_not_host_gets_failed_then_issued_once_allowed() -> None:
    with Sandbox(now=T0, seed=41) as sb:
        sb.meetlink.contract("t1")
        _, zoom_user = sb.link_user("t1", "alice", "alice@example.com")
        sb.zoom.forbid(zoom_user)
        conf = sb.meetlink.save_event(_event("zoom")).conference
        assert conf is not None and conf.status is ConferenceStatus.FAILED
        assert (conf.error or "").startswith("HostingNotAllowed")
        assert conf.error_code == "error.hosting_not_allowed"
        assert messages.text(conf, "ja").startswith(
            "このZoomアカウントのプランやライセンスでは会議を開催できません。"
        )
        assert sb.zoom.meetings() == []
        sb.zoom.allow(zoom_user)
        again = sb.meetlink.retry("e1", tenant_id="t1")
        assert again is not None and again.status is ConferenceStatus.ISSUED
