"""The seed's whole story in headless Chromium against ``meetlink demo --web``'s app: start
the trial from the "+" menu, link Zoom on its consent page (Deny, then Allow) and Teams,
create an event with "Issue URL" by keyboard alone, see the URL, start the meeting as its
owner and not as another user, edit the time and read the update mail in the inbox, Zoom
down then the retry, delete by another user, "Remove App", the trial's end and the
contract. Every page the demo served is then checked for secrets."""

from __future__ import annotations

import re
from typing import Any

from selenium.webdriver.common.keys import Keys

from .browser import Browser

#: What may never appear in a page the demo serves: OAuth tokens of both emulators
#: (access, refresh; Zoom's zat_/zrt_, Entra's JWTs and 0.AQ refresh tokens) and
#: Zoom's host key (zak=) that only a start URL carries.
TOKEN_PATTERNS = re.compile(r"zat_|zrt_|zak=|eyJ[A-Za-z0-9_-]{8,}|0\.AQ[A-Za-z0-9_-]{8,}")

#: The event form's fields in keyboard order (S11: the "Web conference" section last).
FORM_ORDER = [
    "title",
    "start",
    "minutes",
    "span",
    "days",
    "repeat",
    "participants",
    "mail_language",
    "description",
    "issue_url",
    "provider",
    "save",
]


def _event_id(b: Browser) -> str:
    match = re.search(r"/events/([0-9a-f]{32})$", b.url)
    assert match, b.url
    return match.group(1)


def _focus_order(b: Browser, count: int) -> list[str]:
    """The ids the Tab key visits from the focused element (a date-time field's parts
    count once)."""
    seen = [b.driver.switch_to.active_element.get_attribute("id")]
    while len(seen) < count:
        b.driver.switch_to.active_element.send_keys(Keys.TAB)
        current = b.driver.switch_to.active_element.get_attribute("id")
        if current != seen[-1]:
            seen.append(current)
    return seen


def _start_trial_and_link(b: Browser) -> None:
    zoom_base = b.demo.controls["zoom"].base_url
    b.go("/calendar")
    b.shot("calendar-empty")
    b.toggle("plus-menu")  # S4: the "+" menu, "free trial of apps"
    b.shot("plus-menu")
    b.click("menu-web-conference")
    assert b.find("addon-state").text == "not started"
    b.click("start-trial")
    assert b.find("addon-state").text == "trial"
    assert "trial of Web conference integration has started" in b.text()
    b.shot("trial-started")

    b.go("/settings")  # S10: personal settings -> Link with Zoom -> Zoom's page
    assert b.find("status-zoom").text == "disabled"
    b.click("link-zoom")
    assert b.url.startswith(zoom_base + "/oauth/authorize?")
    b.shot("zoom-consent")
    b.consent("deny", "alice@acme.example")
    assert "You declined on Zoom's page" in b.text()
    assert b.find("status-zoom").text == "disabled"
    b.shot("zoom-denied")
    b.click("link-zoom")
    b.consent("allow", "alice@acme.example")
    assert "Linked with Zoom." in b.text()
    assert b.find("status-zoom").text == "enabled"
    b.shot("zoom-linked")
    b.click("link-teams")
    b.consent("accept", "alice@acme.example")
    assert b.find("status-teams").text == "enabled"


def _japanese(b: Browser) -> None:
    b.button("日本語")
    assert b.find("status-zoom").text == "有効"
    assert "Zoomとの連携を解除する" in b.text() and "個人設定" in b.text()
    assert b.driver.find_element("tag name", "html").get_attribute("lang") == "ja"
    b.shot("settings-ja")
    b.go("/events/new")
    assert "Web会議" in b.text() and "URLを発行する" in b.text()
    b.shot("event-form-ja")
    b.button("English")
    assert "Issue URL" in b.text()


def _tab_to(b: Browser, element_id: str) -> Any:
    """Press Tab until ``element_id`` has the focus (a few presses at most)."""
    for _ in range(12):
        active = b.driver.switch_to.active_element
        if active.get_attribute("id") == element_id:
            return active
        active.send_keys(Keys.TAB)
    raise AssertionError(f"Tab never reached {element_id}")


def _create_by_keyboard(b: Browser, title: str) -> str:
    """Fill and send the event form with the keyboard alone (labels tested apart)."""
    b.go("/events/new")
    assert b.exists("web-conference")  # S11: linked, so the section shows
    b.shot("event-form")
    b.find("title").click()
    assert _focus_order(b, len(FORM_ORDER)) == FORM_ORDER
    b.find("title").click()
    b.driver.switch_to.active_element.send_keys(title)  # the start stays: tomorrow
    _tab_to(b, "minutes").send_keys(Keys.CONTROL, "a", Keys.NULL, "45")
    _tab_to(b, "participants").send_keys(
        "Carol <carol@customer.example>", Keys.ENTER, "dan@customer.example"
    )
    _tab_to(b, "mail_language").send_keys("English")
    _tab_to(b, "issue_url").send_keys(Keys.SPACE)  # tick "Issue URL"
    assert b.find("issue_url").is_selected()
    b.navigate(lambda: _tab_to(b, "save").send_keys(Keys.ENTER))
    return _event_id(b)


def test_seed_story_in_a_browser(browser: Browser) -> None:
    b, ml = browser, browser.demo.tenant
    _start_trial_and_link(b)
    _japanese(b)

    b.go("/events/new")  # the Teams option, where linked (R1)
    assert [o.text for o in b.driver.find_elements("css selector", "#provider option")] == [
        "Zoom",
        "Microsoft Teams",
    ]
    event_id = _create_by_keyboard(b, "Sales call with Customer")
    conference = ml.conference(event_id)
    assert conference is not None and conference.join_url is not None
    assert b.find("join-url").text == conference.join_url  # S12: on the detail screen
    assert "URL issued" in b.text() and "Event saved." in b.text()
    b.shot("event-with-url")

    b.find("start-meeting").click()  # S2: the owner starts it; the URL is fetched on click
    b.wait_for(lambda: not b.url.startswith(b.demo.base_url))
    assert re.match(rf"https://[^/]+/s/{conference.meeting_id}\?zak=", b.url), b.url
    start_url = b.url
    b.go(f"/events/{event_id}")
    b.sign_in_as("bob")
    assert not b.exists("start-meeting") and b.exists("start-hint")
    b.shot("event-as-bob")
    b.post(f"/events/{event_id}/start")  # bob asks anyway: refused
    assert "Only the event's owner can start its meeting." in b.text()
    b.shot("start-refused-for-bob")

    b.sign_in_as("alice")  # edit the time: the meeting and the participants follow
    b.go(f"/events/{event_id}/edit")
    b.set_value("start", ml.event(event_id).start.strftime("%Y-%m-%dT") + "15:30")  # type: ignore[union-attr]
    b.click("save")
    assert "15:30" in b.find("event-when").text
    b.reload_until("/inbox", lambda text: "Updated: Sales call with Customer" in text)
    assert "Invitation: Sales call with Customer" in b.text()
    b.shot("inbox")
    b.navigate(lambda: b.driver.find_element("partial link text", "Updated: Sales").click())
    calendar = b.find("mail-calendar").text
    assert "REQUEST" in calendar and "SEQUENCE 1" in calendar and conference.join_url in calendar
    assert conference.join_url in b.find("mail-text").text
    b.shot("update-mail")

    b.sign_in_as("admin")  # Zoom down, then the retry
    b.go("/operator")
    b.click("zoom-fail-create")
    assert "Zoom will fail as asked." in b.text()
    b.sign_in_as("alice")
    b.go("/events/new")
    b.fill("title", "Demo while Zoom is down")
    b.toggle("issue_url")
    b.click("save")
    assert "Being issued" in b.text() and b.exists("pending-note")
    b.shot("zoom-down-pending")
    b.click("retry")  # Zoom is back: the retry issues the URL at once
    assert "URL issued" in b.text() and b.exists("join-url") and not b.exists("retry")
    b.shot("zoom-back-issued")

    b.sign_in_as("bob")  # S20: bob deletes alice's event; its meeting goes too
    b.go(f"/events/{event_id}")
    b.click("delete-event")  # nothing that cannot be undone on one click: confirm first
    assert "participants get a cancellation" in b.find("confirm-question").text
    assert ml.conference(event_id) is not None
    b.shot("delete-confirm")
    b.click("confirm")
    assert "its meeting URL is deleted too" in b.text()
    b.shot("deleted-by-bob")
    assert ml.conference(event_id) is None
    assert all(str(m["id"]) != conference.meeting_id for m in b.demo.controls["zoom"].meetings())
    b.reload_until("/inbox", lambda text: "Cancelled: Sales call with Customer" in text)

    b.sign_in_as("admin")  # S16: alice presses "Remove App" at Zoom
    b.go("/operator")
    b.choose("zoom-remove-email", "alice@acme.example")
    b.click("zoom-remove-app")
    b.click("confirm")
    assert "our webhook route answered 200" in b.text()
    b.shot("operator")
    b.sign_in_as("alice")
    b.go("/settings")
    assert b.find("status-zoom").text == "disabled"
    assert "The app was removed at Zoom: the link ended." in b.find("user-notices").text
    b.shot("removed-app")

    b.go("/events/new")  # Teams is still linked: the section offers it alone
    assert b.exists("web-conference") and "Microsoft Teams" in b.find("web-conference").text
    b.sign_in_as("admin")  # the trial ends (S4): no section any more
    b.go("/operator")
    b.click("travel-15d")
    b.sign_in_as("alice")
    b.go("/events/new")
    assert not b.exists("web-conference")
    b.go("/apps/web-conference")
    assert b.find("addon-state").text == "trial ended"
    b.shot("trial-ended")
    b.sign_in_as("admin")  # S5: admin settings -> change contract -> tick -> confirm
    b.go("/admin/contract")
    b.toggle("web_conference")
    b.click("confirm-contract")
    assert b.find("addon-state").text == "contracted"
    b.shot("contracted")
    b.sign_in_as("alice")
    b.go("/events/new")
    assert b.exists("web-conference")

    _no_secrets(b, start_url)


def _no_secrets(b: Browser, start_url: str) -> None:
    """No page the demo served, and no address of one, holds a token, the start URL or
    a client or webhook secret."""
    secrets = [start_url, start_url.split("?", 1)[1]]
    for control in b.demo.controls.values():
        app = control.app()
        secrets += [app["client_secret"]] + (
            [app["webhook_secret"]] if "webhook_secret" in app else []
        )
    assert len(b.pages) > 40
    for url, html in b.pages:
        for secret in secrets:
            assert secret not in html and secret not in url, url
        assert not TOKEN_PATTERNS.search(html), (url, TOKEN_PATTERNS.search(html))
        assert not TOKEN_PATTERNS.search(url), url
