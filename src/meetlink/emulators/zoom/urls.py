"""The Zoom emulator's route table and its answer to an injected failure.

Both the OAuth host (``/oauth/...``) and the API host (``/v2/...``) are served by path, so
one transport or one server stands in for ``https://zoom.us`` and ``https://api.zoom.us``.
"""

from __future__ import annotations

from meetlink.emulators.core import Fault, Incoming, Routes, route

from .api import handle_api
from .oauth import authorize_page, authorize_submit, revoke_endpoint, token_endpoint
from .state import PER_SECOND_MESSAGE, Reply, ZoomState

__all__ = ["ROUTES", "fault_reply"]


def _not_found(state: ZoomState, request: Incoming) -> Reply:
    return Reply.json(404, {"code": 404, "message": "This API endpoint is not recognized."})


ROUTES: Routes[ZoomState] = Routes(
    [
        route("GET POST PATCH PUT DELETE", r"/v2/.*", handle_api),
        route("GET", r"/oauth/authorize", authorize_page),
        route("POST", r"/oauth/authorize", authorize_submit),
        route("POST", r"/oauth/token", token_endpoint),
        route("POST", r"/oauth/revoke", revoke_endpoint),
    ],
    not_found=_not_found,
)


def fault_reply(state: ZoomState, fault: Fault, request: Incoming) -> Reply:
    """Zoom's answer to a request a ``fail_next`` rule fails: a per-second 429 (with
    ``Retry-After``), code 124 for a 401 on the API, an OAuth error on ``/oauth``."""
    path = request.path
    if fault.status == 429:
        headers = {
            "Retry-After": fault.retry_after or "1",
            "X-RateLimit-Category": "Light",
            "X-RateLimit-Type": "QPS",
            "X-RateLimit-Remaining": "0",
        }
        return Reply.json(429, {"code": 429, "message": PER_SECOND_MESSAGE}, headers)
    if fault.status == 401 and path.startswith("/v2/"):
        return Reply.json(401, {"code": 124, "message": "Invalid access token."})
    if path.startswith("/oauth/"):
        return Reply.json(fault.status, {"reason": "Injected failure", "error": "server_error"})
    return Reply.json(fault.status, {"code": fault.status, "message": "Injected failure."})
