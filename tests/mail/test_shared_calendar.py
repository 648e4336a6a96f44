"""The iCalendar object one mailing's recipients share is built once (``calendar_for``): every
copy must be byte for byte what ``build_calendar`` writes for that recipient alone, whoever it
goes to (named or not, listed among the attendees or not, a long address whose line folds, a
series with a moved occurrence, whose override lists the recipient again)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from meetlink import MovedOccurrence
from meetlink.adapters.mail._ical import build_calendar, calendar_for
from meetlink.domain.notification import MailKind
from tests.mail.mail_support import build_content

START = datetime(2027, 3, 8, 8, 30, tzinfo=UTC)
SERIES = {
    "timezone": "Europe/Berlin",
    "recurrence": "FREQ=WEEKLY;BYDAY=MO;COUNT=6",
    "exdates": (START + timedelta(days=14),),
    "moved": (
        MovedOccurrence(
            START + timedelta(days=21),
            START + timedelta(days=22),
            START + timedelta(days=22, minutes=15),
        ),
    ),
    "start": START,
    "end": START + timedelta(minutes=15),
}
LONG = "a-participant-whose-address-is-long-enough-to-fold@subdomain.example.com"


@pytest.mark.parametrize("method", ["REQUEST", "CANCEL"])
@pytest.mark.parametrize(
    ("to_email", "to_name", "attendees"),
    [
        ("taro@example.jp", "", ("taro@example.jp", "hanako@example.jp")),
        ("taro@example.jp", "山田 太郎", ("taro@example.jp", "hanako@example.jp")),
        ("hanako@example.jp", "", ("taro@example.jp", "hanako@example.jp")),
        ("jiro@example.jp", "Jiro", ("taro@example.jp", "hanako@example.jp")),  # not listed
        ("taro@example.jp", "", ("taro@example.jp",)),  # a big event lists the recipient alone
        (LONG, "A name, long enough; with a \\ and a comma", (LONG, "taro@example.jp")),
        ("taro@example.jp", "", ("taro@example.jp", "taro@example.jp")),  # listed twice
    ],
)
@pytest.mark.parametrize("series", [False, True])
def test_each_copy_is_what_the_recipient_alone_gets(
    method: str, to_email: str, to_name: str, attendees: tuple[str, ...], series: bool
) -> None:
    content = build_content(
        to_email=to_email,
        to_name=to_name,
        attendee_emails=attendees,
        kind=MailKind.INVITATION if method == "REQUEST" else MailKind.CANCELLATION,
        **(SERIES if series else {}),
    )
    assert calendar_for(content, method) == build_calendar(content, method)


_address = st.from_regex(r"[a-z]{1,30}@[a-z]{1,20}\.example", fullmatch=True)


@settings(max_examples=60, deadline=None)
@given(
    others=st.lists(_address, max_size=4),
    to_email=_address,
    to_name=st.text(max_size=40),
    listed=st.booleans(),
)
def test_any_recipient_of_a_shared_mailing(
    others: list[str], to_email: str, to_name: str, listed: bool
) -> None:
    attendees = tuple(others) + ((to_email,) if listed else ())
    first = build_content(to_email=to_email, to_name=to_name, attendee_emails=attendees)
    assert calendar_for(first, "REQUEST") == build_calendar(first, "REQUEST")
    # A second recipient of the same mailing gets the shared calendar with their own line.
    for other in others:
        copy = build_content(to_email=other, to_name="", attendee_emails=attendees)
        assert calendar_for(copy, "REQUEST") == build_calendar(copy, "REQUEST")
