"""The pytest plugin, used from a throwaway host project (pytester)."""

from __future__ import annotations

import pytest

pytest_plugins = ["pytester"]

HOST_TEST = """
from datetime import timedelta
from meetlink import ConferenceStatus, Event, Participant


def test_host_flow(meetlink_sandbox, zoom_emulator, meetlink_clock):
    ml = meetlink_sandbox.meetlink
    ml.start_trial("acme")
    user = zoom_emulator.add_user("alice@acme.example")
    request = ml.begin_link("acme", "alice")
    params = zoom_emulator.consent(request.authorize_url, user)
    ml.complete_link(params["state"], code=params["code"])
    start = meetlink_clock.now() + timedelta(days=1)
    event = Event("ev", "acme", "alice", "Call", start, start + timedelta(hours=1),
                  participants=(Participant("bob@example.com"),), web_meeting="zoom")
    result = ml.save_event(event)
    assert result.conference.status is ConferenceStatus.ISSUED
    assert len(zoom_emulator.meetings(user)) == 1
    ml.run_pending()
    assert [m["To"] for m in meetlink_sandbox.outbox] == ["bob@example.com"]
    assert EXPECTATION
"""


@pytest.mark.parametrize(("expectation", "passed", "failed"), [("True", 1, 0), ("False", 0, 1)])
def test_plugin_fixtures_work_in_a_host_project(
    pytester: pytest.Pytester, expectation: str, passed: int, failed: int
) -> None:
    pytester.makepyfile(test_host=HOST_TEST.replace("EXPECTATION", expectation))
    result = pytester.runpytest_subprocess("-q")
    result.assert_outcomes(passed=passed, failed=failed)
