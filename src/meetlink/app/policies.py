"""Per-tenant issuance policies (R2, R3): which events of a tenant may get a URL.

A groupware turns features on per customer: a tenant's own
[`IssuancePolicy`][meetlink.domain.issuance.IssuancePolicy] is stored and wins; without one the
installation's ``policy`` setting applies (the seed by default, so tenants that did not opt in keep
S17/S18).
"""

from __future__ import annotations

import attrs

from meetlink.app.context import AppContext
from meetlink.domain.event import Event
from meetlink.domain.issuance import IssuancePolicy, ProviderTraits, decide
from meetlink.ports.provider import Capabilities
from meetlink.ports.storage import UnitOfWork

__all__ = ["Policies", "event_allowed", "recurrence_expressible", "tenant_policy"]


def tenant_policy(uow: UnitOfWork, ctx: AppContext, tenant_id: str) -> IssuancePolicy:
    """The policy in force for ``tenant_id``: its own, else the ``policy`` setting."""
    return uow.policies.get(tenant_id) or ctx.settings.policy


def recurrence_expressible(event: Event, caps: Capabilities | None) -> bool:
    """Whether the provider can schedule ``event``'s rule with fixed times (R2). A provider
    without recurrence limits (Teams) carries no schedule at all: nothing falls back."""
    if event.recurrence is None or caps is None or caps.recurrence is None:
        return True
    from meetlink.domain.series import Series  # lazy: dateutil only for series

    return Series.of_event(event).fits(caps.recurrence)


def event_allowed(policy: IssuancePolicy, event: Event, caps: Capabilities) -> bool:
    """Whether ``policy`` lets ``event`` (its span, recurrence, source) get a URL from a
    provider with ``caps``, leaving the add-on and the link aside."""
    decision = decide(
        attrs.evolve(event, web_meeting=event.web_meeting or "provider"),
        addon_active=True,
        linked=True,
        provider_known=True,
        traits=ProviderTraits(supports_recurring=caps.supports_recurring),
        policy=policy,
    )
    return decision.issue


class Policies:
    """Reading and setting tenants' policies."""

    def __init__(self, ctx: AppContext) -> None:
        self._ctx = ctx

    def get(self, tenant_id: str) -> IssuancePolicy:
        """The policy in force for the tenant."""
        return self._ctx.read(lambda uow: tenant_policy(uow, self._ctx, tenant_id))

    def set(self, tenant_id: str, policy: IssuancePolicy | None) -> None:
        """Store the tenant's own policy; None returns it to the ``policy`` setting. New
        saves follow it; URLs already issued stay until their event is saved again."""

        def work(uow: UnitOfWork) -> None:
            if policy is None:
                uow.policies.delete(tenant_id)
            else:
                uow.policies.put(tenant_id, policy)

        self._ctx.transaction(work)
