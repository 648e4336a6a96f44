"""The web demo's pages over HTTP without a browser (these run wherever the suite runs):
the seed's flow, the start URL fetched on click and never shown, no secret in any page,
labels on every field, admin-only pages, redirects that stay on the site, and what a host
must get right around meetlink (an edit never withdraws a URL the user did not untick)."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from datetime import timedelta
from html.parser import HTMLParser
from zoneinfo import ZoneInfo

import pytest

from meetlink import ConferenceStatus, IssuancePolicy
from meetlink.webdemo.runtime import WebDemo

from .test_browser_story import TOKEN_PATTERNS
from .visitor import Visitor

ALICE, BOB = "alice@acme.example", "bob@acme.example"


@pytest.fixture
def visitor(web_demo: WebDemo) -> Iterator[Visitor]:
    v = Visitor(web_demo)
    yield v
    v.close()


def _event_form(title: str, start: str, **extra: str) -> dict[str, str]:
    return {
        "title": title,
        "start": start,
        "minutes": "30",
        "participants": "Carol <carol@customer.example>",
        "mail_language": "en",
        **extra,
    }


def _tomorrow(demo: WebDemo) -> str:
    local = demo.clock.now().astimezone(ZoneInfo("Asia/Tokyo")) + timedelta(days=1)
    return local.strftime("%Y-%m-%dT10:00")


def _linked_event(v: Visitor) -> str:
    """Trial, alice links Zoom and Teams, and saves an event with a Zoom URL."""
    v.post("/apps/web-conference/trial")
    assert "Linked with Zoom." in v.link("zoom", ALICE, "allow").text
    assert "Linked with Microsoft Teams." in v.link("teams", ALICE, "accept").text
    form = _event_form("Sales call", _tomorrow(v.demo), issue_url="yes", provider="zoom")
    answer = v.post("/events/new", form)
    assert answer.status_code == 200 and "URL issued" in answer.text
    return str(answer.url).rsplit("/", 1)[1]


def test_the_start_url_is_a_redirect_for_the_owner_only(visitor: Visitor) -> None:
    event_id = _linked_event(visitor)
    conference = visitor.demo.tenant.conference(event_id)
    assert conference is not None and conference.meeting_id is not None
    page = visitor.get(f"/events/{event_id}").text
    assert 'id="start-meeting"' in page and "zak=" not in page
    answer = visitor.http.post(f"/events/{event_id}/start")
    assert answer.status_code == 303
    assert f"/s/{conference.meeting_id}?zak=" in answer.headers["location"]
    assert answer.headers["cache-control"] == "no-store"
    assert answer.headers["referrer-policy"] == "no-referrer"
    visitor.sign_in_as("bob")
    assert 'id="start-meeting"' not in visitor.get(f"/events/{event_id}").text
    refused = visitor.post(f"/events/{event_id}/start")
    assert refused.status_code == 403
    assert "Only the event&#39;s owner can start its meeting." in refused.text


def _every_page(v: Visitor) -> None:
    """Every page, as every user, in both languages (inbox mails and events included)."""
    for user in ("alice", "bob", "admin"):
        v.sign_in_as(user)
        for lang in ("en", "ja"):
            v.post("/session/lang", {"lang": lang, "next": "/calendar"})
            for path in ("/calendar", "/settings", "/inbox", "/apps/web-conference", "/events/new"):
                v.get(path)
            for event in v.demo.calendar.all():
                v.get(f"/events/{event.id}")
                v.get(f"/events/{event.id}/edit")
            if user == "admin":
                v.get("/operator")
                v.get("/admin/contract")
    for name in re.findall(r'href="/inbox/([^"]+)"', v.get("/inbox").text):
        v.get(f"/inbox/{name}")


def test_no_token_start_url_or_secret_in_any_page(visitor: Visitor) -> None:
    event_id = _linked_event(visitor)
    start_url = visitor.http.post(f"/events/{event_id}/start").headers["location"]
    visitor.demo.meetlink.run_pending()  # the invitations, for the inbox
    _every_page(visitor)
    secrets = [start_url, start_url.split("?", 1)[1]]
    for control in visitor.demo.controls.values():
        app = control.app()
        secrets += [
            app["client_secret"],
            *([app["webhook_secret"]] if "webhook_secret" in app else []),
        ]
    assert len(visitor.pages) > 50
    assert any("/inbox/" in url for url, _ in visitor.pages)
    for url, html in visitor.pages:
        assert not any(secret in html or secret in url for secret in secrets), url
        assert not TOKEN_PATTERNS.search(html), (url, TOKEN_PATTERNS.search(html))


class _Fields(HTMLParser):
    """The form fields, labels, headings and buttons of one page."""

    def __init__(self) -> None:
        super().__init__()
        self.fields: list[dict[str, str | None]] = []
        self.label_for: set[str] = set()
        self.open_labels = 0
        self.h1 = 0
        self.lang: str | None = None
        self.buttons: list[str] = []
        self._button: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "html":
            self.lang = a.get("lang")
        elif tag == "h1":
            self.h1 += 1
        elif tag == "label":
            self.open_labels += 1
            if a.get("for"):
                self.label_for.add(str(a["for"]))
        elif tag in ("input", "select", "textarea") and a.get("type") not in ("hidden", "submit"):
            self.fields.append({**a, "wrapped": "yes" if self.open_labels else None})
        elif tag == "button":
            self._button = [a.get("aria-label") or ""]

    def handle_endtag(self, tag: str) -> None:
        if tag == "label":
            self.open_labels -= 1
        elif tag == "button" and self._button is not None:
            self.buttons.append("".join(self._button).strip())
            self._button = None

    def handle_data(self, data: str) -> None:
        if self._button is not None:
            self._button.append(data)


def test_every_field_has_a_label_and_every_page_a_language(visitor: Visitor) -> None:
    _linked_event(visitor)
    _every_page(visitor)
    fields_seen = 0
    for url, html in visitor.pages:
        page = _Fields()
        page.feed(html)
        assert page.lang in ("en", "ja") and page.h1 == 1, url
        assert all(page.buttons), (url, page.buttons)
        for field in page.fields:
            fields_seen += 1
            labelled = (
                field["wrapped"] or field.get("aria-label") or field.get("id") in page.label_for
            )
            assert labelled, (url, field)
    assert fields_seen > 100


def test_admin_pages_refuse_everyone_else(visitor: Visitor) -> None:
    for path in ("/operator", "/admin/contract"):
        assert visitor.get(path).status_code == 403
    assert visitor.post("/operator/time", {"step": "15d"}).status_code == 403
    assert visitor.post("/admin/contract", {"web_conference": "yes"}).status_code == 403
    assert visitor.demo.clock.offset == timedelta(0)
    assert not visitor.demo.meetlink.subscription("acme").active


@pytest.mark.parametrize("target", ["//evil.example/x", "https://evil.example/", "/\\evil"])
def test_switching_user_or_language_never_leaves_the_site(visitor: Visitor, target: str) -> None:
    for path, field in (("/session/user", {"user": "bob"}), ("/session/lang", {"lang": "ja"})):
        answer = visitor.http.post(path, data={**field, "next": target})
        assert answer.status_code == 303 and answer.headers["location"] == "/"


def test_unknown_mail_or_event_is_404(visitor: Visitor) -> None:
    for path in ("/inbox/..%2Fmeetlink.sqlite", "/inbox/nothing", "/events/nothing"):
        answer = visitor.get(path)
        assert answer.status_code == 404 and "<h1>" in answer.text


def test_an_edit_after_the_trial_ended_keeps_the_url(visitor: Visitor) -> None:
    event_id = _linked_event(visitor)
    before = visitor.demo.tenant.conference(event_id)
    visitor.demo.clock.advance(timedelta(days=15))
    page = visitor.get(f"/events/{event_id}/edit").text
    assert 'id="web-conference"' not in page and 'id="web-conference-kept"' in page
    visitor.post(
        f"/events/{event_id}/edit", _event_form("Sales call, renamed", _tomorrow(visitor.demo))
    )
    after = visitor.demo.tenant.conference(event_id)
    assert before is not None and after is not None
    assert after.status is ConferenceStatus.ISSUED and after.join_url == before.join_url


def test_another_user_cannot_tick_or_untick_the_owners_box(visitor: Visitor) -> None:
    event_id = _linked_event(visitor)
    visitor.sign_in_as("bob")
    page = visitor.get(f"/events/{event_id}/edit").text
    assert 'id="issue_url"' not in page
    visitor.post(f"/events/{event_id}/edit", _event_form("Renamed by bob", _tomorrow(visitor.demo)))
    conference = visitor.demo.tenant.conference(event_id)
    assert conference is not None and conference.status is ConferenceStatus.ISSUED


def test_a_refused_form_comes_back_with_the_input(visitor: Visitor) -> None:
    answer = visitor.post("/events/new", _event_form("Kept title", "not a time"))
    assert answer.status_code == 400
    assert "Enter the start as a date and a time." in answer.text and "Kept title" in answer.text
    form = _event_form("Bad", _tomorrow(visitor.demo), participants="carol@x.example\nnot one")
    answer = visitor.post("/events/new", form)
    assert answer.status_code == 400 and "Some participants could not be read:" in answer.text
    assert "not one</span>: This is not an email address." in answer.text
    form = _event_form("Bad", _tomorrow(visitor.demo), participants="a b@x.example")
    answer = visitor.post("/events/new", form)
    assert answer.status_code == 400
    assert "The participant address “a b@x.example” is not valid." in answer.text
    assert visitor.demo.calendar.all() == []


def test_rules_that_refuse_a_url_are_told_and_the_admin_can_lift_them(visitor: Visitor) -> None:
    _linked_event(visitor)
    weekly = _event_form("Weekly", _tomorrow(visitor.demo), issue_url="yes", repeat="weekly")
    answer = visitor.post("/events/new", weekly)
    assert "No URL was issued: URLs are not issued for recurring events." in answer.text
    assert "URL issued" not in answer.text
    visitor.sign_in_as("admin")  # R2: the roadmap's rules for this company
    assert 'id="roadmap" name="roadmap" value="yes">' in visitor.get("/admin/contract").text
    visitor.post("/admin/policy", {"roadmap": "yes"})
    assert 'value="yes" checked>' in visitor.get("/admin/contract").text
    visitor.sign_in_as("alice")
    answer = visitor.post("/events/new", weekly)
    assert "URL issued" in answer.text and "Every week" in answer.text
    visitor.sign_in_as("admin")
    visitor.post("/admin/policy", {})
    assert visitor.demo.meetlink.policy("acme") == IssuancePolicy.seed()


def test_the_reminder_reaches_the_inbox(visitor: Visitor) -> None:
    demo = visitor.demo
    _linked_event(visitor)
    soon = demo.clock.now().astimezone(ZoneInfo("Asia/Tokyo")) + timedelta(minutes=65)
    visitor.post(
        "/events/new", _event_form("Soon", soon.strftime("%Y-%m-%dT%H:%M"), issue_url="yes")
    )
    visitor.sign_in_as("admin")
    visitor.post("/operator/time", {"step": "1h"})
    # The demo's own worker thread sends it, on its next passes; nothing here measures how
    # soon (a loaded machine may take long): the wait ends when the mail is in the inbox, and
    # its bound only keeps a broken worker from hanging the run.
    for _ in range(1200):
        if "Starting soon: Soon" in visitor.get("/inbox").text:
            break
        time.sleep(0.1)
    else:
        pytest.fail("the worker never sent the reminder")
    page = visitor.get("/inbox").text
    assert "Starting soon: Soon" in page and "Reminder" in page


def test_the_operator_sees_jobs_notices_and_meetings(visitor: Visitor) -> None:
    event_id = _linked_event(visitor)
    conference = visitor.demo.tenant.conference(event_id)
    assert conference is not None and conference.meeting_id is not None
    visitor.sign_in_as("admin")
    visitor.post("/operator/zoom/remove-app", {"email": ALICE, "confirmed": "yes"})
    page = visitor.get("/operator").text
    assert "LINK_REMOVED_AT_PROVIDER" in page
    assert conference.meeting_id in page  # the meeting at Zoom, without its start URL
    assert "start_url" not in page and "zak=" not in page
    answer = visitor.post("/operator/teams/remove-app", {"email": BOB, "confirmed": "yes"})
    assert "it sends no webhook" in answer.text


def test_a_refused_creation_fails_until_retried(visitor: Visitor) -> None:
    _linked_event(visitor)
    visitor.sign_in_as("admin")
    visitor.post("/operator/zoom/fail", {"mode": "refuse"})
    visitor.sign_in_as("alice")
    form = _event_form("Refused", _tomorrow(visitor.demo), issue_url="yes")
    page = visitor.post("/events/new", form)
    assert "Failed" in page.text and 'id="failed-note"' in page.text
    assert "Zoom refused this request." in page.text and 'id="retry"' in page.text  # in words
    assert "Event saved." not in page.text  # saved, but not as asked: no green "saved"
    assert "its URL could not be issued" in page.text
    assert "HTTP 400" not in page.text and "ProviderRejected" not in page.text
    event_id = str(page.url).rsplit("/", 1)[1]
    page = visitor.post(f"/events/{event_id}/retry")
    assert "URL issued" in page.text and 'id="retry"' not in page.text
    assert "The URL is issued." in page.text  # a retry that worked says so


def test_a_pending_conference_says_when_the_worker_tries_again(visitor: Visitor) -> None:
    _linked_event(visitor)
    visitor.sign_in_as("admin")
    visitor.post("/operator/zoom/fail", {"mode": "down"})
    visitor.sign_in_as("alice")
    page = visitor.post(
        "/events/new", _event_form("Down", _tomorrow(visitor.demo), issue_url="yes")
    )
    assert "Being issued" in page.text and "tries again at" in page.text
    assert "Zoom could not be reached." in page.text and "HTTP 503" not in page.text


def test_google_meet_in_the_settings_and_the_event_form(visitor: Visitor) -> None:
    """Personal settings offer "Link with Google Meet"; once linked, the event form's "Web
    conference" section offers it and saving issues the space's meetingUri; deleting the
    event closes the space (the operator page no longer lists it)."""
    v = visitor
    v.post("/apps/web-conference/trial")
    assert "Google Meet" in v.get("/settings").text
    assert "Linked with Google Meet." in v.link("google_meet", ALICE, "allow").text
    form_page = v.get("/events/new").text
    section = form_page.split('id="web-conference"', 1)[1].split("</fieldset>", 1)[0]
    assert 'name="provider" value="google_meet"' in section and "Google Meet" in section
    form = _event_form("Design review", _tomorrow(v.demo), issue_url="yes", provider="google_meet")
    answer = v.post("/events/new", form)
    assert answer.status_code == 200 and "URL issued" in answer.text
    event_id = str(answer.url).rsplit("/", 1)[1]
    conference = v.demo.tenant.conference(event_id)
    assert conference is not None and conference.status is ConferenceStatus.ISSUED
    assert conference.join_url is not None
    assert conference.join_url.startswith("https://meet.google.com/")
    assert conference.join_url in answer.text
    [space] = v.demo.controls["google_meet"].meetings()
    assert space["meetingUri"] == conference.join_url
    assert v.demo.tenant.delete_event(event_id)
    v.demo.meetlink.run_pending()
    assert v.demo.controls["google_meet"].meetings() == []
