"""SQL repositories for the secrets-bearing records: account links and OAuth states.

Tokens and PKCE verifiers are encrypted with the storage's ``TokenCipher``, bound to their
row. S7/S8 (one active link per host user, i.e. per ``(tenant_id, user_id)``, and one per
external account across every tenant) are enforced by UNIQUE indexes on the "active key"
columns, which hold a copy of the key only while the link is active.
"""

from __future__ import annotations

import hashlib
from datetime import datetime
from typing import Any

from sqlalchemy import Row, Select, bindparam, delete, exists, select, tuple_, update

from meetlink.adapters.sqlalchemy import tables as t
from meetlink.adapters.sqlalchemy._dialects import translate_errors, upsert
from meetlink.adapters.sqlalchemy.repositories import SqlRepository, dump_time, load_time
from meetlink.domain.links import LinkRecord, TokenSet, UnlinkReason
from meetlink.domain.records import PendingAuth
from meetlink.errors import CredentialError, StorageError

__all__ = ["SqlAuthStateRepository", "SqlLinkRepository"]


# Whether the link's account has a wait stored (a 429's, a spent daily cap's), read with the
# link: a save or job that goes on to the account's wait then reads it only when there is one.
_WAITS = exists().where(
    t.account_waits.c.provider == t.links.c.provider,
    t.account_waits.c.account == t.links.c.external_account_id,
)


def _lookup(*criteria: Any) -> tuple[Select[Any], Select[Any]]:
    """A link lookup built once, with its values as parameters (plain, and locking the link
    row only)."""
    query = select(t.links, _WAITS.label("account_waits")).where(*criteria)
    # SQLite: the BEGIN IMMEDIATE lock already holds
    return query, query.with_for_update(of=t.links)


_BY_ID = _lookup(t.links.c.id == bindparam("link_id"))
_BY_USER = _lookup(
    t.links.c.provider == bindparam("provider"),
    t.links.c.tenant_id == bindparam("tenant"),
    t.links.c.active_user_id == bindparam("key"),
)
_BY_ACCOUNT = _lookup(
    t.links.c.provider == bindparam("provider"), t.links.c.active_account_id == bindparam("key")
)


class SqlLinkRepository(SqlRepository):
    """Account links in ``meetlink_links``; tokens encrypted, bound to the link id."""

    def _seal(self, link_id: str, tokens: TokenSet | None) -> str | None:
        if tokens is None:
            return None
        return self._uow.cipher.encrypt(
            f"link:{link_id}",
            {
                "access_token": tokens.access_token,
                "refresh_token": tokens.refresh_token,
                "expires_at": dump_time(tokens.expires_at),
                "scope": tokens.scope,
            },
        )

    def _open(self, link_id: str, ciphertext: str | None) -> TokenSet | None:
        if ciphertext is None:
            return None
        fields = self._uow.cipher.decrypt(
            f"link:{link_id}", ciphertext, f"tokens of link {link_id}"
        )
        return TokenSet(
            access_token=fields["access_token"],
            refresh_token=fields["refresh_token"],
            expires_at=load_time(fields["expires_at"]),
            scope=fields["scope"],
        )

    def _to_row(self, record: LinkRecord) -> dict[str, Any]:
        return {
            "id": record.id,
            "user_id": record.user_id,
            "tenant_id": record.tenant_id,
            "provider": record.provider,
            "external_account_id": record.external_account_id,
            "account_id": record.account_id,
            "email": record.email,
            "plan": record.plan,
            "linked_at": record.linked_at,
            "tokens": self._seal(record.id, record.tokens),
            "token_version": record.token_version,
            "active": record.active,
            "unlinked_at": record.unlinked_at,
            "unlink_reason": None if record.unlink_reason is None else record.unlink_reason.value,
            "reauth_required": record.reauth_required,
            "refresh_lease_until": record.refresh_lease_until,
            "refreshed_at": record.refreshed_at,
            "active_user_id": record.user_id if record.active else None,
            "active_account_id": record.external_account_id if record.active else None,
        }

    def _to_domain(self, row: Row[Any]) -> LinkRecord:
        # Unreadable tokens (a wrong key) do not make the link unreadable: it can still be
        # unlinked, replaced or removed; a call that needs them raises (readable_tokens).
        try:
            tokens, problem = self._open(row.id, row.tokens), None
        except CredentialError as exc:
            tokens, problem = None, str(exc)
        return LinkRecord(
            id=row.id,
            user_id=row.user_id,
            tenant_id=row.tenant_id,
            provider=row.provider,
            external_account_id=row.external_account_id,
            account_id=row.account_id,
            email=row.email,
            plan=row.plan,
            linked_at=row.linked_at,
            tokens=tokens,
            token_version=row.token_version,
            active=bool(row.active),
            unlinked_at=row.unlinked_at,
            unlink_reason=None if row.unlink_reason is None else UnlinkReason(row.unlink_reason),
            reauth_required=bool(row.reauth_required),
            credential_error=problem,
            refresh_lease_until=row.refresh_lease_until,
            refreshed_at=row.refreshed_at,
        )

    def _one(
        self,
        lookup: tuple[Select[Any], Select[Any]],
        params: dict[str, str],
        *,
        for_update: bool = False,
    ) -> LinkRecord | None:
        with translate_errors("reading a link"):
            row = self._conn.execute(lookup[1] if for_update else lookup[0], params).first()
        if row is None:
            return None
        if not row.account_waits:
            self._uow.waitless.add((row.provider, row.external_account_id))
        return self._to_domain(row)

    def get(self, link_id: str, *, for_update: bool = False) -> LinkRecord | None:
        """A link by id; ``for_update`` locks the row until the unit of work ends."""
        return self._one(_BY_ID, {"link_id": link_id}, for_update=for_update)

    def lock_account(self, provider: str, external_account_id: str) -> None:
        """Lock every link row (active or not) of the account until the unit of work ends, so
        that linking the same account is serialised (SQLite: BEGIN IMMEDIATE already is)."""
        if self._conn.dialect.name == "sqlite":
            return
        query = (
            select(t.links.c.id)
            .where(
                t.links.c.provider == provider, t.links.c.external_account_id == external_account_id
            )
            .with_for_update()
        )
        with translate_errors("locking an account's links"):
            self._conn.execute(query).all()

    def active_for_user(self, tenant_id: str, user_id: str, provider: str) -> LinkRecord | None:
        """The active link of the tenant's user to ``provider``."""
        return self._one(_BY_USER, {"provider": provider, "tenant": tenant_id, "key": user_id})

    def active_for_account(self, provider: str, external_account_id: str) -> LinkRecord | None:
        """The active link holding that external account (in whichever tenant)."""
        return self._one(_BY_ACCOUNT, {"provider": provider, "key": external_account_id})

    def add(self, record: LinkRecord) -> None:
        """Store a new link; ConcurrentUpdate if the id or an active key is taken.

        The insert runs in a savepoint, so after ConcurrentUpdate the unit of work is still
        usable (as with the in-memory store)."""
        row = self._to_row(record)
        with translate_errors("adding a link"), self._conn.begin_nested():
            self._conn.execute(t.links.insert(), row)

    def update(self, record: LinkRecord) -> None:
        """Replace the stored link with the same id; ConcurrentUpdate if an active key is
        taken, StorageError if there is no such link."""
        row = self._to_row(record)
        del row["id"]
        if record.credential_error is not None:
            del row["tokens"]  # still unread: keep the ciphertext for when the key is back
        with translate_errors("updating a link"), self._conn.begin_nested():
            result = self._conn.execute(
                update(t.links).where(t.links.c.id == record.id).values(row)
            )
        if result.rowcount != 1:
            raise StorageError(f"no link {record.id}")

    def swap_tokens(
        self, link_id: str, expected_version: int, tokens: TokenSet, *, refreshed_at: datetime
    ) -> bool:
        """Compare-and-swap on ``token_version`` for an active link."""
        query = (
            update(t.links)
            .where(
                t.links.c.id == link_id,
                t.links.c.token_version == expected_version,
                t.links.c.active.is_(True),
            )
            .values(
                tokens=self._seal(link_id, tokens),
                token_version=expected_version + 1,
                refresh_lease_until=None,
                refreshed_at=refreshed_at,
            )
        )
        with translate_errors("swapping link tokens"):
            return self._conn.execute(query).rowcount == 1

    def idle(
        self, before: datetime, *, limit: int, after: tuple[datetime, str] | None = None
    ) -> list[LinkRecord]:
        """Active links whose refresh token was issued at or before ``before``, by
        ``(refreshed_at, id)`` after the cursor: a range of ``ix_meetlink_links_idle`` (ended
        links have no ``refreshed_at``, so the range holds active links only)."""
        c = t.links.c
        query = select(t.links).where(c.refreshed_at <= before, c.active.is_(True))
        if after is not None:
            at, link_id = after
            # Both, so that the index range starts at the cursor: PostgreSQL reads the
            # row-value comparison as the range, MariaDB the plain one.
            query = query.where(
                c.refreshed_at >= at, tuple_(c.refreshed_at, c.id) > tuple_(at, link_id)
            )
        query = query.order_by(c.refreshed_at, c.id).limit(limit)
        with translate_errors("reading idle links"):
            rows = self._conn.execute(query).all()
        return [self._to_domain(row) for row in rows]

    def history(self, tenant_id: str, user_id: str) -> list[LinkRecord]:
        """Every link the tenant's user ever had, oldest first (``ix_meetlink_links_user``)."""
        query = (
            select(t.links)
            .where(t.links.c.tenant_id == tenant_id, t.links.c.user_id == user_id)
            .order_by(t.links.c.linked_at, t.links.c.id)
        )
        with translate_errors("reading link history"):
            rows = self._conn.execute(query).all()
        return [self._to_domain(row) for row in rows]

    def for_account(self, provider: str, external_account_id: str) -> list[LinkRecord]:
        """Every link of the provider account (``ix_meetlink_links_account``)."""
        c = t.links.c
        query = (
            select(t.links)
            .where(c.provider == provider, c.external_account_id == external_account_id)
            .order_by(c.linked_at, c.id)
        )
        with translate_errors("reading an account's links"):
            rows = self._conn.execute(query).all()
        return [self._to_domain(row) for row in rows]

    def erase(self, provider: str, external_account_id: str, *, linked_before: datetime) -> int:
        """Delete the account's ended links made at or before ``linked_before``."""
        c = t.links.c
        statement = delete(t.links).where(
            c.provider == provider,
            c.external_account_id == external_account_id,
            c.active.is_(False),
            c.linked_at <= linked_before,
        )
        with translate_errors("erasing an account's links"):
            return int(self._conn.execute(statement).rowcount)


def state_hash(state: str) -> str:
    """The stored stand-in for an OAuth ``state`` (the state itself is a bearer secret)."""
    return hashlib.sha256(state.encode("utf-8")).hexdigest()


class SqlAuthStateRepository(SqlRepository):
    """OAuth authorizations in flight; the PKCE verifier is encrypted."""

    def _to_row(self, pending: PendingAuth) -> dict[str, Any]:
        key = state_hash(pending.state)
        return {
            "state_hash": key,
            "tenant_id": pending.tenant_id,
            "user_id": pending.user_id,
            "provider": pending.provider,
            "code_verifier": self._uow.cipher.encrypt(
                f"auth:{key}", {"code_verifier": pending.code_verifier}
            ),
            "created_at": pending.created_at,
            "expires_at": pending.expires_at,
        }

    def _to_domain(self, state: str, row: Row[Any]) -> PendingAuth:
        fields = self._uow.cipher.decrypt(
            f"auth:{row.state_hash}", row.code_verifier, "PKCE verifier of an OAuth state"
        )
        return PendingAuth(
            state=state,
            tenant_id=row.tenant_id,
            user_id=row.user_id,
            provider=row.provider,
            code_verifier=fields["code_verifier"],
            created_at=row.created_at,
            expires_at=row.expires_at,
        )

    def add(self, pending: PendingAuth) -> None:
        """Remember an authorization in flight (replacing one with the same state)."""
        with translate_errors("storing an OAuth state"):
            upsert(self._conn, t.auth_states, self._to_row(pending), ["state_hash"])

    def take(self, state: str) -> PendingAuth | None:
        """Remove and return the authorization for ``state`` (single use, even concurrently)."""
        key = state_hash(state)
        where = t.auth_states.c.state_hash == key
        with translate_errors("taking an OAuth state"):
            row = self._conn.execute(select(t.auth_states).where(where).with_for_update()).first()
            if row is None:
                return None
            if self._conn.execute(delete(t.auth_states).where(where)).rowcount != 1:
                return None  # a concurrent take won
        return self._to_domain(state, row)

    def purge(self, before: datetime) -> int:
        """Forget authorizations that expired before ``before``; returns how many."""
        with translate_errors("purging OAuth states"):
            result = self._conn.execute(
                delete(t.auth_states).where(t.auth_states.c.expires_at < before)
            )
        return int(result.rowcount)
