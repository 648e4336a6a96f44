"""Messages as data (API "What participants see"): every MeetLinkError, Notice, HostNotice and
Conference.error has a stable code and its Japanese and English texts in meetlink.messages."""

from __future__ import annotations

import inspect
import re
import string
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

import meetlink
from meetlink import errors, messages
from meetlink.domain.conference import ENDED_ERROR, Conference, ConferenceStatus, error_code
from meetlink.domain.issuance import Notice, Refusal
from meetlink.domain.results import HostNotice, HostNoticeKind

SRC = Path(meetlink.__file__).parent
ERRORS = [
    cls
    for _, cls in inspect.getmembers(errors, inspect.isclass)
    if issubclass(cls, errors.MeetLinkError)
]
# The reasons raise sites give (reason="..."): each needs its own text.
REASONS = sorted(
    {
        found
        for path in SRC.rglob("*.py")
        for found in re.findall(r'reason="([a-z_]+)"', path.read_text(encoding="utf-8"))
    }
)


def every_code() -> list[str]:
    codes = [cls.code for cls in ERRORS]
    codes += [n.code for n in Notice] + [r.code for r in Refusal]
    codes += [k.code for k in HostNoticeKind]
    codes += ["conference.event_ended", "conference.failed"]
    codes += [f"error.invalid_event.{reason}" for reason in REASONS]
    return codes


def test_every_code_has_japanese_and_english() -> None:
    missing = [
        (code, locale)
        for code in every_code()
        for locale in messages.LOCALES
        if not messages.CATALOGUE.get(code, {}).get(locale, "").strip()
    ]
    assert missing == []
    assert REASONS, "the reason scan found nothing: the test would check nothing"


def test_every_error_class_has_its_own_code() -> None:
    codes = [cls.code for cls in ERRORS]
    assert len(codes) == len(set(codes)) == len(errors.__all__)


def test_texts_of_a_code_fill_the_same_parameters() -> None:
    for code, texts in messages.CATALOGUE.items():
        names = [
            {name for _, name, _, _ in string.Formatter().parse(texts[loc]) if name}
            for loc in messages.LOCALES
        ]
        assert names[0] == names[1], code


def test_japanese_typography() -> None:
    """No ASCII full stop, comma, colon, question or exclamation mark inside Japanese text;
    provider names as their makers write them."""
    for code, texts in messages.CATALOGUE.items():
        ja = texts["ja"]
        assert not re.search(r"[.,:;?!]", ja.replace("{", "").replace("}", "")), (code, ja)
        assert not re.search(r"\b(zoom|teams|google meet)\b", ja + texts["en"]), code
        assert not re.search(r"[ぁ-んァ-ン一-龯]", texts["en"]), code
    for key in ("zoom", "teams", "google_meet"):
        assert messages.provider_name(key)[0].isupper()


def test_an_invalid_event_reads_in_japanese_without_internals() -> None:
    with pytest.raises(errors.InvalidEvent) as caught:
        meetlink.Participant(email="a@b")
    ja = messages.text(caught.value, "ja")
    assert ja == "参加者のメールアドレス「a@b」は正しくありません。"
    assert messages.text(caught.value, "en") == "The participant address “a@b” is not valid."
    assert caught.value.code == "error.invalid_event"
    assert caught.value.params["field"] == "participants.email"


def test_a_too_long_title_names_the_limit() -> None:
    from tests.app.conftest import make_world

    w = make_world()
    with pytest.raises(errors.InvalidEvent) as caught:
        w.meetlink.save_event(w.event(title="x" * 10_000))
    w.meetlink.close()
    assert (
        messages.text(caught.value, "ja")
        == "予定の「タイトル」は 1,000 文字以内で入力してください。"
    )
    assert messages.text(caught.value, "en-GB") == (
        "The event's title can be at most 1,000 characters."
    )


def test_notices_refusals_and_host_notices_name_the_provider() -> None:
    assert messages.text(Notice.FREE_PLAN_TIME_LIMIT, "ja", provider="zoom") == (
        "Zoomの無料プランでは、ミーティングは40分で終了します。"
    )
    assert messages.text(Refusal.NOT_LINKED, "en", provider="teams").startswith(
        "No URL was issued: you are not linked with Microsoft Teams"
    )
    notice = HostNotice(kind=HostNoticeKind.LINK_TAKEN_OVER, provider="zoom", user_id="alice")
    assert notice.code == "host_notice.link_taken_over"
    assert "Zoomアカウント" in messages.text(notice, "ja")
    assert messages.text(HostNotice(kind=HostNoticeKind.WORK_FAILED), "en") == (
        "A meeting or mail job failed after its retries."
    )


def test_conference_errors_have_codes() -> None:
    def conference(error: str | None) -> Conference:
        return Conference(
            "e1", "zoom", ConferenceStatus.FAILED, None, None, None, "acct", error=error
        )

    assert conference(None).error_code is None
    ended = conference(ENDED_ERROR)
    assert ended.error_code == "conference.event_ended"
    assert messages.text(ended, "ja") == "予定が終了しているため、会議は作成されませんでした。"
    down = conference("ProviderUnavailable: Zoom create meeting failed with HTTP 503")
    assert down.error_code == "error.provider_unavailable"
    assert messages.text(down, "ja") == "Zoomに接続できませんでした。"
    assert error_code("something else") == "conference.failed"


@given(st.text(max_size=80))
def test_any_stored_error_has_a_code_with_both_texts(error: str) -> None:
    code = error_code(error)
    for locale in messages.LOCALES:
        assert messages.text(code, locale).strip()


def test_unknown_things_are_refused() -> None:
    with pytest.raises(KeyError):
        messages.text("no.such.code", "ja")
    with pytest.raises(TypeError):
        messages.text(ValueError("x"), "ja")
    assert messages.text("error.unknown_event", "fr") == "This event does not exist."


def test_host_events_of_the_feed_read_as_their_kind() -> None:
    """A HostEvent is a HostNotice: every kind of the feed, notices and conference changes,
    has its text."""
    from datetime import UTC, datetime

    from meetlink.domain.results import HostEvent, HostEventKind

    for kind in HostEventKind:
        event = HostEvent(kind=kind, provider="teams", id="7", at=datetime(2026, 12, 1, tzinfo=UTC))
        assert event.code == f"host_notice.{kind.value}"
        for locale in messages.LOCALES:
            assert messages.text(event, locale).strip(), kind
    issued = HostEvent(
        kind=HostEventKind.CONFERENCE_ISSUED, provider="zoom", id="1", at=datetime.now(UTC)
    )
    assert messages.text(issued, "ja") == "予定のZoom会議の参加URLを発行しました。"
