"""The Django app: ``INSTALLED_APPS = [..., "meetlink.integrations.django"]``.

It holds the process's one [`MeetLink`][meetlink.MeetLink], made from the ``MEETLINK`` setting
on first use ([`get_meetlink`][meetlink.integrations.django.get_meetlink]), and brings the
``meetlink_worker`` and ``meetlink_migrate`` management commands. It has no models: meetlink's
tables are made by its own migrations (``meetlink_migrate``), never by Django's, so
``makemigrations`` finds nothing to do for it.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Mapping
from importlib import import_module
from typing import Any

from django.apps import AppConfig
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from meetlink.aio import DEFAULT_WORKERS, AsyncMeetLink
from meetlink.app.facade import MeetLink

__all__ = ["MeetLinkConfig", "database_url"]

#: The keys of ``settings.MEETLINK`` and their defaults (``FACTORY`` is required).
DEFAULTS: Mapping[str, Any] = {
    "FACTORY": None,
    "DATABASE": "default",
    "ASYNC_MAX_WORKERS": DEFAULT_WORKERS,
    "WORKER_INTERVAL": 5.0,
}


def options() -> dict[str, Any]:
    """``settings.MEETLINK`` checked, with the defaults filled in (ImproperlyConfigured when
    it is missing or wrong)."""
    given = getattr(settings, "MEETLINK", None)
    if not isinstance(given, Mapping):
        raise ImproperlyConfigured(
            'settings.MEETLINK must be a dict, e.g. {"FACTORY": "mysite.meet:build_meetlink"} '
            "(a function returning the MeetLink, as `meetlink worker --app` takes it)"
        )
    unknown = sorted(set(given) - set(DEFAULTS))
    if unknown:
        raise ImproperlyConfigured(
            f"settings.MEETLINK: unknown keys {unknown}; known: {sorted(DEFAULTS)}"
        )
    found = {**DEFAULTS, **given}
    factory = found["FACTORY"]
    if not (callable(factory) or isinstance(factory, MeetLink)) and (
        not isinstance(factory, str) or factory.count(":") != 1
    ):
        raise ImproperlyConfigured(
            'settings.MEETLINK["FACTORY"]: "MODULE:ATTR" naming a MeetLink or a function '
            f"returning one, not {factory!r}"
        )
    if not isinstance(found["DATABASE"], str) or not found["DATABASE"]:
        raise ImproperlyConfigured(
            'settings.MEETLINK["DATABASE"]: an alias of settings.DATABASES or a SQLAlchemy URL'
        )
    workers = found["ASYNC_MAX_WORKERS"]
    if not isinstance(workers, int) or isinstance(workers, bool) or workers < 1:
        raise ImproperlyConfigured('settings.MEETLINK["ASYNC_MAX_WORKERS"]: a positive int')
    interval = found["WORKER_INTERVAL"]
    if not isinstance(interval, int | float) or isinstance(interval, bool) or interval <= 0:
        raise ImproperlyConfigured('settings.MEETLINK["WORKER_INTERVAL"]: positive seconds')
    return found


def _load(factory: Any) -> MeetLink:
    target: Any = factory
    if isinstance(factory, str):
        module_name, _, attribute = factory.partition(":")
        try:
            target = import_module(module_name)
            for part in attribute.split("."):
                target = getattr(target, part)
        except (ImportError, AttributeError) as exc:
            raise ImproperlyConfigured(
                f'settings.MEETLINK["FACTORY"]: cannot load {factory!r}: {exc}'
            ) from exc
    if not isinstance(target, MeetLink | AsyncMeetLink) and callable(target):
        target = target()
    if isinstance(target, AsyncMeetLink):
        target = target.meetlink
    if not isinstance(target, MeetLink):
        kind = type(target).__name__
        raise ImproperlyConfigured(
            f'settings.MEETLINK["FACTORY"] gave {kind}, not a MeetLink (or a factory of one)'
        )
    return target


_DRIVERS = {
    "django.db.backends.sqlite3": "sqlite",
    "django.db.backends.postgresql": "postgresql+psycopg",
    "django.db.backends.mysql": "mysql+pymysql",
}


def database_url(database: str | Mapping[str, Any] | None = None) -> str:
    """The SQLAlchemy URL of a Django database, for ``SqlStorage`` and ``meetlink_migrate``:
    ``database`` is an alias of ``settings.DATABASES``, an entry like theirs, or already a URL
    (with ``://``); default: ``settings.MEETLINK["DATABASE"]``, itself ``"default"`` unless
    set. SQLite, PostgreSQL (psycopg 3) and MySQL/MariaDB (PyMySQL, utf8mb4) are understood."""
    from sqlalchemy.engine import URL

    target = options()["DATABASE"] if database is None else database
    if isinstance(target, str) and "://" in target:
        return target
    entry = target if isinstance(target, Mapping) else settings.DATABASES.get(target)
    if entry is None:
        raise ImproperlyConfigured(f"settings.DATABASES has no {target!r} database")
    driver = _DRIVERS.get(entry.get("ENGINE", ""))
    if driver is None:
        raise ImproperlyConfigured(
            f"meetlink cannot use a {entry.get('ENGINE')!r} database: "
            "SQLite, PostgreSQL or MySQL/MariaDB"
        )
    name = str(entry.get("NAME") or "")
    if driver == "sqlite":
        return "sqlite://" if name in ("", ":memory:") else f"sqlite:///{name}"
    url = URL.create(
        driver,
        username=entry.get("USER") or None,
        password=entry.get("PASSWORD") or None,
        host=entry.get("HOST") or None,
        port=int(entry["PORT"]) if entry.get("PORT") else None,
        database=name or None,
        query={"charset": "utf8mb4"} if driver.startswith("mysql") else {},
    )
    return url.render_as_string(hide_password=False)


class MeetLinkConfig(AppConfig):  # type: ignore[misc]
    """The app's configuration: checks ``settings.MEETLINK`` when Django starts; makes the
    MeetLink on first use, once per process (a server that forks its workers after loading
    the project gets one per worker, never a parent's connections)."""

    name = "meetlink.integrations.django"
    label = "meetlink"
    verbose_name = "meetlink"

    def __init__(self, app_name: str, app_module: Any) -> None:
        super().__init__(app_name, app_module)
        self._lock = threading.Lock()
        self._pid = 0
        self._meetlink: MeetLink | None = None
        self._async: AsyncMeetLink | None = None

    def ready(self) -> None:
        options()

    def _current(self) -> MeetLink:
        # Under the lock. A fork after the first use: the child makes its own.
        if self._meetlink is None or self._pid != os.getpid():
            self._meetlink, self._async = _load(options()["FACTORY"]), None
            self._pid = os.getpid()
        return self._meetlink

    def meetlink(self) -> MeetLink:
        """This process's MeetLink."""
        with self._lock:
            return self._current()

    def async_meetlink(self) -> AsyncMeetLink:
        """An [`AsyncMeetLink`][meetlink.aio.AsyncMeetLink] over this process's MeetLink
        (``ASYNC_MAX_WORKERS`` threads)."""
        with self._lock:
            meetlink = self._current()
            if self._async is None:
                workers = options()["ASYNC_MAX_WORKERS"]
                self._async = AsyncMeetLink(meetlink, max_workers=workers)
            return self._async

    def close(self) -> None:
        """Close this process's MeetLink (the next use makes a new one)."""
        with self._lock:
            meetlink, mine = self._meetlink, self._pid == os.getpid()
            self._meetlink, self._async = None, None
        if meetlink is not None and mine:
            meetlink.close()


def config() -> MeetLinkConfig:
    """The installed app's configuration (ImproperlyConfigured when it is not installed)."""
    from django.apps import apps

    try:
        found = apps.get_app_config("meetlink")
    except LookupError as exc:
        raise ImproperlyConfigured(
            'add "meetlink.integrations.django" to INSTALLED_APPS to use settings.MEETLINK'
        ) from exc
    assert isinstance(found, MeetLinkConfig)
    return found
