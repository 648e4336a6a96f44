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
    ml.complete_link(params["state"], code=params["code"], user_id="alice", tenant_id="acme")
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


MAIL_TEST = """
from email import policy
from email.headerregistry import HeaderRegistry, UnstructuredHeader
from email.message import EmailMessage

import pytest


class SpaceDropping(UnstructuredHeader):
    def fold(self, *, policy):
        return f"{self.name}: {str(self).replace(' ', '')}{policy.linesep}"


def lossy():
    registry = HeaderRegistry()
    registry.map_to_type("subject", SpaceDropping)
    message = EmailMessage(policy=policy.SMTP.clone(header_factory=registry))
    message["To"] = "bob@example.com"
    message["Subject"] = "Zoom is down"
    message.set_content("body")
    return message


def test_lossy_mail(meetlink_sandbox):
    meetlink_sandbox.mailer.send(lossy())


def test_lossy_mail_written_to_files(tmp_path):
    from meetlink.adapters.mail import DirectoryMailer

    DirectoryMailer(tmp_path).send(lossy())


@pytest.mark.meetlink_unchecked_mail
def test_lossy_mail_on_purpose(meetlink_sandbox):
    meetlink_sandbox.mailer.send(lossy())
"""


@pytest.mark.parametrize("how", ["ini", "option"])
def test_mail_check_fails_a_test_whose_mail_reads_back_differently(
    pytester: pytest.Pytester, how: str
) -> None:
    pytester.makepyfile(test_host=HOST_TEST.replace("EXPECTATION", "True"), test_mail=MAIL_TEST)
    if how == "ini":
        pytester.makeini("[pytest]\nmeetlink_check_mail = true\n")
    option = ["--meetlink-check-mail"] if how == "option" else []
    result = pytester.runpytest_subprocess("-q", *option)
    # The host's own flow passes the check; the lossy mail errors at teardown unless the
    # test opted out.
    result.assert_outcomes(passed=4, errors=2)
    result.stdout.fnmatch_lines(
        [
            "*ERROR at teardown of test_lossy_mail *",
            "*subject: policy.default reads 'Zoomisdown', sent 'Zoom is down'*",
            "*ERROR at teardown of test_lossy_mail_written_to_files *",
        ]
    )
