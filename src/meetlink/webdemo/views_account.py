"""Who is signed in, the language, personal settings (link and unlink, S6-S10, S15), the
add-on's "+" menu trial page (S4) and the admin's contract page (S5)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, redirect, request, session

from meetlink import (
    AddonInactive,
    IssuancePolicy,
    MeetLinkError,
    SubscriptionState,
    TrialUnavailable,
)

from .app import demo, go, note, page, require_admin, signed_in
from .i18n import LANGUAGES
from .runtime import user_by_id

bp = Blueprint("account", __name__)

#: What the OAuth callback's ``?meetlink=`` outcome means to the user
#: ([`meetlink.integrations.endpoints.REASONS`][meetlink.integrations.endpoints.REASONS]), as
#: message keys.
OUTCOMES = {
    "linked": ("ok", "Linked with {provider}."),
    "denied": ("error", "You declined on {provider}'s page: nothing was linked."),
    "admin_approval_required": (
        "error",
        "Your {provider} administrator must approve the app first; link again once approved.",
    ),
    "expired": ("error", "The link request expired or was already used: start again."),
    "not_signed_in": ("error", "Nobody was signed in when {provider} sent you back: start again."),
    "rejected": ("error", "{provider} refused the authorization: start again."),
    "unavailable": ("error", "{provider} could not be reached: try again later."),
    "error": ("error", "Linking failed: start again."),
}

PROVIDER_NAMES = {"zoom": "Zoom", "teams": "Microsoft Teams", "google_meet": "Google Meet"}


def provider_name(key: str) -> str:
    """The provider's name as users know it."""
    return PROVIDER_NAMES.get(key, key)


@bp.post("/session/user")
def switch_user() -> Any:
    """The header's user switcher."""
    user = user_by_id(request.form.get("user"))
    if user is not None:
        session["user"] = user.id
    return go(request.form.get("next") or "/")


@bp.post("/session/lang")
def switch_language() -> Any:
    """The header's language buttons."""
    if request.form.get("lang") in LANGUAGES:
        session["lang"] = request.form["lang"]
    return go(request.form.get("next") or "/")


@bp.get("/settings")
def settings() -> Any:
    """Personal settings: each service's status, link and unlink (S10, S15)."""
    web, me = demo(), signed_in()
    outcome = OUTCOMES.get(request.args.get("meetlink", ""))
    provider = request.args.get("provider", "")
    if outcome is not None and provider in web.meetlink.provider_keys:
        note(outcome[1], outcome[0], provider=provider_name(provider))
        return go("/settings")  # the outcome is shown once, not kept in the address bar
    services = [
        {
            "key": key,
            "name": provider_name(key),
            "link": web.tenant.link(me.id, key),
            "usable": web.tenant.web_meeting_available(me.id, key),
        }
        for key in web.providers
    ]
    return page(
        "settings.html",
        "Personal settings",
        subscription=web.tenant.subscription(),
        services=services,
        notices=web.notices.for_user(me.id)[:5],
    )


@bp.post("/settings/<provider>/link")
def link(provider: str) -> Any:
    """ "Link with ...": to the provider's authorization page."""
    web, me = demo(), signed_in()
    try:
        started = web.tenant.begin_link(me.id, provider)
    except AddonInactive:
        note("Start the trial from the + menu (or contract the add-on) first.", "error")
        return go("/settings")
    except MeetLinkError:
        note("Linking failed: start again.", "error")
        return go("/settings")
    # The provider's authorization page; it sends the browser back to the callback route.
    return redirect(started.authorize_url, code=303)


@bp.post("/settings/<provider>/unlink")
def unlink(provider: str) -> Any:
    """ "Unlink ..." (S15)."""
    web, me = demo(), signed_in()
    if provider in web.meetlink.provider_keys and web.tenant.unlink(me.id, provider):
        note("Unlinked {provider}.", "ok", provider=provider_name(provider))
    return go("/settings")


@bp.get("/apps/web-conference")
def addon() -> Any:
    """The "+" menu's page of the add-on, with "Start trial" (S4)."""
    return page(
        "addon.html",
        "Free trial of apps",
        subscription=demo().tenant.subscription(),
        trial_days=demo().meetlink.settings.trial_length.days,
    )


@bp.post("/apps/web-conference/trial")
def start_trial() -> Any:
    """Start the company's one trial (S4)."""
    try:
        demo().tenant.start_trial()
    except TrialUnavailable:
        note("This company has already used its trial: the admin can contract the add-on.", "error")
        return go("/apps/web-conference")
    days = demo().meetlink.settings.trial_length.days
    note("The {days}-day trial of Web conference integration has started.", "ok", days=days)
    return go("/apps/web-conference")


@bp.get("/admin/contract")
def contract_page() -> Any:
    """Admin settings: change contract (S5)."""
    require_admin()
    ml = demo().tenant
    return page(
        "contract.html",
        "Change contract",
        subscription=ml.subscription(),
        roadmap=ml.policy() == IssuancePolicy.roadmap(),
    )


@bp.post("/admin/contract")
def change_contract() -> Any:
    """Contract the add-on, or cancel the contract (S5)."""
    require_admin()
    ml = demo().tenant
    wanted = request.form.get("web_conference") == "yes"
    state = ml.subscription().state
    if wanted and state is not SubscriptionState.CONTRACTED:
        ml.contract()
        note("Web conference integration is contracted.", "ok")
    elif not wanted and state is SubscriptionState.CONTRACTED:
        ml.cancel_contract()
        note("The Web conference integration contract is cancelled.", "ok")
    else:
        note("Nothing changed.")
    return go("/admin/contract")


@bp.post("/admin/policy")
def change_policy() -> Any:
    """Turn the roadmap's issuance on or off for the company (R2, R3): URLs for recurring,
    multi-day and all-day events too; off returns to the seed's rules (S17, S18)."""
    require_admin()
    wanted = request.form.get("roadmap") == "yes"
    demo().tenant.set_policy(IssuancePolicy.roadmap() if wanted else None)
    note("The URL issuance rules are saved.", "ok")
    return go("/admin/contract")
