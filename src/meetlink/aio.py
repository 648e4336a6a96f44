"""``AsyncMeetLink``: the MeetLink facade for asyncio hosts (FastAPI, Starlette, aiohttp...).

Every facade method is a coroutine with the same arguments, results and errors. The work
runs on a **bounded thread pool** owned by the wrapper (``max_workers``, default 8): the
event loop never waits on Zoom, Microsoft or the database, and at most ``max_workers``
facade calls run at once (others queue). A cancelled await does not stop a call already
running in its thread: the call finishes (so the database stays consistent) and its result
is dropped.

    async with AsyncMeetLink(meetlink) as aml:
        acme = aml.tenant("acme")
        result = await acme.save_event(event)

``tenant(tenant_id)`` gives the coroutines for one tenant (``AsyncTenantMeetLink``), as
[`MeetLink.tenant`][meetlink.app.facade.MeetLink.tenant] does. ``aclose()`` waits for running
calls, then closes the wrapped MeetLink.
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from types import TracebackType
from typing import Any, ParamSpec, TypeVar

from meetlink.aio_tenant import AsyncTenantMeetLink
from meetlink.app.facade import MeetLink
from meetlink.app.settings import Settings
from meetlink.domain.conference import Conference
from meetlink.domain.event import Event
from meetlink.domain.links import AccountLink
from meetlink.domain.records import Job
from meetlink.domain.results import HostEvent, LinkRequest, SaveResult, WebhookReply
from meetlink.domain.subscription import Subscription
from meetlink.errors import ConfigurationError
from meetlink.ports.clock import Clock

__all__ = ["AsyncMeetLink", "AsyncTenantMeetLink"]

P = ParamSpec("P")
T = TypeVar("T")

#: Threads per AsyncMeetLink unless told otherwise.
DEFAULT_WORKERS = 8


class AsyncMeetLink:
    """Coroutines over a [`MeetLink`][meetlink.MeetLink] (see the module docstring).

    Methods the facade gains later are served too (as coroutines, through ``__getattr__``);
    the ones below are typed."""

    def __init__(self, meetlink: MeetLink, *, max_workers: int = DEFAULT_WORKERS) -> None:
        if not isinstance(meetlink, MeetLink):
            raise ConfigurationError("AsyncMeetLink wraps a meetlink.MeetLink")
        if max_workers < 1:
            raise ConfigurationError("max_workers must be at least 1")
        self.meetlink = meetlink
        self._pool = ThreadPoolExecutor(max_workers, thread_name_prefix="meetlink-aio")
        self._closed = False

    async def _run(self, call: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
        if self._closed:
            raise ConfigurationError("this AsyncMeetLink is closed")
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._pool, functools.partial(call, *args, **kwargs))

    def __getattr__(self, name: str) -> Any:
        found = getattr(self.meetlink, name)  # AttributeError as usual
        if name.startswith("_") or not callable(found):
            return found

        @functools.wraps(found)
        async def call(*args: Any, **kwargs: Any) -> Any:
            return await self._run(found, *args, **kwargs)

        return call

    @property
    def settings(self) -> Settings:
        """The settings in force."""
        return self.meetlink.settings

    @property
    def clock(self) -> Clock:
        """The clock the wrapped MeetLink reads."""
        return self.meetlink.clock

    @property
    def provider_keys(self) -> tuple[str, ...]:
        """The keys of the registered providers."""
        return self.meetlink.provider_keys

    def tenant(self, tenant_id: str) -> AsyncTenantMeetLink:
        """The coroutines for one tenant, without the tenant argument (the tenant id is
        checked here, once, as [`MeetLink.tenant`][meetlink.app.facade.MeetLink.tenant] does)."""
        return AsyncTenantMeetLink(self._run, self.meetlink.tenant(tenant_id))

    # -- add-on contract -------------------------------------------------------------------

    async def subscription(self, tenant_id: str) -> Subscription:
        """[`MeetLink.subscription`][meetlink.app.facade.MeetLink.subscription]."""
        return await self._run(self.meetlink.subscription, tenant_id)

    async def start_trial(self, tenant_id: str) -> Subscription:
        """[`MeetLink.start_trial`][meetlink.app.facade.MeetLink.start_trial]."""
        return await self._run(self.meetlink.start_trial, tenant_id)

    async def contract(self, tenant_id: str) -> Subscription:
        """[`MeetLink.contract`][meetlink.app.facade.MeetLink.contract]."""
        return await self._run(self.meetlink.contract, tenant_id)

    async def cancel_contract(self, tenant_id: str) -> Subscription:
        """[`MeetLink.cancel_contract`][meetlink.app.facade.MeetLink.cancel_contract]."""
        return await self._run(self.meetlink.cancel_contract, tenant_id)

    # -- linking ---------------------------------------------------------------------------

    async def begin_link(
        self, tenant_id: str, user_id: str, provider: str = "zoom", **options: Any
    ) -> LinkRequest:
        """[`MeetLink.begin_link`][meetlink.app.facade.MeetLink.begin_link]."""
        return await self._run(self.meetlink.begin_link, tenant_id, user_id, provider, **options)

    async def complete_link(
        self, state: str, *, user_id: str, tenant_id: str, **options: Any
    ) -> AccountLink:
        """[`MeetLink.complete_link`][meetlink.app.facade.MeetLink.complete_link] (``code``,
        ``error``...; ``user_id`` and ``tenant_id`` required)."""
        return await self._run(
            self.meetlink.complete_link, state, user_id=user_id, tenant_id=tenant_id, **options
        )

    async def link(
        self, user_id: str, provider: str = "zoom", *, tenant_id: str
    ) -> AccountLink | None:
        """[`MeetLink.link`][meetlink.app.facade.MeetLink.link]."""
        return await self._run(self.meetlink.link, user_id, provider, tenant_id=tenant_id)

    async def unlink(self, user_id: str, provider: str = "zoom", *, tenant_id: str) -> bool:
        """[`MeetLink.unlink`][meetlink.app.facade.MeetLink.unlink]."""
        return await self._run(self.meetlink.unlink, user_id, provider, tenant_id=tenant_id)

    async def handle_webhook(
        self, provider: str, headers: Mapping[str, str], body: bytes
    ) -> WebhookReply:
        """[`MeetLink.handle_webhook`][meetlink.app.facade.MeetLink.handle_webhook]."""
        return await self._run(self.meetlink.handle_webhook, provider, headers, body)

    # -- events ----------------------------------------------------------------------------

    async def web_meeting_available(
        self, tenant_id: str, user_id: str, provider: str = "zoom", *, event: Event | None = None
    ) -> bool:
        """[`MeetLink.web_meeting_available`][meetlink.app.facade.MeetLink.web_meeting_available]."""
        return await self._run(
            self.meetlink.web_meeting_available, tenant_id, user_id, provider, event=event
        )

    async def save_event(self, event: Event) -> SaveResult:
        """[`MeetLink.save_event`][meetlink.app.facade.MeetLink.save_event] (the provider call runs
        off the event loop)."""
        return await self._run(self.meetlink.save_event, event)

    async def delete_event(
        self, event_id: str, *, tenant_id: str, actor_id: str | None = None
    ) -> bool:
        """[`MeetLink.delete_event`][meetlink.app.facade.MeetLink.delete_event]."""
        return await self._run(
            self.meetlink.delete_event, event_id, tenant_id=tenant_id, actor_id=actor_id
        )

    async def conference(self, event_id: str, *, tenant_id: str) -> Conference | None:
        """[`MeetLink.conference`][meetlink.app.facade.MeetLink.conference]."""
        return await self._run(self.meetlink.conference, event_id, tenant_id=tenant_id)

    async def event(self, event_id: str, *, tenant_id: str) -> Event | None:
        """[`MeetLink.event`][meetlink.app.facade.MeetLink.event]."""
        return await self._run(self.meetlink.event, event_id, tenant_id=tenant_id)

    async def start_url(self, event_id: str, user_id: str, *, tenant_id: str) -> str:
        """[`MeetLink.start_url`][meetlink.app.facade.MeetLink.start_url]."""
        return await self._run(self.meetlink.start_url, event_id, user_id, tenant_id=tenant_id)

    async def retry(self, event_id: str, *, tenant_id: str) -> Conference | None:
        """[`MeetLink.retry`][meetlink.app.facade.MeetLink.retry] (the provider call runs off
        the event loop)."""
        return await self._run(self.meetlink.retry, event_id, tenant_id=tenant_id)

    async def send_due_reminders(self) -> int:
        """[`MeetLink.send_due_reminders`][meetlink.app.facade.MeetLink.send_due_reminders]."""
        return await self._run(self.meetlink.send_due_reminders)

    # -- background work -------------------------------------------------------------------

    async def run_pending(self, max_jobs: int | None = None) -> int:
        """[`MeetLink.run_pending`][meetlink.app.facade.MeetLink.run_pending]."""
        return await self._run(self.meetlink.run_pending, max_jobs)

    async def keep_alive(self, max_links: int | None = None) -> int:
        """[`MeetLink.keep_alive`][meetlink.app.facade.MeetLink.keep_alive]."""
        return await self._run(self.meetlink.keep_alive, max_links)

    async def purge(self, keep: timedelta = timedelta(days=30)) -> int:
        """[`MeetLink.purge`][meetlink.app.facade.MeetLink.purge]."""
        return await self._run(self.meetlink.purge, keep)

    async def events(
        self, *, tenant_id: str, after: str | None = None, limit: int = 100
    ) -> list[HostEvent]:
        """[`MeetLink.events`][meetlink.app.facade.MeetLink.events]."""
        return await self._run(self.meetlink.events, tenant_id=tenant_id, after=after, limit=limit)

    async def failed_jobs(self) -> list[Job]:
        """[`MeetLink.failed_jobs`][meetlink.app.facade.MeetLink.failed_jobs]."""
        return await self._run(self.meetlink.failed_jobs)

    async def pending_jobs(self) -> list[Job]:
        """[`MeetLink.pending_jobs`][meetlink.app.facade.MeetLink.pending_jobs]."""
        return await self._run(self.meetlink.pending_jobs)

    # -- lifetime --------------------------------------------------------------------------

    async def aclose(self) -> None:
        """Wait for running calls, then close the wrapped MeetLink. Idempotent."""
        if self._closed:
            return
        self._closed = True
        loop = asyncio.get_running_loop()
        await loop.run_in_executor(None, functools.partial(self._pool.shutdown, wait=True))
        await loop.run_in_executor(None, self.meetlink.close)

    async def __aenter__(self) -> AsyncMeetLink:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()
