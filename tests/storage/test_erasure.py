"""Zoom's data-retention promise (docs/zoom-app-setup.md): a deauthorization with
``user_data_retention: false`` erases the account's tokens, email and link history after
``erasure_delay``, on SQLite, PostgreSQL and MariaDB; only what the lifecycle needs to delete
a meeting it still owes stays (the Zoom user id and meeting id), and the record says when."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from meetlink import Event, InvalidSetting, Participant, Settings
from meetlink.adapters.sqlalchemy import metadata
from meetlink.testing import Sandbox, ZoomUser

T0 = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
DELAY = timedelta(days=3)


def _rows_mentioning(sb: Sandbox, *needles: str) -> list[str]:
    """Every table row (as text) that holds one of ``needles``."""
    found = []
    with sb.storage.engine.connect() as conn:
        for table in metadata.sorted_tables:
            for row in conn.execute(select(table)):
                text = " ".join(str(value) for value in row)
                if any(needle in text for needle in needles):
                    found.append(f"{table.name}: {text[:200]}")
    return found


def _relink(sb: Sandbox, user: ZoomUser) -> None:
    """alice links the same Zoom user again."""
    request = sb.meetlink.begin_link("t1", "alice")
    params = sb.zoom.consent(request.authorize_url, user)
    sb.meetlink.complete_link(params["state"], code=params["code"], user_id="alice",
                              tenant_id="t1")  # fmt: skip


def _history(sb: Sandbox) -> list[object]:
    with sb.storage.unit_of_work(read_only=True) as uow:
        return list(uow.links.history("t1", "alice"))


def _event(start: datetime) -> Event:
    return Event(id="e1", tenant_id="t1", owner_id="alice", title="Review", start=start,
                 end=start + timedelta(hours=1), web_meeting="zoom",
                 participants=(Participant(email="bob@example.com"),))  # fmt: skip


def test_nothing_of_the_account_is_left_after_the_delay(fresh_database_url: str) -> None:
    with Sandbox(now=T0, database_url=fresh_database_url, isolate=False, seed=4,
                 erasure_delay=DELAY) as sb:  # fmt: skip
        ml = sb.meetlink
        ml.contract("t1")
        _, user = sb.link_user("t1", "alice", "alice@corp.example")
        ml.unlink("alice", tenant_id="t1")
        _relink(sb, user)  # history: two links of the same Zoom user
        ml.save_event(_event(T0 + timedelta(days=30)))
        ml.run_pending()
        held = ml.conference("e1", tenant_id="t1")
        assert held is not None and held.meeting_id is not None
        meeting_id = held.meeting_id
        headers, body = sb.zoom.remove_app(user, retain_data=False)
        assert ml.handle_webhook("zoom", headers, body).status == 200
        [asked] = ml.erasures(user.id)
        assert asked.erased_at is None and asked.due_at == T0 + DELAY
        ml.run_pending()
        assert len(_history(sb)) == 2  # not before the delay
        assert _rows_mentioning(sb, user.email) != []

        sb.clock.advance(DELAY)
        ml.run_pending()
        [done] = ml.erasures(user.id)
        assert done.erased_at == T0 + DELAY
        assert _history(sb) == []
        assert _rows_mentioning(sb, user.email, user.account_id) == []
        assert user.id not in str(done)  # the record itself holds no account id
        # The Zoom user id stays only on the conference whose meeting is owed a deletion:
        # its rate budgets and waits are forgotten with the links.
        tables = [row.split(":")[0] for row in _rows_mentioning(sb, user.id)]
        assert tables == ["meetlink_conferences"]
        # What stays is what deleting the owed meeting needs: the Zoom user and meeting ids.
        assert ml.delete_event("e1", tenant_id="t1")
        ml.run_pending()
        assert [m["id"] for m in sb.zoom.meetings()] == [int(meeting_id)]  # parked: no link
        _relink(sb, user)  # the same Zoom user comes back
        ml.run_pending()
        assert sb.zoom.meetings() == []  # the deletion it owed went through
        assert len(_history(sb)) == 1  # the new consent stays


def test_a_deauthorization_that_keeps_data_erases_nothing(fresh_database_url: str) -> None:
    with Sandbox(now=T0, database_url=fresh_database_url, isolate=False, seed=4,
                 erasure_delay=timedelta(0)) as sb:  # fmt: skip
        sb.meetlink.contract("t1")
        _, user = sb.link_user("t1", "alice", "alice@corp.example")
        headers, body = sb.zoom.remove_app(user)  # user_data_retention: "true"
        assert sb.meetlink.handle_webhook("zoom", headers, body).status == 200
        sb.meetlink.run_pending()
        assert sb.meetlink.erasures(user.id) == []
        assert len(_history(sb)) == 1


def test_the_delay_is_at_most_ten_days() -> None:
    assert Settings(erasure_delay=timedelta(0)).erasure_delay == timedelta(0)
    assert Settings(erasure_delay=timedelta(days=10)).erasure_delay == timedelta(days=10)
    with pytest.raises(InvalidSetting, match="erasure_delay"):
        Settings(erasure_delay=timedelta(days=10, seconds=1))


def test_an_organisation_links_erasure_leaves_nothing_of_it(fresh_database_url: str) -> None:
    """The admin removes the admin-managed app and asks for the data to go: the
    organisation link's rows (its tokens, the admin's email, the Zoom account id) are erased
    after the delay; the users it served keep their directory addresses (the host's own
    data, which it forgets with ``set_directory_address(None)``)."""
    with Sandbox(now=T0, database_url=fresh_database_url, isolate=False, seed=5,
                 erasure_delay=DELAY) as sb:  # fmt: skip
        ml = sb.meetlink
        ml.contract("t1")
        admin = sb.zoom.add_user("admin@acme.example", role="admin")
        ann = sb.zoom.add_user("ann@acme.example", account_id=admin.account_id)
        ml.set_directory_address("ann", ann.email, tenant_id="t1")
        sb.link_org("t1", "it-admin", admin)
        ml.unlink_org(tenant_id="t1")
        sb.link_org("t1", "it-admin", admin)  # history: two organisation links
        headers, body = sb.zoom.remove_app(admin, admin_app=True, retain_data=False)
        assert ml.handle_webhook("zoom", headers, body).status == 200
        assert ml.org_link(tenant_id="t1") is None
        assert _rows_mentioning(sb, admin.email) != []  # not before the delay

        sb.clock.advance(DELAY)
        ml.run_pending()
        [done] = ml.erasures(f"organisation:{admin.account_id}")
        assert done.erased_at == T0 + DELAY
        assert _rows_mentioning(sb, admin.email, admin.account_id) == []
        assert [e.address for e in ml.directory(tenant_id="t1")] == [ann.email]
