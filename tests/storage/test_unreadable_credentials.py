"""A key mistake is recoverable (issue 14, item 3): with a wrong encryption key deployed, a
user can still unlink, relink and be removed by the provider's deauthorization; the old
tokens are forgotten unread, nothing is revoked, the log and a host notice say so. Queued
work that needs the tokens (sync and delete jobs, keep-alive) waits, tells the operator once,
and runs once the right key is back. On SQLite, PostgreSQL and MariaDB."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import timedelta

import attrs
import pytest
from sqlalchemy import delete, select

from meetlink import ConferenceStatus, Event, MeetLink, Notice
from meetlink.adapters.mail import JinjaMailComposer
from meetlink.adapters.memory.provider import FakeAccount
from meetlink.adapters.sqlalchemy import SqlStorage, generate_key, metadata
from meetlink.adapters.sqlalchemy import tables as t
from meetlink.domain.results import HostNotice, HostNoticeKind
from meetlink.errors import CredentialError
from tests.app.conftest import World, make_world
from tests.notices import notices_into


@attrs.define
class KeyMistake:
    """alice linked under the right key (``right``); ``wrong`` is a MeetLink on the same
    database, provider, mailer and clock, deployed with another key."""

    right: World
    wrong: MeetLink
    notices: list[HostNotice]
    storages: list[SqlStorage]
    account: FakeAccount
    keys: tuple[str, str]  # (right, wrong)
    url: str

    def reencrypt_under(self, first: str) -> None:
        """An operator's rotation: every stored token re-encrypted under ``first``."""
        store = SqlStorage(self.url, encryption_keys=[first, *set(self.keys) - {first}])
        try:
            store.rotate_keys()
        finally:
            store.close()

    def stored_tokens(self) -> list[str | None]:
        with self.storages[0].engine.connect() as conn:
            query = select(t.links.c.tokens).order_by(t.links.c.active)  # ended links first
            return list(conn.execute(query).scalars())

    def revokes(self) -> int:
        return sum(1 for method in self.right.zoom.calls if method == "revoke")


@pytest.fixture
def mistake(database_url: str) -> Iterator[KeyMistake]:
    keys = (generate_key(), generate_key())
    right_storage = SqlStorage(database_url, encryption_keys=[keys[0]], create_schema=True)
    with right_storage.engine.begin() as conn:
        for table in reversed(metadata.sorted_tables):
            conn.execute(delete(table))
    world = make_world(storage=right_storage)
    world.meetlink.start_trial("t1")
    account = world.zoom.add_account("alice@corp.example")
    world.link("alice", account)
    notices: list[HostNotice] = []
    wrong_storage = SqlStorage(database_url, encryption_keys=[keys[1]])
    wrong = MeetLink(
        storage=wrong_storage,
        providers=[world.zoom],
        mailer=world.mailer,
        composer=JinjaMailComposer(),
        clock=world.clock,
        listener=notices_into(notices),
    )
    yield KeyMistake(world, wrong, notices, [right_storage, wrong_storage], account, keys,
                     database_url)  # fmt: skip
    wrong.close()
    world.meetlink.close()


def _unreadable_notice(mistake: KeyMistake) -> None:
    kinds = [n.kind for n in mistake.notices]
    assert kinds.count(HostNoticeKind.CREDENTIALS_UNREADABLE) == 1
    notice = next(n for n in mistake.notices if n.kind is HostNoticeKind.CREDENTIALS_UNREADABLE)
    assert (notice.tenant_id, notice.user_id, notice.provider) == ("t1", "alice", "zoom")
    assert "encryption_keys" in notice.detail


def test_unlink_works_without_reading_the_tokens(
    mistake: KeyMistake, caplog: pytest.LogCaptureFixture
) -> None:
    link = mistake.wrong.link("alice", tenant_id="t1")  # the link itself reads fine
    assert link is not None and link.email == "alice@corp.example"
    with caplog.at_level(logging.WARNING, logger="meetlink"):
        assert mistake.wrong.unlink("alice", tenant_id="t1") is True
    assert mistake.wrong.link("alice", tenant_id="t1") is None
    assert mistake.stored_tokens() == [None]  # forgotten
    assert mistake.revokes() == 0  # nothing to revoke with
    _unreadable_notice(mistake)
    assert any("unreadable tokens" in r.getMessage() for r in caplog.records)


def test_relink_works_and_the_new_tokens_are_readable(mistake: KeyMistake) -> None:
    other = mistake.right.zoom.add_account("alice.new@corp.example")
    request = mistake.wrong.begin_link("t1", "alice")
    params = mistake.right.zoom.authorize(request.authorize_url, other)
    link = mistake.wrong.complete_link(
        params["state"], code=params["code"], user_id="alice", tenant_id="t1"
    )
    assert link.external_account_id == other.id
    assert mistake.revokes() == 0
    _unreadable_notice(mistake)
    old, new = mistake.stored_tokens()
    assert old is None and new is not None
    # The new link's tokens are written under the key now deployed, and work.
    assert mistake.wrong.save_event(mistake.right.event("e1")).conference is not None


def test_a_takeover_works_too(mistake: KeyMistake) -> None:
    request = mistake.wrong.begin_link("t1", "bob")
    params = mistake.right.zoom.authorize(request.authorize_url, mistake.account)
    assert (
        mistake.wrong.complete_link(
            params["state"], code=params["code"], user_id="bob", tenant_id="t1"
        ).user_id
        == "bob"
    )
    assert mistake.wrong.link("alice", tenant_id="t1") is None
    _unreadable_notice(mistake)


def test_deauthorization_works_and_answers_200(mistake: KeyMistake) -> None:
    headers, body = mistake.right.zoom.deauthorization(mistake.account)
    reply = mistake.wrong.handle_webhook("zoom", headers, body)
    assert reply.status == 200
    assert mistake.wrong.link("alice", tenant_id="t1") is None
    _unreadable_notice(mistake)


def test_calls_that_need_the_tokens_say_credential_error_and_keep_them(
    mistake: KeyMistake,
) -> None:
    right, wrong = mistake.right, mistake.wrong
    right.meetlink.save_event(right.event("e1"))
    with pytest.raises(CredentialError):
        wrong.start_url("e1", "alice", tenant_id="t1")
    # Nothing was overwritten: with the right key back, the link works as before.
    assert right.meetlink.start_url("e1", "alice", tenant_id="t1").startswith("https://")


# --- queued work that meets the wrong key (jobs and keep-alive) ------------------------------
# The work waits (never FAILED, not an attempt), the operator is told once, and with the right
# key deployed again it runs as if nothing had happened.


def _operator_told_once(mistake: KeyMistake, what: str) -> HostNotice:
    told = [n for n in mistake.notices if n.kind is HostNoticeKind.CREDENTIALS_UNREADABLE]
    assert len(told) == 1, told
    notice = told[0]
    assert notice.provider == "zoom"
    assert what in notice.detail and "encryption_keys" in notice.detail
    return notice


def _far_event(mistake: KeyMistake, event_id: str = "e1") -> Event:
    start = mistake.right.clock.now() + timedelta(days=60)  # still ahead after the waits
    return mistake.right.event(event_id, start=start)


def _wait_under_the_wrong_key(mistake: KeyMistake, rounds: int = 8) -> None:
    for _ in range(rounds):
        mistake.right.clock.advance(timedelta(hours=6))
        mistake.wrong.run_pending()
        assert mistake.wrong.failed_jobs() == []


def test_a_sync_job_waits_for_the_key_tells_the_operator_once_and_runs_when_it_is_back(
    mistake: KeyMistake,
) -> None:
    result = mistake.wrong.save_event(_far_event(mistake))
    assert result.conference is not None
    assert result.conference.status is ConferenceStatus.PENDING
    # The provider was never called: not "the provider did not answer" but a key problem.
    assert Notice.CREDENTIALS_UNREADABLE in result.notices
    assert Notice.PROVIDER_PENDING not in result.notices
    _wait_under_the_wrong_key(mistake)
    assert mistake.wrong.conference("e1", tenant_id="t1").status is ConferenceStatus.PENDING  # type: ignore[union-attr]
    assert mistake.right.zoom.live_meetings(mistake.account) == []
    notice = _operator_told_once(mistake, "sync")
    assert mistake.account.id in notice.detail  # the provider account whose link it is
    assert [job.kind for job in mistake.wrong.pending_jobs()] == ["sync"]

    mistake.right.clock.advance(timedelta(days=1))
    mistake.right.meetlink.run_pending()  # the right key is deployed again
    conference = mistake.right.meetlink.conference("e1", tenant_id="t1")
    assert conference is not None and conference.status is ConferenceStatus.ISSUED
    assert len(mistake.right.zoom.live_meetings(mistake.account)) == 1
    invited = {m["To"] for m in mistake.right.mailer.outbox}
    assert invited == {"bob@example.com", "carol@example.com"}
    assert mistake.right.meetlink.pending_jobs() == []


def test_a_delete_job_waits_for_the_key_tells_the_operator_once_and_runs_when_it_is_back(
    mistake: KeyMistake,
) -> None:
    mistake.right.meetlink.save_event(_far_event(mistake))
    assert len(mistake.right.zoom.live_meetings(mistake.account)) == 1
    assert mistake.wrong.delete_event("e1", actor_id="bob", tenant_id="t1") is True
    _wait_under_the_wrong_key(mistake)
    assert len(mistake.right.zoom.live_meetings(mistake.account)) == 1  # not yet deleted
    notice = _operator_told_once(mistake, "delete")
    assert mistake.account.id in notice.detail
    assert [job.kind for job in mistake.wrong.pending_jobs()] == ["delete"]

    mistake.right.clock.advance(timedelta(days=1))
    mistake.right.meetlink.run_pending()
    assert mistake.right.zoom.live_meetings(mistake.account) == []  # no orphan
    assert mistake.right.meetlink.pending_jobs() == []
    assert mistake.right.meetlink.failed_jobs() == []


def test_keep_alive_skips_the_link_tells_the_operator_once_and_refreshes_when_the_key_is_back(
    mistake: KeyMistake,
) -> None:
    mistake.right.clock.advance(timedelta(days=31))  # alice's refresh token idled too long
    refreshes = mistake.right.zoom.calls.count("refresh")
    assert mistake.wrong.keep_alive() == 0
    mistake.right.clock.advance(timedelta(minutes=5))
    mistake.wrong.run_pending()  # the worker looks again: the operator is not told twice
    assert mistake.wrong.keep_alive() == 0
    assert mistake.right.zoom.calls.count("refresh") == refreshes
    notice = _operator_told_once(mistake, "keep-alive")
    assert (notice.tenant_id, notice.user_id) == ("t1", "alice")
    assert mistake.wrong.link("alice", tenant_id="t1") is not None  # the link is kept, not ended

    assert mistake.right.meetlink.keep_alive() == 1  # the right key is deployed again
    assert mistake.right.zoom.calls.count("refresh") == refreshes + 1


def test_keep_alive_tells_the_operator_anew_after_the_link_was_readable_in_between(
    mistake: KeyMistake,
) -> None:
    right_key, wrong_key = mistake.keys
    mistake.right.clock.advance(timedelta(days=31))
    assert mistake.wrong.keep_alive() == 0
    mistake.reencrypt_under(wrong_key)  # the tokens become readable by this deployment
    assert mistake.wrong.keep_alive() == 1
    mistake.reencrypt_under(right_key)  # and unreadable again: a new mistake
    mistake.right.clock.advance(timedelta(days=31))
    assert mistake.wrong.keep_alive() == 0
    told = [n for n in mistake.notices if n.kind is HostNoticeKind.CREDENTIALS_UNREADABLE]
    assert len(told) == 2
