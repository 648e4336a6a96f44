"""``python manage.py meetlink_worker``: ``meetlink worker`` for a Django project, on the
MeetLink that ``settings.MEETLINK`` makes. The same loop (meetlink.worker.Worker), the same
options (``--interval``, ``--concurrency``, ``--once``, ``--log-level``) and signals: SIGTERM
or SIGINT lets the job at hand finish, then the command exits 0; ``--once`` runs one pass; a
pass that fails ends a ``--once`` run with exit code 1 and one line on stderr, and is tried
again after the interval otherwise."""

from __future__ import annotations

import logging
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from meetlink.errors import MeetLinkError
from meetlink.integrations.django.apps import config, options
from meetlink.worker import Worker, concurrency_argument


class Command(BaseCommand):  # type: ignore[misc]
    help = (
        "Run meetlink's reminders and background jobs in a loop (SIGTERM/SIGINT stop it "
        "cleanly), on the MeetLink settings.MEETLINK makes"
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--interval",
            type=float,
            default=None,
            help='seconds between passes (default: settings.MEETLINK["WORKER_INTERVAL"], 5)',
        )
        parser.add_argument("--once", action="store_true", help="run one pass, then exit")
        parser.add_argument(
            "--concurrency",
            type=concurrency_argument,
            default=1,
            metavar="N",
            help="jobs in flight at once, each in its own thread (default: 1)",
        )
        parser.add_argument(
            "--log-level",
            default="INFO",
            choices=("DEBUG", "INFO", "WARNING", "ERROR"),
            help="logging level on stderr (default: INFO: one line per job outcome)",
        )

    def handle(self, *args: Any, **given: Any) -> None:
        logging.basicConfig(
            level=given["log_level"], format="%(asctime)s %(levelname)s %(name)s: %(message)s"
        )
        logging.getLogger("meetlink").setLevel(given["log_level"])
        interval = given["interval"] or options()["WORKER_INTERVAL"]
        app = config()
        try:
            worker = Worker(app.meetlink(), interval=interval, concurrency=given["concurrency"])
            with worker.signals_stop():
                worker.run(once=given["once"])
        except MeetLinkError as exc:
            raise CommandError(str(exc) or type(exc).__name__) from exc
        finally:
            app.close()
