"""One HTTP exchange for a provider adapter: the request a sans-I/O core builds
([`HttpRequest`][meetlink.adapters.http.HttpRequest]), sent with httpx, transport failures
translated.

A failure before the request left (connection refused, pool timeout) cannot have been
applied; any later one (read timeout, dropped connection) may have been, which is what
``ProviderUnavailable.maybe_applied`` tells the caller. URLs are logged without their query.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

import attrs
import httpx

from meetlink.errors import ProviderUnavailable

__all__ = ["JSON", "HttpRequest", "send"]

JSON = "application/json"


@attrs.frozen
class HttpRequest:
    """One HTTP request to a provider, as a sans-I/O core builds it. Headers and body may
    hold secrets (tokens, codes, client secrets): they stay out of the repr."""

    method: str
    url: str
    headers: Mapping[str, str] = attrs.field(factory=dict, repr=False)
    body: bytes = attrs.field(default=b"", repr=False)

    @classmethod
    def bearer(cls, method: str, url: str, token: str, body: Any = None) -> HttpRequest:
        """An API call with a bearer token, and a JSON body when ``body`` is not None."""
        headers = {"Authorization": f"Bearer {token}", "Accept": JSON}
        raw = b""
        if body is not None:
            headers["Content-Type"] = JSON
            raw = json.dumps(body, ensure_ascii=False).encode("utf-8")
        return cls(method, url, headers, raw)


_NOT_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout, httpx.UnsupportedProtocol)


def send(
    client: httpx.Client,
    *,
    method: str,
    url: str,
    headers: Mapping[str, str],
    body: bytes | None,
    provider_name: str,
    log: logging.Logger,
) -> httpx.Response:
    """Send one request; httpx errors leave as ProviderUnavailable."""
    path = urlsplit(url).path
    try:
        response = client.request(method, url, headers=dict(headers), content=body)
    except httpx.HTTPError as exc:
        sent = not isinstance(exc, _NOT_SENT)
        log.debug("%s %s: %s", method, path, type(exc).__name__)
        raise ProviderUnavailable(
            f"{provider_name} {method} {path}: {type(exc).__name__}"
            + (" after the request was sent" if sent else " before the request was sent"),
            maybe_applied=sent,
        ) from exc
    log.debug("%s %s -> %s", method, path, response.status_code)
    return response
