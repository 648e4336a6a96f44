"""The ``meetlink`` command: the demo story, migrations, keys, a provider emulator for
developing a host, and the background worker.

Exit codes: 0 done; 1 the command failed (a database that cannot be reached, a setting
refused...: one line on stderr says why, ``--debug`` shows the traceback); 2 wrong usage
(an unknown option, an ``--app`` that cannot be loaded); 130 interrupted.
"""

from __future__ import annotations

import argparse
import importlib
import json
import logging
import os
import signal
import sys
import threading
from collections.abc import Sequence
from types import FrameType
from typing import Any

from meetlink.errors import MeetLinkError

__all__ = ["build_parser", "main"]

#: Default redirect URIs of ``meetlink emulator``: a host's dev server on port 8000.
_DEV_REDIRECT = "http://127.0.0.1:8000/meetlink/{provider}/callback"


class UsageError(Exception):
    """The command line cannot be carried out as written (exit code 2)."""


def _demo(args: argparse.Namespace) -> int:
    if args.web:
        return _web_demo(args)
    from meetlink.demo import run_demo

    return run_demo(args.dir, verbose=not args.quiet)


def _web_demo(args: argparse.Namespace) -> int:
    try:
        import flask  # noqa: F401  (the web extra)
    except ImportError:
        print(
            "meetlink demo --web needs Flask: pip install 'meetlink[web]' "
            "(from a clone: pip install -e '.[web]')",
            file=sys.stderr,
        )
        return 1
    from meetlink.webdemo.server import PortUnavailable, run_web_demo

    try:
        return run_web_demo(args.dir, port=args.port, seconds=args.seconds)
    except PortUnavailable as exc:
        raise UsageError(str(exc)) from exc


def _migrate(args: argparse.Namespace) -> int:
    from meetlink.adapters.sqlalchemy import current_revision, migrate_to

    moved = migrate_to(args.url, args.revision)
    now = current_revision(args.url) or "base (no meetlink tables)"
    verb = {"upgrade": "upgraded", "downgrade": "downgraded", "none": "already"}[moved]
    print(f"meetlink tables {verb} at {now} on {_safe_url(args.url)}")
    return 0


def _keygen(args: argparse.Namespace) -> int:
    from meetlink.adapters.sqlalchemy import generate_key

    print(generate_key())
    return 0


def _make_emulator(args: argparse.Namespace) -> Any:
    redirect_uri = args.redirect_uri or _DEV_REDIRECT.format(provider=args.provider)
    common: dict[str, Any] = {
        "seed": args.seed,
        "client_id": args.client_id,
        "client_secret": args.client_secret,
        "redirect_uri": redirect_uri,
    }
    if args.provider == "teams":
        from meetlink.emulators.teams import TeamsEmulator

        return TeamsEmulator(**common)
    if args.provider == "google_meet":
        from meetlink.emulators.google_meet import GoogleMeetEmulator

        return GoogleMeetEmulator(**common)
    from meetlink.emulators.zoom import ZoomEmulator

    return ZoomEmulator(webhook_secret=args.webhook_secret, **common)


def _emulator(args: argparse.Namespace) -> int:
    emulator = _make_emulator(args)
    emulator.latency = max(0.0, args.latency)  # requests are served concurrently meanwhile
    users = [emulator.add_user(email) for email in args.user]
    stop = threading.Event()
    try:
        served = emulator.serve(port=args.port, control=True, webhook_url=args.webhook_url)
        server = served.__enter__()
    except OSError as exc:
        raise UsageError(f"cannot listen on 127.0.0.1:{args.port}: {exc.strerror}") from exc
    try:
        info: dict[str, Any] = {
            "provider": args.provider,
            "base_url": server.base_url,
            "client_id": emulator.client_id,
            "client_secret": emulator.client_secret,
            "redirect_uri": emulator.redirect_uri,
        }
        if args.provider == "zoom":
            info["webhook_secret"] = emulator.webhook_secret
            # The admin-managed app, for organisation links (docs/org-install.md).
            info["admin_client_id"] = emulator.admin_client_id
            info["admin_client_secret"] = emulator.admin_client_secret
            info["admin_webhook_secret"] = emulator.admin_webhook_secret
        elif args.provider == "teams":
            info["tenant_id"] = emulator.tenant_id
        info["webhook_url"] = args.webhook_url
        info["control_url"] = f"{server.base_url}/_emulator"
        info["users"] = [{"email": u.email, "id": u.id} for u in users]
        print(json.dumps(info), flush=True)  # the first line: machine-readable
        print(_wiring_hint(args.provider, server.base_url), flush=True)

        def handler(signum: int, frame: FrameType | None) -> None:
            stop.set()

        signal.signal(signal.SIGTERM, handler)
        signal.signal(signal.SIGINT, handler)
        stop.wait(args.seconds or None)
    finally:
        served.__exit__(None, None, None)
    return 0


def _wiring_hint(provider: str, base_url: str) -> str:
    if provider == "google_meet":
        wiring = (
            f"GoogleMeetProvider(client_id=..., client_secret=..., redirect_uri=...,\n"
            f"    accounts_base_url={base_url!r}, oauth2_base_url={base_url!r},\n"
            f"    userinfo_base_url={base_url!r}, meet_base_url={base_url!r})"
        )
    elif provider == "teams":
        wiring = (
            f"TeamsProvider(client_id=..., client_secret=..., redirect_uri=...,\n"
            f"    authority_base_url={base_url!r}, graph_base_url={base_url!r})"
        )
    else:
        wiring = (
            f"ZoomProvider(client_id=..., client_secret=..., redirect_uri=...,\n"
            f"    webhook_secrets=[webhook_secret, admin_webhook_secret],\n"
            f"    oauth_base_url={base_url!r}, api_base_url={base_url!r})"
        )
    return (
        f"{provider} emulator on {base_url} (control endpoints: {base_url}/_emulator); "
        f"wire your app with\n  {wiring}\nCtrl-C or SIGTERM stops it."
    )


def _load_app(target: str) -> Any:
    """``MODULE:ATTR``: a MeetLink, or a callable returning one."""
    from meetlink.app.facade import MeetLink

    module_name, _, attribute = target.partition(":")
    if not module_name or not attribute:
        raise UsageError(f"--app wants MODULE:ATTR (e.g. myapp.meet:meetlink), not {target!r}")
    if os.getcwd() not in sys.path:  # like other app runners: the current directory first
        sys.path.insert(0, os.getcwd())
    try:
        found: Any = importlib.import_module(module_name)
    except ImportError as exc:
        raise UsageError(f"--app: cannot import {module_name!r}: {exc}") from exc
    for part in attribute.split("."):
        try:
            found = getattr(found, part)
        except AttributeError as exc:
            raise UsageError(f"--app: {module_name!r} has no attribute {attribute!r}") from exc
    from meetlink.aio import AsyncMeetLink

    if not isinstance(found, MeetLink | AsyncMeetLink) and callable(found):
        found = found()
    if isinstance(found, AsyncMeetLink):  # the worker runs the MeetLink it wraps
        found = found.meetlink
    if not isinstance(found, MeetLink):
        kind = type(found).__name__
        raise UsageError(f"--app {target}: expected a MeetLink or a factory of one, got {kind}")
    return found


def _worker(args: argparse.Namespace) -> int:
    from meetlink.worker import Worker

    logging.basicConfig(
        level=args.log_level, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    meetlink = _load_app(args.app)
    try:
        worker = Worker(meetlink, interval=args.interval, concurrency=args.concurrency)
        with worker.signals_stop():
            worker.run(once=args.once)
    finally:
        meetlink.close()
    return 0


def _port(text: str) -> int:
    try:
        port = int(text)
    except ValueError:
        port = -1
    if not 0 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"a port is a number from 0 to 65535, not {text!r}")
    return port


def _safe_url(url: str) -> str:
    """The URL without its password."""
    try:
        from sqlalchemy.engine import make_url

        return make_url(url).render_as_string(hide_password=True)
    except Exception:
        return "<database>"


def build_parser() -> argparse.ArgumentParser:
    """The argument parser (exposed for documentation and tests)."""
    from meetlink.worker import concurrency_argument

    parser = argparse.ArgumentParser(
        prog="meetlink",
        description="Attach Zoom (and Microsoft Teams) meeting URLs to calendar events.",
        epilog="Exit codes: 0 done, 1 failed, 2 wrong usage, 130 interrupted.",
    )
    parser.add_argument(
        "--debug", action="store_true", help="show the full traceback when a command fails"
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    demo = sub.add_parser(
        "demo",
        help="run the whole seed story (SQLite file, Zoom emulator over HTTP, mail capture)",
    )
    demo.add_argument(
        "--dir",
        default=None,
        help="keep the SQLite file and the captured mail (.eml) here "
        "(default: a temporary directory, deleted at the end)",
    )
    demo.add_argument("--quiet", action="store_true", help="print only the summary")
    demo.add_argument(
        "--web",
        action="store_true",
        help="serve the reference host web app on 127.0.0.1 instead (needs the web extra); "
        "Ctrl-C or SIGTERM stops it",
    )
    demo.add_argument(
        "--port",
        type=_port,
        default=8000,
        help="with --web: the port (default 8000; 0: a free one)",
    )
    demo.add_argument(
        "--seconds",
        type=float,
        default=0,
        help="with --web: stop after this long (default: never)",
    )
    demo.set_defaults(func=_demo)

    migrate = sub.add_parser(
        "migrate", help="create, upgrade or downgrade meetlink's tables (own version table)"
    )
    migrate.add_argument(
        "url",
        help="database URL, as SqlStorage takes it (sqlite:///file.db, "
        "postgresql://user:pw@host/db, mysql://user:pw@host/db, ...)",
    )
    migrate.add_argument(
        "--revision",
        default="head",
        help="the revision to move to, up or down (default: head; 'base' drops every "
        "meetlink table)",
    )
    migrate.set_defaults(func=_migrate)

    keygen = sub.add_parser("keygen", help="print a new token encryption key")
    keygen.set_defaults(func=_keygen)

    emulator = sub.add_parser(
        "emulator",
        help="serve a Zoom, Teams or Google Meet emulator on 127.0.0.1 to develop a host against",
        description="Prints one JSON line first (base_url, client_id, client_secret, "
        "redirect_uri, webhook_secret for Zoom), then serves until Ctrl-C or SIGTERM. "
        "Control endpoints: POST /_emulator/remove-app, /_emulator/fail-next, "
        "/_emulator/webhook, /_emulator/users; GET /_emulator/meetings, /_emulator/requests.",
    )
    emulator.add_argument(
        "--provider",
        choices=("zoom", "teams", "google_meet"),
        default="zoom",
        help="which provider",
    )
    emulator.add_argument(
        "--port", type=_port, default=0, help="port on 127.0.0.1 (default: a free one)"
    )
    emulator.add_argument(
        "--redirect-uri",
        default=None,
        help="your OAuth callback, matched exactly (default: "
        + _DEV_REDIRECT.format(provider="PROVIDER")
        + ")",
    )
    emulator.add_argument(
        "--webhook-url",
        default=None,
        help="your webhook route: remove-app and webhook control calls POST signed webhooks there",
    )
    emulator.add_argument(
        "--user",
        action="append",
        default=[],
        metavar="EMAIL",
        help="a user who can sign in on the consent page (repeatable)",
    )
    emulator.add_argument("--client-id", default=None, help="fix the app's client id")
    emulator.add_argument("--client-secret", default=None, help="fix the app's client secret")
    emulator.add_argument(
        "--webhook-secret", default=None, help="fix the webhook secret token (Zoom)"
    )
    emulator.add_argument(
        "--seed", type=int, default=None, help="repeat the same ids, secrets and tokens"
    )
    emulator.add_argument(
        "--seconds", type=float, default=0, help="stop after this long (default: never)"
    )
    emulator.add_argument(
        "--latency",
        type=float,
        default=0.0,
        metavar="SECONDS",
        help="wait this long before answering each request, as a slow provider (default: 0)",
    )
    emulator.set_defaults(func=_emulator)

    worker = sub.add_parser(
        "worker",
        help="run reminders and background jobs in a loop (SIGTERM/SIGINT stop it cleanly)",
    )
    worker.add_argument(
        "--app",
        required=True,
        metavar="MODULE:ATTR",
        help="your MeetLink, or a function returning one (e.g. myapp.meet:build_meetlink)",
    )
    worker.add_argument(
        "--interval", type=float, default=5.0, help="seconds between passes (default: 5)"
    )
    worker.add_argument("--once", action="store_true", help="run one pass, then exit")
    worker.add_argument(
        "--concurrency",
        type=concurrency_argument,
        default=1,
        metavar="N",
        help="jobs in flight at once, each in its own thread (default: 1)",
    )
    worker.add_argument(
        "--log-level",
        default="INFO",
        choices=("DEBUG", "INFO", "WARNING", "ERROR"),
        help="logging level on stderr (default: INFO: one line per job outcome)",
    )
    worker.set_defaults(func=_worker)
    return parser


def _explain(exc: BaseException) -> str:
    """One line: the error, and what caused it at the bottom (a driver's own message)."""
    text = f"{exc}" or type(exc).__name__
    cause = exc.__cause__
    while cause is not None and cause.__cause__ is not None:
        cause = cause.__cause__
    if cause is not None:
        detail = (str(cause).strip().splitlines() or [""])[0][:300]
        text += f" ({type(cause).__name__}: {detail})" if detail else ""
    return text


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``meetlink`` command; returns the exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        result: int = args.func(args)
    except UsageError as exc:
        print(f"meetlink {args.command}: {exc}", file=sys.stderr)
        return 2
    except MeetLinkError as exc:
        if args.debug:
            raise
        print(f"meetlink {args.command}: error: {_explain(exc)}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    return result


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
