"""The calendar, the event form with its "Web conference" section (S11, shown only when
usable), the event detail with the URL and the owner's "start meeting" (S2, S12), editing,
deleting by anyone of the company (S19, S20), and retrying a conference's work."""

from __future__ import annotations

import uuid
from typing import Any

from flask import Blueprint, redirect, request

from meetlink import (
    Conference,
    ConferenceStatus,
    Event,
    InvalidEvent,
    InvalidInput,
    MeetLinkError,
    NoConference,
    NotMeetingHost,
    SaveResult,
    UnknownEvent,
)

from .app import demo, fail, go, note, page, signed_in
from .forms import EventForm, FormError
from .runtime import TENANT, user_by_id
from .views_account import provider_name

bp = Blueprint("events", __name__)

#: Why a requested URL was not issued (meetlink's ``Refusal``), as message keys.
REFUSALS = {
    "ADDON_INACTIVE": "No URL: the Web conference integration add-on is not active.",
    "NOT_LINKED": "No URL: the owner has not linked {provider}.",
    "RECURRING": "No URL: URLs are not issued for recurring events.",
    "PERIOD": "No URL: URLs are not issued for events spanning several days.",
    "ALL_DAY": "No URL: URLs are not issued for all-day events.",
    "SOURCE_NOT_ALLOWED": "No URL: URLs are not issued for events made this way.",
    "UNKNOWN_PROVIDER": "No URL: {provider} is not available.",
    "LINK_BROKEN": "No URL: the owner's {provider} link is broken; link again.",
}
#: What the user should know about a save (meetlink's ``Notice``), as message keys.
NOTICES = {
    "FREE_PLAN_TIME_LIMIT": "The owner's Zoom account is a free Basic one: Zoom ends the "
    "meeting after 40 minutes (opening the URL again resumes it).",
    "PROVIDER_PENDING": "{provider} did not answer: the URL will be issued as soon as it does.",
    "CREDENTIALS_UNREADABLE": "The linked account's stored credentials cannot be read with the "
    "configured encryption keys: the URL will be issued once the right key is back.",
    "CONFERENCE_DETACHED": "The URL stays, but no linked account can change the meeting.",
    "LINK_REQUIRED_TO_UPDATE": "The meeting was not changed: no linked account holds it.",
}


@bp.get("/")
def home() -> Any:
    """The calendar is the home page."""
    return go("/calendar")


@bp.get("/calendar")
def calendar() -> Any:
    """Every event of the company, soonest first, with its conference status."""
    web = demo()
    rows = [(e, web.tenant.conference(e.id)) for e in web.calendar.all()]
    return page("calendar.html", "Calendar", rows=rows, user_by_id=user_by_id)


def _offers(owner_id: str, current: str | None) -> list[str]:
    """The providers the owner may choose in the "Web conference" section (S11)."""
    web = demo()
    usable = [p for p in web.providers if web.tenant.web_meeting_available(owner_id, p)]
    if usable and current is not None and current not in usable:
        usable.append(current)  # keep showing the ticked provider so it is not withdrawn
    return usable


def _form_page(
    form: EventForm,
    event: Event | None,
    error: tuple[str, dict[str, str]] | None,
    status: int = 200,
) -> Any:
    me = signed_in()
    owner_id = event.owner_id if event is not None else me.id
    current = event.web_meeting if event is not None else None
    return page(
        "event_form.html",
        "Edit event" if event is not None else "New event",
        status,
        form=form,
        event=event,
        owner_is_me=owner_id == me.id,
        offers=_offers(owner_id, current),
        provider_name=provider_name,
        error=error,
    )


@bp.get("/events/new")
def new_event() -> Any:
    """The empty event form."""
    return _form_page(EventForm.blank(demo().clock.now()), None, None)


@bp.get("/events/<event_id>/edit")
def edit_event(event_id: str) -> Any:
    """The event form filled with the event."""
    return _form_page(EventForm.of(_event(event_id)), _event(event_id), None)


@bp.post("/events/new")
def create_event() -> Any:
    """Save a new event (issuing its URL when asked and allowed)."""
    return _save(None)


@bp.post("/events/<event_id>/edit")
def update_event(event_id: str) -> Any:
    """Save the edited event: the meeting follows (S1, S13)."""
    return _save(_event(event_id))


def _save(existing: Event | None) -> Any:
    web, me = demo(), signed_in()
    form = EventForm.read(request.form)
    owner_id = existing.owner_id if existing is not None else me.id
    current = existing.web_meeting if existing is not None else None
    offers = _offers(owner_id, current)
    if owner_id == me.id and offers:  # the section was shown: the box decides
        wanted = form.provider if form.provider in offers else offers[0]
        web_meeting = wanted if form.issue_url else None
    else:  # not shown (or not the owner's to change): what the event had stays
        web_meeting = current
    event_id = existing.id if existing is not None else uuid.uuid4().hex
    try:
        event = form.event(event_id, TENANT, owner_id, web_meeting)
        result = web.tenant.save_event(event)
    except FormError as exc:
        return _form_page(form, existing, (exc.key, exc.params), 400)
    except (InvalidEvent, InvalidInput) as exc:
        return _form_page(
            form, existing, ("The event could not be saved: {reason}", {"reason": str(exc)}), 400
        )
    web.calendar.put(event)
    _tell(result, event)
    note("Event saved.", "ok")
    return go(f"/events/{event.id}")


def _tell(result: SaveResult, event: Event) -> None:
    provider = provider_name(event.web_meeting or "zoom")
    for refusal in result.refusals:
        key = REFUSALS.get(refusal.name, "No URL: {reason}.")
        note(key, "error", provider=provider, reason=refusal.value)
    for notice in result.notices:
        note(NOTICES.get(notice.name, "{reason}"), "info", provider=provider, reason=notice.value)


def _event(event_id: str) -> Event:
    event = demo().calendar.get(event_id)
    if event is None:
        fail(404, "There is no such event (it may have been deleted).")
    return event


@bp.get("/events/<event_id>")
def show_event(event_id: str) -> Any:
    """The event detail: the URL, the status, start, retry, edit, delete (S2, S12)."""
    web, me = demo(), signed_in()
    event = _event(event_id)
    conference = web.tenant.conference(event_id)
    return page(
        "event.html",
        "Event",
        event=event,
        owner=user_by_id(event.owner_id),
        owner_is_me=event.owner_id == me.id,
        conference=conference,
        can_start=event.owner_id == me.id and _startable(conference),
        can_retry=conference is not None
        and conference.status in (ConferenceStatus.PENDING, ConferenceStatus.FAILED),
        provider_name=provider_name,
    )


def _startable(conference: Conference | None) -> bool:
    return conference is not None and conference.status is ConferenceStatus.ISSUED


@bp.post("/events/<event_id>/start")
def start_meeting(event_id: str) -> Any:
    """The owner's start: a 303 to a freshly fetched start URL (S2)."""
    me = signed_in()
    _event(event_id)
    try:
        url = demo().tenant.start_url(event_id, me.id)
    except NotMeetingHost:
        fail(403, "Only the event's owner can start its meeting.")
    except (NoConference, UnknownEvent):
        fail(409, "This event has no meeting to start.")
    except MeetLinkError:
        fail(503, "The meeting could not be started now: try again.")
    # The start URL logs its opener in as the meeting's host: fetched now, sent only in
    # this redirect, never shown, stored or passed on as a Referer.
    answer = redirect(url, code=303)
    answer.headers["Cache-Control"] = "no-store"
    answer.headers["Referrer-Policy"] = "no-referrer"
    return answer


@bp.post("/events/<event_id>/delete")
def delete_event(event_id: str) -> Any:
    """Delete the event, by anyone of the company; its meeting goes too (S19, S20)."""
    web, me = demo(), signed_in()
    event = _event(event_id)
    had_url = web.tenant.conference(event_id) is not None
    web.tenant.delete_event(event_id, actor_id=me.id)
    web.calendar.remove(event_id)
    key = "Deleted “{title}”; its meeting URL is deleted too." if had_url else "Deleted “{title}”."
    note(key, "ok", title=event.title)
    return go("/calendar")


@bp.post("/events/<event_id>/retry")
def retry(event_id: str) -> Any:
    """Run the conference's pending or failed work again now."""
    _event(event_id)
    try:
        conference = demo().tenant.retry(event_id)
    except MeetLinkError:  # the provider still does not answer: the job stays scheduled
        conference = None
    if conference is None or conference.status is not ConferenceStatus.ISSUED:
        note("The retry did not issue the URL yet: see why below.", "error")
    return go(f"/events/{event_id}")
