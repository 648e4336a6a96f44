"""What every use case needs: the ports, the settings, and a retrying transaction helper."""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable
from typing import TypeVar

import attrs

from meetlink.app.registry import ProviderRegistry
from meetlink.app.settings import Settings
from meetlink.domain.results import RELINK_KINDS, HostEvent, HostNotice, Relink
from meetlink.errors import ConcurrentUpdate
from meetlink.ports.clock import Clock
from meetlink.ports.mailer import MailComposer, Mailer
from meetlink.ports.storage import Storage, UnitOfWork

__all__ = ["AppContext"]

T = TypeVar("T")
log = logging.getLogger("meetlink")


@attrs.frozen(kw_only=True)
class AppContext:
    """The ports and settings of one MeetLink instance."""

    storage: Storage
    providers: ProviderRegistry
    mailer: Mailer
    composer: MailComposer
    clock: Clock
    settings: Settings
    listener: Callable[[HostNotice], None] | None = None
    # (tenant_id, owner_id) -> (name, address) of an event's owner, or None (the host's).
    organizer_of: Callable[[str, str], tuple[str, str] | None] | None = None

    def notify(self, notice: HostNotice) -> None:
        """Record ``notice`` in the host event feed in a unit of work of its own, then tell
        the listener (for notices that follow no change of their own)."""
        now = self.clock.now()
        self.transaction(lambda uow: uow.feed.add(notice, now))

    def with_relink(self, event: HostEvent) -> HostEvent:
        """``event`` with how its user links again, when its kind needs that."""
        if event.kind not in RELINK_KINDS or None in (
            event.tenant_id,
            event.user_id,
            event.provider,
        ):
            return event
        assert event.tenant_id is not None and event.user_id is not None
        assert event.provider is not None
        provider = self.providers.find(event.provider)
        consent = getattr(provider, "admin_consent_url", None)
        return attrs.evolve(
            event,
            relink=Relink(
                tenant_id=event.tenant_id,
                user_id=event.user_id,
                provider=event.provider,
                admin_consent_url=consent() if callable(consent) else None,
            ),
        )

    def _tell(self, events: list[HostEvent]) -> None:
        """Call the listener with what a commit recorded. A failing listener is logged, never
        propagated (the feed holds the events anyway)."""
        if self.listener is None:
            return
        for event in events:
            try:
                self.listener(self.with_relink(event))
            except Exception:
                log.exception("the host's listener failed on %s", event.kind.value)

    def transaction(self, work: Callable[[UnitOfWork], T], *, attempts: int = 8) -> T:
        """Run ``work`` in a unit of work and commit; retry the whole unit when a concurrent
        writer won a unique-constraint race (ConcurrentUpdate). What the unit recorded in the
        host event feed goes to the listener once it committed."""
        for attempt in range(1, attempts + 1):
            try:
                with self.storage.unit_of_work() as uow:
                    result = work(uow)
                    uow.commit()
                    recorded = uow.feed.written()
                self._tell(recorded)
                return result
            except ConcurrentUpdate:
                if attempt == attempts:
                    raise
                log.debug("concurrent update; retrying unit of work (attempt %d)", attempt)
                # Jittered pause so that racing writers do not collide again in lock-step.
                time.sleep(random.uniform(0, 0.005 * attempt))
        raise AssertionError("unreachable")

    def transaction_notifying(self, work: Callable[[UnitOfWork, list[HostNotice]], T]) -> T:
        """[`transaction`][meetlink.app.context.AppContext.transaction], where ``work`` also
        collects host notices; they are recorded in the host event feed by the same unit of work
        and sent to the listener once it committed (never for a unit that was rolled back)."""

        def run(uow: UnitOfWork) -> T:
            notices: list[HostNotice] = []
            result = work(uow, notices)
            now = self.clock.now()
            for notice in notices:
                uow.feed.add(notice, now)
            return result

        return self.transaction(run)

    def read(self, work: Callable[[UnitOfWork], T]) -> T:
        """Run ``work`` in a unit of work that changes nothing."""
        with self.storage.unit_of_work(read_only=True) as uow:
            return work(uow)
