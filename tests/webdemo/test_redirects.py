"""The web demo's redirect targets stay on the site (issue 21, finding 4).

``POST /session/lang`` (and ``/session/user``) go back to the form's ``next``. It is parsed,
not string-checked: only a path on this site is taken, judged after what a browser does to
a Location before it follows it (WHATWG URL: leading and trailing C0 controls and spaces
stripped, tabs and newlines removed anywhere, a backslash read as a slash). Hypothesis sends
arbitrary ``next`` values to the running demo."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from meetlink.webdemo.runtime import WebDemo
from meetlink.webdemo.server import open_web_demo

BASE = "http://demo.test/calendar"
ISSUE_TARGETS = [
    "/\t/evil.example",
    "/\n/x",
    "/\r\n/evil.example",
    " //evil.example",
    "\x00//evil.example",
    "/\\evil.example",
    "\\\\evil.example",
    "/\t\\evil.example",
    "//evil.example",
    "https://evil.example/",
    "javascript:alert(1)",
    "/x\x7f",
]
#: What the Hypothesis test glues ``next`` values from (besides arbitrary text).
PIECES = ["/", "//", "\\", "\t", "\n", "\r", " ", "\x00", "\x0b", "\x7f", ":", "@", "?", "#"]
PIECES += ["%2F", "%5C", "%09", "..", "evil.example", "https:", "javascript:", "x"]
_C0_AND_SPACE = "".join(chr(c) for c in range(0x21))


def browser_origin(location: str) -> tuple[str, str]:
    """The scheme and host a browser on BASE goes to for ``location``."""
    url = location.strip(_C0_AND_SPACE)
    url = re.sub(r"[\t\n\r]", "", url).replace("\\", "/")
    parts = urlsplit(urljoin(BASE, url))
    return parts.scheme, parts.netloc


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[WebDemo]:
    path: Path = tmp_path_factory.mktemp("redirect-demo")
    with open_web_demo(path / "demo", port=0, worker_interval=5) as running:
        yield running


@pytest.fixture(scope="module")
def http(demo: WebDemo) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=demo.base_url, timeout=30) as client:
        yield client


def _location(http: httpx.Client, path: str, target: str) -> str:
    field = {"user": "bob"} if path == "/session/user" else {"lang": "ja"}
    answer = http.post(path, data={**field, "next": target})
    assert answer.status_code == 303, (target, answer.status_code)
    location = answer.headers["location"]
    assert not re.search(r"[\x00-\x1f\x7f]", location), location
    return location


@pytest.mark.parametrize("path", ["/session/lang", "/session/user"])
@pytest.mark.parametrize("target", ISSUE_TARGETS)
def test_the_issue_s_targets_stay_on_the_site(http: httpx.Client, path: str, target: str) -> None:
    location = _location(http, path, target)
    assert browser_origin(location) == ("http", "demo.test"), location


@pytest.mark.parametrize("target", ["/calendar", "/events/e1?tab=2#top", "/カレンダー"])
def test_a_path_of_the_site_is_kept(http: httpx.Client, target: str) -> None:
    location = _location(http, "/session/lang", target)
    assert location != "/" and browser_origin(location) == ("http", "demo.test")


def _texts() -> st.SearchStrategy[str]:
    pieces = st.sampled_from(PIECES)
    glued = st.lists(pieces, max_size=6).map("".join)
    anything = st.text(st.characters(blacklist_categories=["Cs"]), max_size=20)
    return st.one_of(glued, anything, st.tuples(glued, anything).map("".join))


@settings(max_examples=300)
@given(target=_texts(), path=st.sampled_from(["/session/lang", "/session/user"]))
def test_no_next_leaves_the_site(http: httpx.Client, target: str, path: str) -> None:
    location = _location(http, path, target)
    assert browser_origin(location) == ("http", "demo.test"), (target, location)
