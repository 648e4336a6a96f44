"""The calendar, the event form with its "Web conference" section (S11, shown only when
usable), the event detail with the URL and the owner's "start meeting" (S2, S12), editing,
deleting by anyone of the company (S19, S20), and retrying a conference's work."""

from __future__ import annotations

import uuid
from typing import Any

import attrs
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

from .app import demo, fail, go, note, page, signed_in, unconfirmed
from .forms import LATEST_START, EventForm, FormError
from .runtime import TENANT, user_by_id
from .views_account import provider_name

bp = Blueprint("events", __name__)

#: The form field an event field's error belongs to (the field gets aria-invalid and focus).
FORM_FIELDS = {
    "title": "title",
    "start": "start",
    "end": "minutes",
    "participants": "participants",
    "recurrence": "repeat",
    "description": "description",
}


@attrs.frozen
class FormProblem:
    """What the form page says is wrong: a message (a demo key or a catalogue code) with its
    parameters, the participant entries that could not be read, and the field to mark."""

    key: str
    params: dict[str, Any] = attrs.field(factory=dict)
    items: tuple[tuple[str, str, dict[str, Any]], ...] = ()
    field: str | None = None


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
    error: FormProblem | None,
    status: int = 200,
) -> Any:
    me = signed_in()
    owner_id = event.owner_id if event is not None else me.id
    current = event.web_meeting if event is not None else None
    offers = _offers(owner_id, current)
    no_offer_why = None
    if not offers and not current:  # say why the section is missing (S11)
        web = demo()
        if not web.tenant.subscription().active:
            no_offer_why = (
                "no URL can be issued: the Web conference integration add-on is not active "
                "(see Personal settings)."
            )
        else:
            no_offer_why = (
                "no URL can be issued: link Zoom or Microsoft Teams in Personal settings first."
            )
    return page(
        "event_form.html",
        "Edit event" if event is not None else "New event",
        status,
        form=form,
        event=event,
        owner_is_me=owner_id == me.id,
        offers=offers,
        no_offer_why=no_offer_why,
        latest_start=LATEST_START,
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
        field = "participants" if exc.items else None
        problem = FormProblem(exc.key, exc.params, exc.items, field)
        return _form_page(form, existing, problem, 400)
    except InvalidEvent as exc:  # meetlink's own checks: its text, in the user's language
        top = exc.field.split(".", 1)[0]
        problem = FormProblem(exc.code, dict(exc.params), field=FORM_FIELDS.get(top))
        return _form_page(form, existing, problem, 400)
    except InvalidInput as exc:
        return _form_page(form, existing, FormProblem(exc.code, dict(exc.params)), 400)
    web.calendar.put(event)
    failed = result.conference is not None and result.conference.status is ConferenceStatus.FAILED
    if failed:  # saved, but not as asked: never a green "saved"
        note("The event is saved, but its URL could not be issued: see why below.", "error")
    else:
        note("Event saved.", "ok")
    _tell(result, event)
    return go(f"/events/{event.id}")


def _tell(result: SaveResult, event: Event) -> None:
    """The save's refusals and notices, as meetlink's catalogue says them."""
    provider = event.web_meeting or "zoom"
    for refusal in result.refusals:
        note(refusal.code, "error", provider=provider)
    for notice in result.notices:
        note(notice.code, "info", provider=provider)


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
        can_start=event.owner_id == me.id and _startable(conference, me.id),
        link_lost=event.owner_id == me.id
        and conference is not None
        and conference.join_url is not None
        and not _startable(conference, me.id),
        can_retry=conference is not None
        and conference.status in (ConferenceStatus.PENDING, ConferenceStatus.FAILED),
        provider_name=provider_name,
    )


def _startable(conference: Conference | None, user_id: str) -> bool:
    """The user can start it: it is issued on an account the user's link holds (after a
    takeover or an unlink it is not, though the event is still theirs)."""
    if conference is None or conference.status is not ConferenceStatus.ISSUED:
        return False
    link = demo().tenant.link(user_id, conference.provider)
    return link is not None and link.external_account_id == conference.external_account_id


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
    question = (
        "Delete “{title}”? Its meeting URL is deleted too and participants get a cancellation."
        if had_url
        else "Delete “{title}”?"
    )
    asked = unconfirmed(question, "Delete", f"/events/{event_id}", title=event.title)
    if asked is not None:
        return asked
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
    else:
        note("The URL is issued.", "ok")
    return go(f"/events/{event_id}")
