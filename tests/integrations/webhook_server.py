"""A host's webhook route served by a real server on 127.0.0.1, in its own process, for the
streamed-body tests: ``python -m tests.integrations.webhook_server flask|starlette``.

Flask runs on werkzeug's own server, Starlette on uvicorn. The process prints its port on
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


def _stop_when_stdin_closes(stop: Any) -> None:
    def watch() -> None:
        sys.stdin.read()
        stop()

    threading.Thread(target=watch, daemon=True).start()


def main(framework: str) -> None:
    with Sandbox(now=T0, seed=1) as sandbox:
        if framework == "flask":
            from werkzeug.serving import make_server

            server = make_server("127.0.0.1", 0, _flask_app(sandbox), threaded=True)
            print(server.server_port, flush=True)
            _stop_when_stdin_closes(server.shutdown)
            server.serve_forever()
            return
        import uvicorn

        sock = socket.socket()
        sock.bind(("127.0.0.1", 0))
        config = uvicorn.Config(_starlette_app(sandbox), log_level="warning", lifespan="off")
        served = uvicorn.Server(config)
        print(sock.getsockname()[1], flush=True)

        def stop() -> None:
            served.should_exit = True

        _stop_when_stdin_closes(stop)
        served.run(sockets=[sock])


if __name__ == "__main__":
    main(sys.argv[1])
