"""SQL repository for background jobs (RELIABILITY 4.1: a polling outbox).

``due`` is safe against concurrent workers: on PostgreSQL and MariaDB/MySQL it selects due
rows ``FOR UPDATE SKIP LOCKED`` (a job locked by another claimer is skipped, never handed out
twice); on SQLite every unit of work starts with ``BEGIN IMMEDIATE`` (or holds the in-process
lock for ``sqlite://``), so claimers run one after another.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Row, and_, bindparam, case, delete, or_, select, tuple_, update
from sqlalchemy.dialects import postgresql, sqlite

from meetlink.adapters.sqlalchemy import tables as t
from meetlink.adapters.sqlalchemy._dialects import (
    insert_ignore,
    is_mysql,
    translate_errors,
    upsert,
)
from meetlink.adapters.sqlalchemy.repositories import SqlRepository
from meetlink.domain.budgets import Usage
from meetlink.domain.jobs import AccountWait
from meetlink.domain.records import Job, JobStatus

__all__ = ["SqlJobRepository"]

_ORDER = (t.jobs.c.run_at, t.jobs.c.created_at, t.jobs.c.id)
_BY_ID = select(t.jobs).where(t.jobs.c.id == bindparam("job_id"))
_BY_ID_LOCKED = _BY_ID.with_for_update()
_PUT = update(t.jobs).where(t.jobs.c.id == bindparam("job_key_"))  # SET: the row's columns
_BY_KEY = select(t.jobs).where(
    t.jobs.c.tenant_id == bindparam("tenant"),
    t.jobs.c.kind == bindparam("kind"),
    t.jobs.c.key == bindparam("key"),
)
_BY_KEY_LOCKED = _BY_KEY.with_for_update()
_DONE = delete(t.jobs).where(
    t.jobs.c.id == bindparam("job_id"),
    t.jobs.c.generation == bindparam("gen"),
    t.jobs.c.status.in_((JobStatus.PENDING.value, JobStatus.RUNNING.value)),
)
_WAIT = select(t.account_waits).where(
    t.account_waits.c.provider == bindparam("provider"),
    t.account_waits.c.account == bindparam("account"),
)
_WAIT_LOCKED = _WAIT.with_for_update()
#: A usage row that spent nothing yet reads as no usage at all (domain/budgets.py).
_FRESH = datetime(1970, 1, 1, tzinfo=UTC)
_BUDGET = t.rate_budgets
_BUDGET_UPDATE = (
    update(_BUDGET)
    .where(
        _BUDGET.c.provider == bindparam("b_provider"),
        _BUDGET.c.limit_name == bindparam("b_limit"),
        _BUDGET.c.scope_key == bindparam("b_key"),
    )
    .values(mark=bindparam("mark"), used=bindparam("used"))
)


def _spent_in_window(insert: Any) -> Any:
    """SQLite, PostgreSQL: a calendar-window limit's usage made, or moved to the window at
    ``w_start`` and spent, in one statement, unless that passes ``w_count`` (the DO UPDATE's
    WHERE: no row changes then)."""
    made = insert(_BUDGET).values(
        provider=bindparam("w_provider"),
        limit_name=bindparam("w_limit"),
        scope_key=bindparam("w_key"),
        mark=bindparam("w_start"),
        used=bindparam("w_cost"),
    )
    same = _BUDGET.c.mark == made.excluded.mark
    return made.on_conflict_do_update(
        index_elements=[_BUDGET.c.provider, _BUDGET.c.limit_name, _BUDGET.c.scope_key],
        set_={
            "used": case((same, _BUDGET.c.used + made.excluded.used), else_=made.excluded.used),
            "mark": made.excluded.mark,
        },
        where=case((same, _BUDGET.c.used), else_=0) + made.excluded.used <= bindparam("w_count"),
    ).returning(_BUDGET.c.used)  # a row when spent (psycopg counts no rows of an upsert)


_IN_WINDOW = _BUDGET.c.mark == bindparam("w_start")
_SPENT_IN_WINDOW = {
    "postgresql": _spent_in_window(postgresql.insert),
    "sqlite": _spent_in_window(sqlite.insert),
    # MariaDB: an update of a stored usage (no WHERE on ON DUPLICATE KEY UPDATE). Its SET
    # runs left to right on the new values: ``used`` first, while ``mark`` is the old one.
    "mysql": update(_BUDGET)
    .where(
        _BUDGET.c.provider == bindparam("w_provider"),
        _BUDGET.c.limit_name == bindparam("w_limit"),
        _BUDGET.c.scope_key == bindparam("w_key"),
        case((_IN_WINDOW, _BUDGET.c.used), else_=0) + bindparam("w_cost") <= bindparam("w_count"),
    )
    .ordered_values(
        (_BUDGET.c.used, case((_IN_WINDOW, _BUDGET.c.used + bindparam("w_cost")),
                              else_=bindparam("w_cost"))),
        (_BUDGET.c.mark, bindparam("w_start")),
    ),
}  # fmt: skip

# What limits spent, by (limit name, scope key): built once (the keys are expanded per call).
_USAGES = select(_BUDGET.c.limit_name, _BUDGET.c.scope_key, _BUDGET.c.mark, _BUDGET.c.used).where(
    _BUDGET.c.provider == bindparam("provider"),
    tuple_(_BUDGET.c.limit_name, _BUDGET.c.scope_key).in_(bindparam("keys", expanding=True)),
)
_USAGES_LOCKED = _USAGES.with_for_update()


class SqlJobRepository(SqlRepository):
    """Jobs in ``meetlink_jobs`` (unique per tenant, kind and key) and the waits provider accounts
    asked for in ``meetlink_account_waits``. Only persistence: the rules are
    [`meetlink.domain.jobs`][meetlink.domain.jobs]."""

    @staticmethod
    def _to_row(job: Job) -> dict[str, Any]:
        return {
            "id": job.id,
            "tenant_id": job.tenant_id,
            "kind": job.kind,
            "key": job.key,
            "payload": json.dumps(job.payload),
            "status": job.status.value,
            "run_at": job.run_at,
            "attempts": job.attempts,
            "waits": job.waits,
            "generation": job.generation,
            "last_error": job.last_error,
            "lease_until": job.lease_until,
            "provider": job.provider,
            "account": job.account,
            "created_at": job.created_at,
        }

    @staticmethod
    def _to_domain(row: Row[Any]) -> Job:
        return Job(
            id=row.id,
            tenant_id=row.tenant_id,
            kind=row.kind,
            key=row.key,
            payload=json.loads(row.payload),
            status=JobStatus(row.status),
            run_at=row.run_at,
            attempts=row.attempts,
            waits=row.waits,
            generation=row.generation,
            last_error=row.last_error,
            lease_until=row.lease_until,
            provider=row.provider,
            account=row.account,
            created_at=row.created_at,
        )

    def _rows(self, query: Any, action: str) -> list[Job]:
        with translate_errors(action):
            rows = self._conn.execute(query).all()
        return [self._to_domain(row) for row in rows]

    def get(self, job_id: str, *, for_update: bool = False) -> Job | None:
        """A job by id (``for_update``: its row locked)."""
        with translate_errors("reading a job"):
            row = self._conn.execute(
                _BY_ID_LOCKED if for_update else _BY_ID, {"job_id": job_id}
            ).first()
        return None if row is None else self._to_domain(row)

    def find(self, tenant_id: str, kind: str, key: str, *, for_update: bool = False) -> Job | None:
        """The tenant's job for ``(kind, key)``, if any (the unique index)."""
        with translate_errors("reading a job"):
            row = self._conn.execute(
                _BY_KEY_LOCKED if for_update else _BY_KEY,
                {"tenant": tenant_id, "kind": kind, "key": key},
            ).first()
        return None if row is None else self._to_domain(row)

    def add(self, job: Job) -> None:
        """Insert a new job; ConcurrentUpdate if its (tenant_id, kind, key) exists."""
        with translate_errors("adding a job"):
            self._conn.execute(t.jobs.insert(), self._to_row(job))

    def add_new(self, job: Job) -> bool:
        """Insert the job unless its id or (tenant_id, kind, key) exists (ON CONFLICT DO NOTHING /
        INSERT IGNORE); True when inserted."""
        with translate_errors("adding a job"):
            return insert_ignore(self._conn, t.jobs, self._to_row(job))

    def add_all(self, jobs: Sequence[Job]) -> None:
        """Insert new jobs in one statement (one round trip); ConcurrentUpdate if any exists."""
        if not jobs:
            return
        with translate_errors("adding jobs"):
            self._conn.execute(t.jobs.insert(), [self._to_row(job) for job in jobs])

    def put(self, job: Job) -> None:
        """Replace the stored job with the same id."""
        row = self._to_row(job)
        row["job_key_"] = row.pop("id")
        with translate_errors("storing a job"):
            self._conn.execute(_PUT, row)

    def remove(self, job_id: str) -> None:
        """Forget the job."""
        with translate_errors("removing a job"):
            self._conn.execute(delete(t.jobs).where(t.jobs.c.id == job_id))

    def remove_done(self, job_id: str, generation: int) -> bool:
        """Forget the job if it is pending or running at ``generation`` (compare and delete);
        False, changing nothing, otherwise."""
        with translate_errors("removing a job"):
            return self._conn.execute(_DONE, {"job_id": job_id, "gen": generation}).rowcount == 1

    def due(self, now: datetime, limit: int) -> list[Job]:
        """Up to ``limit`` claimable jobs, earliest first, locked against other claimers."""
        # Two index range scans, each in its index's order (status is fixed by equality, so
        # ORDER BY the time column alone: MariaDB sorts "status, run_at" with a filesort), so
        # that SKIP LOCKED locks only the rows returned; an OR or a sort would make InnoDB
        # lock every due row and starve concurrent claimers.
        c = t.jobs.c
        pending = (
            select(t.jobs)
            .where(c.status == JobStatus.PENDING.value, c.run_at <= now)
            .order_by(c.run_at)
            .limit(limit)
        )
        expired = (
            select(t.jobs)
            .where(c.status == JobStatus.RUNNING.value, c.lease_until <= now)
            .order_by(c.lease_until)
            .limit(limit)
        )
        if self._conn.dialect.name != "sqlite":
            pending = pending.with_for_update(skip_locked=True)
            expired = expired.with_for_update(skip_locked=True)
        if is_mysql(self._conn):
            # InnoDB locks every row it reads: on a small or skewed table the optimizer may
            # prefer a table scan, which would lock all due jobs. Read through the index.
            for dialect in ("mysql", "mariadb"):
                pending = pending.with_hint(t.jobs, "FORCE INDEX (ix_meetlink_jobs_due)", dialect)
                expired = expired.with_hint(t.jobs, "FORCE INDEX (ix_meetlink_jobs_lease)", dialect)
        found = self._rows(pending, "claiming jobs")
        if len(found) < limit:
            found += self._rows(expired.limit(limit - len(found)), "claiming jobs")
        found.sort(key=lambda job: (job.run_at, job.created_at, job.id))
        return found

    def for_account(
        self, provider: str, account: str, *, kind: str, after: datetime, limit: int
    ) -> list[Job]:
        """Pending jobs of ``kind`` on the account running after ``after`` (index range on
        provider, account, run_at)."""
        c = t.jobs.c
        query = (
            select(t.jobs)
            .where(
                c.provider == provider,
                c.account == account,
                c.run_at > after,
                c.kind == kind,
                c.status == JobStatus.PENDING.value,
            )
            .order_by(c.run_at)
            .limit(limit)
        )
        return self._rows(query, "listing an account's jobs")

    def page(self, status: JobStatus, *, limit: int, after: Job | None = None) -> list[Job]:
        """Jobs in ``status`` by ``(run_at, id)`` after the cursor: a range of
        ``ix_meetlink_jobs_due`` (status, run_at, id) that starts at the cursor."""
        c = t.jobs.c
        query = select(t.jobs).where(c.status == status.value)
        if after is not None:
            # The same condition twice, so that the index range starts at the cursor on
            # every backend, however many jobs share its run_at: PostgreSQL takes the
            # row-value comparison as the range (with the OR alone it read every job of the
            # status before the cursor), MariaDB the OR of the two cases (with the row value
            # it read every job of the cursor's run_at).
            at, job_id = after.run_at, after.id
            query = query.where(
                tuple_(c.run_at, c.id) > tuple_(at, job_id),
                or_(c.run_at > at, and_(c.run_at == at, c.id > job_id)),
            )
        return self._rows(query.order_by(c.run_at, c.id).limit(limit), "listing jobs")

    def all(self) -> list[Job]:
        """Every job, by run_at (a scan: inspection and tests only)."""
        return self._rows(select(t.jobs).order_by(*_ORDER), "listing jobs")

    def account_wait(
        self, provider: str, account: str, *, for_update: bool = False
    ) -> AccountWait | None:
        """The wait the account asked for, if any. None without a statement when a link read
        in this unit of work found the account without one (and none was stored since): a
        locking read of a missing row locks nothing either."""
        if (provider, account) in self._uow.waitless:
            return None
        with translate_errors("reading an account's wait"):
            row = self._conn.execute(
                _WAIT_LOCKED if for_update else _WAIT, {"provider": provider, "account": account}
            ).first()
        if row is None:
            return None
        return AccountWait(
            provider=row.provider, account=row.account, until=row.until, next_slot=row.next_slot
        )

    def put_account_wait(self, wait: AccountWait) -> None:
        """Insert or replace the account's wait."""
        row = {
            "provider": wait.provider,
            "account": wait.account,
            "until": wait.until,
            "next_slot": wait.next_slot,
        }
        self._uow.waitless.discard((wait.provider, wait.account))
        with translate_errors("storing an account's wait"):
            upsert(self._conn, t.account_waits, row, ["provider", "account"])

    def budget_usages(
        self, provider: str, keys: Sequence[tuple[str, str]], *, for_update: bool = False
    ) -> dict[tuple[str, str], Usage]:
        """What each ``(limit name, scope key)`` of the provider has spent; with
        ``for_update`` the rows are locked (created first when missing, so that two claimers
        never both start from nothing)."""
        if not keys:
            return {}
        found = self._read_usages(provider, keys, for_update)
        missing = [key for key in keys if key not in found]
        if missing and for_update:
            with translate_errors("creating a rate budget"):
                for limit, scope in missing:
                    insert_ignore(self._conn, _BUDGET, {
                        "provider": provider, "limit_name": limit, "scope_key": scope,
                        "mark": _FRESH, "used": 0,
                    })  # fmt: skip
            found = self._read_usages(provider, keys, for_update)
        return {key: usage for key, usage in found.items() if usage.mark != _FRESH}

    def _read_usages(
        self, provider: str, keys: Sequence[tuple[str, str]], for_update: bool
    ) -> dict[tuple[str, str], Usage]:
        query = _USAGES_LOCKED if for_update else _USAGES
        with translate_errors("reading a rate budget"):
            rows = self._conn.execute(query, {"provider": provider, "keys": list(keys)}).all()
        return {(row.limit_name, row.scope_key): Usage(row.mark, row.used) for row in rows}

    def put_budget_usages(self, provider: str, usages: Mapping[tuple[str, str], Usage]) -> None:
        """Store what the limits spent (rows read with ``for_update`` before)."""
        if not usages:
            return
        params = [
            {"b_provider": provider, "b_limit": limit, "b_key": key, "mark": u.mark,
             "used": u.used}
            for (limit, key), u in usages.items()
        ]  # fmt: skip
        with translate_errors("storing a rate budget"):
            self._conn.execute(_BUDGET_UPDATE, params)

    def spend_in_window(
        self, provider: str, key: tuple[str, str], start: datetime, cost: int, count: int
    ) -> bool:
        """One statement (see ``_SPENT_IN_WINDOW``); on MariaDB False when no usage is stored."""
        if cost > count:  # never, whatever is stored (the upsert's insert checks nothing)
            return False
        params = {"w_provider": provider, "w_limit": key[0], "w_key": key[1], "w_start": start,
                  "w_cost": cost, "w_count": count}  # fmt: skip
        with translate_errors("spending a rate budget"):
            if is_mysql(self._conn):
                return self._conn.execute(_SPENT_IN_WINDOW["mysql"], params).rowcount == 1
            statement = _SPENT_IN_WINDOW[self._conn.dialect.name]
            return self._conn.execute(statement, params).first() is not None

    def forget_account(self, provider: str, account: str) -> int:
        """Delete the account's wait and its account-scoped budget counters."""
        budgets, waits = t.rate_budgets.c, t.account_waits.c
        with translate_errors("forgetting an account's rate limits"):
            spent = self._conn.execute(
                delete(t.rate_budgets).where(
                    budgets.provider == provider, budgets.scope_key == account
                )
            ).rowcount
            waited = self._conn.execute(
                delete(t.account_waits).where(waits.provider == provider, waits.account == account)
            ).rowcount
        return int(spent) + int(waited)
