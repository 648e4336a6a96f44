"""SQL repositories for subscriptions, tenant policies, events, conferences, reminders and
webhook deliveries.

Each repository maps rows to domain records explicitly (``_to_row`` / ``_to_domain``) and
works on the connection of its unit of work; nothing here commits.
"""

from __future__ import annotations

import hashlib
import json
from datetime import datetime
from types import SimpleNamespace
from typing import TYPE_CHECKING, Any

import attrs
from sqlalchemy import Connection, Row, bindparam, delete, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite

from meetlink.adapters.sqlalchemy import tables as t
from meetlink.adapters.sqlalchemy._dialects import insert_ignore, translate_errors, upsert
from meetlink.domain.conference import (
    ConferenceRecord,
    ConferenceStatus,
    KeptMeeting,
    MailedState,
    MeetingTerms,
)
from meetlink.domain.erasure import Erasure
from meetlink.domain.event import Event, MovedOccurrence, Participant, Source, Span
from meetlink.domain.feed import FeedBuffer, feed_id
from meetlink.domain.issuance import IssuancePolicy
from meetlink.domain.links import DirectoryEntry
from meetlink.domain.records import EventRecord
from meetlink.domain.results import HostEvent, HostEventKind, HostNotice
from meetlink.domain.subscription import SubscriptionRecord, SubscriptionState

if TYPE_CHECKING:
    from meetlink.adapters.sqlalchemy.unit_of_work import SqlUnitOfWork

__all__ = [
    "SqlConferenceRepository",
    "SqlDirectoryRepository",
    "SqlErasureLog",
    "SqlEventRepository",
    "SqlHostEventLog",
    "SqlPolicyRepository",
    "SqlReminderLog",
    "SqlSubscriptionRepository",
    "SqlWebhookLog",
]


def short_key(value: str, limit: int = 191) -> str:
    """``value`` if it fits an indexed column, else a stable SHA-256 stand-in."""
    if len(value) <= limit:
        return value
    return "sha256:" + hashlib.sha256(value.encode("utf-8")).hexdigest()


def dump_time(value: datetime) -> str:
    """An aware datetime as ISO 8601 text (inside JSON columns)."""
    return value.isoformat()


def load_time(value: str) -> datetime:
    """The datetime written by
    [`dump_time`][meetlink.adapters.sqlalchemy.repositories.dump_time]."""
    return datetime.fromisoformat(value)


def dump_exceptions(
    exdates: tuple[datetime, ...], moved: tuple[MovedOccurrence, ...]
) -> tuple[str | None, str | None]:
    """A series' skipped and moved occurrences as JSON texts (None when there are none)."""
    skipped = json.dumps([dump_time(d) for d in exdates]) if exdates else None
    shifted = None
    if moved:
        shifted = json.dumps(
            [
                {
                    "recurrence_id": dump_time(m.recurrence_id),
                    "start": dump_time(m.start),
                    "end": dump_time(m.end),
                }
                for m in moved
            ]
        )
    return skipped, shifted


def load_exceptions(
    exdates: str | None, moved: str | None
) -> tuple[tuple[datetime, ...], tuple[MovedOccurrence, ...]]:
    """The skipped and moved occurrences written by
    [`dump_exceptions`][meetlink.adapters.sqlalchemy.repositories.dump_exceptions]."""
    skipped = tuple(load_time(d) for d in json.loads(exdates)) if exdates else ()
    shifted: tuple[MovedOccurrence, ...] = ()
    if moved:
        shifted = tuple(
            MovedOccurrence(
                load_time(m["recurrence_id"]), load_time(m["start"]), load_time(m["end"])
            )
            for m in json.loads(moved)
        )
    return skipped, shifted


# The hot lookups, built once with their values as parameters (building a statement per call
# costs more Python than SQLite spends running it).
_SUBSCRIPTION = select(t.subscriptions).where(t.subscriptions.c.tenant_id == bindparam("key"))
# The subscription with the tenant's policy (an outer join: a tenant without a policy of its own
# has a subscription all the same); the issuance decision reads both.
_SUBSCRIPTION_POLICY = (
    select(t.subscriptions, t.policies.c.policy.label("tenant_policy"))
    .select_from(
        t.subscriptions.outerjoin(t.policies, t.policies.c.tenant_id == t.subscriptions.c.tenant_id)
    )
    .where(t.subscriptions.c.tenant_id == bindparam("key"))
)
_POLICY = select(t.policies).where(t.policies.c.tenant_id == bindparam("key"))
_EVENT = select(t.events).where(
    t.events.c.tenant_id == bindparam("tenant"), t.events.c.event_id == bindparam("key")
)
_EVENT_LOCKED = _EVENT.with_for_update()  # SQLite: the BEGIN IMMEDIATE lock already holds
_CONFERENCE = select(t.conferences).where(
    t.conferences.c.tenant_id == bindparam("tenant"), t.conferences.c.event_id == bindparam("key")
)
# An event and its conference in one statement; the conference's columns are prefixed.
_CONF_PREFIX = "conference_"
_CONF_COLUMNS = tuple(c.name for c in t.conferences.c)
_WITH_CONFERENCE = (
    select(t.events, *(c.label(_CONF_PREFIX + c.name) for c in t.conferences.c))
    .select_from(
        t.events.outerjoin(
            t.conferences,
            (t.conferences.c.tenant_id == t.events.c.tenant_id)
            & (t.conferences.c.event_id == t.events.c.event_id),
        )
    )
    .where(t.events.c.tenant_id == bindparam("tenant"), t.events.c.event_id == bindparam("key"))
)
# Lock the event's row (PostgreSQL refuses to lock the nullable side of an outer join).
# MariaDB/MySQL and SQLite only: see SqlEventRepository.get_with_conference.
_WITH_CONFERENCE_LOCKED = _WITH_CONFERENCE.with_for_update(of=t.events)


def _dump_mailed(state: MailedState | None) -> str | None:
    """What participants were told, as JSON (None: nothing)."""
    if state is None:
        return None
    exdates, moved = dump_exceptions(state.exdates, state.moved)
    data: dict[str, Any] = {
        "join_url": state.join_url,
        "passcode": state.passcode,
        "start": dump_time(state.start),
        "end": dump_time(state.end),
        "emails": list(state.emails),
        "recurrence": state.recurrence,
        "exdates": exdates,
        "moved": moved,
        "all_day": state.all_day,
    }
    if state.provider is not None:
        data["provider"] = state.provider
    return json.dumps(data)


def _load_mailed(text: str | None) -> MailedState | None:
    """What participants were told, from its JSON."""
    if text is None:
        return None
    state = json.loads(text)
    exdates, moved = load_exceptions(state.get("exdates"), state.get("moved"))
    return MailedState(
        join_url=state["join_url"],
        passcode=state["passcode"],
        start=load_time(state["start"]),
        end=load_time(state["end"]),
        emails=tuple(state["emails"]),
        recurrence=state.get("recurrence"),
        exdates=exdates,
        moved=moved,
        all_day=bool(state.get("all_day", False)),
        provider=state.get("provider"),
    )


class SqlRepository:
    """Base of the SQL repositories: reaches the unit of work's open connection."""

    def __init__(self, uow: SqlUnitOfWork) -> None:
        self._uow = uow

    @property
    def _conn(self) -> Connection:
        return self._uow.repository_connection()


class SqlSubscriptionRepository(SqlRepository):
    """Subscriptions in ``meetlink_subscriptions``."""

    @staticmethod
    def _to_row(record: SubscriptionRecord) -> dict[str, Any]:
        return {
            "tenant_id": record.tenant_id,
            "state": record.state.value,
            "trial_started_at": record.trial_started_at,
            "trial_ends_at": record.trial_ends_at,
            "contracted_at": record.contracted_at,
            "cancelled_at": record.cancelled_at,
        }

    @staticmethod
    def _to_domain(row: Row[Any]) -> SubscriptionRecord:
        return SubscriptionRecord(
            tenant_id=row.tenant_id,
            state=SubscriptionState(row.state),
            trial_started_at=row.trial_started_at,
            trial_ends_at=row.trial_ends_at,
            contracted_at=row.contracted_at,
            cancelled_at=row.cancelled_at,
        )

    def get(self, tenant_id: str) -> SubscriptionRecord | None:
        """The tenant's record, or None. The tenant's policy comes with it, in the same
        statement, for a ``policies.get`` later in this unit of work."""
        with translate_errors("reading a subscription"):
            row = self._conn.execute(_SUBSCRIPTION_POLICY, {"key": tenant_id}).first()
        if row is None:
            return None
        self._uow.policy_rows[tenant_id] = row.tenant_policy
        return self._to_domain(row)

    def put(self, record: SubscriptionRecord) -> None:
        """Insert or replace the tenant's record."""
        with translate_errors("storing a subscription"):
            upsert(self._conn, t.subscriptions, self._to_row(record), ["tenant_id"])


class SqlPolicyRepository(SqlRepository):
    """Tenants' own issuance policies in ``meetlink_policies`` (as JSON)."""

    @staticmethod
    def _to_row(tenant_id: str, policy: IssuancePolicy) -> dict[str, Any]:
        data = {
            "spans": sorted(s.value for s in policy.spans),
            "sources": sorted(s.value for s in policy.sources),
            "allow_recurring": policy.allow_recurring,
        }
        return {"tenant_id": tenant_id, "policy": json.dumps(data)}

    @staticmethod
    def _to_domain(row: Row[Any]) -> IssuancePolicy:
        data = json.loads(row.policy)
        return IssuancePolicy(
            spans=frozenset(Span(s) for s in data["spans"]),
            sources=frozenset(Source(s) for s in data["sources"]),
            allow_recurring=bool(data["allow_recurring"]),
        )

    def get(self, tenant_id: str) -> IssuancePolicy | None:
        """The tenant's policy, or None (as read with its subscription in this unit of work,
        if it was)."""
        known = self._uow.policy_rows
        if tenant_id in known:
            text = known[tenant_id]
            return None if text is None else self._to_domain(SimpleNamespace(policy=text))  # type: ignore[arg-type]
        with translate_errors("reading a tenant policy"):
            row = self._conn.execute(_POLICY, {"key": tenant_id}).first()
        return None if row is None else self._to_domain(row)

    def put(self, tenant_id: str, policy: IssuancePolicy) -> None:
        """Insert or replace the tenant's policy."""
        row = self._to_row(tenant_id, policy)
        with translate_errors("storing a tenant policy"):
            upsert(self._conn, t.policies, row, ["tenant_id"])
        self._uow.policy_rows[tenant_id] = row["policy"]

    def delete(self, tenant_id: str) -> bool:
        """Forget the tenant's policy; False when it had none."""
        with translate_errors("deleting a tenant policy"):
            done = self._conn.execute(delete(t.policies).where(t.policies.c.tenant_id == tenant_id))
        self._uow.policy_rows[tenant_id] = None
        return done.rowcount == 1


class SqlEventRepository(SqlRepository):
    """Events in ``meetlink_events``, keyed by ``(tenant_id, event_id)`` (participants as a
    JSON list)."""

    @staticmethod
    def _to_row(record: EventRecord) -> dict[str, Any]:
        event = record.event
        exdates, moved = dump_exceptions(event.exdates, event.moved)
        return {
            "exdates": exdates,
            "moved": moved,
            "event_id": event.id,
            "tenant_id": event.tenant_id,
            "owner_id": event.owner_id,
            "title": event.title,
            "start": event.start,
            "end": event.end,
            "timezone": event.timezone,
            "span": event.span.value,
            "recurrence": event.recurrence,
            "source": event.source.value,
            "participants": json.dumps(
                [{"email": p.email, "name": p.name, "locale": p.locale} for p in event.participants]
            ),
            "web_meeting": event.web_meeting,
            "description": event.description,
            "sequence": record.sequence,
            "remind_at": record.remind_at,
            "updated_at": record.updated_at,
            "told": _dump_mailed(record.told),
        }

    @staticmethod
    def _to_domain(row: Row[Any]) -> EventRecord:
        exdates, moved = load_exceptions(row.exdates, row.moved)
        event = Event(
            row.event_id,
            row.tenant_id,
            row.owner_id,
            row.title,
            row.start,
            row.end,
            timezone=row.timezone,
            span=Span(row.span),
            recurrence=row.recurrence,
            source=Source(row.source),
            participants=tuple(Participant(**p) for p in json.loads(row.participants)),
            web_meeting=row.web_meeting,
            description=row.description,
            exdates=exdates,
            moved=moved,
        )
        return EventRecord(
            event=event,
            sequence=row.sequence,
            remind_at=row.remind_at,
            updated_at=row.updated_at,
            told=_load_mailed(row.told),
        )

    def get(self, tenant_id: str, event_id: str, *, for_update: bool = False) -> EventRecord | None:
        """The tenant's event, or None (``for_update``: its row locked until the unit of
        work ends; SQLite: the BEGIN IMMEDIATE lock already serialises writers)."""
        with translate_errors("reading an event"):
            row = self._conn.execute(
                _EVENT_LOCKED if for_update else _EVENT, {"tenant": tenant_id, "key": event_id}
            ).first()
        return None if row is None else self._to_domain(row)

    def get_with_conference(
        self, tenant_id: str, event_id: str, *, for_update: bool = False
    ) -> tuple[EventRecord | None, ConferenceRecord | None]:
        """The tenant's event and its conference in one statement (an outer join;
        ``for_update`` locks the event's row); ``(None, None)`` for an unknown event.

        PostgreSQL locked reads take two statements: at READ COMMITTED, a join that waited
        for the event's lock returns the event's newest row but the conference as the
        statement's snapshot saw it, before the unit of work it waited for committed (a
        conference deleted meanwhile came back). The conference is read after the lock is
        held, by a statement with a snapshot of its own. InnoDB's locking reads read the
        newest rows of every table they join; SQLite serialises writers at BEGIN IMMEDIATE.
        (tests/storage/test_locked_reads.py)"""
        self._uow.conferences.flush()  # a conference held back is read as written
        if for_update and self._conn.dialect.name == "postgresql":
            record = self.get(tenant_id, event_id, for_update=True)
            if record is None:
                return None, None
            with translate_errors("reading a conference"):
                found = self._conn.execute(_CONFERENCE, {"tenant": tenant_id, "key": event_id})
                conf_row = found.first()
            if conf_row is None:
                return record, None
            return record, SqlConferenceRepository._to_domain(conf_row)
        query = _WITH_CONFERENCE_LOCKED if for_update else _WITH_CONFERENCE
        with translate_errors("reading an event"):
            row = self._conn.execute(query, {"tenant": tenant_id, "key": event_id}).first()
        if row is None:
            return None, None
        record = self._to_domain(row)
        columns = row._mapping
        if columns[_CONF_PREFIX + "event_id"] is None:
            return record, None
        conference = SimpleNamespace(
            **{name: columns[_CONF_PREFIX + name] for name in _CONF_COLUMNS}
        )
        return record, SqlConferenceRepository._to_domain(conference)  # type: ignore[arg-type]

    def add(self, record: EventRecord) -> None:
        """Insert a new event; ConcurrentUpdate when the tenant's id exists."""
        with translate_errors("adding an event"):
            self._conn.execute(t.events.insert(), self._to_row(record))

    def put(self, record: EventRecord) -> None:
        """Insert or replace the event with the same tenant and id."""
        with translate_errors("storing an event"):
            upsert(self._conn, t.events, self._to_row(record), ["tenant_id", "event_id"])

    def delete(self, tenant_id: str, event_id: str) -> bool:
        """Forget the tenant's event; False when it was unknown."""
        c = t.events.c
        with translate_errors("deleting an event"):
            result = self._conn.execute(
                delete(t.events).where(c.tenant_id == tenant_id, c.event_id == event_id)
            )
        return result.rowcount == 1

    def due_reminders(self, now: datetime, limit: int) -> list[EventRecord]:
        """Events with ``remind_at <= now``, earliest first (range scan on the index)."""
        query = (
            select(t.events)
            .where(t.events.c.remind_at.is_not(None), t.events.c.remind_at <= now)
            .order_by(t.events.c.remind_at, t.events.c.tenant_id, t.events.c.event_id)
            .limit(limit)
        )
        with translate_errors("listing due reminders"):
            rows = self._conn.execute(query).all()
        return [self._to_domain(row) for row in rows]

    def starting(
        self,
        start_from: datetime,
        start_to: datetime,
        *,
        limit: int,
        after: tuple[datetime, str, str] | None = None,
    ) -> list[EventRecord]:
        """Events starting in ``[start_from, start_to)`` by ``(start, tenant_id, event_id)``
        (a range of ``ix_meetlink_events_start``)."""
        c = t.events.c
        query = select(t.events).where(c.start >= start_from, c.start < start_to)
        if after is not None:
            at, tenant, event = after
            query = query.where(
                (c.start > at)
                | ((c.start == at) & ((c.tenant_id > tenant)
                                      | ((c.tenant_id == tenant) & (c.event_id > event))))
            )  # fmt: skip
        query = query.order_by(c.start, c.tenant_id, c.event_id).limit(limit)
        with translate_errors("listing events starting soon"):
            rows = self._conn.execute(query).all()
        return [self._to_domain(row) for row in rows]


class SqlConferenceRepository(SqlRepository):
    """Conferences in ``meetlink_conferences`` (one per event, keyed by ``(tenant_id,
    event_id)``; terms and mail state as JSON).

    The last [`put`][meetlink.adapters.sqlalchemy.repositories.SqlConferenceRepository.put] is
    held back until a statement could see it (a read or delete of conferences, a statement on
    the unit of work's public connection, the commit): a conference moved twice in one unit of
    work (a save's ``requested``, then the intent ``creating``) is written once."""

    def __init__(self, uow: SqlUnitOfWork) -> None:
        super().__init__(uow)
        self._held: dict[str, Any] | None = None

    def flush(self) -> None:
        """Write the held-back conference, if any."""
        row, self._held = self._held, None
        if row is not None:
            with translate_errors("storing a conference"):
                upsert(self._conn, t.conferences, row, ["tenant_id", "event_id"])

    def dropped(self) -> None:
        """Rolled back: the held-back write is forgotten."""
        self._held = None

    @staticmethod
    def _to_row(record: ConferenceRecord) -> dict[str, Any]:
        synced = None if record.synced is None else json.dumps(_dump_terms(record.synced))
        mailed = _dump_mailed(record.mailed)
        return {
            "tenant_id": record.tenant_id,
            "event_id": record.event_id,
            "provider": record.provider,
            "external_account_id": record.external_account_id,
            "status": record.status.value,
            "marker": record.marker,
            "meeting_id": record.meeting_id,
            "join_url": record.join_url,
            "passcode": record.passcode,
            "synced": synced,
            "maybe_created": record.maybe_created,
            "mailed": mailed,
            "last_error": record.error,
            "kept": None if record.kept is None else _dump_kept(record.kept),
            "created_at": record.created_at,
        }

    @staticmethod
    def _to_domain(row: Row[Any]) -> ConferenceRecord:
        synced = None if row.synced is None else _load_terms(json.loads(row.synced))
        mailed = _load_mailed(row.mailed)
        return ConferenceRecord(
            tenant_id=row.tenant_id,
            event_id=row.event_id,
            provider=row.provider,
            external_account_id=row.external_account_id,
            status=ConferenceStatus(row.status),
            marker=row.marker,
            meeting_id=row.meeting_id,
            join_url=row.join_url,
            passcode=row.passcode,
            synced=synced,
            maybe_created=bool(row.maybe_created),
            mailed=mailed,
            error=row.last_error,
            kept=None if row.kept is None else _load_kept(json.loads(row.kept)),
            created_at=row.created_at,
        )

    def get(self, tenant_id: str, event_id: str) -> ConferenceRecord | None:
        """The tenant's event's conference, or None."""
        self.flush()
        with translate_errors("reading a conference"):
            row = self._conn.execute(_CONFERENCE, {"tenant": tenant_id, "key": event_id}).first()
        return None if row is None else self._to_domain(row)

    def put(self, record: ConferenceRecord) -> None:
        """Insert or replace the event's conference (held back until a statement could see
        it; another conference's held write is written first)."""
        row = self._to_row(record)
        held = self._held
        if held is not None and (held["tenant_id"], held["event_id"]) != (
            record.tenant_id,
            record.event_id,
        ):
            self.flush()
        self._held = row

    def delete(self, tenant_id: str, event_id: str) -> bool:
        """Remove the tenant's event's conference; False when there was none."""
        self.flush()
        c = t.conferences.c
        with translate_errors("deleting a conference"):
            result = self._conn.execute(
                delete(t.conferences).where(c.tenant_id == tenant_id, c.event_id == event_id)
            )
        return result.rowcount == 1

    def by_account(self, provider: str, external_account_id: str) -> list[ConferenceRecord]:
        """Every conference hosted by that external account (oldest first)."""
        self.flush()
        query = (
            select(t.conferences)
            .where(
                t.conferences.c.provider == provider,
                t.conferences.c.external_account_id == external_account_id,
            )
            .order_by(
                t.conferences.c.created_at, t.conferences.c.tenant_id, t.conferences.c.event_id
            )
        )
        with translate_errors("listing conferences by account"):
            rows = self._conn.execute(query).all()
        return [self._to_domain(row) for row in rows]


def _dump_terms(terms: MeetingTerms) -> dict[str, Any]:
    exdates, moved = dump_exceptions(terms.exdates, terms.moved)
    return {
        "topic": terms.topic,
        "start": dump_time(terms.start),
        "duration_minutes": terms.duration_minutes,
        "timezone": terms.timezone,
        "agenda": terms.agenda,
        "recurrence": terms.recurrence,
        "exdates": exdates,
        "moved": moved,
    }


def _load_terms(data: dict[str, Any]) -> MeetingTerms:
    exdates, moved = load_exceptions(data.get("exdates"), data.get("moved"))
    return MeetingTerms(
        topic=data["topic"],
        start=load_time(data["start"]),
        duration_minutes=data["duration_minutes"],
        timezone=data["timezone"],
        agenda=data["agenda"],
        recurrence=data.get("recurrence"),
        exdates=exdates,
        moved=moved,
    )


def _dump_kept(kept: KeptMeeting) -> str:
    data = attrs.asdict(kept, recurse=False)
    data["synced"] = None if kept.synced is None else _dump_terms(kept.synced)
    return json.dumps(data)


def _load_kept(data: dict[str, Any]) -> KeptMeeting:
    synced = data.pop("synced")
    return KeptMeeting(**data, synced=None if synced is None else _load_terms(synced))


class SqlReminderLog(SqlRepository):
    """Reminders queued, unique per (tenant, event, lower-cased email, start)."""

    def record(self, tenant_id: str, event_id: str, email: str, start: datetime) -> bool:
        """Note the reminder; False when it was already noted (even concurrently)."""
        row = {
            "tenant_id": tenant_id,
            "event_id": event_id,
            "email": short_key(email.lower()),
            "start": start,
        }
        with translate_errors("recording a reminder"):
            return insert_ignore(self._conn, t.reminders, row)

    def purge(self, before: datetime) -> int:
        """Forget reminders for event times before ``before`` (maintenance; a scan)."""
        with translate_errors("purging reminders"):
            done = self._conn.execute(delete(t.reminders).where(t.reminders.c.start < before))
        return int(done.rowcount)


_DIRECTORY_KEY = ("tenant_id", "provider", "user_id")


class SqlDirectoryRepository(SqlRepository):
    """Users' directory addresses and their lookups in ``meetlink_directory``, keyed by
    ``(tenant_id, provider, user_id)``."""

    @staticmethod
    def _to_domain(row: Row[Any]) -> DirectoryEntry:
        return DirectoryEntry(
            tenant_id=row.tenant_id,
            provider=row.provider,
            user_id=row.user_id,
            address=row.address,
            external_account_id=row.external_account_id,
            found=bool(row.found),
            resolved_at=row.resolved_at,
        )

    def _where(self, tenant_id: str, provider: str) -> Any:
        table = t.directory
        return (table.c.tenant_id == tenant_id) & (table.c.provider == provider)

    def get(self, tenant_id: str, provider: str, user_id: str) -> DirectoryEntry | None:
        """The tenant's user's entry, or None."""
        table = t.directory
        query = select(table).where(self._where(tenant_id, provider) & (table.c.user_id == user_id))
        with translate_errors("reading a directory address"):
            row = self._conn.execute(query).first()
        return None if row is None else self._to_domain(row)

    def put(self, entry: DirectoryEntry) -> None:
        """Insert or replace the entry."""
        row = attrs.asdict(entry)
        with translate_errors("storing a directory address"):
            upsert(self._conn, t.directory, row, list(_DIRECTORY_KEY))

    def delete(self, tenant_id: str, provider: str, user_id: str) -> bool:
        """Forget the entry; False when there was none."""
        table = t.directory
        where = self._where(tenant_id, provider) & (table.c.user_id == user_id)
        with translate_errors("deleting a directory address"):
            done = self._conn.execute(delete(table).where(where))
        return done.rowcount == 1

    def of_tenant(self, tenant_id: str, provider: str) -> list[DirectoryEntry]:
        """Every entry of the tenant for ``provider``, by user id (a primary key range)."""
        table = t.directory
        query = select(table).where(self._where(tenant_id, provider)).order_by(table.c.user_id)
        with translate_errors("reading directory addresses"):
            rows = self._conn.execute(query).all()
        return [self._to_domain(row) for row in rows]

    def by_account(
        self, tenant_id: str, provider: str, external_account_id: str
    ) -> list[DirectoryEntry]:
        """The tenant's entries that resolved to that provider user (an index lookup)."""
        table = t.directory
        where = self._where(tenant_id, provider) & (
            table.c.external_account_id == external_account_id
        )
        query = select(table).where(where).order_by(table.c.user_id)
        with translate_errors("reading directory addresses"):
            rows = self._conn.execute(query).all()
        return [self._to_domain(row) for row in rows]


class SqlWebhookLog(SqlRepository):
    """Webhook deliveries handled, unique per (provider, delivery key)."""

    def record(self, provider: str, delivery_key: str, received_at: datetime) -> bool:
        """Note the delivery; False when it was already noted (even concurrently)."""
        row = {
            "provider": provider,
            "delivery_key": short_key(delivery_key),
            "received_at": received_at,
        }
        with translate_errors("recording a webhook delivery"):
            return insert_ignore(self._conn, t.webhook_deliveries, row)

    def purge(self, before: datetime) -> int:
        """Forget deliveries received before ``before`` (index range on received_at)."""
        table = t.webhook_deliveries
        with translate_errors("purging webhook deliveries"):
            done = self._conn.execute(delete(table).where(table.c.received_at < before))
        return int(done.rowcount)


# A tenant's feed head: read locked then moved on, or (where UPDATE ... RETURNING exists)
# moved on in one statement that returns the new value; built once.
_HEAD = t.host_event_heads
_HEAD_LOCKED = (
    select(_HEAD.c.last_seq).where(_HEAD.c.tenant_id == bindparam("tenant")).with_for_update()
)
_HEAD_MOVE_ON = (
    update(_HEAD)
    .where(_HEAD.c.tenant_id == bindparam("tenant"))
    .values(last_seq=_HEAD.c.last_seq + bindparam("count"))
)


def _head_moved_on(insert: Any) -> Any:
    """The tenant's head made (at ``count``) or moved on by ``count``, its new value returned:
    one statement, which locks the row as the read did."""
    made = insert(_HEAD).values(tenant_id=bindparam("tenant"), last_seq=bindparam("count"))
    return made.on_conflict_do_update(
        index_elements=[_HEAD.c.tenant_id],
        set_={"last_seq": _HEAD.c.last_seq + made.excluded.last_seq},
    ).returning(_HEAD.c.last_seq)


_HEAD_MOVED_ON = {
    "postgresql": _head_moved_on(postgresql.insert),
    "sqlite": _head_moved_on(sqlite.insert),
}

_ENTRY = ("kind", "user_id", "event_id", "provider", "at", "detail")


def _recorded_alone() -> Any:
    """PostgreSQL: a unit of work's only entry, numbered and inserted in one statement (the
    head made or moved on in a data-modifying WITH, the entry inserted from what it returned,
    its number returned); the head row is locked as by the head's own statement."""
    head = _head_moved_on(postgresql.insert).cte("head")
    c = t.host_events.c
    numbered = select(
        bindparam("tenant", type_=c.tenant_id.type),
        head.c.last_seq,
        *(bindparam(f"e_{name}", type_=c[name].type) for name in _ENTRY),
    )
    return (
        insert(t.host_events)
        .from_select(["tenant_id", "seq", *_ENTRY], numbered)
        .returning(c.seq)
        .add_cte(head)
    )


_RECORDED_ALONE = _recorded_alone()


class SqlHostEventLog(SqlRepository, FeedBuffer):
    """The host event feed (``meetlink_host_events``), numbered per tenant at commit under a
    lock on the tenant's ``meetlink_host_event_heads`` row (see
    [`HostEventLog`][meetlink.ports.storage.HostEventLog])."""

    def __init__(self, uow: SqlUnitOfWork) -> None:
        SqlRepository.__init__(self, uow)
        FeedBuffer.__init__(self)

    def after(self, tenant_id: str, number: int, limit: int) -> list[HostEvent]:
        """The tenant's entries above ``number`` (a primary-key range)."""
        table = t.host_events
        query = (
            select(table)
            .where(table.c.tenant_id == tenant_id, table.c.seq > number)
            .order_by(table.c.seq)
            .limit(limit)
        )
        with translate_errors("reading host events"):
            rows = self._conn.execute(query).all()
        return [_host_event(row) for row in rows]

    def purge(self, before: datetime) -> int:
        """Forget entries recorded before ``before`` (index range on ``at``)."""
        table = t.host_events
        with translate_errors("purging host events"):
            done = self._conn.execute(delete(table).where(table.c.at < before))
        return int(done.rowcount)

    def flush(self) -> list[HostEvent]:
        """Number and insert what was added: the last statements before the commit. Each
        tenant's head row is locked (tenants in sorted order, so two units never wait on each
        other's heads crosswise) and stays locked until the commit."""
        if not self.noted:
            return []
        conn = self._conn
        if len(self.noted) == 1 and conn.dialect.name == "postgresql":
            return [self._alone(conn, *self.noted[0])]
        heads = t.host_event_heads
        by_tenant: dict[str, list[int]] = {}
        for index, (notice, _) in enumerate(self.noted):
            assert notice.tenant_id is not None
            by_tenant.setdefault(notice.tenant_id, []).append(index)
        numbered: dict[int, HostEvent] = {}
        rows: list[dict[str, Any]] = []
        # SQLite 3.35+ and PostgreSQL; not MariaDB (no RETURNING on an upsert)
        moved_on = _HEAD_MOVED_ON.get(conn.dialect.name) if conn.dialect.insert_returning else None
        with translate_errors("recording host events"):
            for tenant in sorted(by_tenant):
                entries = by_tenant[tenant]
                values = {"tenant": tenant, "count": len(entries)}
                if moved_on is not None:  # one statement: made or moved on (locked), returned
                    last = int(conn.execute(moved_on, values).scalar_one()) - len(entries)
                    rows.extend(self._numbered(tenant, entries, last, numbered))
                    continue
                head = conn.execute(_HEAD_LOCKED, values).scalar()
                if head is not None:
                    last = int(head)
                    conn.execute(_HEAD_MOVE_ON, values)
                else:  # the tenant's first entries; a concurrent first one loses
                    last = 0
                    conn.execute(insert(heads).values(tenant_id=tenant, last_seq=len(entries)))
                rows.extend(self._numbered(tenant, entries, last, numbered))
            conn.execute(insert(t.host_events), rows)
        return [numbered[index] for index in range(len(self.noted))]

    @staticmethod
    def _alone(conn: Connection, notice: HostNotice, at: datetime) -> HostEvent:
        """The unit of work's only entry, recorded by one statement (PostgreSQL)."""
        row = _host_event_row(notice, at, 0)
        params = {"tenant": notice.tenant_id, "count": 1}
        params.update((f"e_{name}", row[name]) for name in _ENTRY)
        with translate_errors("recording host events"):
            row["seq"] = int(conn.execute(_RECORDED_ALONE, params).scalar_one())
        return _host_event(SimpleNamespace(**row))

    def _numbered(
        self, tenant: str, entries: list[int], last: int, numbered: dict[int, HostEvent]
    ) -> list[dict[str, Any]]:
        """The rows of ``tenant``'s ``entries`` (indexes of what was noted), numbered after
        ``last``; each entry also goes into ``numbered``."""
        rows = []
        for offset, index in enumerate(entries, start=1):
            row = _host_event_row(*self.noted[index], last + offset)
            rows.append(row)
            numbered[index] = _host_event(SimpleNamespace(**row))
        return rows


def _host_event_row(notice: HostNotice, at: datetime, number: int) -> dict[str, Any]:
    return {
        "tenant_id": notice.tenant_id,
        "seq": number,
        "kind": notice.kind.value,
        "user_id": notice.user_id,
        "event_id": notice.event_id,
        "provider": notice.provider,
        "at": at,
        "detail": notice.detail,
    }


def _host_event(row: Any) -> HostEvent:
    return HostEvent(
        id=feed_id(int(row.seq)),
        kind=HostEventKind(row.kind),
        tenant_id=row.tenant_id,
        user_id=row.user_id,
        event_id=row.event_id,
        provider=row.provider,
        at=row.at,
        detail=row.detail,
    )


class SqlErasureLog(SqlRepository):
    """Erasure records (``meetlink_erasures``)."""

    def put(self, erasure: Erasure) -> None:
        """Insert or replace the record."""
        row = {
            "provider": erasure.provider,
            "account_key": erasure.account_key,
            "deauthorized_at": erasure.deauthorized_at,
            "due_at": erasure.due_at,
            "erased_at": erasure.erased_at,
        }
        keys = ["provider", "account_key", "deauthorized_at"]
        with translate_errors("recording an erasure"):
            upsert(self._conn, t.erasures, row, keys)

    def of_account(self, provider: str, account_key: str) -> list[Erasure]:
        """The account's erasure records (a primary-key range)."""
        c = t.erasures.c
        query = (
            select(t.erasures)
            .where(c.provider == provider, c.account_key == account_key)
            .order_by(c.deauthorized_at)
        )
        with translate_errors("reading erasures"):
            rows = self._conn.execute(query).all()
        return [
            Erasure(
                provider=row.provider,
                account_key=row.account_key,
                deauthorized_at=row.deauthorized_at,
                due_at=row.due_at,
                erased_at=row.erased_at,
            )
            for row in rows
        ]
