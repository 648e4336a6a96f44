"""The organisation link in a real browser (headless Chromium, issue 22): the admin links
the company's Zoom account on the Organisation page and Zoom's consent page (and the Microsoft
tenant through Entra's admin consent page), then a user who never linked saves an event with
"Issue URL" and gets a meeting on their own account; the page lists them as served by the
organisation."""

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


def test_the_admin_links_the_microsoft_tenant_in_a_browser(browser: Browser) -> None:
    """Teams: the admin signs in with their own Microsoft account, then gives the admin
    consent for the organisation on Entra's page; the customer's Teams admin grants the
    access policy; Bob, who never linked Teams, saves an event with Teams and gets the online
    meeting on his own account, and the page lists him as served."""
    b = browser
    demo = b.demo
    demo.tenant.contract()
    teams_base = demo.controls["teams"].base_url
    b.go("/calendar")
    b.sign_in_as("admin")
    b.go("/settings")
    b.click("link-teams")
    b.consent("accept", "admin@acme.example")
    assert b.find("status-teams").text == "enabled"
    b.go("/admin/organisation")
    assert b.find("org-teams-state").text == "Not linked"
    b.click("org-teams-link")
    assert b.url.startswith(teams_base)
    b.shot("entra-admin-consent")
    b.consent("accept", "admin@acme.example")
    assert "The organisation is linked with Microsoft Teams." in b.text()
    assert b.find("org-teams-state").text.startswith("Linked by admin@acme.example")
    b.shot("organisation-linked-teams")
    granted = httpx.post(f"{teams_base}/_emulator/access-policy", json={"global": True})
    assert granted.status_code == 200  # Grant-CsApplicationAccessPolicy -Global

    b.sign_in_as("bob")  # never linked Microsoft himself
    b.go("/events/new")
    assert b.exists("web-conference")
    b.fill("title", "Review")
    b.toggle("issue_url")
    # the only service Bob can use is the organisation's Teams: offered without a choice
    assert "(Microsoft Teams)" in b.find("web-conference").text
    b.click("save")
    b.reload_until(b.url.replace(demo.base_url, ""), lambda text: "teams.microsoft.com" in text)
    join_url = b.find("join-url").text
    b.shot("bob-event-issued-teams")
    hosted = httpx.get(f"{teams_base}/_emulator/meetings", params={"email": "bob@acme.example"})
    assert [m["joinWebUrl"] for m in hosted.json()] == [join_url]  # on Bob's own account
    assert demo.tenant.link("bob", "teams") is None

    b.sign_in_as("admin")
    b.go("/admin/organisation")
    rows = b.find("org-teams-users").text
    assert "bob@acme.example Served by the organisation" in rows
