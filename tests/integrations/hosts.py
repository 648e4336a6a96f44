"""The same host, three ways: a Flask app, a Starlette app over a MeetLink, and a Starlette
app over an AsyncMeetLink with an async ``current_user``; each driven by its framework's
test client, all with one small interface so every scenario runs on each."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import attrs

from meetlink import MeetLink


@attrs.frozen
class Reply:
    """What the host answered."""

    status: int
    text: str
    location: str | None
    content_type: str


@attrs.define
class Session:
    """Who the host's session says is signed in: ``(tenant_id, user_id)`` or None."""

    user: tuple[str, str] | None = None


@attrs.define
class Host:
    """A host app under its framework's test client."""

    get: Callable[[str], Reply]
    post: Callable[[str, dict[str, str], bytes], Reply]
    session: Session


REDIRECT_TO = "/settings?tab=video"


@contextmanager
def flask_host(meetlink: MeetLink) -> Iterator[Host]:
    """The Flask blueprint in a Flask app."""
    from flask import Flask

    from meetlink.integrations.flask import blueprint

    session = Session()
    app = Flask(__name__)
    app.register_blueprint(
        blueprint(meetlink, current_user=lambda request: session.user, redirect_to=REDIRECT_TO)
    )
    client = app.test_client()

    def reply(response: Any) -> Reply:
        return Reply(
            response.status_code,
            response.get_data(as_text=True),
            response.headers.get("Location"),
            response.headers.get("Content-Type", ""),
        )

    yield Host(
        get=lambda path: reply(client.get(path)),
        post=lambda path, headers, body: reply(client.post(path, headers=headers, data=body)),
        session=session,
    )


@contextmanager
def starlette_host(meetlink: MeetLink, *, use_async: bool) -> Iterator[Host]:
    """The Starlette routes, over the MeetLink itself or over an AsyncMeetLink (then with an
    async ``current_user``)."""
    from starlette.applications import Starlette
    from starlette.testclient import TestClient

    from meetlink.aio import AsyncMeetLink
    from meetlink.integrations.starlette import routes

    session = Session()

    async def current_user_async(request: Any) -> tuple[str, str] | None:
        return session.user

    facade: Any = AsyncMeetLink(meetlink) if use_async else meetlink
    current_user: Any = current_user_async if use_async else (lambda request: session.user)
    app = Starlette(routes=routes(facade, current_user=current_user, redirect_to=REDIRECT_TO))

    def reply(response: Any) -> Reply:
        return Reply(
            response.status_code,
            response.text,
            response.headers.get("location"),
            response.headers.get("content-type", ""),
        )

    with TestClient(app, follow_redirects=False) as client:
        yield Host(
            get=lambda path: reply(client.get(path)),
            post=lambda path, headers, body: reply(
                client.post(path, headers=headers, content=body)
            ),
            session=session,
        )
    if use_async:
        asyncio.run(facade.aclose())
