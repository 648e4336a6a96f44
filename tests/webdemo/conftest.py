"""Fixtures of the web demo's tests: the demo served in-process on a free port, and headless
Chromium (Debian's chromium and chromium-driver, never a downloaded browser) driven by
Selenium. Without the browser the browser tests skip with the reason, except under
``CI=true``, where they fail. Screenshots of each step go to ``$MEETLINK_SCREENSHOTS`` or a
directory under pytest's base temporary directory, printed at the end of the run."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from meetlink.webdemo.runtime import WebDemo
from meetlink.webdemo.server import open_web_demo

from .browser import Browser

#: Chromium's switches: headless, and nothing that reaches out (the closed network refuses
#: such connections, slowly).
CHROMIUM_ARGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
    "--window-size=1100,800",
    "--lang=en-US",
)

_SHOTS: list[Path] = []


def _executable(name: str, *fallbacks: str) -> str | None:
    found = shutil.which(name)
    if found:
        return found
    return next((f for f in fallbacks if Path(f).is_file()), None)


def _no_browser(reason: str) -> None:
    reason += ": install Debian's chromium and chromium-driver (scripts/bootstrap does as root)"
    if os.environ.get("CI") == "true":
        pytest.fail(reason)
    pytest.skip(reason)


@pytest.fixture
def web_demo(tmp_path: Path) -> Iterator[WebDemo]:
    """The web demo on a free port, its files under tmp_path, a quick worker."""
    with open_web_demo(tmp_path / "demo", port=0, worker_interval=0.2) as running:
        yield running


@pytest.fixture(scope="session")
def screenshot_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Where the screenshots of this run go (printed at the end of the run)."""
    chosen = os.environ.get("MEETLINK_SCREENSHOTS")
    path = Path(chosen) if chosen else tmp_path_factory.mktemp("screenshots")
    path.mkdir(parents=True, exist_ok=True)
    _SHOTS.append(path)
    return path


@pytest.fixture(scope="session")
def chrome() -> Iterator[Any]:
    """One headless Chromium for the session (each test starts on a fresh cookie jar)."""
    try:
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service
    except ImportError:
        _no_browser("the selenium package is missing")
    chromium = _executable("chromium", "/usr/bin/chromium")
    driver_path = _executable("chromedriver", "/usr/bin/chromedriver")
    if chromium is None or driver_path is None:
        _no_browser("headless Chromium is not installed")
    assert chromium is not None and driver_path is not None
    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for argument in CHROMIUM_ARGS:
        options.add_argument(argument)
    profile = tempfile.mkdtemp(prefix="meetlink-chromium-")
    options.add_argument(f"--user-data-dir={profile}")
    # A Service with the driver's path: Selenium Manager (which downloads) is never run.
    driver = webdriver.Chrome(service=Service(executable_path=driver_path), options=options)
    driver.set_page_load_timeout(30)
    try:
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)


@pytest.fixture
def browser(chrome: Any, web_demo: WebDemo, screenshot_dir: Path, request: Any) -> Browser:
    """The browser on the demo, with no cookies left from another test."""
    chrome.execute_cdp_cmd("Network.clearBrowserCookies", {})
    return Browser(chrome, web_demo, screenshot_dir / request.node.name)


def pytest_terminal_summary(terminalreporter: Any) -> None:
    for path in _SHOTS:
        terminalreporter.write_line(f"web demo screenshots: {path}")
