"""``TenantMeetLink``: the facade for one tenant, the natural way for a host to hold it.

Every id a host passes is its id inside one tenant (DESIGN 7): user ``1`` and event ``1`` of
two tenants are two users and two events. A host resolves the tenant once per request, from
its session, and works through the handle::

    acme = meetlink.tenant("acme")
    acme.begin_link("alice")
    acme.save_event(event)          # event.tenant_id must be "acme": else InvalidEvent
    acme.conference("standup")      # acme's event "standup", never another tenant's

The handle holds no state of its own besides the tenant id: it is cheap to make per request
and safe to share between threads, like the facade it wraps.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from meetlink.domain.conference import Conference
from meetlink.domain.event import Event
from meetlink.domain.issuance import IssuancePolicy
from meetlink.domain.links import AccountLink, DirectoryEntry, OrganisationLink
from meetlink.domain.results import HostEvent, LinkRequest, SaveResult
from meetlink.domain.subscription import Subscription
from meetlink.errors import InvalidEvent

if TYPE_CHECKING:
    from meetlink.app.facade import MeetLink

__all__ = ["TenantMeetLink", "check_own_event"]


def check_own_event(tenant_id: str, event: object) -> None:
    """Refuse an event of another tenant given to ``tenant_id``'s handle (InvalidEvent naming
    ``tenant_id``). Anything but an Event is left to the facade's own checks."""
    if isinstance(event, Event) and event.tenant_id != tenant_id:
        raise InvalidEvent(
            "tenant_id",
            f"this handle is for tenant {tenant_id!r}, the event is another's",
            reason="other_tenant",
        )


class TenantMeetLink:
    """The [`MeetLink`][meetlink.MeetLink] methods for one tenant, without the
    tenant argument (``MeetLink.tenant(tenant_id)`` makes one). Arguments, results and errors
    are the facade's."""

    def __init__(self, meetlink: MeetLink, tenant_id: str) -> None:
        self._ml = meetlink
        self._tenant = tenant_id

    @property
    def tenant_id(self) -> str:
        """The tenant this handle works in."""
        return self._tenant

    @property
    def meetlink(self) -> MeetLink:
        """The facade this handle calls."""
        return self._ml

    def __repr__(self) -> str:
        return f"TenantMeetLink({self._tenant!r})"

    # -- add-on contract (S3-S5) ------------------------------------------------------------

    def subscription(self) -> Subscription:
        """[`MeetLink.subscription`][meetlink.app.facade.MeetLink.subscription] for this tenant."""
        return self._ml.subscription(self._tenant)

    def start_trial(self) -> Subscription:
        """[`MeetLink.start_trial`][meetlink.app.facade.MeetLink.start_trial] for this tenant."""
        return self._ml.start_trial(self._tenant)

    def contract(self) -> Subscription:
        """[`MeetLink.contract`][meetlink.app.facade.MeetLink.contract] for this tenant."""
        return self._ml.contract(self._tenant)

    def cancel_contract(self) -> Subscription:
        """[`MeetLink.cancel_contract`][meetlink.app.facade.MeetLink.cancel_contract] for this
        tenant."""
        return self._ml.cancel_contract(self._tenant)

    def set_policy(self, policy: IssuancePolicy | None) -> None:
        """[`MeetLink.set_policy`][meetlink.app.facade.MeetLink.set_policy] for this tenant."""
        self._ml.set_policy(self._tenant, policy)

    def policy(self) -> IssuancePolicy:
        """[`MeetLink.policy`][meetlink.app.facade.MeetLink.policy] for this tenant."""
        return self._ml.policy(self._tenant)

    # -- linking -------------------------------------------------------------------------

    def begin_link(self, user_id: str, provider: str = "zoom") -> LinkRequest:
        """[`MeetLink.begin_link`][meetlink.app.facade.MeetLink.begin_link] for this tenant's
        user."""
        return self._ml.begin_link(self._tenant, user_id, provider)

    def complete_link(
        self,
        state: str,
        *,
        code: str | None = None,
        error: str | None = None,
        error_description: str | None = None,
        error_subcode: str | None = None,
        user_id: str,
    ) -> AccountLink:
        """[`MeetLink.complete_link`][meetlink.app.facade.MeetLink.complete_link] for this
        tenant's user ``user_id`` (the one the host's session says is signed in)."""
        return self._ml.complete_link(
            state,
            code=code,
            error=error,
            error_description=error_description,
            error_subcode=error_subcode,
            user_id=user_id,
            tenant_id=self._tenant,
        )

    def link(self, user_id: str, provider: str = "zoom") -> AccountLink | None:
        """[`MeetLink.link`][meetlink.app.facade.MeetLink.link] for this tenant's user."""
        return self._ml.link(user_id, provider, tenant_id=self._tenant)

    def unlink(self, user_id: str, provider: str = "zoom") -> bool:
        """[`MeetLink.unlink`][meetlink.app.facade.MeetLink.unlink] for this tenant's user."""
        return self._ml.unlink(user_id, provider, tenant_id=self._tenant)

    # -- organisation links (docs/org-install.md) -----------------------------------------

    def begin_org_link(self, provider: str = "zoom", *, admin_user_id: str) -> LinkRequest:
        """[`MeetLink.begin_org_link`][meetlink.app.facade.MeetLink.begin_org_link] for this
        tenant."""
        return self._ml.begin_org_link(
            provider, tenant_id=self._tenant, admin_user_id=admin_user_id
        )

    def complete_org_link(
        self,
        state: str,
        *,
        code: str | None = None,
        error: str | None = None,
        error_description: str | None = None,
        error_subcode: str | None = None,
        tenant: str | None = None,
        admin_user_id: str,
    ) -> OrganisationLink:
        """[`MeetLink.complete_org_link`][meetlink.app.facade.MeetLink.complete_org_link] for
        this tenant."""
        return self._ml.complete_org_link(
            state,
            code=code,
            error=error,
            error_description=error_description,
            error_subcode=error_subcode,
            tenant=tenant,
            tenant_id=self._tenant,
            admin_user_id=admin_user_id,
        )

    def org_link(self, provider: str = "zoom") -> OrganisationLink | None:
        """[`MeetLink.org_link`][meetlink.app.facade.MeetLink.org_link] for this tenant."""
        return self._ml.org_link(provider, tenant_id=self._tenant)

    def unlink_org(self, provider: str = "zoom") -> bool:
        """[`MeetLink.unlink_org`][meetlink.app.facade.MeetLink.unlink_org] for this tenant."""
        return self._ml.unlink_org(provider, tenant_id=self._tenant)

    def set_directory_address(
        self, user_id: str, address: str | None, provider: str = "zoom"
    ) -> None:
        """[`MeetLink.set_directory_address`][meetlink.app.facade.MeetLink.set_directory_address]
        for this tenant's user."""
        self._ml.set_directory_address(user_id, address, provider, tenant_id=self._tenant)

    def directory(self, provider: str = "zoom") -> list[DirectoryEntry]:
        """[`MeetLink.directory`][meetlink.app.facade.MeetLink.directory] for this tenant."""
        return self._ml.directory(provider, tenant_id=self._tenant)

    # -- events --------------------------------------------------------------------------

    def web_meeting_available(
        self, user_id: str, provider: str = "zoom", event: Event | None = None
    ) -> bool:
        """[`MeetLink.web_meeting_available`][meetlink.app.facade.MeetLink.web_meeting_available]
        for this tenant's user (``event``: the form's current values, an event of this
        tenant)."""
        check_own_event(self._tenant, event)
        return self._ml.web_meeting_available(self._tenant, user_id, provider, event=event)

    def save_event(self, event: Event) -> SaveResult:
        """[`MeetLink.save_event`][meetlink.app.facade.MeetLink.save_event]; an event of
        another tenant is InvalidEvent naming ``tenant_id`` (nothing is read or stored)."""
        check_own_event(self._tenant, event)
        return self._ml.save_event(event)

    def conference(self, event_id: str) -> Conference | None:
        """[`MeetLink.conference`][meetlink.app.facade.MeetLink.conference] of this tenant's
        event."""
        return self._ml.conference(event_id, tenant_id=self._tenant)

    def event(self, event_id: str) -> Event | None:
        """[`MeetLink.event`][meetlink.app.facade.MeetLink.event]: this tenant's event as stored."""
        return self._ml.event(event_id, tenant_id=self._tenant)

    def start_url(self, event_id: str, user_id: str) -> str:
        """[`MeetLink.start_url`][meetlink.app.facade.MeetLink.start_url] of this tenant's
        event, for its owner."""
        return self._ml.start_url(event_id, user_id, tenant_id=self._tenant)

    def delete_event(self, event_id: str, *, actor_id: str | None = None) -> bool:
        """[`MeetLink.delete_event`][meetlink.app.facade.MeetLink.delete_event] of this
        tenant's event."""
        return self._ml.delete_event(event_id, tenant_id=self._tenant, actor_id=actor_id)

    def retry(self, event_id: str) -> Conference | None:
        """[`MeetLink.retry`][meetlink.app.facade.MeetLink.retry] of this tenant's event."""
        return self._ml.retry(event_id, tenant_id=self._tenant)

    def events(self, *, after: str | None = None, limit: int = 100) -> list[HostEvent]:
        """[`MeetLink.events`][meetlink.app.facade.MeetLink.events]: this tenant's host event
        feed."""
        return self._ml.events(tenant_id=self._tenant, after=after, limit=limit)
