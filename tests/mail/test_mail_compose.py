"""JinjaMailComposer: structure, iCalendar (S35), content and dates, per kind and locale."""

from __future__ import annotations

import re
from email.message import EmailMessage

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from icalendar import Calendar

from meetlink.adapters.mail import JinjaMailComposer
from meetlink.domain.notification import MailKind
from tests.ical import addresses, integer, moment
from tests.mail.mail_support import MakeContent, body, build_content, reparse

CALENDAR_KINDS = {
    MailKind.INVITATION: "REQUEST",
    MailKind.UPDATE: "REQUEST",
    MailKind.CANCELLATION: "CANCEL",
}


def _calendar_parts(message: EmailMessage) -> list[EmailMessage]:
    return [p for p in message.walk() if p.get_content_type() == "text/calendar"]


def _ics(message: EmailMessage) -> bytes:
    (part,) = _calendar_parts(message)
    raw = part.get_payload(decode=True)
    assert isinstance(raw, bytes)
    return raw


@pytest.mark.parametrize("locale", ["ja", "en"])
@pytest.mark.parametrize("kind", list(CALENDAR_KINDS))
def test_calendar_kinds_have_text_html_and_matching_method(
    make_content: MakeContent, kind: MailKind, locale: str
) -> None:
    message = reparse(JinjaMailComposer().compose(make_content(kind=kind, locale=locale)))
    assert message.get_content_type() == "multipart/mixed"
    alternative, attachment = message.iter_parts()
    assert alternative.get_content_type() == "multipart/alternative"
    types = [p.get_content_type() for p in alternative.iter_parts()]
    assert types == ["text/plain", "text/html", "text/calendar"]
    calendar_part = list(alternative.iter_parts())[2]
    method = CALENDAR_KINDS[kind]
    assert calendar_part.get_param("method") == method
    assert calendar_part.get_content_charset() == "utf-8"
    assert attachment.get_content_type() == "application/ics"
    assert attachment.get_filename() == "invite.ics"
    assert attachment.get_payload(decode=True) == _ics(message)
    cal = Calendar.from_ical(_ics(message))
    assert str(cal["METHOD"]) == method


@pytest.mark.parametrize("locale", ["ja", "en"])
def test_reminder_has_no_calendar(make_content: MakeContent, locale: str) -> None:
    content = make_content(kind=MailKind.REMINDER, locale=locale)
    message = reparse(JinjaMailComposer().compose(content))
    assert message.get_content_type() == "multipart/alternative"
    assert [p.get_content_type() for p in message.iter_parts()] == ["text/plain", "text/html"]
    assert not _calendar_parts(message)
    assert not any(p.get_filename() for p in message.walk())
    text = body(message, "plain")
    assert content.join_url in text  # S14: join at once
    assert ("まもなく" in text) if locale == "ja" else ("starts soon" in text)


def test_headers(make_content: MakeContent) -> None:
    content = make_content()
    composer = JinjaMailComposer(sender="Example <no-reply@example.com>")
    message = reparse(composer.compose(content))
    assert message["From"].addresses[0].addr_spec == "no-reply@example.com"
    (to,) = message["To"].addresses
    assert (to.display_name, to.addr_spec) == ("山田 太郎", "taro@example.jp")
    assert message["Message-ID"] == content.message_id
    assert message["Date"].datetime == content.created_at
    assert str(message["Date"]).endswith("+0900")  # the event's zone (Asia/Tokyo)
    assert message["Subject"] == "【会議のご案内】定例会議（2026年12月1日(火) 10:00）"


def test_message_id_is_stable_across_compositions(make_content: MakeContent) -> None:
    composer = JinjaMailComposer()
    first = composer.compose(make_content())
    second = composer.compose(make_content())
    assert first["Message-ID"] == second["Message-ID"]


def test_ja_date_format_in_event_timezone(make_content: MakeContent) -> None:
    text = body(JinjaMailComposer().compose(make_content()), "plain")
    assert "2026年12月1日(火) 10:00～11:00 (Asia/Tokyo)" in text


def test_en_date_format_and_multi_day(make_content: MakeContent) -> None:
    content = make_content(
        locale="en",
        timezone="America/New_York",
        start=make_content().start.replace(hour=23),  # 18:00 New York, Tue 1 Dec
        end=make_content().start.replace(day=2, hour=15),  # 10:00 New York, Wed 2 Dec
    )
    text = body(JinjaMailComposer().compose(content), "plain")
    assert "Tue, 1 Dec 2026 18:00 - Wed, 2 Dec 2026 10:00 (America/New_York)" in text


def test_unknown_timezone_is_shown_in_utc(make_content: MakeContent) -> None:
    text = body(JinjaMailComposer().compose(make_content(timezone="Mars/Olympus")), "plain")
    assert "2026年12月1日(火) 01:00～02:00 (UTC)" in text


@pytest.mark.parametrize("locale", ["ja", "en"])
@pytest.mark.parametrize("kind", [MailKind.INVITATION, MailKind.UPDATE, MailKind.REMINDER])
def test_bodies_carry_the_meeting_details(
    make_content: MakeContent, kind: MailKind, locale: str
) -> None:
    content = make_content(kind=kind, locale=locale, title="Budget review")
    message = JinjaMailComposer().compose(content)
    for subtype in ("plain", "html"):
        text = body(message, subtype)
        for needle in ("Budget review", "Zoom", content.join_url, "123456", "予算"):
            assert needle in text, (subtype, needle)


def test_passcode_is_optional(make_content: MakeContent) -> None:
    message = JinjaMailComposer().compose(make_content(passcode=None, locale="en"))
    assert "Passcode" not in body(message, "plain")
    assert "Passcode" not in body(message, "html")
    assert "Passcode" not in str(Calendar.from_ical(_ics(message)).walk("VEVENT")[0]["DESCRIPTION"])


@pytest.mark.parametrize("locale", ["ja", "en"])
def test_cancellation_says_cancelled(make_content: MakeContent, locale: str) -> None:
    message = JinjaMailComposer().compose(make_content(kind=MailKind.CANCELLATION, locale=locale))
    word = "中止" if locale == "ja" else "cancelled"
    assert word in message["Subject"].lower()
    assert word in body(message, "plain")
    assert word in body(message, "html")


def test_update_subject(make_content: MakeContent) -> None:
    message = JinjaMailComposer().compose(make_content(kind=MailKind.UPDATE, locale="en"))
    assert message["Subject"].startswith("Updated: 定例会議")


def test_unknown_locale_falls_back_to_english(make_content: MakeContent) -> None:
    message = JinjaMailComposer().compose(make_content(locale="fr-FR"))
    assert message["Subject"].startswith("Invitation:")
    assert JinjaMailComposer().compose(make_content(locale="ja-JP"))["Subject"].startswith("【")


def test_request_icalendar_fields(make_content: MakeContent) -> None:
    content = make_content(kind=MailKind.UPDATE, sequence=3)
    cal = Calendar.from_ical(_ics(JinjaMailComposer().compose(content)))
    assert str(cal["VERSION"]) == "2.0"
    assert "meetlink" in str(cal["PRODID"])
    (event,) = cal.walk("VEVENT")
    assert str(event["UID"]) == content.uid
    assert integer(event, "SEQUENCE") == 3
    assert moment(event, "DTSTAMP") == content.created_at
    assert moment(event, "DTSTART") == content.start
    assert moment(event, "DTEND") == content.end
    assert str(event["SUMMARY"]) == content.title
    assert str(event["LOCATION"]) == content.join_url
    assert str(event["URL"]) == content.join_url
    assert str(event["STATUS"]) == "CONFIRMED"
    description = str(event["DESCRIPTION"])
    assert content.join_url in description and "123456" in description
    conference = event["CONFERENCE"]
    assert str(conference) == content.join_url
    assert conference.params["VALUE"] == "URI"
    assert conference.params["FEATURE"] == "VIDEO"
    assert conference.params["LABEL"] == "Zoom"
    organizer = event["ORGANIZER"]
    assert str(organizer) == "mailto:boss@example.jp"
    assert organizer.params["CN"] == "鈴木 一郎"
    attendees = addresses(event)
    assert [str(a) for a in attendees] == ["mailto:taro@example.jp", "mailto:hanako@example.jp"]
    for attendee in attendees:
        assert attendee.params["ROLE"] == "REQ-PARTICIPANT"
        assert attendee.params["PARTSTAT"] == "NEEDS-ACTION"
        assert attendee.params["RSVP"] == "FALSE"


def test_cancel_keeps_uid_and_is_cancelled(make_content: MakeContent) -> None:
    composer = JinjaMailComposer()
    request = Calendar.from_ical(_ics(composer.compose(make_content(sequence=1))))
    cancel = Calendar.from_ical(
        _ics(composer.compose(make_content(kind=MailKind.CANCELLATION, sequence=2)))
    )
    (req_event,) = request.walk("VEVENT")
    (cancel_event,) = cancel.walk("VEVENT")
    assert str(cancel["METHOD"]) == "CANCEL"
    assert str(cancel_event["UID"]) == str(req_event["UID"])
    assert integer(cancel_event, "SEQUENCE") == integer(req_event, "SEQUENCE") + 1
    assert str(cancel_event["STATUS"]) == "CANCELLED"


def test_removed_participant_is_an_attendee_of_their_cancel(make_content: MakeContent) -> None:
    content = make_content(
        kind=MailKind.CANCELLATION, to_email="gone@example.jp", attendee_emails=("a@x.jp",)
    )
    (event,) = Calendar.from_ical(_ics(JinjaMailComposer().compose(content))).walk("VEVENT")
    assert "mailto:gone@example.jp" in [str(a) for a in addresses(event)]


def test_icalendar_lines_folded_and_escaped(make_content: MakeContent) -> None:
    title = "打ち合わせ; 議題, その他\\ 改行\nあり " * 6
    raw = _ics(JinjaMailComposer().compose(make_content(title=title)))
    assert raw.endswith(b"\r\n")
    lines = raw.split(b"\r\n")[:-1]
    assert all(b"\n" not in line and b"\r" not in line for line in lines)
    assert all(len(line) <= 75 for line in lines)
    for line in lines:
        line.decode("utf-8")  # folding never splits a UTF-8 character
    unfolded = re.sub(rb"\r\n[ \t]", b"", raw).decode()
    assert "SUMMARY:打ち合わせ\\; 議題\\, その他\\\\ 改行\\nあり" in unfolded
    (event,) = Calendar.from_ical(raw).walk("VEVENT")
    assert str(event["SUMMARY"]) == title


def test_no_start_url_anywhere(make_content: MakeContent) -> None:
    wire = JinjaMailComposer().compose(make_content()).as_bytes()
    assert b"/s/" not in wire and b"start_url" not in wire


@settings(max_examples=60, deadline=None)
@given(title=st.text(max_size=120), description=st.text(max_size=200))
def test_any_text_gives_a_valid_calendar(title: str, description: str) -> None:
    content = build_content(title=title, description=description)
    raw = _ics(JinjaMailComposer().compose(content))
    lines = raw.split(b"\r\n")
    assert lines[-1] == b""
    for line in lines[:-1]:
        assert len(line) <= 75
        assert not re.search(rb"[\x00-\x08\x0a-\x1f\x7f]", line)
    (event,) = Calendar.from_ical(raw).walk("VEVENT")
    newlines = title.replace("\r\n", "\n").replace("\r", "\n")
    expected = re.sub(r"[\x00-\x08\x0b-\x1f\x7f]", "", newlines)
    assert str(event["SUMMARY"]) == expected
