"""The ``meetlink_*`` tables as SQLAlchemy Core ``metadata``.

Hosts that run their own Alembic can include
[`metadata`][meetlink.adapters.sqlalchemy.tables.metadata] in their ``target_metadata``; otherwise
[`meetlink.adapters.sqlalchemy.upgrade`][meetlink.adapters.sqlalchemy.migrate.upgrade] applies the
shipped migrations (which produce exactly this metadata). Everything here is portable across SQLite,
PostgreSQL and MariaDB/MySQL:

- datetimes are stored as UTC and always read back aware
  ([`UtcDateTime`][meetlink.adapters.sqlalchemy.tables.UtcDateTime]);
- JSON is stored as text and (de)serialised by the repositories (explicit mapping); JSON
  columns that grow with the participants are MEDIUMTEXT on MariaDB/MySQL (TEXT stops at
  64 KB there; 2,000 participants need more);
- indexed strings stay at 191 characters or less (utf8mb4 index limits on MariaDB);
- ids compare exactly on every database (``ExactString``): on MariaDB/MySQL every string
  column has a binary NO PAD collation (``utf8mb4_nopad_bin`` on MariaDB, ``utf8mb4_0900_bin``
  on MySQL 8), so ``'alice '``, ``'Alice'`` and ``'alice'`` are three ids there too, as on
  SQLite and PostgreSQL (``utf8mb4_bin`` is PAD SPACE: it ignored trailing spaces);
- every row that belongs to a tenant is keyed by it: links by ``(provider, tenant_id,
  user_id)`` while active, events and conferences by ``(tenant_id, event_id)``, reminders by
  ``(tenant_id, event_id, email, start)``, jobs by ``(tenant_id, kind, key)``. Provider
  accounts are the one global key (an account is actively linked once, in any tenant);
- invariants are enforced by the database too: the "active key" columns of
  ``meetlink_links`` are set only while a link is active, and NULLs never collide in a UNIQUE
  index, which gives "at most one active link" without partial indexes.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Connection,
    Dialect,
    Index,
    Integer,
    MetaData,
    PrimaryKeyConstraint,
    String,
    Table,
    Text,
    UniqueConstraint,
    event,
    text,
)
from sqlalchemy.dialects import mysql
from sqlalchemy.types import DateTime, TypeDecorator, TypeEngine

__all__ = [
    "VERSION_TABLE",
    "ExactString",
    "UtcDateTime",
    "account_waits",
    "auth_states",
    "conferences",
    "directory",
    "erasures",
    "events",
    "host_event_heads",
    "host_events",
    "jobs",
    "links",
    "meet_creates",
    "meet_spaces",
    "metadata",
    "no_pad_collation",
    "policies",
    "rate_budgets",
    "reminders",
    "subscriptions",
    "webhook_deliveries",
]

#: Alembic's version table for meetlink's own lineage (never the host's ``alembic_version``).
VERSION_TABLE = "meetlink_alembic_version"

# Stable constraint names on every dialect (RELIABILITY 7.1).
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

metadata = MetaData(naming_convention=NAMING_CONVENTION)

_ID = 64  # our own ids (uuid hex) and hashes
_KEY = 191  # host ids, provider account ids, keys: indexable in utf8mb4
_PROVIDER = 32
_STATUS = 32
#: JSON that grows with an event's participants: TEXT, but MEDIUMTEXT (16 MB) on MariaDB.
_JSON_LIST = Text().with_variant(mysql.MEDIUMTEXT(), "mysql", "mariadb")

# MariaDB/MySQL: InnoDB, utf8mb4, case-sensitive comparisons (every string column is NO PAD
# too: ExactString; the migrations convert the tables to it).
_MYSQL: dict[str, Any] = {
    "mysql_engine": "InnoDB",
    "mysql_charset": "utf8mb4",
    "mysql_collate": "utf8mb4_bin",
}


def no_pad_collation(dialect: Dialect) -> str:
    """The binary NO PAD utf8mb4 collation of a MariaDB or MySQL server: trailing spaces,
    case and Unicode normalisation all count (``utf8mb4_bin`` ignores trailing spaces)."""
    return "utf8mb4_nopad_bin" if getattr(dialect, "is_mariadb", False) else "utf8mb4_0900_bin"


class ExactString(TypeDecorator[str]):
    """A VARCHAR compared exactly on every backend: SQLite and PostgreSQL compare code points
    already; on MariaDB/MySQL the column gets the server's binary NO PAD collation
    (``no_pad_collation``), chosen when the DDL is made."""

    impl = String
    cache_ok = True

    def __init__(self, length: int) -> None:
        super().__init__(length)
        self.length = length

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        """``VARCHAR(n) COLLATE <no pad binary>`` on MariaDB/MySQL, a plain VARCHAR elsewhere."""
        length = self.length
        if dialect.name in ("mysql", "mariadb"):
            return dialect.type_descriptor(
                mysql.VARCHAR(length, charset="utf8mb4", collation=no_pad_collation(dialect))
            )
        return dialect.type_descriptor(String(length))


class UtcDateTime(TypeDecorator[datetime]):
    """An aware datetime stored as UTC; read back aware (UTC) on every backend.

    PostgreSQL keeps ``timestamptz``; SQLite and MariaDB keep naive UTC (``DATETIME(6)`` on
    MariaDB, so microseconds survive). Naive input is refused: it is always a bug here.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        """``DATETIME(6)`` on MariaDB/MySQL, ``timestamptz`` elsewhere."""
        if dialect.name in ("mysql", "mariadb"):
            return dialect.type_descriptor(mysql.DATETIME(fsp=6))
        return dialect.type_descriptor(DateTime(timezone=True))

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        """Normalise to UTC (naive UTC where the backend has no time zones)."""
        if value is None:
            return None
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError("meetlink stores aware datetimes only (got a naive datetime)")
        value = value.astimezone(UTC)
        if dialect.name == "postgresql":
            return value
        return value.replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        """Aware UTC, whatever the backend returned."""
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


subscriptions = Table(
    "meetlink_subscriptions",
    metadata,
    Column("tenant_id", ExactString(_KEY), nullable=False),
    Column("state", ExactString(_STATUS), nullable=False),
    Column("trial_started_at", UtcDateTime(), nullable=True),
    Column("trial_ends_at", UtcDateTime(), nullable=True),
    Column("contracted_at", UtcDateTime(), nullable=True),
    Column("cancelled_at", UtcDateTime(), nullable=True),
    PrimaryKeyConstraint("tenant_id"),
    **_MYSQL,
)

links = Table(
    "meetlink_links",
    metadata,
    Column("id", ExactString(_ID), nullable=False),
    Column("user_id", ExactString(_KEY), nullable=False),
    Column("tenant_id", ExactString(_KEY), nullable=False),
    Column("provider", ExactString(_PROVIDER), nullable=False),
    Column("external_account_id", ExactString(_KEY), nullable=False),
    Column("account_id", ExactString(_KEY), nullable=False),
    Column("email", ExactString(320), nullable=False),
    Column("plan", ExactString(64), nullable=False),
    Column("linked_at", UtcDateTime(), nullable=False),
    # Fernet ciphertext of the TokenSet, bound to this row's id (see crypto.py).
    Column("tokens", Text(), nullable=True),
    Column("token_version", Integer(), nullable=False),
    Column("active", Boolean(), nullable=False),
    Column("unlinked_at", UtcDateTime(), nullable=True),
    Column("unlink_reason", ExactString(_STATUS), nullable=True),
    Column("reauth_required", Boolean(), nullable=False),
    # While a worker refreshes the tokens (single flight across processes, no lock held).
    Column("refresh_lease_until", UtcDateTime(), nullable=True),
    # When the refresh token was issued (= last used); NULL once the link ended, so the
    # keep-alive range (refreshed_at <= cutoff) only ever reads active links.
    Column("refreshed_at", UtcDateTime(), nullable=True),
    # S7/S8: copies of user_id / external_account_id while active, NULL otherwise (NULLs never
    # collide in a UNIQUE index).
    Column("active_user_id", ExactString(_KEY), nullable=True),
    Column("active_account_id", ExactString(_KEY), nullable=True),
    PrimaryKeyConstraint("id"),
    # S7: one active link per (provider, tenant, user); S8: per provider account, globally.
    UniqueConstraint(
        "provider", "tenant_id", "active_user_id", name="uq_meetlink_links_active_user"
    ),
    UniqueConstraint("provider", "active_account_id", name="uq_meetlink_links_active_account"),
    # A user's history, (tenant, user) by linked_at. user_id leads, so that the active-link
    # lookup (provider, tenant_id, active_user_id) never takes this index for its tenant_id.
    Index("ix_meetlink_links_user", "user_id", "tenant_id", "linked_at"),
    Index("ix_meetlink_links_account", "provider", "external_account_id"),
    Index("ix_meetlink_links_idle", "refreshed_at", "id"),  # keep-alive, keyset paged
    **_MYSQL,
)

auth_states = Table(
    "meetlink_auth_states",
    metadata,
    # SHA-256 of the OAuth state: the state itself is a bearer secret and is not stored.
    Column("state_hash", ExactString(_ID), nullable=False),
    Column("tenant_id", ExactString(_KEY), nullable=False),
    Column("user_id", ExactString(_KEY), nullable=False),
    Column("provider", ExactString(_PROVIDER), nullable=False),
    Column("code_verifier", Text(), nullable=False),  # Fernet ciphertext, bound to the row
    Column("created_at", UtcDateTime(), nullable=False),
    Column("expires_at", UtcDateTime(), nullable=False),
    PrimaryKeyConstraint("state_hash"),
    Index("ix_meetlink_auth_states_expires", "expires_at"),
    **_MYSQL,
)

events = Table(
    "meetlink_events",
    metadata,
    Column("event_id", ExactString(_KEY), nullable=False),
    Column("tenant_id", ExactString(_KEY), nullable=False),
    Column("owner_id", ExactString(_KEY), nullable=False),
    Column("title", Text(), nullable=False),
    Column("start", UtcDateTime(), nullable=False),
    Column("end", UtcDateTime(), nullable=False),
    Column("timezone", ExactString(64), nullable=False),
    Column("span", ExactString(_STATUS), nullable=False),
    Column("recurrence", Text(), nullable=True),
    Column("source", ExactString(_STATUS), nullable=False),
    Column("participants", _JSON_LIST, nullable=False),  # JSON list of {email, name, locale}
    Column("web_meeting", ExactString(_PROVIDER), nullable=True),
    Column("description", Text(), nullable=False),
    Column("sequence", Integer(), nullable=False),
    Column("remind_at", UtcDateTime(), nullable=True),
    Column("updated_at", UtcDateTime(), nullable=False),
    Column("exdates", Text(), nullable=True),  # JSON list of ISO times (R2: skipped)
    Column("moved", Text(), nullable=True),  # JSON list of {recurrence_id, start, end}
    # JSON MailedState: what participants hold while the event has no conference (withdrawn)
    Column("told", _JSON_LIST, nullable=True),
    PrimaryKeyConstraint("tenant_id", "event_id"),  # the same event id in two tenants: two events
    # Due reminders, in the query's whole order (remind_at, tenant_id, event_id).
    Index("ix_meetlink_events_remind_at", "remind_at", "tenant_id", "event_id"),
    # The meeting check: events starting soon, keyset paged (migration 0012).
    Index("ix_meetlink_events_start", "start", "tenant_id", "event_id"),
    **_MYSQL,
)

conferences = Table(
    "meetlink_conferences",
    metadata,
    Column("tenant_id", ExactString(_KEY), nullable=False),
    Column("event_id", ExactString(_KEY), nullable=False),  # one conference per event
    Column("provider", ExactString(_PROVIDER), nullable=False),
    Column("external_account_id", ExactString(_KEY), nullable=False),
    Column("status", ExactString(_STATUS), nullable=False),
    Column("marker", ExactString(_KEY), nullable=False),
    # S20: ids beyond 2**31, as text; Teams ids are base64 of ~150 characters and more.
    Column("meeting_id", Text(), nullable=True),
    Column("join_url", Text(), nullable=True),
    Column("passcode", ExactString(64), nullable=True),
    Column("synced", Text(), nullable=True),  # JSON MeetingTerms
    Column("maybe_created", Boolean(), nullable=False),
    Column("mailed", _JSON_LIST, nullable=True),  # JSON MailedState
    Column("last_error", Text(), nullable=True),
    Column("kept", Text(), nullable=True),  # JSON KeptMeeting, while a replacement is pending
    Column("created_at", UtcDateTime(), nullable=False),
    PrimaryKeyConstraint("tenant_id", "event_id"),
    Index("ix_meetlink_conferences_account", "provider", "external_account_id"),
    **_MYSQL,
)

jobs = Table(
    "meetlink_jobs",
    metadata,
    Column("id", ExactString(_ID), nullable=False),
    # Every job belongs to one tenant: a sync job's event's, a deletion's or a mail's event's.
    Column("tenant_id", ExactString(_KEY), nullable=False),
    Column("kind", ExactString(64), nullable=False),
    Column("key", ExactString(_KEY), nullable=False),
    Column("payload", _JSON_LIST, nullable=False),  # JSON object
    Column("status", ExactString(_STATUS), nullable=False),
    Column("run_at", UtcDateTime(), nullable=False),
    Column("attempts", Integer(), nullable=False),
    Column("waits", Integer(), nullable=False, server_default="0"),
    Column("generation", Integer(), nullable=False),
    Column("last_error", Text(), nullable=True),
    Column("lease_until", UtcDateTime(), nullable=True),
    # The provider account a job calls (NULL for mail): its waits, parked deletions.
    Column("provider", ExactString(_PROVIDER), nullable=True),
    Column("account", ExactString(_KEY), nullable=True),
    Column("created_at", UtcDateTime(), nullable=False),
    PrimaryKeyConstraint("id"),
    UniqueConstraint("tenant_id", "kind", "key", name="uq_meetlink_jobs_tenant_kind_key"),
    # The due claim (status, run_at) and the keyset pages of failed/pending jobs by
    # (run_at, id): with ``id`` in it, a page reads its rows only, however many jobs tie.
    Index("ix_meetlink_jobs_due", "status", "run_at", "id"),
    Index("ix_meetlink_jobs_lease", "status", "lease_until"),
    Index("ix_meetlink_jobs_account", "provider", "account", "run_at"),
    **_MYSQL,
)

account_waits = Table(
    "meetlink_account_waits",
    metadata,
    # A provider account that asked to wait (429, a daily cap): its jobs run from next_slot.
    Column("provider", ExactString(_PROVIDER), nullable=False),
    Column("account", ExactString(_KEY), nullable=False),
    Column("until", UtcDateTime(), nullable=False),
    Column("next_slot", UtcDateTime(), nullable=False),
    PrimaryKeyConstraint("provider", "account"),
    **_MYSQL,
)

rate_budgets = Table(
    "meetlink_rate_budgets",
    metadata,
    # What a provider limit has spent (domain/budgets.py Usage), per scope key: the account,
    # its organisation, or "" for the whole app. One row per limit and key, updated in place.
    Column("provider", ExactString(_PROVIDER), nullable=False),
    Column("limit_name", ExactString(32), nullable=False),
    Column("scope_key", ExactString(_KEY), nullable=False),
    Column("mark", UtcDateTime(), nullable=False),
    Column("used", Integer(), nullable=False),
    PrimaryKeyConstraint("provider", "limit_name", "scope_key"),
    **_MYSQL,
)

reminders = Table(
    "meetlink_reminders",
    metadata,
    Column("tenant_id", ExactString(_KEY), nullable=False),
    Column("event_id", ExactString(_KEY), nullable=False),
    Column("email", ExactString(_KEY), nullable=False),  # lower-cased (hashed if longer than 191)
    Column("start", UtcDateTime(), nullable=False),
    PrimaryKeyConstraint("tenant_id", "event_id", "email", "start"),
    **_MYSQL,
)

policies = Table(
    "meetlink_policies",
    metadata,
    Column("tenant_id", ExactString(_KEY), nullable=False),
    Column("policy", Text(), nullable=False),  # JSON {spans, sources, allow_recurring}
    PrimaryKeyConstraint("tenant_id"),
    **_MYSQL,
)

directory = Table(
    "meetlink_directory",
    metadata,
    # A user's address in a provider's directory (organisation links) and what the tenant's
    # organisation link found for it: the provider user and when it was looked up.
    Column("tenant_id", ExactString(_KEY), nullable=False),
    Column("provider", ExactString(_PROVIDER), nullable=False),
    Column("user_id", ExactString(_KEY), nullable=False),
    Column("address", ExactString(320), nullable=False),
    Column("external_account_id", ExactString(_KEY), nullable=True),
    Column("found", Boolean(), nullable=False),
    Column("resolved_at", UtcDateTime(), nullable=True),
    PrimaryKeyConstraint("tenant_id", "provider", "user_id"),
    Index("ix_meetlink_directory_account", "tenant_id", "provider", "external_account_id"),
    **_MYSQL,
)

webhook_deliveries = Table(
    "meetlink_webhook_deliveries",
    metadata,
    Column("provider", ExactString(_PROVIDER), nullable=False),
    Column("delivery_key", ExactString(_KEY), nullable=False),  # hashed if longer than 191
    Column("received_at", UtcDateTime(), nullable=False),
    PrimaryKeyConstraint("provider", "delivery_key"),
    Index("ix_meetlink_webhook_deliveries_received", "received_at"),
    **_MYSQL,
)


host_events = Table(
    "meetlink_host_events",
    metadata,
    # The host event feed: entry ``seq`` of the tenant's feed (ports/storage.py HostEventLog).
    Column("tenant_id", ExactString(_KEY), nullable=False),
    Column("seq", BigInteger(), nullable=False),
    Column("kind", ExactString(_STATUS), nullable=False),
    Column("user_id", ExactString(_KEY), nullable=True),
    Column("event_id", ExactString(_KEY), nullable=True),
    Column("provider", ExactString(_PROVIDER), nullable=True),
    Column("at", UtcDateTime(), nullable=False),
    Column("detail", Text(), nullable=False),
    PrimaryKeyConstraint("tenant_id", "seq"),
    Index("ix_meetlink_host_events_at", "at"),  # purge() by age
    **_MYSQL,
)

host_event_heads = Table(
    "meetlink_host_event_heads",
    metadata,
    # The last number each tenant's feed gave; its row is locked from numbering to commit,
    # so a tenant's entries commit in the order of their numbers. Never purged.
    Column("tenant_id", ExactString(_KEY), nullable=False),
    Column("last_seq", BigInteger(), nullable=False),
    PrimaryKeyConstraint("tenant_id"),
    **_MYSQL,
)


erasures = Table(
    "meetlink_erasures",
    metadata,
    # Erasures a provider asked for (domain/erasure.py); no personal data: the account is a
    # SHA-256 of its provider and id.
    Column("provider", ExactString(_PROVIDER), nullable=False),
    Column("account_key", ExactString(_ID), nullable=False),
    Column("deauthorized_at", UtcDateTime(), nullable=False),
    Column("due_at", UtcDateTime(), nullable=False),
    Column("erased_at", UtcDateTime(), nullable=True),
    PrimaryKeyConstraint("provider", "account_key", "deauthorized_at"),
    **_MYSQL,
)


meet_creates = Table(
    "meetlink_meet_creates",
    metadata,
    # The Google Meet adapter's space ledger (adapters/sqlalchemy/spaces.py): how many creates
    # were begun for a conference marker (more than the spaces they made: answers lost).
    Column("marker", ExactString(_ID), nullable=False),
    Column("attempts", Integer(), nullable=False),
    Column("begun_at", UtcDateTime(), nullable=False),
    PrimaryKeyConstraint("marker"),
    **_MYSQL,
)

meet_spaces = Table(
    "meetlink_meet_spaces",
    metadata,
    # The spaces the creates made (by marker, in the order made) and when meetlink closed
    # one (a space cannot be deleted at Google; docs/google-meet.md). ``seq`` orders them.
    Column("name", ExactString(_KEY), nullable=False),
    Column("marker", ExactString(_ID), nullable=False),
    Column("meeting_uri", Text(), nullable=False),
    Column("seq", BigInteger(), nullable=False),
    Column("closed_at", UtcDateTime(), nullable=True),
    PrimaryKeyConstraint("name"),
    Index("ix_meetlink_meet_spaces_marker", "marker", "seq"),
    **_MYSQL,
)


@event.listens_for(metadata, "after_create")
def _collate_no_pad(
    target: MetaData, connection: Connection, tables: list[Table] | None = None, **_: Any
) -> None:
    """MariaDB/MySQL: ``metadata.create_all`` leaves each new table (its default and every
    text column) on the NO PAD binary collation, as the migrations do; the id columns are
    ``ExactString`` anyway (kept when a host copies these tables into its metadata)."""
    if connection.dialect.name not in ("mysql", "mariadb"):
        return
    collation = no_pad_collation(connection.dialect)
    for table in tables or ():
        connection.execute(
            text(f"ALTER TABLE {table.name} CONVERT TO CHARACTER SET utf8mb4 COLLATE {collation}")
        )
