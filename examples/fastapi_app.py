"""A complete FastAPI host for meetlink (a JSON API): sign in (a demo cookie, not real
authentication), start the trial, link Zoom, save events with a meeting URL, read, start and
delete them. Every meetlink call goes through ``AsyncMeetLink``, so the event loop never
waits on Zoom or the database.

Run it against the Zoom emulator (no Zoom account needed)::

    pip install -e ".[starlette]" fastapi uvicorn   # in a clone of meetlink (docs/quickstart.md)
    meetlink emulator --port 9000 --user alice@example.com \\
        --redirect-uri http://127.0.0.1:8000/meetlink/zoom/callback \\
        --webhook-url http://127.0.0.1:8000/meetlink/zoom/webhook
    export ZOOM_CLIENT_ID=... ZOOM_CLIENT_SECRET=... ZOOM_WEBHOOK_SECRET=...  # its first line
    export ZOOM_BASE_URL=http://127.0.0.1:9000 MEETLINK_KEY=$(meetlink keygen)
    meetlink migrate sqlite:///example.db
    uvicorn fastapi_app:app --port 8000
    meetlink worker --app fastapi_app:build_meetlink

``build_meetlink`` reads the same environment as the Flask example. Every request works in
the signed-in user's tenant only, through ``aml.tenant(tenant)``: a user of one company
never reads, starts or deletes another company's event, even with the same ids.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime
from typing import Annotated, Any

from fastapi import Depends, FastAPI, HTTPException, Request
from fastapi.responses import RedirectResponse
from pydantic import BaseModel

from flask_app import build_meetlink  # one composition root for both examples
from meetlink import Event, InvalidInput, MeetLink, MeetLinkError, Participant
from meetlink.aio import AsyncMeetLink, AsyncTenantMeetLink
from meetlink.integrations.starlette import routes

__all__ = ["build_meetlink", "create_app"]  # and ``app``, made on first use

COOKIE = "demo_user"


class Login(BaseModel):
    tenant: str
    user: str


class EventIn(BaseModel):
    title: str
    start: datetime
    end: datetime
    timezone: str = "Asia/Tokyo"
    participants: list[str] = []
    web_meeting: str | None = None


def signed_in(request: Request) -> tuple[str, str] | None:
    """Who the (demo) session cookie names: ``tenant:user``."""
    tenant, _, user = request.cookies.get(COOKIE, "").partition(":")
    return (tenant, user) if tenant and user else None


def current_user(request: Request) -> tuple[str, str]:
    """A FastAPI dependency: 401 unless someone is signed in."""
    user = signed_in(request)
    if user is None:
        raise HTTPException(401, "sign in first: POST /login")
    return user


User = tuple[AsyncTenantMeetLink, str]  # the signed-in user's tenant handle and user id


def tenant_user(request: Request, user: tuple[str, str] = Depends(current_user)) -> User:
    """A FastAPI dependency: meetlink for the signed-in user's tenant, and the user id."""
    aml: AsyncMeetLink = request.app.state.meetlink
    try:
        return aml.tenant(user[0]), user[1]
    except InvalidInput as exc:  # a tenant id meetlink cannot take (e.g. too long)
        raise HTTPException(422, str(exc)) from exc


SignedIn = Annotated[User, Depends(tenant_user)]


def _conference(conference: Any) -> dict[str, Any] | None:
    if conference is None:
        return None
    return {
        "status": conference.status.value,
        "join_url": conference.join_url,
        "passcode": conference.passcode,
        "provider": conference.provider,
    }


def create_app(meetlink: MeetLink | None = None) -> FastAPI:
    """The FastAPI app (``uvicorn fastapi_app:app``)."""
    aml = AsyncMeetLink(meetlink or build_meetlink())

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        yield
        await aml.aclose()  # waits for running calls, closes storage and HTTP clients

    app = FastAPI(title="Example calendar", lifespan=lifespan)
    # GET /meetlink/zoom/callback (back to /me?meetlink=<outcome>), POST /meetlink/zoom/webhook
    app.router.routes.extend(routes(aml, current_user=signed_in, redirect_to="/me"))
    app.state.meetlink = aml

    @app.post("/login")
    async def login(body: Login) -> Any:
        response = RedirectResponse("/me", status_code=303)
        response.set_cookie(COOKIE, f"{body.tenant}:{body.user}", httponly=True)
        return response

    @app.get("/me")
    async def me(request: Request, user: SignedIn) -> Any:
        tenant, user_id = user
        subscription = await tenant.subscription()
        link = await tenant.link(user_id)
        return {
            "tenant": tenant.tenant_id,
            "user": user_id,
            "addon": subscription.state.value,
            "zoom": None if link is None else {"email": link.email, "plan": link.plan},
            "web_meeting_available": await tenant.web_meeting_available(user_id),
            "last_link_outcome": request.query_params.get("meetlink"),
        }

    @app.post("/trial")
    async def trial(user: SignedIn) -> Any:
        try:
            subscription = await user[0].start_trial()
        except MeetLinkError as exc:
            raise HTTPException(409, str(exc)) from exc
        return {"addon": subscription.state.value}

    @app.get("/link/zoom")
    async def link_zoom(user: SignedIn) -> Any:
        tenant, user_id = user
        try:
            request = await tenant.begin_link(user_id, "zoom")
        except MeetLinkError as exc:  # AddonInactive
            raise HTTPException(409, str(exc)) from exc
        return RedirectResponse(request.authorize_url, status_code=303)

    @app.post("/unlink/zoom")
    async def unlink(user: SignedIn) -> Any:
        tenant, user_id = user
        return {"unlinked": await tenant.unlink(user_id)}

    @app.put("/events/{event_id}")
    async def save(event_id: str, body: EventIn, user: SignedIn) -> Any:
        tenant, user_id = user
        try:
            event = Event(
                id=event_id,
                tenant_id=tenant.tenant_id,
                owner_id=user_id,
                title=body.title,
                start=body.start,
                end=body.end,
                timezone=body.timezone,
                participants=tuple(Participant(email=e, locale="en") for e in body.participants),
                web_meeting=body.web_meeting,
            )
            result = await tenant.save_event(event)
        except InvalidInput as exc:  # InvalidEvent names the field
            raise HTTPException(422, str(exc)) from exc
        return {
            "conference": _conference(result.conference),
            "refusals": [r.value for r in result.refusals],
            "notices": [n.value for n in result.notices],
        }

    @app.get("/events/{event_id}")
    async def show(event_id: str, user: SignedIn) -> Any:
        conference = await user[0].conference(event_id)  # this tenant's event only
        if conference is None and await user[0].event(event_id) is None:
            raise HTTPException(404, "no such event")
        return {"conference": _conference(conference)}

    @app.get("/events/{event_id}/start")
    async def start(event_id: str, user: SignedIn) -> Any:
        tenant, user_id = user
        try:
            url = await tenant.start_url(event_id, user_id)  # never stored, never mailed
        except MeetLinkError as exc:  # NotMeetingHost, NoConference, UnknownEvent
            raise HTTPException(403, str(exc)) from exc
        return RedirectResponse(url, status_code=303)

    @app.delete("/events/{event_id}")
    async def delete(event_id: str, user: SignedIn) -> Any:
        tenant, user_id = user
        return {"deleted": await tenant.delete_event(event_id, actor_id=user_id)}

    return app


def __getattr__(name: str) -> Any:
    # ``uvicorn fastapi_app:app`` builds the app on first use, not at import (so tests and
    # ``meetlink worker --app fastapi_app:build_meetlink`` need no Zoom settings to import).
    if name == "app":
        return create_app()
    raise AttributeError(name)
