"""The Teams emulator's route table, its answer to an injected failure, and Graph's request
ids.

The identity host (``/{tenant}/oauth2/v2.0/...``) and Graph (``/v1.0/...``) are served by path,
so one transport or one server stands in for ``login.microsoftonline.com`` and
``graph.microsoft.com``.
"""

from __future__ import annotations

import attrs

from meetlink.emulators.core import Fault, Incoming, Routes, route

from .admin import admin_consent_page, admin_consent_submit
from .graph import graph_error, handle_graph
from .identity import authorize_page, authorize_submit, entra_error, token_endpoint
from .state import Reply, TeamsState

__all__ = ["REQUEST_ID", "ROUTES", "fault_reply", "graph_request_ids"]

#: The header under which a Graph handler finds the request id of its answer.
REQUEST_ID = "x-emulator-request-id"
_TENANT = r"/([^/]+)"


def _not_found(state: TeamsState, request: Incoming) -> Reply:
    return Reply.html(404, "<!DOCTYPE html><title>404</title><p>Not found.</p>")


ROUTES: Routes[TeamsState] = Routes(
    [
        route("GET POST PATCH PUT DELETE", r"/v1\.0/.*", handle_graph),
        route("POST", _TENANT + r"/oauth2/v2\.0/token", token_endpoint),
        route("GET", _TENANT + r"/oauth2/v2\.0/authorize", authorize_page),
        route("POST", _TENANT + r"/oauth2/v2\.0/authorize", authorize_submit),
        route("GET", _TENANT + r"/(?:v2\.0/)?adminconsent", admin_consent_page),
        route("POST", _TENANT + r"/(?:v2\.0/)?adminconsent", admin_consent_submit),
    ],
    not_found=_not_found,
)


def graph_request_ids(state: TeamsState, request: Incoming) -> tuple[Incoming, dict[str, str]]:
    """Graph answers carry ``request-id`` and echo ``client-request-id`` (FACTS.md §2.8):
    the request as the handlers see it (with both) and the headers of its answer."""
    if not request.path.startswith("/v1.0/"):
        return request, {}
    request_id = state.guid()
    extra = {
        "request-id": request_id,
        "client-request-id": request.headers.get("client-request-id") or request_id,
    }
    seen = {
        **request.headers,
        REQUEST_ID: request_id,
        "client-request-id": extra["client-request-id"],
    }
    return attrs.evolve(request, headers=seen), extra


def fault_reply(state: TeamsState, fault: Fault, request: Incoming) -> Reply:
    """Entra's or Graph's answer to a request a ``fail_next`` rule fails, with the fault's
    ``Retry-After`` when it has one."""
    headers = {"Retry-After": fault.retry_after} if fault.retry_after is not None else {}
    if not request.path.startswith("/v1.0/"):
        error = "temporarily_unavailable" if fault.status >= 500 else "invalid_request"
        return entra_error(state, fault.status, error, 90006, "Injected failure.").with_headers(
            headers
        )
    code, text = {
        429: ("TooManyRequests", "The server is busy. Please try again later."),
        401: ("InvalidAuthenticationToken", "Access token has expired or is not yet valid."),
        503: ("serviceNotAvailable", "The service is temporarily unavailable."),
        504: ("gatewayTimeout", "The gateway timed out."),
    }.get(fault.status, ("generalException", "Injected failure."))
    return graph_error(state, request, fault.status, code, text).with_headers(headers)
