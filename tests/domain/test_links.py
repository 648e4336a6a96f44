"""Account links (S6-S10, S15, S16, S24): one account per user, one user per account. A user
is a (tenant, user id): the same user id in two tenants is two users."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import attrs
import pytest
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule

from meetlink.domain.links import (
    AccountLink,
    LinkRecord,
    TokenSet,
    UnlinkReason,
    plan_link,
    violations,
)
from meetlink.errors import CredentialError

T0 = datetime(2024, 4, 1, 9, 0, tzinfo=UTC)
#: Host users: user ids repeat across tenants (user u1 of two tenants is two users).
HOSTS = (("tenant-1", "u1"), ("tenant-1", "u2"), ("tenant-2", "u1"), ("tenant-2", "u3"))
ACCOUNTS = ("zoom-a", "zoom-b", "zoom-c")
PROVIDERS = ("zoom", "teams")


def tokens(tag: str = "x") -> TokenSet:
    return TokenSet(
        access_token=f"access-{tag}",
        refresh_token=f"refresh-{tag}",
        expires_at=T0 + timedelta(hours=1),
    )


def record(
    id: str,
    user: str,
    account: str,
    provider: str = "zoom",
    *,
    at: datetime = T0,
    tenant: str = "tenant-1",
) -> LinkRecord:
    return LinkRecord(
        id=id,
        user_id=user,
        tenant_id=tenant,
        provider=provider,
        external_account_id=account,
        account_id=f"acct-of-{account}",
        email=f"{account}@example.com",
        plan="licensed",
        linked_at=at,
        tokens=tokens(id),
    )


class LinkStore:
    """The smallest store that applies link plans: records by id."""

    def __init__(self) -> None:
        self.records: dict[str, LinkRecord] = {}

    def active_of_user(self, provider: str, user: tuple[str, str]) -> LinkRecord | None:
        found = [
            r
            for r in self.records.values()
            if r.active and r.provider == provider and r.user_key == user
        ]
        assert len(found) <= 1
        return found[0] if found else None

    def active_of_account(self, provider: str, account: str) -> LinkRecord | None:
        found = [
            r
            for r in self.records.values()
            if r.active and r.provider == provider and r.external_account_id == account
        ]
        assert len(found) <= 1
        return found[0] if found else None

    def save(self, link: LinkRecord) -> None:
        self.records[link.id] = link


class LinkMachine(RuleBasedStateMachine):
    """Arbitrary link / unlink / deauthorize sequences over a few users and accounts."""

    def __init__(self) -> None:
        super().__init__()
        self.store = LinkStore()
        self.now = T0
        self.counter = 0

    def tick(self) -> datetime:
        self.now += timedelta(minutes=1)
        return self.now

    @rule(
        user=st.sampled_from(HOSTS),
        account=st.sampled_from(ACCOUNTS),
        provider=st.sampled_from(PROVIDERS),
    )
    def link(self, user: tuple[str, str], account: str, provider: str) -> None:
        now = self.tick()
        self.counter += 1
        tenant, user_id = user
        new = record(f"L{self.counter}", user_id, account, provider, at=now, tenant=tenant)
        by_user = self.store.active_of_user(provider, user)
        by_account = self.store.active_of_account(provider, account)
        others_before = dict(self.store.records)

        plan = plan_link(new, by_user, by_account, now)

        assert plan.new == new
        ended_ids = [e.id for e in plan.ended]
        assert len(ended_ids) == len(set(ended_ids)), "a link is ended twice"
        assert set(ended_ids) == {r.id for r in (by_user, by_account) if r is not None}
        for ended in plan.ended:
            assert not ended.active
            assert ended.unlinked_at == now
            assert ended.tokens is None
            self.store.save(ended)
        self.store.save(plan.new)

        # S10: the user now holds that account.
        mine = self.store.active_of_user(provider, user)
        assert mine is not None
        assert mine.external_account_id == account
        assert mine.id == new.id
        # S9: the account moved away from its former holder (of any tenant), TAKEN_OVER.
        if by_account is not None and by_account.user_key != user:
            assert self.store.active_of_user(provider, by_account.user_key) is None
            old = self.store.records[by_account.id]
            assert old.unlink_reason is UnlinkReason.TAKEN_OVER
            assert not old.active
        # S7: the user's previous link (another account, or the same one again) is replaced.
        if by_user is not None:
            assert self.store.records[by_user.id].unlink_reason is UnlinkReason.RELINKED
        # Nothing else was touched (other users, other providers, history).
        touched = {new.id, *ended_ids}
        for rid, before in others_before.items():
            if rid not in touched:
                assert self.store.records[rid] == before

    @rule(user=st.sampled_from(HOSTS), provider=st.sampled_from(PROVIDERS))
    def unlink(self, user: tuple[str, str], provider: str) -> None:
        # S15: personal settings -> "Unlink Zoom".
        current = self.store.active_of_user(provider, user)
        if current is None:
            return
        self.store.save(current.ended(UnlinkReason.USER, self.tick()))
        assert self.store.active_of_user(provider, user) is None

    @rule(account=st.sampled_from(ACCOUNTS), provider=st.sampled_from(PROVIDERS))
    def deauthorize(self, account: str, provider: str) -> None:
        # S16: "Remove App" at the provider -> deauthorization for that external account.
        current = self.store.active_of_account(provider, account)
        if current is None:
            return
        self.store.save(current.ended(UnlinkReason.PROVIDER_REMOVED, self.tick()))
        assert self.store.active_of_account(provider, account) is None

    @invariant()
    def no_invariant_is_broken(self) -> None:
        # S7, S8, S24 over every record, active and historical.
        assert violations(self.store.records.values()) == []

    @invariant()
    def ended_links_carry_no_tokens_and_say_why(self) -> None:
        for r in self.store.records.values():
            if r.active:
                assert r.tokens is not None
                assert r.unlink_reason is None
                assert r.unlinked_at is None
            else:
                assert r.tokens is None
                assert r.unlink_reason is not None
                assert r.unlinked_at is not None
                assert r.unlinked_at >= r.linked_at


TestLinkMachine = LinkMachine.TestCase
TestLinkMachine.settings = settings(max_examples=150, stateful_step_count=30, deadline=None)


# --- examples -----------------------------------------------------------------------------


def apply_plan(store: dict[str, LinkRecord], new: LinkRecord, now: datetime) -> None:
    by_user = next(
        (
            r
            for r in store.values()
            if r.active and r.provider == new.provider and r.user_key == new.user_key
        ),
        None,
    )
    by_account = next(
        (
            r
            for r in store.values()
            if r.active
            and r.provider == new.provider
            and r.external_account_id == new.external_account_id
        ),
        None,
    )
    plan = plan_link(new, by_user, by_account, now)
    for ended in plan.ended:
        store[ended.id] = ended
    store[plan.new.id] = plan.new


def test_s7_violations_reports_a_user_with_two_active_links() -> None:
    problems = violations([record("1", "u1", "zoom-a"), record("2", "u1", "zoom-b")])
    assert problems == ["user u1 of tenant-1 has two active zoom links"]


def test_s7_the_same_user_id_in_two_tenants_is_two_users() -> None:
    links = [record("1", "u1", "zoom-a"), record("2", "u1", "zoom-b", tenant="tenant-2")]
    assert violations(links) == []
    store: dict[str, LinkRecord] = {}
    for link in links:
        apply_plan(store, link, T0)
    assert all(link.active for link in store.values())  # neither replaced the other


def test_s9_a_user_of_another_tenant_with_the_same_id_takes_the_account_over() -> None:
    """Tenant 2's u1 links the account tenant 1's u1 holds: a takeover, not a relink."""
    store: dict[str, LinkRecord] = {}
    apply_plan(store, record("1", "u1", "zoom-a"), T0)
    later = T0 + timedelta(minutes=1)
    apply_plan(store, record("2", "u1", "zoom-a", at=later, tenant="tenant-2"), later)
    assert store["1"].unlink_reason is UnlinkReason.TAKEN_OVER and not store["1"].active
    assert store["2"].active and violations(store.values()) == []


def test_s7_relinking_another_account_ends_the_old_link_as_relinked() -> None:
    store: dict[str, LinkRecord] = {}
    apply_plan(store, record("1", "u1", "zoom-a"), T0)
    later = T0 + timedelta(days=1)
    apply_plan(store, record("2", "u1", "zoom-b"), later)
    assert store["1"].active is False
    assert store["1"].unlink_reason is UnlinkReason.RELINKED
    assert store["1"].unlinked_at == later
    assert store["2"].active
    assert violations(store.values()) == []


def test_s7_relinking_the_same_account_replaces_the_link_once() -> None:
    old = record("1", "u1", "zoom-a")
    plan = plan_link(record("2", "u1", "zoom-a"), old, old, T0 + timedelta(hours=1))
    assert [(e.id, e.unlink_reason) for e in plan.ended] == [("1", UnlinkReason.RELINKED)]


def test_s7_a_user_may_hold_one_link_per_provider() -> None:
    links = [record("1", "u1", "zoom-a", "zoom"), record("2", "u1", "teams-a", "teams")]
    assert violations(links) == []


def test_s8_violations_reports_an_account_linked_to_two_users() -> None:
    problems = violations([record("1", "u1", "zoom-a"), record("2", "u2", "zoom-a")])
    assert problems == ["account zoom-a is linked to two users"]


def test_s8_inactive_links_break_nothing() -> None:
    old = record("1", "u1", "zoom-a").ended(UnlinkReason.USER, T0)
    assert violations([old, record("2", "u2", "zoom-a"), record("3", "u1", "zoom-b")]) == []


def test_links_after_an_inactive_one_are_still_checked() -> None:
    old = record("1", "u1", "zoom-a").ended(UnlinkReason.USER, T0)
    assert violations([old, record("2", "u2", "zoom-b"), record("3", "u2", "zoom-c")]) == [
        "user u2 of tenant-1 has two active zoom links"
    ]


def test_s8_same_account_id_under_two_providers_is_not_a_conflict() -> None:
    assert violations([record("1", "u1", "x", "zoom"), record("2", "u2", "x", "teams")]) == []


def test_s9_linking_a_held_account_takes_it_over() -> None:
    store: dict[str, LinkRecord] = {}
    apply_plan(store, record("1", "u1", "zoom-a"), T0)
    later = T0 + timedelta(days=1)
    apply_plan(store, record("2", "u2", "zoom-a"), later)
    assert store["1"].active is False
    assert store["1"].unlink_reason is UnlinkReason.TAKEN_OVER
    assert store["1"].unlinked_at == later
    assert store["1"].tokens is None
    assert store["2"].active and store["2"].user_id == "u2"
    assert violations(store.values()) == []


def test_s9_takeover_by_a_user_who_had_another_account_ends_both() -> None:
    held_by_other = record("1", "u1", "zoom-a")
    mine = record("2", "u2", "zoom-b")
    plan = plan_link(record("3", "u2", "zoom-a"), mine, held_by_other, T0)
    reasons = {e.id: e.unlink_reason for e in plan.ended}
    assert reasons == {"1": UnlinkReason.TAKEN_OVER, "2": UnlinkReason.RELINKED}
    assert violations([*plan.ended, plan.new]) == []


def test_ended_link_forgets_its_tokens_and_keeps_its_identity() -> None:
    link = record("1", "u1", "zoom-a")
    ended = link.ended(UnlinkReason.PROVIDER_REMOVED, T0 + timedelta(hours=2))
    assert ended.tokens is None
    assert ended.unlink_reason is UnlinkReason.PROVIDER_REMOVED
    assert (
        attrs.evolve(ended, active=True, unlinked_at=None, unlink_reason=None, tokens=link.tokens)
        == link
    )


def test_tokens_never_appear_in_reprs() -> None:
    link = record("secret", "u1", "zoom-a")
    assert "access-secret" not in repr(link)
    assert "refresh-secret" not in repr(link)
    assert "access-secret" not in repr(link.tokens)
    assert "refresh-secret" not in repr(link.tokens)


def test_token_expiry_margin() -> None:
    t = tokens()
    assert not t.expired(T0)
    assert t.expired(T0 + timedelta(minutes=59))  # within the default 60 s margin
    assert not t.expired(T0 + timedelta(minutes=58, seconds=59))
    assert t.expired(T0 + timedelta(hours=2))


def test_public_view_has_no_tokens() -> None:
    view = record("1", "u1", "zoom-a").public()
    assert view == AccountLink(
        user_id="u1",
        tenant_id="tenant-1",
        provider="zoom",
        external_account_id="zoom-a",
        email="zoom-a@example.com",
        plan="licensed",
        linked_at=T0,
    )
    assert not hasattr(view, "tokens")


def test_a_released_refresh_lease_may_be_taken_again_at_once() -> None:
    link = record("1", "u1", "zoom-a")
    leased = link.lease_refresh(T0 + timedelta(minutes=5))
    assert leased.refresh_lease_until == T0 + timedelta(minutes=5)
    assert not leased.refresh_claimable(T0)
    assert leased.refresh_claimable(T0 + timedelta(minutes=5))  # its holder's time is up
    assert not link.ended(UnlinkReason.USER, T0).refresh_claimable(T0)  # no lease on an end
    released = leased.release_refresh()
    assert released.refresh_claimable(T0)
    assert released == link  # the tokens and everything else unchanged


def test_tokens_the_store_could_not_read_raise_saying_why() -> None:
    link = record("1", "u1", "zoom-a")
    assert link.readable_tokens() == tokens("1")
    unreadable = attrs.evolve(link, tokens=None, credential_error="wrong encryption key")
    with pytest.raises(CredentialError, match=r"^wrong encryption key$"):
        unreadable.readable_tokens()


@pytest.mark.parametrize(
    ("reason", "reauth"), [(UnlinkReason.GRANT_REVOKED, True), (UnlinkReason.USER, False)]
)
def test_an_ended_link_holds_no_lease_no_refresh_time_no_credential_error(
    reason: UnlinkReason, reauth: bool
) -> None:
    busy = attrs.evolve(
        record("1", "u1", "zoom-a"),
        refresh_lease_until=T0 + timedelta(minutes=1),
        refreshed_at=T0,
        credential_error="wrong encryption key",
    )
    ended = busy.ended(reason, T0 + timedelta(hours=1))
    assert (ended.refresh_lease_until, ended.refreshed_at, ended.credential_error) == (
        None,
        None,
        None,
    )
    assert ended.reauth_required is reauth
