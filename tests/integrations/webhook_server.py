"""A host's webhook route served by a real server on 127.0.0.1, in its own process, for the
streamed-body tests: ``python -m tests.integrations.webhook_server
flask|starlette|django|django-async``.

Flask runs on werkzeug's own server, Starlette on uvicorn; Django's sync views as a WSGI
application on werkzeug's server, its async views as an ASGI application (wrapped in
``limit_webhook_bodies``) on uvicorn. The process prints its port on
the first line of stdout and serves until its stdin closes (so it stops by itself when the
test that started it ends, however it ends)."""

from __future__ import annotations

import socket
import sys
import threading
from datetime import UTC, datetime
from typing import Any

from meetlink.testing import Sandbox

T0 = datetime(2026, 12, 1, tzinfo=UTC)


def _flask_app(sandbox: Sandbox) -> Any:
    from flask import Flask

    from meetlink.integrations.flask import blueprint

    app = Flask(__name__)
    app.register_blueprint(blueprint(sandbox.meetlink, current_user=lambda request: None))
    return app


def _starlette_app(sandbox: Sandbox) -> Any:
    from starlette.applications import Starlette

    from meetlink.integrations.starlette import routes

    return Starlette(routes=routes(sandbox.meetlink, current_user=lambda request: None))


def _django_app(sandbox: Sandbox, *, asynchronous: bool) -> Any:
    import types

    from django.core.handlers.asgi import ASGIHandler
    from django.core.handlers.wsgi import WSGIHandler
    from django.test.utils import override_settings

    from meetlink.aio import AsyncMeetLink
    from meetlink.integrations.django import limit_webhook_bodies, urlpatterns

    from .hosts import configure_django

    configure_django()
    urls = types.ModuleType("meetlink_server_urls")
    facade: Any = AsyncMeetLink(sandbox.meetlink) if asynchronous else sandbox.meetlink
    urls.urlpatterns = urlpatterns(facade, current_user=lambda request: None)  # type: ignore[attr-defined]
    override_settings(ROOT_URLCONF=urls).enable()
    return limit_webhook_bodies(ASGIHandler()) if asynchronous else WSGIHandler()


def _stop_when_stdin_closes(stop: Any) -> None:
    def watch() -> None:
        sys.stdin.read()
        stop()

    threading.Thread(target=watch, daemon=True).start()


def main(framework: str) -> None:
    with Sandbox(now=T0, seed=1) as sandbox:
        if framework in ("flask", "django"):
            from werkzeug.serving import make_server

            app = (
                _flask_app(sandbox)
                if framework == "flask"
                else _django_app(sandbox, asynchronous=False)
            )
            server = make_server("127.0.0.1", 0, app, threaded=True)
            print(server.server_port, flush=True)
            _stop_when_stdin_closes(server.shutdown)
            server.serve_forever()
            return
        import uvicorn

        sock = socket.socket()
        sock.bind(("127.0.0.1", 0))
        app = (
            _starlette_app(sandbox)
            if framework == "starlette"
            else _django_app(sandbox, asynchronous=True)
        )
        config = uvicorn.Config(app, log_level="warning", lifespan="off")
        served = uvicorn.Server(config)
        print(sock.getsockname()[1], flush=True)

        def stop() -> None:
            served.should_exit = True

        _stop_when_stdin_closes(stop)
        served.run(sockets=[sock])


if __name__ == "__main__":
    main(sys.argv[1])
