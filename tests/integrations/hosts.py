"""The same host, five ways: a Flask app, a Starlette app over a MeetLink, a Starlette app
over an AsyncMeetLink with an async ``current_user``, and Django's URL patterns as sync views
over a MeetLink and as async views over an AsyncMeetLink; each driven by its framework's test
client, all with one small interface so every scenario runs on each."""

from __future__ import annotations

import asyncio
import types
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


def configure_django() -> None:
    """Django's settings for the integration tests and the docs' Django blocks, once per
    process (Django has one set): sessions and auth as a typical project has them, an
    in-memory SQLite database; the URL patterns are each test's own (``override_settings``)."""
    import django
    from django.conf import settings

    if not settings.configured:
        settings.configure(
            DEBUG=False,
            SECRET_KEY="tests only",
            ALLOWED_HOSTS=["testserver", "127.0.0.1", "localhost"],
            ROOT_URLCONF="tests.integrations.hosts",  # replaced per host
            INSTALLED_APPS=[
                "django.contrib.contenttypes",
                "django.contrib.auth",
                "django.contrib.sessions",
                "meetlink.integrations.django",
            ],
            MIDDLEWARE=[
                "django.contrib.sessions.middleware.SessionMiddleware",
                "django.middleware.csrf.CsrfViewMiddleware",
                "django.contrib.auth.middleware.AuthenticationMiddleware",
            ],
            DATABASES={"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"}},
            USE_TZ=True,
            # The tests pass their MeetLink to urlpatterns; get_meetlink() tests override it.
            MEETLINK={"FACTORY": "tests.integrations.hosts:no_meetlink"},
        )
        django.setup()


def no_meetlink() -> None:
    """settings.MEETLINK's factory in the tests: none is made from the settings unless a test
    says which."""
    raise AssertionError("a test used get_meetlink() without overriding settings.MEETLINK")


urlpatterns: list[Any] = []  # ROOT_URLCONF until a test sets its own


@contextmanager
def django_host(meetlink: MeetLink, *, use_async: bool) -> Iterator[Host]:
    """The Django URL patterns: sync views over the MeetLink (Django's test client, WSGI), or
    async views over an AsyncMeetLink (then with an async ``current_user``; the async test
    client, ASGI). CSRF checks are enforced: only the webhook is exempt."""
    configure_django()
    from django.test import AsyncClient, Client, override_settings

    from meetlink.aio import AsyncMeetLink
    from meetlink.integrations.django import urlpatterns

    session = Session()

    async def current_user_async(request: Any) -> tuple[str, str] | None:
        return session.user

    facade: Any = AsyncMeetLink(meetlink) if use_async else meetlink
    current_user: Any = current_user_async if use_async else (lambda request: session.user)
    urls = types.ModuleType("meetlink_test_urls")
    urls.urlpatterns = urlpatterns(  # type: ignore[attr-defined]
        facade, current_user=current_user, redirect_to=REDIRECT_TO
    )

    def reply(response: Any) -> Reply:
        return Reply(
            response.status_code,
            response.content.decode("utf-8", "replace"),
            response.headers.get("Location"),
            response.headers.get("Content-Type", ""),
        )

    def post_args(headers: dict[str, str]) -> dict[str, Any]:
        rest = {
            k: v for k, v in headers.items() if k.lower() not in ("content-type", "content-length")
        }
        kind = next((v for k, v in headers.items() if k.lower() == "content-type"), "")
        return {"content_type": kind or "application/octet-stream", "headers": rest}

    with override_settings(ROOT_URLCONF=urls):
        if use_async:
            aclient = AsyncClient(enforce_csrf_checks=True)
            yield Host(
                get=lambda path: reply(asyncio.run(aclient.get(path))),
                post=lambda path, headers, body: reply(
                    asyncio.run(aclient.post(path, data=body, **post_args(headers)))
                ),
                session=session,
            )
        else:
            client = Client(enforce_csrf_checks=True)
            yield Host(
                get=lambda path: reply(client.get(path)),
                post=lambda path, headers, body: reply(
                    client.post(path, data=body, **post_args(headers))
                ),
                session=session,
            )
    if use_async:
        asyncio.run(facade.aclose())
