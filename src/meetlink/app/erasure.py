"""Erasing a provider account's data on the provider's request (Zoom ``app_deauthorized``
with ``user_data_retention: false``): what goes and what stays is in
``meetlink.domain.erasure``. The erasure runs as a job ``erasure_delay`` after the
deauthorization (at most 10 days; zero: at the next ``run_pending()``), and its record says
when it happened (``MeetLink.erasures``)."""

from __future__ import annotations

import logging
from datetime import datetime

import attrs

from meetlink.app.context import AppContext
from meetlink.app.queue import JobQueue
from meetlink.domain.erasure import Erasure, account_key
from meetlink.domain.jobs import JobRequest
from meetlink.domain.records import Job
from meetlink.ports.storage import UnitOfWork

__all__ = ["ERASE_JOB", "Erasures"]

log = logging.getLogger("meetlink.erasure")

ERASE_JOB = "erase"  # key: provider:account key; erases what meetlink kept of the account


class Erasures:
    """Asks for and performs erasures."""

    def __init__(self, ctx: AppContext, queue: JobQueue) -> None:
        self._ctx = ctx
        self._queue = queue

    def ask(self, uow: UnitOfWork, provider: str, account: str, deauthorized_at: datetime) -> None:
        """Record the erasure of ``account``'s data and queue it (in the unit of work of the
        deauthorization)."""
        now = self._ctx.clock.now()
        key = account_key(provider, account)
        known = uow.links.for_account(provider, account)
        due = now + self._ctx.settings.erasure_delay
        record = Erasure(
            provider=provider, account_key=key, deauthorized_at=deauthorized_at, due_at=due
        )
        if not known:  # nothing kept: erased as of now
            uow.erasures.put(attrs.evolve(record, due_at=now, erased_at=now))
            return
        uow.erasures.put(record)
        request = JobRequest(
            tenant_id=known[-1].tenant_id,
            kind=ERASE_JOB,
            key=f"{provider}:{key}",
            run_at=due,
            payload={
                "provider": provider,
                "account": account,
                "deauthorized_at": deauthorized_at.isoformat(),
            },
        )
        self._queue.ask(uow, request, now)

    def run(self, job: Job) -> None:
        """The ``erase`` job: delete the account's ended links made before the
        deauthorization, its rate-limit counters and wait; mark the records erased."""
        provider = str(job.payload["provider"])
        account = str(job.payload["account"])
        until = datetime.fromisoformat(str(job.payload["deauthorized_at"]))
        key = account_key(provider, account)

        def work(uow: UnitOfWork) -> int:
            now = self._ctx.clock.now()
            gone = uow.links.erase(provider, account, linked_before=until)
            if uow.links.active_for_account(provider, account) is None:
                gone += uow.jobs.forget_account(provider, account)
            for erasure in uow.erasures.of_account(provider, key):
                if erasure.erased_at is None and erasure.deauthorized_at <= until:
                    uow.erasures.put(attrs.evolve(erasure, erased_at=now))
            return gone

        gone = self._ctx.transaction(work)
        log.info("erased the data of a %s account on its request (%d rows)", provider, gone)
