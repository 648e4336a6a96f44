"""The seed story through the public test kit, on SQLite, PostgreSQL and MariaDB."""

from __future__ import annotations

from datetime import timedelta

import pytest

from meetlink import ConferenceStatus, Event, Participant
from meetlink.testing import Sandbox
from tests.acceptance.conftest import T0
from tests.mailtext import plain


def _event(sb: Sandbox, event_id: str = "e1", owner: str = "alice") -> Event:
    start = sb.clock.now() + timedelta(days=1)
    return Event(
        event_id,
        "t1",
        owner,
        "Sales call 営業",
        start,
        start + timedelta(minutes=45),
        participants=(Participant("bob@example.com", "Bob"), Participant("c@example.com")),
        web_meeting="zoom",
    )


def test_link_issue_remind_delete(sandbox: Sandbox) -> None:
    ml = sandbox.meetlink
    ml.start_trial("t1")
    link, user = sandbox.link_user("t1", "alice")
    assert ml.link("alice", tenant_id="t1") == link

    saved = ml.save_event(_event(sandbox))
    conf = saved.conference
    assert conf is not None and conf.status is ConferenceStatus.ISSUED
    [meeting] = sandbox.zoom.meetings(user)
    assert str(meeting["id"]) == conf.meeting_id
    assert meeting["join_url"] == conf.join_url
    assert int(conf.meeting_id) > 2**31

    ml.run_pending()
    assert sorted(m["To"].addresses[0].addr_spec for m in sandbox.outbox) == [
        "bob@example.com",
        "c@example.com",
    ]
    assert conf.join_url is not None
    for mail in sandbox.outbox:
        assert conf.join_url in plain(mail)
        assert meeting["start_url"] not in mail.as_string()

    sandbox.clock.advance(timedelta(days=1) - timedelta(minutes=5))
    assert ml.send_due_reminders() == 2
    assert ml.send_due_reminders() == 0

    assert ml.delete_event("e1", actor_id="bob", tenant_id="t1")
    assert sandbox.zoom.meetings() == []
    ml.run_pending()
    assert len(sandbox.outbox) == 6  # 2 invitations, 2 reminders, 2 cancellations


def test_remove_app_unlinks_and_detaches(sandbox: Sandbox) -> None:
    ml = sandbox.meetlink
    ml.contract("t1")
    _, user = sandbox.link_user("t1", "alice")
    ml.save_event(_event(sandbox))
    headers, body = sandbox.zoom.remove_app(user)
    assert ml.handle_webhook("zoom", headers, body).status == 200
    assert ml.link("alice", tenant_id="t1") is None
    conf = ml.conference("e1", tenant_id="t1")
    assert conf is not None and conf.status is ConferenceStatus.DETACHED
    assert ml.handle_webhook("zoom", headers, body).status == 200  # replay: nothing changes


def test_zoom_outage_then_retry_issues_exactly_one_meeting(sandbox: Sandbox) -> None:
    ml = sandbox.meetlink
    ml.start_trial("t1")
    sandbox.link_user("t1", "alice")
    sandbox.zoom.fail_next(1, status=0, path="/v2/users/me/meetings", method="POST")
    saved = ml.save_event(_event(sandbox))
    assert saved.conference is not None
    assert saved.conference.status is ConferenceStatus.PENDING
    assert len(sandbox.zoom.meetings()) == 1  # the lost create did land at Zoom
    sandbox.clock.advance(timedelta(minutes=2))
    ml.run_pending()
    conf = ml.conference("e1", tenant_id="t1")
    assert conf is not None and conf.status is ConferenceStatus.ISSUED
    assert [str(m["id"]) for m in sandbox.zoom.meetings()] == [conf.meeting_id]


def test_two_sandboxes_share_nothing() -> None:
    with Sandbox(now=T0) as a, Sandbox(now=T0 + timedelta(days=3)) as b:
        a.meetlink.start_trial("t1")
        a.link_user("t1", "alice")
        a.meetlink.save_event(_event(a))
        a.meetlink.run_pending()
        a.clock.advance(timedelta(hours=1))
        assert b.meetlink.subscription("t1").active is False
        assert b.meetlink.link("alice", tenant_id="t1") is None
        assert b.meetlink.conference("e1", tenant_id="t1") is None
        assert b.zoom.meetings() == [] and b.outbox == []
        assert b.clock.now() == T0 + timedelta(days=3)
        assert len(a.zoom.meetings()) == 1 and len(a.outbox) == 2


@pytest.mark.parametrize(
    ("backend", "plain_url"),
    [
        pytest.param("postgresql", "postgresql://postgres@127.0.0.1:5432/test", id="postgresql"),
        pytest.param("mariadb", "mariadb://root@127.0.0.1:3306/test", id="mariadb"),
    ],
)
def test_sandboxes_on_one_server_are_private_and_leave_nothing(
    backend: str, plain_url: str
) -> None:
    """A plain server URL (no driver named) works; each sandbox gets a private schema or
    database on it, dropped on close, so runs never see each other's rows."""
    from sqlalchemy import create_engine, inspect, pool

    from tests.storage.dbservers import require_server

    require_server(backend)
    with Sandbox(now=T0, database_url=plain_url) as a, Sandbox(now=T0, database_url=plain_url) as b:
        assert a.database_url != b.database_url
        a.meetlink.start_trial("t1")
        a.link_user("t1", "alice")
        assert b.meetlink.link("alice", tenant_id="t1") is None
        b.meetlink.start_trial("t1")  # would raise TrialUnavailable if b saw a's rows
        private = a.database_url
    from meetlink.adapters.sqlalchemy.unit_of_work import normalize_url

    engine = create_engine(normalize_url(plain_url), poolclass=pool.NullPool)
    try:
        names = inspect(engine).get_schema_names()
    finally:
        engine.dispose()
    assert not [n for n in names if n.startswith("meetlink_sb_") and n in private]
