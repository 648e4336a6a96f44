"""Why the last attempt failed, as the host reads it: on the conference and on its job. Each
test kills a survivor of the app/ mutation run (docs/testing.md, "Mutation testing")."""

from __future__ import annotations

from datetime import timedelta

from meetlink import (
    ConferenceStatus,
    HostNotice,
    HostNoticeKind,
    Participant,
    ProviderUnavailable,
)
from meetlink.errors import RateLimited
from tests.notices import notices_into

from .conftest import World, make_world


def test_a_failed_attempt_is_told_on_the_conference(linked: World) -> None:
    linked.zoom.fail_next(ProviderUnavailable("503 service unavailable"), method="create_meeting")
    conference = linked.meetlink.save_event(linked.event()).conference
    assert conference is not None and conference.status is ConferenceStatus.PENDING
    assert conference.error == "ProviderUnavailable: 503 service unavailable"


def test_a_rate_limited_job_waits_and_says_why(linked: World) -> None:
    back = linked.clock.now() + timedelta(seconds=30)
    linked.zoom.fail_next(RateLimited("429 too many requests", retry_at=back),
                          method="create_meeting")  # fmt: skip
    linked.meetlink.save_event(linked.event())
    [job] = linked.meetlink.pending_jobs()
    assert (job.kind, job.run_at, job.last_error) == (
        "sync",
        back,
        "RateLimited: 429 too many requests",
    )


def test_a_mail_that_fails_for_good_is_told_with_its_event() -> None:
    notices: list[HostNotice] = []
    w = make_world(listener=notices_into(notices))
    w.meetlink.start_trial("t1")
    w.link("alice", w.zoom.add_account("alice@corp.example"))
    w.meetlink.save_event(w.event(participants=(Participant("bob@example.com"),)))
    w.mailer.fail_next(1, permanent=True)  # the invitation is refused for good
    w.meetlink.run_pending()
    assert [(n.kind, n.tenant_id, n.event_id, n.detail) for n in notices] == [
        (
            HostNoticeKind.WORK_FAILED,
            "t1",
            "e1",
            "mail job gave up: MailDeliveryFailed: injected mail failure",
        )
    ]
