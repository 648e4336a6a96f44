"""The emulator's HTML consent page over real HTTP: GET it, submit a form, follow the 302."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from urllib.parse import parse_qs, urlsplit

import httpx

from meetlink.adapters.clock import ManualClock
from meetlink.emulators.zoom import ZoomEmulator
from tests.providers.targets import pkce


class _Forms(HTMLParser):
    """Collects each form's id, action and input fields."""

    def __init__(self) -> None:
        super().__init__()
        self.forms: dict[str, dict[str, object]] = {}
        self._current: dict[str, object] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = {k: v or "" for k, v in attrs}
        if tag == "form":
            self._current = {"action": found["action"], "method": found["method"], "fields": {}}
            self.forms[found["id"]] = self._current
        elif tag == "input" and self._current is not None:
            fields = self._current["fields"]
            assert isinstance(fields, dict)
            fields[found["name"]] = found.get("value", "")
        elif tag == "option" and self._current is not None:
            fields = self._current["fields"]
            assert isinstance(fields, dict)
            fields.setdefault("user_id", found["value"])

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self._current = None


def _page(client: httpx.Client, url: str) -> _Forms:
    reply = client.get(url)
    assert reply.status_code == 200
    assert reply.headers["content-type"].startswith("text/html")
    parser = _Forms()
    parser.feed(reply.text)
    return parser


def _submit(client: httpx.Client, base_url: str, form: dict[str, object]) -> httpx.Response:
    fields = form["fields"]
    assert isinstance(fields, dict) and form["method"] == "post"
    return client.post(base_url + str(form["action"]), data=fields)


def test_allow_redirects_with_code_and_state(clock: ManualClock) -> None:
    zoom = ZoomEmulator(clock=clock, seed=5)
    zoom.add_user("page@example.com")
    verifier, challenge = pkce()
    with zoom.serve() as server, httpx.Client(follow_redirects=False) as client:
        provider = zoom.provider(base_url=server.base_url)
        with provider:
            url = provider.authorization_url(state="st-42", code_challenge=challenge)
            page = _page(client, url)
            assert set(page.forms) == {"allow", "deny"}
            reply = _submit(client, server.base_url, page.forms["allow"])
            assert reply.status_code == 302
            location = reply.headers["location"]
            assert location.startswith(zoom.redirect_uri + "?")
            query = {k: v[0] for k, v in parse_qs(urlsplit(location).query).items()}
            assert set(query) == {"code", "state"} and query["state"] == "st-42"
            tokens = provider.exchange_code(code=query["code"], code_verifier=verifier)
            assert provider.account(tokens.access_token).email == "page@example.com"
    assert ("GET", "/oauth/authorize") in zoom.requests and (
        "POST",
        "/oauth/authorize",
    ) in zoom.requests


def test_deny_redirects_with_access_denied(clock: ManualClock) -> None:
    zoom = ZoomEmulator(clock=clock, seed=5)
    zoom.add_user("page@example.com")
    with (
        zoom.serve() as server,
        httpx.Client() as client,
        zoom.provider(base_url=server.base_url) as p,
    ):
        page = _page(client, p.authorization_url(state="st", code_challenge=pkce()[1]))
        reply = _submit(client, server.base_url, page.forms["deny"])
        assert reply.status_code == 302
        query = parse_qs(urlsplit(reply.headers["location"]).query)
        assert query == {"error": ["access_denied"], "state": ["st"]}


def test_pending_admin_approval_never_redirects(clock: ManualClock) -> None:
    zoom = ZoomEmulator(clock=clock, seed=5)
    zoom.add_user("page@corp.example", account_id="corp")
    zoom.require_admin_approval("corp")
    with (
        zoom.serve() as server,
        httpx.Client() as client,
        zoom.provider(base_url=server.base_url) as p,
    ):
        page = _page(client, p.authorization_url(state="st", code_challenge=pkce()[1]))
        reply = _submit(client, server.base_url, page.forms["allow"])
        assert reply.status_code == 403 and "location" not in reply.headers
        assert re.search(r"admin is required", reply.text)


def test_bad_redirect_uri_shows_an_error_page(clock: ManualClock) -> None:
    zoom = ZoomEmulator(clock=clock, seed=5)
    with (
        zoom.serve() as server,
        httpx.Client() as client,
        zoom.provider(base_url=server.base_url) as p,
    ):
        url = p.authorization_url(state="st", code_challenge="c")
        url = url.replace("127.0.0.1%2Fmeetlink", "evil.example%2Fmeetlink")
        reply = client.get(url)
        assert reply.status_code == 400 and "4709" in reply.text and "location" not in reply.headers
