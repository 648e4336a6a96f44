"""``python manage.py meetlink_migrate [REVISION] [--database ALIAS_OR_URL]``: ``meetlink
migrate`` on the project's database (``settings.MEETLINK["DATABASE"]``, an alias of
``settings.DATABASES``, ``"default"`` unless set). meetlink's tables have their own Alembic
history and version table (``meetlink_alembic_version``); they are no Django models, so
Django's ``migrate`` and ``makemigrations`` neither make nor see them."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from meetlink.errors import MeetLinkError
from meetlink.integrations.django.apps import database_url


class Command(BaseCommand):  # type: ignore[misc]
    help = (
        "Create, upgrade or downgrade meetlink's tables in the project's database "
        "(meetlink's own migrations, not Django's)"
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "revision",
            nargs="?",
            default="head",
            help="target revision: head (default), base (drops the tables), an id, -1/+1",
        )
        parser.add_argument(
            "--database",
            default=None,
            help="an alias of settings.DATABASES or a SQLAlchemy URL (default: "
            'settings.MEETLINK["DATABASE"], "default")',
        )

    def handle(self, *args: Any, **given: Any) -> None:
        from sqlalchemy.engine import make_url

        from meetlink.adapters.sqlalchemy import current_revision, migrate_to

        url = database_url(given["database"])
        try:
            moved = migrate_to(url, given["revision"])
            now = current_revision(url) or "base (no meetlink tables)"
        except MeetLinkError as exc:
            raise CommandError(str(exc) or type(exc).__name__) from exc
        verb = {"upgrade": "upgraded", "downgrade": "downgraded", "none": "already"}[moved]
        shown = make_url(url).render_as_string(hide_password=True)
        self.stdout.write(f"meetlink tables {verb} at {now} on {shown}")
