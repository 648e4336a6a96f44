"""Who is signed in, the language, personal settings (link and unlink, S6-S10, S15), the
add-on's "+" menu trial page (S4) and the admin's contract page (S5)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from flask import Blueprint, redirect, request, session

from meetlink import (
    AddonInactive,
    HostEvent,
    HostEventKind,
    IssuancePolicy,
    MeetLink,
    MeetLinkError,
    SubscriptionState,
    TrialUnavailable,
)

from .app import demo, go, note, page, require_admin, signed_in, translator, unconfirmed
from .i18n import LANGUAGES
from .runtime import TENANT, USERS, user_by_id

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
        if request.args.get("meetlink") == "linked":
            for previous in _taken_over_by(me.id, provider):
                note(
                    "{name} had linked this {provider} account: that link ended, and {name} "
                    "has been told.",
                    "info",
                    name=previous,
                    provider=provider_name(provider),
                )
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


def _taken_over_by(user_id: str, provider: str) -> list[str]:
    """Who held the account ``user_id`` has just linked: the names of the users whose links
    the host event feed says were taken over since this link was made (S9)."""
    web = demo()
    link = web.tenant.link(user_id, provider)
    if link is None:
        return []
    names = []
    for event in _feed(web.meetlink):
        if (
            event.kind is HostEventKind.LINK_TAKEN_OVER
            and event.provider == provider
            and event.user_id not in (None, "", user_id)
            and event.at >= link.linked_at
        ):
            previous = user_by_id(event.user_id)
            names.append(previous.name if previous is not None else str(event.user_id))
    return names


def _feed(meetlink: MeetLink) -> Iterator[HostEvent]:
    """The tenant's whole host event feed, page by page."""
    after = None
    while page_ := meetlink.events(tenant_id=TENANT, after=after, limit=500):
        yield from page_
        after = page_[-1].id


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
    asked = unconfirmed(
        "Unlink {provider}? Your events keep their URLs, but their meetings can no longer be "
        "changed or started until you link again.",
        "Unlink",
        "/settings",
        provider=provider_name(provider),
    )
    if asked is not None:
        return asked
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


# --- the organisation (docs/org-install.md) -----------------------------------------------

_ORG_STATE = "org_state"  # the session's organisation link in flight: (state, provider)
#: The demo's providers that an organisation can link (Google Meet's is not built).
ORGANISATION_PROVIDERS = ("zoom", "teams")


@bp.get("/admin/organisation")
def organisation_page() -> Any:
    """Admin settings: link the company's Zoom account or Microsoft tenant once for everyone,
    and which users the organisation serves (a user's own link wins)."""
    require_admin()
    web = demo()
    providers = []
    for key in (k for k in web.providers if k in ORGANISATION_PROVIDERS):
        own = {u.id: web.tenant.link(u.id, key) for u in USERS}
        entries = [
            {
                "user": user_by_id(entry.user_id) or entry.user_id,
                "address": entry.address,
                "state": _served_state(entry, own.get(entry.user_id) is not None),
            }
            for entry in web.tenant.directory(key)
        ]
        providers.append(
            {"key": key, "name": provider_name(key), "org": web.tenant.org_link(key),
             "entries": entries}
        )  # fmt: skip
    return page("organisation.html", "Organisation", providers=providers)


def _served_state(entry: Any, own_link: bool) -> str:
    if own_link:
        return "Own link (it wins)"
    if entry.resolved_at is None:
        return "Not looked up yet"
    return "Served by the organisation" if entry.found else "Not in the organisation"


@bp.post("/admin/organisation/<provider>/link")
def link_organisation(provider: str) -> Any:
    """ "Link the organisation": to the provider's page for the organisation's admin."""
    me = require_admin()
    try:
        started = demo().tenant.begin_org_link(provider, admin_user_id=me.id)
    except AddonInactive:
        note("Start the trial from the + menu (or contract the add-on) first.", "error")
        return go("/admin/organisation")
    except MeetLinkError:
        note("Linking failed: start again.", "error")
        return go("/admin/organisation")
    session[_ORG_STATE] = [started.state, provider]
    return redirect(started.authorize_url, code=303)


@bp.post("/admin/organisation/<provider>/unlink")
def unlink_organisation(provider: str) -> Any:
    """ "Unlink the organisation" (its users keep their own links)."""
    require_admin()
    asked = unconfirmed(
        "Unlink the organisation from {provider}? Users it serves keep their URLs, but their "
        "meetings can no longer be changed, and they get no new URLs until it is linked "
        "again or they link their own accounts.",
        "Unlink the organisation",
        "/admin/organisation",
        provider=provider_name(provider),
    )
    if asked is not None:
        return asked
    if provider in demo().meetlink.provider_keys and demo().tenant.unlink_org(provider):
        note("Unlinked the organisation from {provider}.", "ok", provider=provider_name(provider))
    return go("/admin/organisation")


def organisation_callback() -> Any:
    """Before the ready-made callback route: the provider's answer to the organisation link
    this session began (told apart by its state), else nothing (the user's own link)."""
    held = session.get(_ORG_STATE)
    state = request.args.get("state")
    if (
        not held
        or state is None
        or state != held[0]
        or not request.path.endswith(f"/{held[1]}/callback")
    ):
        return None
    session.pop(_ORG_STATE, None)
    me, provider = signed_in(), held[1]
    try:
        demo().tenant.complete_org_link(
            state,
            code=request.args.get("code"),
            error=request.args.get("error"),
            error_description=request.args.get("error_description"),
            tenant=request.args.get("tenant"),
            admin_user_id=me.id,
        )
    except MeetLinkError as exc:
        reason = translator().say(exc.code, {"provider": provider, **exc.params})
        note("Linking the organisation failed: {reason}", "error", reason=reason)
        return go("/admin/organisation")
    note("The organisation is linked with {provider}.", "ok", provider=provider_name(provider))
    return go("/admin/organisation")
