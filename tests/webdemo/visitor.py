"""A browser without a browser: httpx with cookies against the running web demo, following
the demo's own redirects and the providers' consent forms by hand. Every page the demo
served is kept for the checks."""

from __future__ import annotations

import re
from html import unescape
from typing import Any

import httpx

from meetlink.webdemo.runtime import WebDemo


class Visitor:
    """One signed-in browser session on the demo."""

    def __init__(self, demo: WebDemo) -> None:
        self.demo = demo
        self.http = httpx.Client(base_url=demo.base_url, timeout=30)
        self.pages: list[tuple[str, str]] = []

    def close(self) -> None:
        """Close the HTTP client."""
        self.http.close()

    def _follow(self, answer: httpx.Response) -> httpx.Response:
        """Follow redirects that stay on the demo (a redirect elsewhere is returned)."""
        while answer.is_redirect:
            location = answer.headers["location"]
            if location.startswith("http") and not location.startswith(self.demo.base_url):
                return answer
            answer = self.http.get(location)
        if answer.headers.get("content-type", "").startswith("text/html"):
            self.pages.append((str(answer.url), answer.text))
        return answer

    def get(self, path: str) -> httpx.Response:
        """GET a page (and where it redirects)."""
        return self._follow(self.http.get(path))

    def post(self, path: str, data: dict[str, Any] | None = None) -> httpx.Response:
        """POST a form (and follow the answer's redirects on the demo)."""
        return self._follow(self.http.post(path, data=data or {}))

    def sign_in_as(self, user_id: str) -> None:
        """The header's user switcher."""
        self.post("/session/user", {"user": user_id, "next": "/calendar"})

    def link(self, provider: str, email: str, decision: str) -> httpx.Response:
        """Personal settings -> "Link with ..." -> the provider's page -> ``decision``
        (the form's id: allow/deny for Zoom, accept/cancel for Entra) -> back."""
        return self.consent_via(f"/settings/{provider}/link", email, decision)

    def consent_via(self, start: str, email: str, decision: str) -> httpx.Response:
        """POST ``start`` (a button that leads to a provider's consent page) -> the page ->
        ``decision`` as ``email`` -> back to the demo."""
        answer = self.post(start)
        authorize = answer.headers["location"]
        page = httpx.get(authorize, timeout=30).text
        form = page.split(f'<form id="{decision}"', 1)[1].split("</form>", 1)[0]
        action = unescape(re.findall(r'action="([^"]+)"', form)[0])
        fields = {
            unescape(n): unescape(v) for n, v in re.findall(r'name="([^"]+)" value="([^"]*)"', form)
        }
        fields["user_id"] = re.findall(rf'<option value="([^"]+)">{re.escape(email)}<', form)[0]
        base = authorize.split("/", 3)
        back = httpx.post(f"{base[0]}//{base[2]}{action}", data=fields, timeout=30)
        assert back.status_code == 302, back.text
        return self.get(back.headers["location"])
