"""SQL repository for background jobs (RELIABILITY 4.1: a polling outbox).

``claim`` is safe against concurrent workers: on PostgreSQL and MariaDB/MySQL it selects due
rows ``FOR UPDATE SKIP LOCKED`` (a job locked by another claimer is skipped, never handed out
twice); on SQLite every unit of work starts with ``BEGIN IMMEDIATE`` (or holds the in-process
lock for ``sqlite://``), so claimers run one after another.
"""

from __future__ import annotations

import json
import uuid
from datetime import datetime
from typing import Any

import attrs
from sqlalchemy import Row, and_, bindparam, delete, or_, select, update

from meetlink.adapters.sqlalchemy import tables as t
from meetlink.adapters.sqlalchemy._dialects import is_mysql, translate_errors
from meetlink.adapters.sqlalchemy.repositories import SqlRepository
from meetlink.domain.records import Job, JobStatus

__all__ = ["SqlJobRepository"]

_ORDER = (t.jobs.c.run_at, t.jobs.c.created_at, t.jobs.c.id)

# Built once, executed with parameters (the hot path of every inline save).
_CLAIM_ONE = (
    update(t.jobs)
    .where(
        t.jobs.c.id == bindparam("job_id"),
        or_(
            and_(
                t.jobs.c.status == JobStatus.PENDING.value,
                t.jobs.c.run_at <= bindparam("now", type_=t.jobs.c.run_at.type),
            ),
            and_(
                t.jobs.c.status == JobStatus.RUNNING.value,
                t.jobs.c.lease_until <= bindparam("now", type_=t.jobs.c.run_at.type),
            ),
        ),
    )
    .values(
        status=JobStatus.RUNNING.value,
        lease_until=bindparam("lease", type_=t.jobs.c.lease_until.type),
    )
)
_BY_ID = select(t.jobs).where(t.jobs.c.id == bindparam("job_id"))


class SqlJobRepository(SqlRepository):
    """Jobs in ``meetlink_jobs``, unique per (kind, key)."""

    @staticmethod
    def _to_row(job: Job) -> dict[str, Any]:
        return {
            "id": job.id,
            "kind": job.kind,
            "key": job.key,
            "payload": json.dumps(job.payload),
            "status": job.status.value,
            "run_at": job.run_at,
            "attempts": job.attempts,
            "generation": job.generation,
            "last_error": job.last_error,
            "lease_until": job.lease_until,
            "created_at": job.created_at,
        }

    @staticmethod
    def _to_domain(row: Row[Any]) -> Job:
        return Job(
            id=row.id,
            kind=row.kind,
            key=row.key,
            payload=json.loads(row.payload),
            status=JobStatus(row.status),
            run_at=row.run_at,
            attempts=row.attempts,
            generation=row.generation,
            last_error=row.last_error,
            lease_until=row.lease_until,
            created_at=row.created_at,
        )

    def _locked(self, *criteria: Any) -> Job | None:
        query = select(t.jobs).where(*criteria).with_for_update()
        row = self._conn.execute(query).first()
        return None if row is None else self._to_domain(row)

    def _replace(self, job: Job) -> None:
        row = self._to_row(job)
        del row["id"]
        self._conn.execute(update(t.jobs).where(t.jobs.c.id == job.id), row)

    def ensure(
        self, *, kind: str, key: str, run_at: datetime, payload: dict[str, Any], now: datetime
    ) -> Job:
        """Insert the job ``(kind, key)`` or merge into it (``generation + 1``, new payload,
        earliest ``run_at``; a failed one restarts pending with attempts 0). Two concurrent
        first inserts: the loser gets ConcurrentUpdate and retries its unit of work."""
        with translate_errors("ensuring a job"):
            existing = self._locked(t.jobs.c.kind == kind, t.jobs.c.key == key)
            if existing is None:
                job = Job(
                    id=uuid.uuid4().hex, kind=kind, key=key, payload=payload, run_at=run_at,
                    created_at=now,
                )  # fmt: skip
                self._conn.execute(t.jobs.insert(), self._to_row(job))
                return job
            failed = existing.status is JobStatus.FAILED
            job = attrs.evolve(
                existing,
                payload=payload,
                generation=existing.generation + 1,
                run_at=run_at if failed else min(existing.run_at, run_at),
                status=JobStatus.PENDING if failed else existing.status,
                attempts=0 if failed else existing.attempts,
            )
            self._replace(job)
        return job

    def add(self, job: Job) -> None:
        """Insert a job whose (kind, key) is new; ConcurrentUpdate if it exists."""
        with translate_errors("adding a job"):
            self._conn.execute(t.jobs.insert(), self._to_row(job))

    @staticmethod
    def _due(now: datetime) -> Any:
        return or_(
            and_(t.jobs.c.status == JobStatus.PENDING.value, t.jobs.c.run_at <= now),
            and_(t.jobs.c.status == JobStatus.RUNNING.value, t.jobs.c.lease_until <= now),
        )

    def claim_job(self, job_id: str, now: datetime, lease_until: datetime) -> Job | None:
        """Take this one job if it is due and nobody holds it (a conditional UPDATE: of two
        concurrent claimers only one sees a changed row)."""
        with translate_errors("claiming a job"):
            claimed = self._conn.execute(
                _CLAIM_ONE,
                {"job_id": job_id, "now": now, "lease": lease_until},
            )
            if claimed.rowcount != 1:
                return None
            row = self._conn.execute(_BY_ID, {"job_id": job_id}).first()
        return None if row is None else self._to_domain(row)

    def claim(self, now: datetime, limit: int, lease_until: datetime) -> list[Job]:
        """Take up to ``limit`` due jobs (pending and due, or running with an expired lease),
        mark them running until ``lease_until``; earliest first. No job goes to two claimers."""
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
            pending = pending.with_hint(t.jobs, "FORCE INDEX (ix_meetlink_jobs_due)", "mysql")
            pending = pending.with_hint(t.jobs, "FORCE INDEX (ix_meetlink_jobs_due)", "mariadb")
            expired = expired.with_hint(t.jobs, "FORCE INDEX (ix_meetlink_jobs_lease)", "mysql")
            expired = expired.with_hint(t.jobs, "FORCE INDEX (ix_meetlink_jobs_lease)", "mariadb")
        with translate_errors("claiming jobs"):
            rows = list(self._conn.execute(pending).all())
            if len(rows) < limit:
                rows += self._conn.execute(expired.limit(limit - len(rows))).all()
            if not rows:
                return []
            rows.sort(key=lambda row: (row.run_at, row.created_at, row.id))
            ids = [row.id for row in rows]
            self._conn.execute(
                update(t.jobs)
                .where(t.jobs.c.id.in_(ids))
                .values(status=JobStatus.RUNNING.value, lease_until=lease_until)
            )
        return [
            attrs.evolve(self._to_domain(row), status=JobStatus.RUNNING, lease_until=lease_until)
            for row in rows
        ]

    def finish(self, job_id: str, generation: int) -> bool:
        """Remove the job if ``generation`` is current (True); else make it pending for
        another run (False). A job already gone counts as removed."""
        with translate_errors("finishing a job"):
            done = self._conn.execute(
                delete(t.jobs).where(t.jobs.c.id == job_id, t.jobs.c.generation == generation)
            )
            if done.rowcount == 1:
                return True
            again = self._conn.execute(
                update(t.jobs)
                .where(t.jobs.c.id == job_id)
                .values(status=JobStatus.PENDING.value, lease_until=None, attempts=0)
            )
            return again.rowcount == 0

    def retry(self, job_id: str, *, run_at: datetime, attempts: int, error: str) -> None:
        """Back to pending at ``run_at`` (or earlier if it was asked for sooner meanwhile)."""
        with translate_errors("rescheduling a job"):
            job = self._locked(t.jobs.c.id == job_id)
            if job is None:
                return
            self._replace(
                attrs.evolve(
                    job,
                    status=JobStatus.PENDING,
                    run_at=run_at if job.status is JobStatus.RUNNING else min(run_at, job.run_at),
                    attempts=attempts,
                    last_error=error,
                    lease_until=None,
                )
            )

    def fail(self, job_id: str, *, attempts: int, error: str) -> None:
        """Record that the job gave up; it stays as FAILED."""
        with translate_errors("failing a job"):
            self._conn.execute(
                update(t.jobs)
                .where(t.jobs.c.id == job_id)
                .values(
                    status=JobStatus.FAILED.value,
                    attempts=attempts,
                    last_error=error,
                    lease_until=None,
                )
            )

    def get(self, job_id: str) -> Job | None:
        """A job by id."""
        with translate_errors("reading a job"):
            row = self._conn.execute(select(t.jobs).where(t.jobs.c.id == job_id)).first()
        return None if row is None else self._to_domain(row)

    def find(self, kind: str, key: str) -> Job | None:
        """The job for ``(kind, key)``, if any."""
        with translate_errors("reading a job"):
            row = self._conn.execute(
                select(t.jobs).where(t.jobs.c.kind == kind, t.jobs.c.key == key)
            ).first()
        return None if row is None else self._to_domain(row)

    def all(self) -> list[Job]:
        """Every job, by run_at."""
        with translate_errors("listing jobs"):
            rows = self._conn.execute(select(t.jobs).order_by(*_ORDER)).all()
        return [self._to_domain(row) for row in rows]
