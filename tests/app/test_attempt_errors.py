"""Why the last attempt failed, as the host reads it: on the conference and on its job. Each
test kills a survivor of the app/ mutation run (docs/testing.md, "Mutation testing")."""

from __future__ import annotations

from datetime import timedelta

from meetlink import ConferenceStatus, ProviderUnavailable
from meetlink.errors import RateLimited

from .conftest import World


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
