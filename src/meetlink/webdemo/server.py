"""The web demo's composition root: one process serves the host app on 127.0.0.1, the Zoom
and Teams emulators on loopback (with their ``/_emulator`` control endpoints), a SQLite
file, captured mail, and a background worker thread (``run_pending``/``send_due_reminders``)
so mail and retries happen without a second command."""

from __future__ import annotations

import logging
import signal
import socket
import tempfile
import threading
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from types import FrameType

from werkzeug.serving import make_server

from meetlink import MeetLink
from meetlink.adapters.mail import DirectoryMailer
from meetlink.adapters.sqlalchemy import SqlStorage, generate_key
from meetlink.emulators.google_meet import GoogleMeetEmulator
from meetlink.emulators.teams import TeamsEmulator
from meetlink.emulators.zoom import ZoomEmulator
from meetlink.worker import Worker

from .app import create_app
from .clock import TravelClock
from .control import EmulatorController
from .runtime import TENANT, USERS, Calendar, NoticeLog, WebDemo, user_by_id

__all__ = ["PortUnavailable", "open_web_demo", "run_web_demo"]

#: Seconds between the worker's passes (mail delivery, retries, reminders).
WORKER_INTERVAL = 1.0


class PortUnavailable(Exception):
    """The demo cannot listen on the port asked for."""


def _listen(port: int) -> socket.socket:
    listening = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listening.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        listening.bind(("127.0.0.1", port))
        listening.listen(64)
    except OSError as exc:
        listening.close()
        raise PortUnavailable(
            f"cannot listen on 127.0.0.1:{port} ({exc.strerror}): pass another --port"
        ) from exc
    return listening


def _fresh_directory(stack: ExitStack, directory: str | Path | None) -> Path:
    if directory is None:
        return Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="meetlink-web-")))
    base = Path(directory)
    (base / "mail").mkdir(parents=True, exist_ok=True)
    for old in (base / "mail").glob("*.eml"):  # the emulators start empty: so does the mail
        old.unlink()
    (base / "meetlink.sqlite").unlink(missing_ok=True)
    return base


@contextmanager
def open_web_demo(
    directory: str | Path | None = None,
    *,
    port: int = 8000,
    worker_interval: float = WORKER_INTERVAL,
) -> Iterator[WebDemo]:
    """Start everything; yields the running [`WebDemo`][meetlink.webdemo.runtime.WebDemo] (its
    ``base_url``) and stops everything on exit. ``directory`` keeps the SQLite file and the mail
    (default: a temporary directory, deleted at the end); ``port`` 0 takes a free one."""
    with ExitStack() as stack:
        base = _fresh_directory(stack, directory)
        # Bound first: the emulators need the port for their redirect URIs and webhook URL
        # (and Werkzeug would end the process itself on a port in use).
        listening = stack.enter_context(_listen(port))
        base_url = f"http://127.0.0.1:{listening.getsockname()[1]}"
        clock = TravelClock()
        zoom = ZoomEmulator(clock=clock, redirect_uri=f"{base_url}/meetlink/zoom/callback")
        teams = TeamsEmulator(clock=clock, redirect_uri=f"{base_url}/meetlink/teams/callback")
        meet = GoogleMeetEmulator(
            clock=clock, redirect_uri=f"{base_url}/meetlink/google_meet/callback"
        )
        # One Zoom account and one Microsoft tenant for the company: the admin may install
        # the organisation apps there (docs/org-install.md), the others are its members.
        account = None
        for user in sorted(USERS, key=lambda u: not u.admin):
            role = "admin" if user.admin else "member"
            made = zoom.add_user(user.email, plan=user.zoom_plan, account_id=account, role=role)
            account = account or made.account_id
            teams.add_user(user.email, admin=user.admin)
            meet.add_user(user.email)
        zoom_server = stack.enter_context(
            zoom.serve(control=True, webhook_url=f"{base_url}/meetlink/zoom/webhook")
        )
        teams_server = stack.enter_context(teams.serve(control=True))
        meet_server = stack.enter_context(meet.serve(control=True))
        notices = NoticeLog(clock)
        meetlink = MeetLink(
            storage=SqlStorage(
                f"sqlite:///{base / 'meetlink.sqlite'}",
                encryption_keys=[generate_key()],
                create_schema=True,
            ),
            providers=[
                zoom.provider(clock=clock, base_url=zoom_server.base_url),
                teams.provider(clock=clock, base_url=teams_server.base_url),
                meet.provider(clock=clock, base_url=meet_server.base_url),
            ],
            mailer=DirectoryMailer(base / "mail"),
            clock=clock,
            listener=notices,
            organizer=_owner,  # invitations name the event's owner; From stays the company's
            mail_from="Acme Calendar <calendar@acme.example>",
            organizer_name="Acme Calendar",
            organizer_email="calendar@acme.example",
        )
        stack.callback(meetlink.close)
        for user in USERS:  # the host knows its users' sign-in addresses at each provider
            for key in ("zoom", "teams"):
                meetlink.set_directory_address(user.id, user.email, key, tenant_id=TENANT)
        controls = {
            "zoom": EmulatorController("zoom", zoom_server.base_url),
            "teams": EmulatorController("teams", teams_server.base_url),
            "google_meet": EmulatorController("google_meet", meet_server.base_url),
        }
        for control in controls.values():
            stack.callback(control.close)
        web_demo = WebDemo(
            base_url=base_url,
            directory=base,
            clock=clock,
            meetlink=meetlink,
            calendar=Calendar(),
            notices=notices,
            controls=controls,
            worker_interval=worker_interval,
        )
        worker = Worker(meetlink, interval=worker_interval)
        working = threading.Thread(target=worker.run, name="meetlink-web-worker", daemon=True)
        working.start()
        stack.callback(working.join, 30)
        stack.callback(worker.stop)
        app = create_app(web_demo)
        server = make_server("127.0.0.1", 0, app, threaded=True, fd=listening.fileno())
        stack.callback(server.server_close)
        serving = threading.Thread(target=server.serve_forever, name="meetlink-web", daemon=True)
        serving.start()
        stack.callback(serving.join, 30)
        stack.callback(server.shutdown)
        yield web_demo


def run_web_demo(directory: str | None, *, port: int, seconds: float = 0) -> int:
    """``meetlink demo --web``: serve until Ctrl-C or SIGTERM (or ``seconds``); exit 0."""
    stop = threading.Event()
    # Werkzeug's one line per request would print the OAuth callback's one-time code.
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    with open_web_demo(directory, port=port) as web_demo:
        kept = web_demo.directory if directory else "a temporary directory"
        print(f"meetlink web demo: {web_demo.base_url}/", flush=True)
        print(
            f"SQLite, and mail as .eml files, in {kept}; Zoom, Teams and Google Meet emulators on"
            " loopback; "
            f"a worker thread delivers mail and retries every {WORKER_INTERVAL:g} s. "
            "Ctrl-C stops it.",
            flush=True,
        )

        def handler(signum: int, frame: FrameType | None) -> None:
            stop.set()

        signal.signal(signal.SIGTERM, handler)
        signal.signal(signal.SIGINT, handler)
        stop.wait(seconds or None)
    print("meetlink web demo stopped", flush=True)
    return 0


def _owner(tenant_id: str, user_id: str) -> tuple[str, str] | None:
    """The event owner as participants see them: the demo user's name and address."""
    user = user_by_id(user_id)
    return (user.name, user.email) if user is not None and tenant_id == TENANT else None
