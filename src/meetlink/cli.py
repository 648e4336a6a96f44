"""The ``meetlink`` command: the seed story as a demo, migrations, the Zoom emulator, keys."""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Sequence

__all__ = ["main"]


def _demo(args: argparse.Namespace) -> int:
    from meetlink.demo import run_demo

    return run_demo(args.dir, verbose=not args.quiet)


def _migrate(args: argparse.Namespace) -> int:
    from meetlink.adapters.sqlalchemy import upgrade

    upgrade(args.url, args.revision)
    print(f"meetlink tables at {args.revision} on {_safe_url(args.url)}")
    return 0


def _keygen(args: argparse.Namespace) -> int:
    from meetlink.adapters.sqlalchemy import generate_key

    print(generate_key())
    return 0


def _emulator(args: argparse.Namespace) -> int:
    from meetlink.adapters.zoom import ZoomEmulator

    emulator = ZoomEmulator(seed=args.seed)
    with emulator.serve() as server:
        print(f"Zoom emulator on {server.base_url}")
        print(f"  client_id={emulator.client_id} redirect_uri={emulator.redirect_uri}")
        for email in args.user:
            user = emulator.add_user(email)
            print(f"  user {user.email} id={user.id}")
        print("Ctrl-C to stop.", flush=True)
        deadline = time.monotonic() + args.seconds if args.seconds else None
        try:
            while deadline is None or time.monotonic() < deadline:
                time.sleep(0.2)
        except KeyboardInterrupt:
            pass
    return 0


def _safe_url(url: str) -> str:
    """The URL without its password."""
    try:
        from sqlalchemy.engine import make_url

        return make_url(url).render_as_string(hide_password=True)
    except Exception:
        return "<database>"


def build_parser() -> argparse.ArgumentParser:
    """The argument parser (exposed for documentation and tests)."""
    parser = argparse.ArgumentParser(
        prog="meetlink",
        description="Attach Zoom meeting URLs to calendar events in one step.",
    )
    sub = parser.add_subparsers(dest="command", required=True)

    demo = sub.add_parser(
        "demo",
        help="run the whole seed story (SQLite file, Zoom emulator over HTTP, mail capture)",
    )
    demo.add_argument(
        "--dir",
        default=None,
        help="where to keep the SQLite file and captured mail (default: a temporary directory)",
    )
    demo.add_argument("--quiet", action="store_true", help="print only the summary")
    demo.set_defaults(func=_demo)

    migrate = sub.add_parser("migrate", help="create or upgrade meetlink's tables")
    migrate.add_argument("url", help="SQLAlchemy database URL")
    migrate.add_argument("--revision", default="head")
    migrate.set_defaults(func=_migrate)

    keygen = sub.add_parser("keygen", help="print a new token encryption key")
    keygen.set_defaults(func=_keygen)

    emulator = sub.add_parser("emulator", help="serve the Zoom emulator on 127.0.0.1")
    emulator.add_argument("--user", action="append", default=[], help="add a Zoom user")
    emulator.add_argument("--seed", type=int, default=None)
    emulator.add_argument("--seconds", type=float, default=0, help="stop after this long")
    emulator.set_defaults(func=_emulator)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``meetlink`` command."""
    args = build_parser().parse_args(argv)
    result: int = args.func(args)
    return result


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
