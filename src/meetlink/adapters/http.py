"""One HTTP exchange for a provider adapter: send with httpx, translate transport failures.

A failure before the request left (connection refused, pool timeout) cannot have been
applied; any later one (read timeout, dropped connection) may have been, which is what
``ProviderUnavailable.maybe_applied`` tells the caller. URLs are logged without their query.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from urllib.parse import urlsplit

import httpx

from meetlink.errors import ProviderUnavailable

__all__ = ["send"]

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
