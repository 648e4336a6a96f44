"""``AsyncTenantMeetLink``: [`TenantMeetLink`][meetlink.app.tenant.TenantMeetLink] as
coroutines, for asyncio hosts (``AsyncMeetLink.tenant(tenant_id)`` makes one). Each call runs
on the wrapping [`AsyncMeetLink`][meetlink.aio.AsyncMeetLink]'s bounded thread pool, so the
event loop never waits on a provider or the database; arguments, results and errors are the
facade's."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from meetlink.app.tenant import TenantMeetLink
from meetlink.domain.conference import Conference
from meetlink.domain.event import Event
from meetlink.domain.issuance import IssuancePolicy
from meetlink.domain.links import AccountLink, DirectoryEntry, OrganisationLink
from meetlink.domain.results import HostEvent, LinkRequest, SaveResult
from meetlink.domain.subscription import Subscription

__all__ = ["AsyncTenantMeetLink"]

T = TypeVar("T")
#: Runs a blocking call off the event loop (``AsyncMeetLink``'s pool) and awaits it.
Runner = Callable[..., Awaitable[Any]]


class AsyncTenantMeetLink:
    """The coroutines of one tenant (see the module docstring)."""

    def __init__(self, run: Runner, handle: TenantMeetLink) -> None:
        self._run = run
        self._handle = handle

    @property
    def tenant_id(self) -> str:
        """The tenant this handle works in."""
        return self._handle.tenant_id

    def __repr__(self) -> str:
        return f"AsyncTenantMeetLink({self.tenant_id!r})"

    async def _call(self, call: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        result: T = await self._run(call, *args, **kwargs)
        return result

    # -- add-on contract -------------------------------------------------------------------

    async def subscription(self) -> Subscription:
        """[`TenantMeetLink.subscription`][meetlink.app.tenant.TenantMeetLink.subscription]."""
        return await self._call(self._handle.subscription)

    async def start_trial(self) -> Subscription:
        """[`TenantMeetLink.start_trial`][meetlink.app.tenant.TenantMeetLink.start_trial]."""
        return await self._call(self._handle.start_trial)

    async def contract(self) -> Subscription:
        """[`TenantMeetLink.contract`][meetlink.app.tenant.TenantMeetLink.contract]."""
        return await self._call(self._handle.contract)

    async def cancel_contract(self) -> Subscription:
        """[`TenantMeetLink.cancel_contract`][meetlink.app.tenant.TenantMeetLink.cancel_contract]."""
        return await self._call(self._handle.cancel_contract)

    async def set_policy(self, policy: IssuancePolicy | None) -> None:
        """[`TenantMeetLink.set_policy`][meetlink.app.tenant.TenantMeetLink.set_policy]."""
        await self._call(self._handle.set_policy, policy)

    async def policy(self) -> IssuancePolicy:
        """[`TenantMeetLink.policy`][meetlink.app.tenant.TenantMeetLink.policy]."""
        return await self._call(self._handle.policy)

    # -- linking ---------------------------------------------------------------------------

    async def begin_link(self, user_id: str, provider: str = "zoom") -> LinkRequest:
        """[`TenantMeetLink.begin_link`][meetlink.app.tenant.TenantMeetLink.begin_link]."""
        return await self._call(self._handle.begin_link, user_id, provider)

    async def complete_link(self, state: str, *, user_id: str, **options: Any) -> AccountLink:
        """[`TenantMeetLink.complete_link`][meetlink.app.tenant.TenantMeetLink.complete_link]
        (``code``, ``error``...)."""
        return await self._call(self._handle.complete_link, state, user_id=user_id, **options)

    async def link(self, user_id: str, provider: str = "zoom") -> AccountLink | None:
        """[`TenantMeetLink.link`][meetlink.app.tenant.TenantMeetLink.link]."""
        return await self._call(self._handle.link, user_id, provider)

    async def unlink(self, user_id: str, provider: str = "zoom") -> bool:
        """[`TenantMeetLink.unlink`][meetlink.app.tenant.TenantMeetLink.unlink]."""
        return await self._call(self._handle.unlink, user_id, provider)

    async def begin_org_link(self, provider: str = "zoom", *, admin_user_id: str) -> LinkRequest:
        """[`TenantMeetLink.begin_org_link`][meetlink.app.tenant.TenantMeetLink.begin_org_link]."""
        return await self._call(self._handle.begin_org_link, provider, admin_user_id=admin_user_id)

    async def complete_org_link(self, state: str, **callback: Any) -> OrganisationLink:
        """[`TenantMeetLink.complete_org_link`][meetlink.app.tenant.TenantMeetLink.complete_org_link]
        (the same keywords)."""
        return await self._call(self._handle.complete_org_link, state, **callback)

    async def org_link(self, provider: str = "zoom") -> OrganisationLink | None:
        """[`TenantMeetLink.org_link`][meetlink.app.tenant.TenantMeetLink.org_link]."""
        return await self._call(self._handle.org_link, provider)

    async def unlink_org(self, provider: str = "zoom") -> bool:
        """[`TenantMeetLink.unlink_org`][meetlink.app.tenant.TenantMeetLink.unlink_org]."""
        return await self._call(self._handle.unlink_org, provider)

    async def set_directory_address(
        self, user_id: str, address: str | None, provider: str = "zoom"
    ) -> None:
        """[`TenantMeetLink.set_directory_address`][meetlink.app.tenant.TenantMeetLink.set_directory_address]."""
        await self._call(self._handle.set_directory_address, user_id, address, provider)

    async def directory(self, provider: str = "zoom") -> list[DirectoryEntry]:
        """[`TenantMeetLink.directory`][meetlink.app.tenant.TenantMeetLink.directory]."""
        return await self._call(self._handle.directory, provider)

    # -- events ----------------------------------------------------------------------------

    async def web_meeting_available(
        self, user_id: str, provider: str = "zoom", event: Event | None = None
    ) -> bool:
        """[`TenantMeetLink.web_meeting_available`][meetlink.app.tenant.TenantMeetLink.web_meeting_available]."""
        return await self._call(self._handle.web_meeting_available, user_id, provider, event)

    async def save_event(self, event: Event) -> SaveResult:
        """[`TenantMeetLink.save_event`][meetlink.app.tenant.TenantMeetLink.save_event] (the
        provider call runs off the event loop)."""
        return await self._call(self._handle.save_event, event)

    async def conference(self, event_id: str) -> Conference | None:
        """[`TenantMeetLink.conference`][meetlink.app.tenant.TenantMeetLink.conference]."""
        return await self._call(self._handle.conference, event_id)

    async def event(self, event_id: str) -> Event | None:
        """[`TenantMeetLink.event`][meetlink.app.tenant.TenantMeetLink.event]."""
        return await self._call(self._handle.event, event_id)

    async def start_url(self, event_id: str, user_id: str) -> str:
        """[`TenantMeetLink.start_url`][meetlink.app.tenant.TenantMeetLink.start_url]."""
        return await self._call(self._handle.start_url, event_id, user_id)

    async def delete_event(self, event_id: str, *, actor_id: str | None = None) -> bool:
        """[`TenantMeetLink.delete_event`][meetlink.app.tenant.TenantMeetLink.delete_event]."""
        return await self._call(self._handle.delete_event, event_id, actor_id=actor_id)

    async def retry(self, event_id: str) -> Conference | None:
        """[`TenantMeetLink.retry`][meetlink.app.tenant.TenantMeetLink.retry]."""
        return await self._call(self._handle.retry, event_id)

    async def events(self, *, after: str | None = None, limit: int = 100) -> list[HostEvent]:
        """[`TenantMeetLink.events`][meetlink.app.tenant.TenantMeetLink.events]."""
        return await self._call(self._handle.events, after=after, limit=limit)
