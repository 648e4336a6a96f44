"""The organisation link in a real browser (headless Chromium, issue 22): the admin links
the company's Zoom account on the Organisation page and Zoom's consent page, then Alice, who
never linked, saves an event with "Issue URL" and gets a meeting on her own Zoom user; the
page lists her as served by the organisation."""

from __future__ import annotations

import httpx

from .browser import Browser


def test_the_admin_links_the_organisation_in_a_browser(browser: Browser) -> None:
    b = browser
    demo = b.demo
    demo.tenant.contract()  # the add-on is contracted (Admin settings, tested elsewhere)
    zoom_base = demo.controls["zoom"].base_url
    b.go("/calendar")
    b.sign_in_as("admin")
    b.go("/admin/organisation")
    assert b.find("org-zoom-state").text == "Not linked"
    b.shot("organisation-unlinked")
    b.click("org-zoom-link")
    assert b.url.startswith(zoom_base + "/oauth/authorize?")
    b.shot("zoom-admin-consent")
    b.consent("allow", "admin@acme.example")
    assert "The organisation is linked with Zoom." in b.text()
    assert b.find("org-zoom-state").text.startswith("Linked by admin@acme.example")
    b.shot("organisation-linked")

    b.sign_in_as("alice")  # never linked Zoom herself
    b.go("/events/new")
    assert b.exists("web-conference")  # the organisation makes the section available
    b.fill("title", "Planning")
    b.toggle("issue_url")
    b.click("save")
    b.reload_until(b.url.replace(demo.base_url, ""), lambda text: "zoom.us/j/" in text)
    join_url = b.find("join-url").text
    b.shot("alice-event-issued")
    hosted = httpx.get(f"{zoom_base}/_emulator/meetings", params={"email": "alice@acme.example"})
    assert [m["join_url"] for m in hosted.json()] == [join_url]  # on Alice's own Zoom user
    assert demo.tenant.link("alice", "zoom") is None

    b.sign_in_as("admin")
    b.go("/admin/organisation")
    rows = b.find("org-zoom-users").text
    assert "alice@acme.example Served by the organisation" in rows
    b.shot("organisation-served")
