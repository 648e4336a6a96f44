"""The message code of a conference's stored error (``error_code``): errors are stored as
English text, ``"<ErrorClass>: <message>"``; the code is that class's (the catalogue in
meetlink.messages has a text for each), ``conference.event_ended`` for the event that
ended first, else ``conference.failed``."""

from __future__ import annotations

from typing import Any

import pytest

from meetlink.domain.conference import Conference, ConferenceStatus, error_code


@pytest.mark.parametrize(
    ("error", "code"),
    [
        ("the event ended before its meeting could be created", "conference.event_ended"),
        ("ProviderUnavailable: zoom answered 503", "error.provider_unavailable"),
        ("RateLimited: retry after 60 s", "error.rate_limited"),
        ("RateLimited: wait until 10:30: the daily cap", "error.rate_limited"),  # colons after
        ("HostingNotAllowed: a guest cannot host", "error.hosting_not_allowed"),
        ("  ProviderRejected : plan too small", "error.provider_rejected"),  # spaces stripped
        ("AuthExpired", "error.auth_expired"),  # a class name without a message
        ("MeetLinkError: something", "error.meetlink_error"),
        ("ValueError: not one of meetlink's errors", "conference.failed"),
        ("ClassVar: a name errors.py holds that is no error", "conference.failed"),
        ("datetime: a class errors.py imports, no MeetLinkError", "conference.failed"),
        ("the provider said no", "conference.failed"),
        ("", "conference.failed"),
    ],
)
def test_the_code_of_a_stored_error(error: str, code: str) -> None:
    assert error_code(error) == code


def test_a_conference_shows_its_errors_code_and_none_without_an_error() -> None:
    fields: dict[str, Any] = {
        "event_id": "e1",
        "provider": "zoom",
        "status": ConferenceStatus.FAILED,
        "meeting_id": None,
        "join_url": None,
        "passcode": None,
        "external_account_id": "acct-1",
    }
    failed = Conference(**fields, error="GrantRevoked: the user removed the app")
    assert failed.error_code == "error.grant_revoked"
    assert failed.error_params == {"provider": "zoom"}
    assert Conference(**fields).error_code is None
