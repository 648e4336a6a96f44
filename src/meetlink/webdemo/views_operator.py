"""The operator's page (admin only): the demo clock, meetlink's jobs and host notices, the
meetings that exist at each provider, and the provider-side buttons (make Zoom fail, press
"Remove App") that go through the emulators' control endpoints."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import httpx
from flask import Blueprint, request

from .app import demo, go, note, page, require_admin, unconfirmed
from .runtime import USERS
from .views_account import provider_name

bp = Blueprint("operator", __name__)

#: The clock buttons: how far each moves the demo's time.
STEPS = {
    "2m": timedelta(minutes=2),
    "1h": timedelta(hours=1),
    "1d": timedelta(days=1),
    "15d": timedelta(days=15),
}
#: The failure buttons: ``fail_next`` arguments per mode. "create" fails the next meeting
#: creation once (PENDING: a retry then succeeds), "refuse" refuses it for good (FAILED
#: until someone retries), "down" fails the next five requests of any kind, "limit"
#: answers the next request with a rate limit.
_CREATE_PATHS = {
    "zoom": "/v2/users/me/meetings",
    "teams": "/v1.0/me/onlineMeetings",
    "google_meet": "/v2/spaces",
}
FAILURES: dict[str, dict[str, Any]] = {
    "create": {"count": 1, "status": 500, "method": "POST"},
    "refuse": {"count": 1, "status": 400, "method": "POST"},
    "down": {"count": 5, "status": 503},
    "limit": {"count": 1, "status": 429, "retry_after": 60},
}


@bp.get("/operator")
def operator() -> Any:
    """The operator's page."""
    require_admin()
    web = demo()
    meetings: dict[str, list[dict[str, Any]] | None] = {}
    for key, control in web.controls.items():
        try:
            meetings[key] = control.meetings()
        except httpx.HTTPError:
            meetings[key] = None
    return page(
        "operator.html",
        "Operator",
        pending=web.meetlink.pending_jobs(),
        failed=web.meetlink.failed_jobs(),
        notices=web.notices.all()[:30],
        meetings=meetings,
        provider_name=provider_name,
        users=USERS,
        steps=STEPS,
    )


@bp.post("/operator/time")
def travel() -> Any:
    """Move the demo clock forward."""
    require_admin()
    step = STEPS.get(request.form.get("step", ""))
    if step is not None:
        demo().clock.advance(step)
        note("The demo clock moved forward.", "ok")
    return go("/operator")


@bp.post("/operator/<provider>/fail")
def make_fail(provider: str) -> Any:
    """Make the provider fail its next requests."""
    require_admin()
    control = demo().controls.get(provider)
    mode = request.form.get("mode", "")
    if control is None or mode not in FAILURES:
        return go("/operator")
    arguments = dict(FAILURES[mode])
    if mode in ("create", "refuse"):
        arguments["path"] = _CREATE_PATHS[provider]
    control.fail_next(**arguments)
    note("{provider} will fail as asked.", "ok", provider=provider_name(provider))
    return go("/operator")


@bp.post("/operator/<provider>/remove-app")
def remove_app(provider: str) -> Any:
    """A user presses "Remove App" at the provider (S16)."""
    require_admin()
    control = demo().controls.get(provider)
    email = request.form.get("email", "")
    if control is None or email not in {u.email for u in USERS}:
        return go("/operator")
    asked = unconfirmed(
        "Press Remove App at {provider} as {email}? The link ends and cannot be restored "
        "without linking again.",
        "Remove App",
        "/operator",
        provider=provider_name(provider),
        email=email,
    )
    if asked is not None:
        return asked
    try:
        answer = control.remove_app(email)
    except httpx.HTTPError:
        note("{provider} could not be reached.", "error", provider=provider_name(provider))
        return go("/operator")
    hook = answer.get("webhook")
    if isinstance(hook, dict) and "status" in hook:
        note(
            "{email} pressed Remove App at {provider}; our webhook route answered {status}.",
            "ok",
            email=email,
            provider=provider_name(provider),
            status=hook["status"],
        )
    else:
        note(
            "{email} pressed Remove App at {provider}; it sends no webhook: the link ends at "
            "its next token refresh.",
            "ok",
            email=email,
            provider=provider_name(provider),
        )
    return go("/operator")
