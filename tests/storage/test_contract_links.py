"""Repository contract, part 1: subscriptions, links, OAuth states and the unit of work itself.

Every test runs against InMemoryStorage (the reference) and SqlStorage on SQLite, PostgreSQL
and MariaDB, so the fake and the real adapter cannot drift apart."""

from __future__ import annotations

from datetime import timedelta

import attrs
import pytest

from meetlink.domain.jobs import JobRequest
from meetlink.domain.links import UnlinkReason
from meetlink.domain.subscription import SubscriptionRecord, SubscriptionState
from meetlink.errors import ConcurrentUpdate, StorageError
from meetlink.ports.storage import Storage

from .factories import T0, event_record, link, pending, tokens
from .workers import QUEUE

T1 = T0 + timedelta(days=1)


class Boom(Exception):
    """An injected failure."""


# -- subscriptions ---------------------------------------------------------------------------


def test_subscription_put_get_replace(storage: Storage) -> None:
    record = SubscriptionRecord(
        tenant_id="t1",
        state=SubscriptionState.TRIAL,
        trial_started_at=T0,
        trial_ends_at=T0 + timedelta(days=14),
    )
    with storage.unit_of_work() as uow:
        assert uow.subscriptions.get("t1") is None
        uow.subscriptions.put(record)
        uow.commit()
    contracted = attrs.evolve(record, state=SubscriptionState.CONTRACTED, contracted_at=T0)
    with storage.unit_of_work() as uow:
        assert uow.subscriptions.get("t1") == record
        uow.subscriptions.put(contracted)
        uow.commit()
    with storage.unit_of_work() as uow:
        assert uow.subscriptions.get("t1") == contracted
        assert uow.subscriptions.get("t2") is None


# -- links -----------------------------------------------------------------------------------


def test_link_round_trip_with_tokens(storage: Storage) -> None:
    record = link(unlink_reason=None, reauth_required=True, token_version=3)
    with storage.unit_of_work() as uow:
        uow.links.add(record)
        uow.commit()
    with storage.unit_of_work() as uow:
        stored = uow.links.get("l1")
        assert stored == record
        assert stored is not None and stored.tokens == record.tokens
        assert uow.links.get("l1", for_update=True) == record
        assert uow.links.get("nope") is None


def test_active_lookups_skip_inactive_and_other_providers(storage: Storage) -> None:
    old = link("old", linked_at=T0 - timedelta(days=3)).ended(UnlinkReason.USER, T0)
    current = link("cur")
    teams = link("teams", provider="teams", external_account_id="acct-1")
    with storage.unit_of_work() as uow:
        for record in (old, current, teams):
            uow.links.add(record)
        uow.commit()
    with storage.unit_of_work() as uow:
        assert uow.links.active_for_user("t1", "u1", "zoom") == current
        assert uow.links.active_for_user("t1", "u1", "teams") == teams
        assert uow.links.active_for_user("t1", "u2", "zoom") is None
        assert uow.links.active_for_account("zoom", "acct-1") == current
        assert uow.links.active_for_account("zoom", "acct-2") is None
        assert uow.links.get("old") == old


def test_second_active_link_for_user_is_refused(storage: Storage) -> None:
    with storage.unit_of_work() as uow:
        uow.links.add(link("l1"))
        uow.commit()
    with storage.unit_of_work() as uow, pytest.raises(ConcurrentUpdate):
        uow.links.add(link("l2", external_account_id="acct-2"))


def test_second_user_for_one_account_is_refused(storage: Storage) -> None:
    with storage.unit_of_work() as uow:
        uow.links.add(link("l1"))
        uow.commit()
    with storage.unit_of_work() as uow, pytest.raises(ConcurrentUpdate):
        uow.links.add(link("l2", user_id="u2"))


def test_duplicate_link_id_is_refused(storage: Storage) -> None:
    with storage.unit_of_work() as uow:
        uow.links.add(link("l1"))
        uow.commit()
    with storage.unit_of_work() as uow, pytest.raises(ConcurrentUpdate):
        uow.links.add(link("l1", user_id="u9", external_account_id="acct-9", active=False))


def test_unit_of_work_stays_usable_after_a_refused_link(storage: Storage) -> None:
    with storage.unit_of_work() as uow:
        uow.links.add(link("l1"))
        with pytest.raises(ConcurrentUpdate):
            uow.links.add(link("l2", user_id="u2"))
        uow.links.add(link("l3", user_id="u3", external_account_id="acct-3"))
        uow.commit()
    with storage.unit_of_work() as uow:
        assert uow.links.get("l1") is not None
        assert uow.links.get("l2") is None
        assert uow.links.get("l3") is not None


def test_inactive_links_never_collide(storage: Storage) -> None:
    with storage.unit_of_work() as uow:
        for n in range(3):
            old = link(f"old{n}", linked_at=T0 + timedelta(days=n))
            uow.links.add(old.ended(UnlinkReason.RELINKED, T0 + timedelta(days=n + 1)))
        uow.links.add(link("cur", linked_at=T0 + timedelta(days=9)))
        uow.commit()
    with storage.unit_of_work() as uow:
        assert [r.id for r in uow.links.history("t1", "u1")] == ["old0", "old1", "old2", "cur"]


def test_update_replaces_every_field_and_frees_the_keys(storage: Storage) -> None:
    first = link("l1")
    with storage.unit_of_work() as uow:
        uow.links.add(first)
        uow.commit()
    ended = first.ended(UnlinkReason.TAKEN_OVER, T0 + timedelta(hours=1))
    with storage.unit_of_work() as uow:
        uow.links.update(ended)
        uow.links.add(link("l2", user_id="u2"))  # the account is free again
        uow.commit()
    with storage.unit_of_work() as uow:
        assert uow.links.get("l1") == ended
        stored = uow.links.get("l1")
        assert stored is not None and stored.tokens is None
        assert uow.links.active_for_account("zoom", "acct-1") == link("l2", user_id="u2")


def test_update_into_a_taken_key_is_refused(storage: Storage) -> None:
    with storage.unit_of_work() as uow:
        uow.links.add(link("l1").ended(UnlinkReason.USER, T0))
        uow.links.add(link("l2", user_id="u2"))
        uow.commit()
    with storage.unit_of_work() as uow, pytest.raises(ConcurrentUpdate):
        uow.links.update(link("l1"))


def test_update_of_unknown_link_raises(storage: Storage) -> None:
    with storage.unit_of_work() as uow, pytest.raises(StorageError):
        uow.links.update(link("ghost"))


def test_swap_tokens_is_a_compare_and_swap(storage: Storage) -> None:
    with storage.unit_of_work() as uow:
        uow.links.add(link("l1", token_version=4))
        uow.links.add(link("gone", user_id="u2", external_account_id="a2", active=False))
        uow.commit()
    with storage.unit_of_work() as uow:
        assert uow.links.swap_tokens("l1", 4, tokens(2), refreshed_at=T1) is True
        assert uow.links.swap_tokens("l1", 4, tokens(3), refreshed_at=T1) is False  # lost the race
        assert uow.links.swap_tokens("gone", 0, tokens(3), refreshed_at=T1) is False  # inactive
        assert uow.links.swap_tokens("ghost", 0, tokens(3), refreshed_at=T1) is False
        uow.commit()
    with storage.unit_of_work() as uow:
        stored = uow.links.get("l1")
        assert stored is not None
        assert stored.token_version == 5
        assert stored.tokens == tokens(2)
        assert stored.refreshed_at == T1


def test_idle_links_by_refresh_time_paged_and_active_only(storage: Storage) -> None:
    day = timedelta(days=1)
    with storage.unit_of_work() as uow:
        for n, age in enumerate([40, 31, 30, 29, 1]):  # days since the token was issued
            uow.links.add(link(f"l{n}", user_id=f"u{n}", external_account_id=f"a{n}",
                               refreshed_at=T0 - age * day))  # fmt: skip
        uow.links.add(link("twin", user_id="u9", external_account_id="a9",
                           refreshed_at=T0 - 31 * day))  # fmt: skip
        uow.links.add(link("ended", user_id="u8", external_account_id="a8",
                           refreshed_at=T0 - 99 * day).ended(UnlinkReason.USER, T0))  # fmt: skip
        uow.commit()
    with storage.unit_of_work() as uow:
        due = uow.links.idle(T0 - 30 * day, limit=10)
        assert [x.id for x in due] == ["l0", "l1", "twin", "l2"]  # (refreshed_at, id) order
        first = uow.links.idle(T0 - 30 * day, limit=2)
        assert [x.id for x in first] == ["l0", "l1"]
        cursor = (T0 - 31 * day, "l1")
        rest = uow.links.idle(T0 - 30 * day, limit=10, after=cursor)
        assert [x.id for x in rest] == ["twin", "l2"]  # an equal time is paged by id
        assert uow.links.idle(T0 - 50 * day, limit=10) == []
        assert uow.links.get("ended").refreshed_at is None  # type: ignore[union-attr]


def test_swapped_tokens_leave_the_idle_range(storage: Storage) -> None:
    with storage.unit_of_work() as uow:
        uow.links.add(link("l1", refreshed_at=T0 - timedelta(days=40)))
        uow.commit()
    with storage.unit_of_work() as uow:
        assert [x.id for x in uow.links.idle(T0 - timedelta(days=30), limit=5)] == ["l1"]
        assert uow.links.swap_tokens("l1", 0, tokens(2), refreshed_at=T0)
        assert uow.links.idle(T0 - timedelta(days=30), limit=5) == []
        uow.commit()


def test_history_is_oldest_first_and_per_user(storage: Storage) -> None:
    records = [
        link("c", linked_at=T0 + timedelta(days=2)),
        link("a", linked_at=T0, active=False),
        link("b", linked_at=T0 + timedelta(days=1), provider="teams"),
        link("x", user_id="u2", external_account_id="acct-x"),
    ]
    with storage.unit_of_work() as uow:
        for record in records:
            uow.links.add(record)
        uow.commit()
    with storage.unit_of_work() as uow:
        assert [r.id for r in uow.links.history("t1", "u1")] == ["a", "b", "c"]
        assert uow.links.history("t1", "nobody") == []


# -- OAuth states ----------------------------------------------------------------------------


def test_auth_state_is_single_use(storage: Storage) -> None:
    with storage.unit_of_work() as uow:
        uow.auth_states.add(pending("s1"))
        uow.commit()
    with storage.unit_of_work() as uow:
        assert uow.auth_states.take("s1") == pending("s1")
        assert uow.auth_states.take("s1") is None
        uow.commit()
    with storage.unit_of_work() as uow:
        assert uow.auth_states.take("s1") is None
        assert uow.auth_states.take("unknown") is None


def test_auth_state_add_replaces_the_same_state(storage: Storage) -> None:
    newer = pending("s1", user_id="u2")
    with storage.unit_of_work() as uow:
        uow.auth_states.add(pending("s1"))
        uow.auth_states.add(newer)
        uow.commit()
    with storage.unit_of_work() as uow:
        assert uow.auth_states.take("s1") == newer


def test_auth_state_purge_counts_expired_only(storage: Storage) -> None:
    with storage.unit_of_work() as uow:
        uow.auth_states.add(pending("early", expires_at=T0))
        uow.auth_states.add(pending("edge", expires_at=T0 + timedelta(minutes=5)))
        uow.auth_states.add(pending("late", expires_at=T0 + timedelta(minutes=10)))
        uow.commit()
    with storage.unit_of_work() as uow:
        assert uow.auth_states.purge(T0 + timedelta(minutes=5)) == 1
        uow.commit()
    with storage.unit_of_work() as uow:
        assert uow.auth_states.take("early") is None
        assert uow.auth_states.take("edge") is not None
        assert uow.auth_states.take("late") is not None


# -- the unit of work ------------------------------------------------------------------------


def test_leaving_without_commit_rolls_back(storage: Storage) -> None:
    with storage.unit_of_work() as uow:
        uow.links.add(link("l1"))
        uow.events.put(event_record("e1"))
    with storage.unit_of_work() as uow:
        assert uow.links.get("l1") is None
        assert uow.events.get("t1", "e1") is None


def test_explicit_rollback_drops_uncommitted_changes_only(storage: Storage) -> None:
    with storage.unit_of_work() as uow:
        uow.events.put(event_record("kept"))
        uow.commit()
        uow.events.put(event_record("dropped"))
        uow.rollback()
        assert uow.events.get("t1", "dropped") is None
        uow.events.put(event_record("after"))
        uow.commit()
    with storage.unit_of_work() as uow:
        assert uow.events.get("t1", "kept") is not None
        assert uow.events.get("t1", "dropped") is None
        assert uow.events.get("t1", "after") is not None


def test_commit_is_atomic_when_a_failure_interrupts(storage: Storage) -> None:
    """Scenario 25: a failure after several writes leaves none of them."""
    with pytest.raises(Boom), storage.unit_of_work() as uow:
        uow.events.put(event_record("e1"))
        uow.links.add(link("l1"))
        QUEUE.ask(
            uow,
            JobRequest(tenant_id="t1", kind="sync", key="e1", run_at=T0, payload={"e": "e1"}),
            T0,
        )
        uow.reminders.record("t1", "e1", "a@example.com", T0)
        raise Boom
    with storage.unit_of_work() as uow:
        assert uow.events.get("t1", "e1") is None
        assert uow.links.get("l1") is None
        assert uow.jobs.all() == []
        assert uow.reminders.record("t1", "e1", "a@example.com", T0) is True


def test_commit_outside_a_unit_of_work_raises(storage: Storage) -> None:
    with pytest.raises(StorageError):
        storage.unit_of_work().commit()
