"""A small driver over Selenium for the web demo's pages: go, click, fill, switch user,
screenshot each step, and keep every page the demo served for the secrets check."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from selenium.common.exceptions import StaleElementReferenceException, WebDriverException
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select

from meetlink.webdemo.runtime import WebDemo


class Browser:
    """One test's browser on one running demo."""

    def __init__(self, driver: Any, demo: WebDemo, shots: Path) -> None:
        self.driver = driver
        self.demo = demo
        self.shots = shots
        self.pages: list[tuple[str, str]] = []  # (url, html) of every page the demo served
        self._step = 0

    @property
    def url(self) -> str:
        """Where the browser is."""
        return str(self.driver.current_url)

    def go(self, path: str) -> None:
        """Open a page of the demo."""
        self.driver.get(self.demo.base_url + path)
        self.keep()

    def keep(self) -> None:
        """Remember the current page when the demo served it (not the browser's own
        error page for an address it could not reach)."""
        source = str(self.driver.page_source)
        if self.url.startswith(self.demo.base_url) and 'id="worker-note"' in source:
            self.pages.append((self.url, source))

    def shot(self, name: str) -> Path:
        """Screenshot of the current page, numbered in story order."""
        self.keep()
        self._step += 1
        self.shots.mkdir(parents=True, exist_ok=True)
        path = self.shots / f"{self._step:02d}-{name}.png"
        # The whole page (up to 1,600 px high), not only the window: the viewport grows
        # to the page for the shot (a capture beyond the viewport leaves iframes blank).
        size = self.driver.execute_cdp_cmd("Page.getLayoutMetrics", {})["cssContentSize"]
        metrics = {
            "width": int(size["width"]),
            "height": min(int(size["height"]), 1600),
            "deviceScaleFactor": 1,
            "mobile": False,
        }
        self.driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", metrics)
        try:
            self.driver.save_screenshot(str(path))
        finally:
            self.driver.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})
        return path

    def find(self, element_id: str) -> Any:
        """The element with this id."""
        return self.driver.find_element(By.ID, element_id)

    def exists(self, element_id: str) -> bool:
        """Whether the page has an element with this id."""
        return bool(self.driver.find_elements(By.ID, element_id))

    def click(self, element_id: str) -> None:
        """Click a button or link that loads another page, and wait for that page."""
        self.navigate(lambda: self.find(element_id).click())

    def toggle(self, element_id: str) -> None:
        """Click something that stays on the page (a checkbox, the "+" menu)."""
        self.find(element_id).click()

    def button(self, text: str) -> None:
        """Click the button whose text is ``text`` (it loads another page)."""
        path = f'//button[normalize-space()="{text}"]'
        self.navigate(lambda: self.driver.find_element(By.XPATH, path).click())

    def navigate(self, action: Callable[[], None]) -> None:
        """Do ``action`` (which loads another page) and wait until that page is loaded."""
        old = self.driver.find_element(By.TAG_NAME, "html")
        action()
        self.wait_for(lambda: _replaced(old), 30)
        self.wait_for(
            lambda: self.driver.execute_script("return document.readyState") == "complete"
        )
        self.keep()

    def fill(self, element_id: str, value: str) -> None:
        """Replace a field's text."""
        field = self.find(element_id)
        field.clear()
        field.send_keys(value)

    def set_value(self, element_id: str, value: str) -> None:
        """Set a field's value directly (date-time inputs, whose typing is locale-bound)."""
        self.driver.execute_script(
            "document.getElementById(arguments[0]).value = arguments[1]", element_id, value
        )

    def choose(self, element_id: str, visible_text: str) -> None:
        """Pick an option of a select by its text."""
        Select(self.find(element_id)).select_by_visible_text(visible_text)

    def text(self) -> str:
        """The page's visible text."""
        return str(self.driver.find_element(By.TAG_NAME, "body").text)

    def sign_in_as(self, user_id: str) -> None:
        """Use the header's user switcher."""
        Select(self.find("switch-user")).select_by_value(user_id)
        self.click("switch-user-button")

    def post(self, path: str) -> None:
        """Submit a POST to ``path`` that no page offers (a hand-made request)."""
        script = (
            "const f = document.createElement('form'); f.method = 'post';"
            "f.action = arguments[0]; document.body.appendChild(f); f.submit();"
        )
        self.navigate(lambda: self.driver.execute_script(script, path))

    def consent(self, form_id: str, email: str) -> None:
        """On a provider's consent page: sign in as ``email`` in the form ``form_id``
        (Zoom's allow/deny, Entra's accept/cancel) and press its button."""
        form = self.driver.find_element(By.ID, form_id)
        Select(form.find_element(By.TAG_NAME, "select")).select_by_visible_text(email)
        self.navigate(lambda: form.find_element(By.TAG_NAME, "button").click())
        self.wait_for(lambda: self.url.startswith(self.demo.base_url))

    def wait_for(self, condition: Callable[[], bool], seconds: float = 20.0) -> None:
        """Poll ``condition`` until it holds (bounded)."""
        deadline = time.monotonic() + seconds
        while not condition():
            if time.monotonic() > deadline:
                self.shot("failed-wait")
                raise AssertionError(f"waited {seconds} s in vain on {self.url}")
            time.sleep(0.1)

    def reload_until(
        self, path: str, condition: Callable[[str], bool], seconds: float = 20.0
    ) -> None:
        """Reload ``path`` until its text satisfies ``condition`` (the worker thread does
        its work between two loads)."""

        def loaded() -> bool:
            self.go(path)
            return condition(self.text())

        self.wait_for(loaded, seconds)


def _replaced(old: Any) -> bool:
    """Whether the page that held ``old`` is gone (a new one is loading or loaded)."""
    try:
        old.tag_name  # noqa: B018  (touching it is the question)
    except StaleElementReferenceException:
        return True
    except WebDriverException:  # the document is changing under the driver: ask again
        return False
    return False
