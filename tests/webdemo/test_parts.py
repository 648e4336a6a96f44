"""The web demo's parts on their own: every text in Japanese, dates in both languages, the
travelling clock, the event form's parsing, the captured mail reader."""

from __future__ import annotations

import ast
import string
from datetime import UTC, datetime, timedelta
from pathlib import Path

import jinja2
import pytest
from jinja2.ext import extract_from_ast

from meetlink import Event, Participant
from meetlink.webdemo import views_account, views_inbox
from meetlink.webdemo.clock import TravelClock
from meetlink.webdemo.forms import EventForm, FormError
from meetlink.webdemo.i18n import CODES, JA, Translator, preferred_language

PACKAGE = Path(views_account.__file__).parent
#: Calls whose string argument at this position is a message key.
_KEY_ARGUMENT = {"note": 0, "fail": 1, "FormError": 0, "page": 1}


def _template_keys() -> set[str]:
    env = jinja2.Environment()
    keys: set[str] = set()
    for path in (PACKAGE / "templates").glob("*.html"):
        tree = env.parse(path.read_text(encoding="utf-8"))
        found = extract_from_ast(tree, gettext_functions=("_",))
        keys |= {m for _, _, m in found if isinstance(m, str) and m}  # "_": no plurals
    return keys


def _python_keys() -> set[str]:
    keys = set()
    for path in PACKAGE.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
                position = _KEY_ARGUMENT.get(node.func.id)
                if position is not None and len(node.args) > position:
                    argument = node.args[position]
                    if isinstance(argument, ast.Constant) and isinstance(argument.value, str):
                        keys.add(argument.value)
    keys.add("This is not an email address.")  # a participant problem (forms.py)
    keys |= {key for _, key in views_account.OUTCOMES.values()}
    keys |= set(views_inbox.KINDS.values()) | set(CODES.values())
    return keys


def _python_strings() -> set[str]:
    """Every string literal of the package's modules."""
    return {
        node.value
        for path in PACKAGE.glob("*.py")
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
        if isinstance(node, ast.Constant) and isinstance(node.value, str)
    }


def test_every_text_has_its_japanese_and_no_japanese_is_left_over() -> None:
    used = _template_keys() | _python_keys()
    assert len(used) > 150
    assert sorted(used - set(JA)) == []
    assert sorted(set(JA) - used - _python_strings()) == []
    for english, japanese in JA.items():  # the same placeholders on both sides
        assert sorted(_placeholders(english)) == sorted(_placeholders(japanese)), english


def _placeholders(text: str) -> list[str]:
    return [name for _, name, _, _ in string.Formatter().parse(text) if name]


def test_the_seeds_own_japanese_labels() -> None:
    ja = Translator("ja").gettext
    assert ja("Link with {provider}").format(provider="Zoom") == "Zoomと連携する"
    assert ja("Unlink {provider}").format(provider="Zoom") == "Zoomとの連携を解除する"
    assert ja("Web conference integration") == "Web会議連携" and ja("enabled") == "有効"
    assert ja("Issue URL") == "URLを発行する" and ja("Web conference") == "Web会議"
    assert (
        ja("Start trial") == "トライアル開始"
        and ja("Free trial of apps") == "アプリの無料トライアル"
    )
    assert ja("Change contract") == "契約内容を変更する"
    assert ja("Confirm the application") == "申し込みを確定する"
    assert Translator("en").gettext("TRIAL_ENDED") == "trial ended"
    assert Translator("fr").language == "en"


def test_dates_in_japan_time_in_both_languages() -> None:
    moment = datetime(2026, 12, 1, 1, 30, tzinfo=UTC)  # 10:30 in Tokyo, a Tuesday
    assert Translator("ja").when(moment) == "2026年12月1日(火) 10:30"
    assert Translator("en").when(moment) == "Tue 1 Dec 2026 10:30"


@pytest.mark.parametrize(
    ("header", "language"),
    [("ja,en-US;q=0.8", "ja"), ("ja-JP", "ja"), ("en-US,ja;q=0.9", "en"), ("", "en")],
)
def test_the_browser_language_decides_until_one_is_chosen(header: str, language: str) -> None:
    assert preferred_language(header) == language


def test_the_clock_only_travels_forward() -> None:
    clock = TravelClock()
    before = clock.now()
    assert clock.advance(timedelta(days=15)) - before >= timedelta(days=15)
    assert clock.offset == timedelta(days=15)
    with pytest.raises(ValueError, match="backwards"):
        clock.advance(timedelta(seconds=-1))


def test_the_event_form_round_trips_an_event() -> None:
    start = datetime(2026, 12, 1, 1, 0, tzinfo=UTC)
    event = Event(
        "e1",
        "acme",
        "alice",
        "Call",
        start,
        start + timedelta(minutes=45),
        recurrence="FREQ=WEEKLY",
        participants=(Participant("carol@x.example", "Carol", locale="en"),),
        web_meeting="teams",
        description="notes",
    )
    form = EventForm.of(event)
    assert form.start == "2026-12-01T10:00" and form.minutes == "45"
    assert form.participants == "Carol <carol@x.example>" and form.mail_language == "en"
    again = form.event("e1", "acme", "alice", "teams")
    assert again == event


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("title", "", "Enter a title."),
        ("start", "tomorrow", "Enter the start as a date and a time."),
        ("minutes", "lots", "Enter the length in minutes."),
        ("minutes", "2", "The length must be from 5 to 1440 minutes."),
        ("participants", "carol@x.example\nbob", "Some participants could not be read:"),
        ("start", "9999-12-31T23:50", "The start must be between 1900 and 8999."),
        ("start", "9000-01-01T10:00", "The start must be between 1900 and 8999."),
    ],
)
def test_the_event_form_refuses_what_it_cannot_read(field: str, value: str, message: str) -> None:
    fields = {"title": "Call", "start": "2026-12-01T10:00", "minutes": "30", field: value}
    with pytest.raises(FormError) as refused:
        EventForm.read(fields).event("e1", "acme", "alice", None)
    assert refused.value.key == message


def test_a_blank_form_is_for_tomorrow_on_the_hour() -> None:
    form = EventForm.blank(datetime(2026, 12, 1, 1, 20, tzinfo=UTC))  # 10:20 in Tokyo
    assert form.start == "2026-12-02T11:00" and not form.issue_url
