"""The host's pages. Each works in the signed-in user's tenant through its handle
(``get_meetlink().tenant(tenant)``); the host's own events are read by (tenant, event id)."""

import uuid
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from meetlink import Event, MeetLinkError, Participant, TenantMeetLink
from meetlink.integrations.django import get_meetlink
from meetlink.integrations.endpoints import REASONS

from .models import HostEvent

TIMEZONE = "Asia/Tokyo"


class SignIn(Exception):
    """Nobody is signed in: back to the sign-in form."""


def signed_in(request: HttpRequest) -> tuple[str, str] | None:
    """(tenant, user) from the session, or None: meetlink's callback binds the link to it."""
    user = request.session.get("user")
    return (user[0], user[1]) if user else None


def _user(request: HttpRequest) -> tuple[TenantMeetLink, str]:
    user = signed_in(request)
    if user is None:
        raise SignIn
    return get_meetlink().tenant(user[0]), user[1]


def _page(request: HttpRequest, template: str, status: int = 200, **context: Any) -> HttpResponse:
    context["user"] = signed_in(request)
    return render(request, f"calendarsite/{template}", context, status=status)


def _error(request: HttpRequest, error: Exception | str, status: int) -> HttpResponse:
    return _page(request, "error.html", status, error=str(error))


def signed_in_only(view: Any) -> Any:
    """The view, or a redirect to the sign-in form when nobody is signed in."""

    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        try:
            response: HttpResponse = view(request, *args, **kwargs)
        except SignIn:
            return redirect("home")
        return response

    wrapped.__name__ = view.__name__
    return wrapped


@require_GET
def home(request: HttpRequest) -> HttpResponse:
    if signed_in(request):
        return redirect("settings")
    return _page(request, "home.html")


@require_POST
def login(request: HttpRequest) -> HttpResponse:
    tenant, user = request.POST.get("tenant", ""), request.POST.get("user", "")
    if not tenant or not user:
        return _error(request, "company and user are required", 400)
    request.session.cycle_key()
    request.session["user"] = [tenant, user]
    return redirect("settings")


@require_POST
def logout(request: HttpRequest) -> HttpResponse:
    request.session.flush()
    return redirect("home")


@require_GET
@signed_in_only
def settings(request: HttpRequest) -> HttpResponse:
    tenant, user = _user(request)
    outcome = request.GET.get("meetlink")
    subscription = tenant.subscription()
    return _page(
        request,
        "settings.html",
        message=REASONS.get(outcome, "") if outcome else "",
        state=subscription.state.value,
        active=subscription.active,
        link=tenant.link(user),
    )


@require_POST
@signed_in_only
def trial(request: HttpRequest) -> HttpResponse:
    tenant, _ = _user(request)
    try:
        tenant.start_trial()
    except MeetLinkError as exc:
        return _error(request, exc, 409)
    return redirect("settings")


@require_POST
@signed_in_only
def link_zoom(request: HttpRequest) -> HttpResponse:
    tenant, user = _user(request)
    try:
        link_request = tenant.begin_link(user, "zoom")
    except MeetLinkError as exc:  # AddonInactive: start the trial first
        return _error(request, exc, 409)
    return HttpResponseRedirect(link_request.authorize_url)


@require_POST
@signed_in_only
def unlink(request: HttpRequest) -> HttpResponse:
    tenant, user = _user(request)
    tenant.unlink(user)
    return redirect("settings")


@require_http_methods(["GET", "POST"])
@signed_in_only
def new_event(request: HttpRequest) -> HttpResponse:
    tenant, user = _user(request)
    if request.method == "GET":
        return _page(request, "new_event.html", offer=tenant.web_meeting_available(user))
    form = request.POST
    try:
        start = datetime.fromisoformat(form["start"]).replace(tzinfo=ZoneInfo(TIMEZONE))
        minutes = int(form.get("minutes") or 30)
        emails = [e.strip() for e in form.get("participants", "").split(",")]
        event = Event(
            id=form.get("event_id") or uuid.uuid4().hex,
            tenant_id=tenant.tenant_id,
            owner_id=user,
            title=form.get("title", ""),
            start=start,
            end=start + timedelta(minutes=minutes),
            timezone=TIMEZONE,
            participants=tuple(Participant(email=e, locale="en") for e in emails if e),
            web_meeting=form.get("web_meeting") or None,
        )
        result = tenant.save_event(event)
    except (MeetLinkError, ValueError, KeyError) as exc:  # InvalidEvent names the field
        return _error(request, exc, 400)
    HostEvent.objects.update_or_create(
        tenant=tenant.tenant_id,
        event_id=event.id,
        defaults={"title": event.title, "start": event.start, "minutes": minutes},
    )
    target = reverse("show_event", args=[event.id])
    why = ", ".join(r.value for r in result.refusals)
    return redirect(f"{target}?{urlencode({'refused': why})}" if why else target)


def _host_event(tenant: TenantMeetLink, event_id: str) -> HostEvent:
    found = HostEvent.objects.filter(tenant=tenant.tenant_id, event_id=event_id).first()
    if found is None:
        raise Http404("no such event")
    return found


@require_GET
@signed_in_only
def show_event(request: HttpRequest, event_id: str) -> HttpResponse:
    tenant, _ = _user(request)
    event = _host_event(tenant, event_id)
    return _page(
        request,
        "event.html",
        event=event,
        conference=tenant.conference(event_id),
        refused=request.GET.get("refused"),
    )


@require_POST
@signed_in_only
def start(request: HttpRequest, event_id: str) -> HttpResponse:
    tenant, user = _user(request)
    try:
        return HttpResponseRedirect(tenant.start_url(event_id, user))  # never stored or mailed
    except MeetLinkError as exc:  # NotMeetingHost, NoConference, UnknownEvent
        return _error(request, exc, 403)


@require_POST
@signed_in_only
def delete(request: HttpRequest, event_id: str) -> HttpResponse:
    tenant, user = _user(request)
    event = _host_event(tenant, event_id)
    tenant.delete_event(event_id, actor_id=user)
    event.delete()
    return redirect("settings")
