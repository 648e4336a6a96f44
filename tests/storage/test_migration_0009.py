"""Migration 0009 on a database filled by the previous schema (0008), on SQLite, PostgreSQL and
MariaDB: links, events, conferences, reminders and jobs move to their tenant's keys and are
read back through the new code; nothing is lost, and the new keys work at once (a second
tenant's event ``e1`` and user ``alice``; ids that differ by a trailing space)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy import create_engine, pool

from meetlink import ConferenceStatus
from meetlink.adapters.sqlalchemy import SqlStorage, generate_key, upgrade
from meetlink.adapters.sqlalchemy.crypto import TokenCipher
from meetlink.adapters.sqlalchemy.tables import UtcDateTime
from meetlink.domain.records import JobStatus
from tests.app.conftest import T0, make_world

LINKED = T0 - timedelta(days=3)
START = T0 + timedelta(days=2)


def _table(name: str, *columns: str, times: tuple[str, ...] = ()) -> sa.TableClause:
    return sa.table(
        name,
        *(sa.column(c) for c in columns),
        *(sa.column(c, UtcDateTime()) for c in times),
    )


# The tables as revision 0008 has them (only the columns these rows fill).
_subscriptions = _table(
    "meetlink_subscriptions", "tenant_id", "state", times=("trial_started_at", "trial_ends_at")
)
_links = _table(
    "meetlink_links",
    "id", "user_id", "tenant_id", "provider", "external_account_id", "account_id", "email",
    "plan", "tokens", "token_version", "active", "unlink_reason", "reauth_required",
    "active_user_id", "active_account_id",
    times=("linked_at", "unlinked_at", "refreshed_at"),
)  # fmt: skip
_events = _table(
    "meetlink_events",
    "event_id", "tenant_id", "owner_id", "title", "timezone", "span", "source",
    "participants", "web_meeting", "description", "sequence",
    times=("start", "end", "remind_at", "updated_at"),
)  # fmt: skip
_conferences = _table(
    "meetlink_conferences",
    "event_id", "provider", "external_account_id", "status", "marker", "meeting_id",
    "join_url", "passcode", "maybe_created", "mailed",
    times=("created_at",),
)  # fmt: skip
_reminders = _table("meetlink_reminders", "event_id", "email", times=("start",))
_jobs = _table(
    "meetlink_jobs",
    "id", "kind", "key", "payload", "status", "attempts", "waits", "generation",
    "provider", "account",
    times=("run_at", "created_at"),
)  # fmt: skip


def _link(cipher: TokenCipher, link_id: str, tenant: str, user: str, account: str,
          *, active: bool) -> dict[str, Any]:  # fmt: skip
    tokens = cipher.encrypt(
        f"link:{link_id}",
        {
            "access_token": f"access-{link_id}",
            "refresh_token": f"refresh-{link_id}",
            "expires_at": (T0 + timedelta(hours=1)).isoformat(),
            "scope": "meeting:write",
        },
    )
    return {
        "id": link_id, "user_id": user, "tenant_id": tenant, "provider": "zoom",
        "external_account_id": account, "account_id": f"org-{account}",
        "email": f"{user}@{tenant}.example", "plan": "licensed",
        "tokens": tokens if active else None, "token_version": 0, "active": active,
        "unlink_reason": None if active else "user", "reauth_required": False,
        "active_user_id": user if active else None,
        "active_account_id": account if active else None,
        "linked_at": LINKED, "unlinked_at": None if active else T0 - timedelta(days=1),
        "refreshed_at": LINKED if active else None,
    }  # fmt: skip


def _event(event_id: str, tenant: str, owner: str, *, remind: bool = True) -> dict[str, Any]:
    participants = [{"email": f"guest@{tenant}.example", "name": "Guest", "locale": "en"}]
    return {
        "event_id": event_id, "tenant_id": tenant, "owner_id": owner,
        "title": f"{tenant} {event_id}", "timezone": "Asia/Tokyo", "span": "timed",
        "source": "manual", "participants": json.dumps(participants), "web_meeting": "zoom",
        "description": "", "sequence": 0, "start": START,
        "end": START + timedelta(minutes=30),
        "remind_at": START - timedelta(minutes=10) if remind else None, "updated_at": T0,
    }  # fmt: skip


def _mailed(tenant: str, join_url: str) -> str:
    return json.dumps({
        "join_url": join_url, "passcode": "123456", "start": START.isoformat(),
        "end": (START + timedelta(minutes=30)).isoformat(),
        "emails": [f"guest@{tenant}.example"], "recurrence": None, "exdates": None,
        "moved": None, "all_day": False,
    })  # fmt: skip


def _job(job_id: str, kind: str, key: str, payload: dict[str, Any], *,
         account: str | None = None) -> dict[str, Any]:  # fmt: skip
    return {
        "id": job_id, "kind": kind, "key": key, "payload": json.dumps(payload),
        "status": "pending", "attempts": 0, "waits": 0, "generation": 0,
        "provider": "zoom" if account else None, "account": account,
        "run_at": T0 + timedelta(minutes=5), "created_at": T0,
    }  # fmt: skip


def _fill_0008(url: str, key: str) -> None:
    """What a running installation holds at revision 0008: two tenants, links active and
    ended, issued and pending conferences, reminders, and every kind of job, some whose
    event is gone."""
    cipher = TokenCipher([key])
    engine = create_engine(url, poolclass=pool.NullPool)
    with engine.begin() as conn:
        conn.execute(
            _subscriptions.insert(),
            [
                {"tenant_id": t, "state": "trial", "trial_started_at": T0 - timedelta(days=4),
                 "trial_ends_at": T0 + timedelta(days=10)}
                for t in ("t1", "t2")
            ],
        )  # fmt: skip
        conn.execute(
            _links.insert(),
            [
                _link(cipher, "link-alice", "t1", "alice", "acct-a", active=True),
                _link(cipher, "link-bob", "t2", "bob", "acct-b", active=True),
                _link(cipher, "link-carol-old", "t1", "carol", "acct-c", active=False),
            ],
        )
        conn.execute(
            _events.insert(), [_event("e1", "t1", "alice"), _event("e2", "t2", "bob", remind=False)]
        )
        conn.execute(
            _conferences.insert(),
            [
                {"event_id": "e1", "provider": "zoom", "external_account_id": "acct-a",
                 "status": "issued", "marker": "m-e1", "meeting_id": "111",
                 "join_url": "https://zoom.example/j/111", "passcode": "123456",
                 "maybe_created": False, "mailed": _mailed("t1", "https://zoom.example/j/111"),
                 "created_at": T0},
                {"event_id": "e2", "provider": "zoom", "external_account_id": "acct-b",
                 "status": "pending", "marker": "m-e2", "meeting_id": None, "join_url": None,
                 "passcode": None, "maybe_created": False, "mailed": None, "created_at": T0},
            ],
        )  # fmt: skip
        conn.execute(
            _reminders.insert(),
            [{"event_id": "e1", "email": "guest@t1.example", "start": START}],
        )
        gone_mail = {"event_id": "gone", "uid": "gone@t2.meetlink", "kind": "cancellation"}
        conn.execute(
            _jobs.insert(),
            [
                _job("j-sync-e2", "sync", "e2", {}, account="acct-b"),
                _job("j-mail-e1", "mail", "<m1@meetlink>",
                     {"event_id": "e1", "uid": "e1@t1.meetlink", "kind": "invitation"}),
                _job("j-mail-gone", "mail", "<m2@meetlink>", gone_mail),
                _job("j-delete-c", "delete", "zoom:m-old",
                     {"provider": "zoom", "account": "acct-c", "meeting_id": "999",
                      "marker": "m-old", "maybe_created": False}, account="acct-c"),
                _job("j-sync-orphan", "sync", "deleted-event", {}, account="acct-a"),
            ],
        )  # fmt: skip
    engine.dispose()


@pytest.fixture
def migrated(fresh_database_url: str) -> Iterator[tuple[str, str]]:
    key = generate_key()
    upgrade(fresh_database_url, "0008")
    _fill_0008(fresh_database_url, key)
    upgrade(fresh_database_url)
    yield fresh_database_url, key


def test_0009_keeps_every_row_under_its_tenants_keys(migrated: tuple[str, str]) -> None:
    url, key = migrated
    storage = SqlStorage(url, encryption_keys=[key])
    try:
        with storage.unit_of_work(read_only=True) as uow:
            alice = uow.links.active_for_user("t1", "alice", "zoom")
            assert alice is not None and alice.tokens is not None
            assert alice.tokens.refresh_token == "refresh-link-alice"  # still readable
            assert uow.links.active_for_user("t2", "alice", "zoom") is None
            assert uow.links.active_for_user("t2", "bob", "zoom") is not None
            assert [link.id for link in uow.links.history("t1", "carol")] == ["link-carol-old"]
            e1, conf1 = uow.events.get_with_conference("t1", "e1")
            assert e1 is not None and e1.event.title == "t1 e1"
            assert conf1 is not None and conf1.tenant_id == "t1"
            assert (conf1.status, conf1.join_url) == (
                ConferenceStatus.ISSUED,
                "https://zoom.example/j/111",
            )
            assert conf1.mailed is not None and conf1.mailed.emails == ("guest@t1.example",)
            conf2 = uow.conferences.get("t2", "e2")
            assert conf2 is not None and conf2.status is ConferenceStatus.PENDING
            assert uow.events.get("t2", "e1") is None and uow.conferences.get("t1", "e2") is None
            tenants = {job.id: job.tenant_id for job in uow.jobs.all()}
            assert tenants == {
                "j-sync-e2": "t2",  # its event's
                "j-mail-e1": "t1",  # its event's
                "j-mail-gone": "t2",  # the event is gone: the tenant its UID names
                "j-delete-c": "t1",  # the tenant of the link that last held the account
                "j-sync-orphan": "",  # no event, no tenant to know: kept, runs as before
            }
            found = uow.jobs.find("t2", "sync", "e2")
            assert found is not None and found.status is JobStatus.PENDING
            assert uow.jobs.find("t1", "sync", "e2") is None
        with storage.unit_of_work() as uow:
            # The reminder already queued stays noted under its tenant's key.
            assert uow.reminders.record("t1", "e1", "guest@t1.example", START) is False
            assert uow.reminders.record("t2", "e1", "guest@t1.example", START) is True
    finally:
        storage.close()


def test_0009_the_new_keys_work_on_the_migrated_rows(migrated: tuple[str, str]) -> None:
    """Through the facade: the migrated links and events are there; tenant t2 now has its
    own event ``e1`` and user ``alice`` beside t1's; ids that differ by a trailing space are
    other ids (on MariaDB too, after the collation change)."""
    url, key = migrated
    world = make_world(storage=SqlStorage(url, encryption_keys=[key]))
    ml = world.meetlink
    try:
        own = ml.link("alice", tenant_id="t1")
        assert own is not None and own.email == "alice@t1.example"
        assert ml.link("alice", tenant_id="t2") is None
        assert ml.link("alice ", tenant_id="t1") is None
        stored = ml.event("e1", tenant_id="t1")
        assert stored is not None and stored.owner_id == "alice"
        conference = ml.conference("e1", tenant_id="t1")
        assert conference is not None and conference.join_url == "https://zoom.example/j/111"
        assert ml.event("e1 ", tenant_id="t1") is None
        assert len(ml.pending_jobs()) == 5

        world.link("alice", world.zoom.add_account("alice@t2.example"), "t2")
        t2_event = world.event("e1", tenant_id="t2", owner_id="alice", title="t2's own e1")
        issued = ml.save_event(t2_event).conference
        assert issued is not None and issued.status is ConferenceStatus.ISSUED
        assert issued.tenant_id == "t2"
        assert ml.conference("e1", tenant_id="t1") == conference  # t1's untouched
        assert ml.link("alice", tenant_id="t1") == own
    finally:
        ml.close()


def test_0009_collates_ids_exactly(migrated: tuple[str, str]) -> None:
    """Every string column of meetlink's tables compares exactly after the upgrade (on
    MariaDB a NO PAD binary collation; SQLite and PostgreSQL compare code points)."""
    url, _ = migrated
    engine = create_engine(url, poolclass=pool.NullPool)
    try:
        with engine.connect() as conn:
            if conn.dialect.name in ("mysql", "mariadb"):
                rows = conn.execute(
                    sa.text(
                        "SELECT table_name, column_name, collation_name FROM"
                        " information_schema.columns WHERE table_schema = DATABASE() AND"
                        " table_name LIKE 'meetlink\\_%' AND collation_name IS NOT NULL"
                        " AND table_name <> 'meetlink_alembic_version'"
                    )
                ).all()
                assert rows and {row[2] for row in rows} == {"utf8mb4_nopad_bin"}, rows
            same = conn.execute(
                sa.select(_events.c.event_id).where(_events.c.event_id == "e1 ")
            ).all()
            assert same == []
    finally:
        engine.dispose()


def test_0009_start_time_is_kept(migrated: tuple[str, str]) -> None:
    url, key = migrated
    storage = SqlStorage(url, encryption_keys=[key])
    try:
        with storage.unit_of_work(read_only=True) as uow:
            record = uow.events.get("t1", "e1")
            assert record is not None
            assert record.event.start == START.astimezone(UTC)
            assert record.remind_at == START - timedelta(minutes=10)
            due = uow.events.due_reminders(START, 10)
            assert [(r.event.tenant_id, r.event.id) for r in due] == [("t1", "e1")]
    finally:
        storage.close()
