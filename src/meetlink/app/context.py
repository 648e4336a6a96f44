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
from meetlink.domain.results import HostNotice
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

    def notify(self, notice: HostNotice) -> None:
        """Tell the host (after a commit). A failing listener is logged, never propagated."""
        if self.listener is None:
            return
        try:
            self.listener(notice)
        except Exception:
            log.exception("the host's listener failed on %s", notice.kind.value)

    def transaction(self, work: Callable[[UnitOfWork], T], *, attempts: int = 8) -> T:
        """Run ``work`` in a unit of work and commit; retry the whole unit when a concurrent
        writer won a unique-constraint race (ConcurrentUpdate)."""
        for attempt in range(1, attempts + 1):
            try:
                with self.storage.unit_of_work() as uow:
                    result = work(uow)
                    uow.commit()
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
        collects host notices; they are sent once the unit of work committed (never for a unit that
        was rolled back)."""
        notices: list[HostNotice] = []

        def run(uow: UnitOfWork) -> T:
            notices.clear()
            return work(uow, notices)

        result = self.transaction(run)
        for notice in notices:
            self.notify(notice)
        return result

    def read(self, work: Callable[[UnitOfWork], T]) -> T:
        """Run ``work`` in a unit of work that changes nothing."""
        with self.storage.unit_of_work(read_only=True) as uow:
            return work(uow)
