"""The host-facing view of a stored conference (``ConferenceRecord.public``): what it shows
of each stage, field by field. While a replacement is pending (S21) participants still hold
the kept meeting, so the view shows that one, DETACHED; ``next_attempt_at`` is shown only
for work that is pending."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from meetlink.domain.conference import (
    Conference,
    ConferenceRecord,
    ConferenceStatus,
    KeptMeeting,
)

T0 = datetime(2027, 3, 1, 9, 0, tzinfo=UTC)
NEXT = T0 + timedelta(minutes=5)
URL = "https://zoom.example/j/111"


def _record(**fields: object) -> ConferenceRecord:
    given: dict[str, object] = {
        "tenant_id": "t1",
        "event_id": "e1",
        "provider": "zoom",
        "external_account_id": "acct-1",
        "marker": "m1",
        "created_at": T0,
        **fields,
    }
    return ConferenceRecord(**given)  # type: ignore[arg-type]


def test_an_issued_conference_shows_its_meeting_and_no_next_attempt() -> None:
    record = _record(
        status=ConferenceStatus.ISSUED, meeting_id="111", join_url=URL, passcode="p1",
        error="ProviderUnavailable: the last update failed",
    )  # fmt: skip
    assert record.public(next_attempt_at=NEXT) == Conference(
        event_id="e1",
        provider="zoom",
        status=ConferenceStatus.ISSUED,
        meeting_id="111",
        join_url=URL,
        passcode="p1",
        external_account_id="acct-1",
        error="ProviderUnavailable: the last update failed",
        next_attempt_at=None,
        tenant_id="t1",
    )


def test_a_pending_conference_shows_when_its_work_runs_again() -> None:
    record = _record(error="RateLimited: wait")
    assert record.public(next_attempt_at=NEXT) == Conference(
        event_id="e1",
        provider="zoom",
        status=ConferenceStatus.PENDING,
        meeting_id=None,
        join_url=None,
        passcode=None,
        external_account_id="acct-1",
        error="RateLimited: wait",
        next_attempt_at=NEXT,
        tenant_id="t1",
    )
    assert record.public() == Conference(
        event_id="e1", provider="zoom", status=ConferenceStatus.PENDING, meeting_id=None,
        join_url=None, passcode=None, external_account_id="acct-1", error="RateLimited: wait",
        tenant_id="t1",
    )  # fmt: skip


def test_while_a_replacement_is_pending_the_kept_meeting_is_shown_detached() -> None:
    kept = KeptMeeting(
        provider="zoom",
        external_account_id="acct-1",
        meeting_id="111",
        join_url=URL,
        passcode="p1",
        marker="m1",
    )
    record = _record(
        provider="teams", external_account_id="acct-2", marker="m2", kept=kept,
        error="ProviderUnavailable: teams answered 503",
    )  # fmt: skip
    assert record.public(next_attempt_at=NEXT) == Conference(
        event_id="e1",
        provider="zoom",
        status=ConferenceStatus.DETACHED,
        meeting_id="111",
        join_url=URL,
        passcode="p1",
        external_account_id="acct-1",
        error="ProviderUnavailable: teams answered 503",
        next_attempt_at=NEXT,
        tenant_id="t1",
    )
