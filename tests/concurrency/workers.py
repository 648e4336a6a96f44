"""Work done by the racing callers, in threads of the test process or in spawned workers.

Each process task builds its own MeetLink on the shared database URL, wired to the parent's
ZoomEmulator over loopback HTTP, calls ``gate()`` when it is ready, races, closes everything
and returns plain, picklable data.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from meetlink import MeetLink, MeetLinkError
from meetlink.adapters.mail import RecordingMailer
from meetlink.adapters.sqlalchemy import SqlStorage
from meetlink.adapters.zoom import ZoomProvider
from meetlink.emulators.zoom import ZoomEmulator

Gate = Callable[[], None]
_MAX_CALLS = 100  # a bound, so a runner that never drains fails instead of hanging


def zoom_settings(zoom: ZoomEmulator, base_url: str) -> dict[str, str]:
    """What a child needs to register as the emulator's app over HTTP."""
    return {
        "client_id": zoom.client_id,
        "client_secret": zoom.client_secret,
        "redirect_uri": zoom.redirect_uri,
        "webhook_secrets": zoom.webhook_secret,
        "base_url": base_url,
    }


@contextmanager
def own_meetlink(
    database_url: str, key: str, zoom: dict[str, str], **settings: Any
) -> Iterator[MeetLink]:
    """A MeetLink of this process: own SqlStorage and own ZoomProvider over HTTP."""
    provider = ZoomProvider(
        client_id=zoom["client_id"],
        client_secret=zoom["client_secret"],
        redirect_uri=zoom["redirect_uri"],
        webhook_secrets=zoom["webhook_secrets"],
        oauth_base_url=zoom["base_url"],
        api_base_url=zoom["base_url"],
    )
    try:
        storage = SqlStorage(database_url, encryption_keys=[key])
        meetlink = MeetLink(
            storage=storage, providers=[provider], mailer=RecordingMailer(), **settings
        )
        try:
            yield meetlink
        finally:
            meetlink.close()
    finally:
        provider.close()


#: The tenant of the racing host users.
TENANT = "tenant-race"


def attempt_link(meetlink: MeetLink, user_id: str, state: str, code: str) -> dict[str, Any]:
    """Call ``complete_link`` as ``user_id`` of :data:`TENANT` and describe what happened
    (never raises)."""
    started = time.perf_counter()
    outcome: dict[str, Any] = {"user_id": user_id}
    try:
        link = meetlink.complete_link(state, code=code, user_id=user_id, tenant_id=TENANT)
    except Exception as exc:
        outcome.update(
            linked=False,
            error=f"{type(exc).__module__}.{type(exc).__qualname__}",
            meetlink_error=isinstance(exc, MeetLinkError),
            message=str(exc),
        )
    else:
        outcome.update(
            linked=True,
            link_user_id=link.user_id,
            external_account_id=link.external_account_id,
        )
    outcome["seconds"] = time.perf_counter() - started
    return outcome


def complete_link(
    *,
    gate: Gate,
    database_url: str,
    key: str,
    zoom: dict[str, str],
    user_id: str,
    state: str,
    code: str,
) -> dict[str, Any]:
    """Process task: one OAuth callback, released together with the others."""
    with own_meetlink(database_url, key, zoom) as meetlink:
        gate()
        return attempt_link(meetlink, user_id, state, code)


def run_pending(*, gate: Gate, database_url: str, key: str, zoom: dict[str, str]) -> dict[str, Any]:
    """Process task: ``run_pending()`` until a call finds nothing to do."""
    with own_meetlink(database_url, key, zoom, sync_inline=False) as meetlink:
        gate()
        started = time.perf_counter()
        returns: list[int] = []
        for _ in range(_MAX_CALLS):
            completed = meetlink.run_pending()
            returns.append(completed)
            if completed == 0:
                break
        return {"returns": returns, "seconds": time.perf_counter() - started}
