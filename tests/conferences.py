"""Reading a conference, and a fake meeting's terms, the way the tests compare them."""

from __future__ import annotations

from collections.abc import Mapping

from meetlink import Conference, ConferenceStatus
from meetlink.domain.conference import MeetingTerms


def status(conference: Conference | None) -> ConferenceStatus | None:
    """The conference's status; None when there is no conference (which then equals no
    status a test expects)."""
    return None if conference is None else conference.status


def terms_of(meeting: Mapping[str, object]) -> MeetingTerms:
    """The terms a meeting of the fake provider (``live_meetings()``) was made with."""
    terms = meeting["terms"]
    assert isinstance(terms, MeetingTerms), terms
    return terms
