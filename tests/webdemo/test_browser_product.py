"""The fixed screens of issue 24 in headless Chromium, in Japanese: participants typed as
people type them and each unreadable one named with its reason (the field marked and
focused), the confirmation before a delete, the owner told why she cannot start her meeting
after a takeover, the trial's end explained, and every page usable at 390 px (no sideways
scrolling)."""

from __future__ import annotations

from .browser import Browser
from .test_browser_story import _event_id

NARROW = 390


def _no_sideways_scroll(b: Browser) -> bool:
    return bool(
        b.driver.execute_script("return document.documentElement.scrollWidth <= window.innerWidth")
    )


def _japanese_and_linked(b: Browser) -> None:
    b.go("/calendar")
    b.button("日本語")
    b.go("/apps/web-conference")
    b.click("start-trial")
    b.go("/settings")
    b.click("link-zoom")
    b.consent("allow", "alice@acme.example")


def test_participants_are_read_as_typed_and_problems_named(browser: Browser) -> None:
    b = browser
    _japanese_and_linked(b)
    b.go("/events/new")
    b.fill("title", "顧客との打ち合わせ")
    b.fill("participants", "x@customer.example, z@customer.example; 山田 <a@b>\nだれか")
    b.click("save")
    problems = b.find("participant-problems").text
    assert "山田 <a@b>: 参加者のメールアドレス「a@b」は正しくありません。" in problems
    assert "だれか: メールアドレスではありません。" in problems
    assert b.find("participants").get_attribute("aria-invalid") == "true"
    assert b.driver.switch_to.active_element.get_attribute("id") == "participants"
    b.shot("participants-refused-ja")
    b.fill(
        "participants", 'x@customer.example, z@customer.example; "山田, 太郎" <t@customer.example>'
    )
    b.toggle("issue_url")
    b.click("save")
    event_id = _event_id(b)
    event = b.demo.tenant.event(event_id)
    assert event is not None
    assert [p.email for p in event.participants] == [
        "x@customer.example",
        "z@customer.example",
        "t@customer.example",
    ]
    b.click("delete-event")
    assert "「顧客との打ち合わせ」を削除しますか？" in b.find("confirm-question").text
    b.shot("delete-confirm-ja")
    b.click("confirm-cancel")
    assert b.demo.tenant.event(event_id) is not None


def test_the_owner_is_told_after_a_takeover_and_after_the_trial(browser: Browser) -> None:
    b = browser
    _japanese_and_linked(b)
    b.go("/events/new")
    b.fill("title", "定例")
    b.toggle("issue_url")
    b.click("save")
    event_id = _event_id(b)
    b.sign_in_as("bob")  # bob links alice's Zoom account: a takeover (S9)
    b.go("/settings")
    b.click("link-zoom")
    b.consent("allow", "alice@acme.example")
    b.sign_in_as("alice")
    b.go(f"/events/{event_id}")
    assert not b.exists("start-meeting")
    assert "個人設定からもう一度連携してください" in b.find("start-hint").text
    b.shot("takeover-owner-ja")
    b.sign_in_as("admin")
    b.go("/operator")
    b.click("travel-15d")
    b.sign_in_as("alice")
    b.go("/settings")
    assert "トライアルは終了しました" in b.find("addon-why").text
    b.shot("trial-ended-settings-ja")
    b.go("/events/new")
    assert "アドオンが有効ではない" in b.find("web-conference-why").text


def test_every_screen_fits_390_px(browser: Browser) -> None:
    b = browser
    _japanese_and_linked(b)
    b.go("/events/new")
    b.fill("title", "Quarterly-review-" * 20)  # long, and no space to wrap at
    b.toggle("issue_url")
    b.click("save")
    event_id = _event_id(b)
    phone = {"width": NARROW, "height": 844, "deviceScaleFactor": 1, "mobile": True}
    b.driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", phone)
    try:
        b.demo.meetlink.run_pending()  # the invitation, for the inbox
        for path in (
            "/calendar",
            f"/events/{event_id}",
            f"/events/{event_id}/edit",
            "/settings",
            "/apps/web-conference",
            "/inbox",
            "/operator",
        ):
            b.go(path)
            assert _no_sideways_scroll(b), path
    finally:
        b.driver.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})
