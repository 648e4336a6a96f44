"""What the demo's operator does on the providers' side, through the served emulators'
``/_emulator`` control endpoints (``meetlink.emulators.core.control``), over HTTP like
any other client of ``meetlink emulator``."""

from __future__ import annotations

from typing import Any

import httpx

__all__ = ["MEETING_FIELDS", "EmulatorController"]

#: What the operator page shows of a provider's meeting. Deliberately not ``start_url``
#: (a host-only secret: whoever opens it starts the meeting as its host) nor passwords.
MEETING_FIELDS = (
    "id",
    "topic",
    "subject",
    "start_time",
    "startDateTime",
    "duration",
    "type",
    "name",  # a Google Meet space (it has no time and no title)
    "meetingUri",
)


class EmulatorController:
    """One served emulator's control endpoints (``base_url`` is the emulator's)."""

    def __init__(self, provider: str, base_url: str, *, timeout: float = 15.0) -> None:
        self.provider = provider
        self.base_url = base_url
        self._http = httpx.Client(base_url=f"{base_url}/_emulator", timeout=timeout)

    def close(self) -> None:
        """Close the HTTP client."""
        self._http.close()

    def _call(self, method: str, path: str, **kwargs: Any) -> Any:
        answer = self._http.request(method, path, **kwargs)
        answer.raise_for_status()
        return answer.json()

    def app(self) -> dict[str, Any]:
        """The registered app as the emulator describes it (``client_id``,
        ``client_secret``, ``redirect_uri``, ``webhook_secret`` for Zoom): what a test needs
        to check that no page shows a secret."""
        described: dict[str, Any] = self._call("GET", "/")
        return described

    def fail_next(self, **arguments: Any) -> None:
        """The next matching requests fail: ``fail_next``'s keyword arguments (``count``,
        ``status``, ``method``, ``path``, ``retry_after``)."""
        self._call("POST", "/fail-next", json=arguments)

    def remove_app(self, email: str) -> dict[str, Any]:
        """The user presses "Remove App" at the provider (S16); Zoom then POSTs the signed
        deauthorization webhook to the demo's webhook route. Returns the control answer."""
        answer: dict[str, Any] = self._call("POST", "/remove-app", json={"email": email})
        return answer

    def meetings(self) -> list[dict[str, Any]]:
        """The meetings that exist at the provider now, reduced to
        [`MEETING_FIELDS`][meetlink.webdemo.control.MEETING_FIELDS]."""
        found = self._call("GET", "/meetings")
        return [{k: m[k] for k in MEETING_FIELDS if k in m} for m in found]
