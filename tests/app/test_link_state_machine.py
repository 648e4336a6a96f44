"""S7-S9 through the facade: arbitrary link / relink / takeover / unlink / deauthorization
sequences, checked against a simple model after every step."""

from __future__ import annotations

from datetime import timedelta

from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from meetlink.adapters.memory.provider import FakeAccount
from tests.app.conftest import make_world

USERS = ("u1", "u2", "u3")
ACCOUNTS = ("a1@zoom.example", "a2@zoom.example", "a3@zoom.example")


class LinkMachine(RuleBasedStateMachine):
    """The model: user -> account email, for active links only."""

    def __init__(self) -> None:
        super().__init__()
        self.world = make_world()
        self.world.meetlink.contract("t1")
        self.accounts: dict[str, FakeAccount] = {
            email: self.world.zoom.add_account(email) for email in ACCOUNTS
        }
        self.model: dict[str, str] = {}

    @rule(user=st.sampled_from(USERS), email=st.sampled_from(ACCOUNTS))
    def link(self, user: str, email: str) -> None:
        # Consent takes time: a later deauthorization is never stamped with the same instant
        # as an earlier one (identical deliveries are replays and change nothing).
        self.world.clock.advance(timedelta(seconds=1))
        link = self.world.link(user, self.accounts[email])
        assert link.user_id == user and link.email == email
        for other, held in list(self.model.items()):
            if held == email and other != user:
                del self.model[other]  # S9: taken over
        self.model[user] = email  # S7: replaces the user's previous account

    @rule(user=st.sampled_from(USERS))
    def unlink(self, user: str) -> None:
        assert self.world.meetlink.unlink(user, tenant_id="t1") == (user in self.model)
        self.model.pop(user, None)

    @precondition(lambda self: bool(self.model))
    @rule(data=st.data())
    def remove_app(self, data: st.DataObject) -> None:
        email = data.draw(st.sampled_from(sorted(set(self.model.values()))))
        headers, body = self.world.zoom.deauthorization(self.accounts[email])
        assert self.world.meetlink.handle_webhook("zoom", headers, body).status == 200
        self.model = {u: e for u, e in self.model.items() if e != email}

    @rule()
    def time_passes(self) -> None:
        self.world.clock.advance(timedelta(seconds=1))

    @invariant()
    def links_match_the_model(self) -> None:
        for user in USERS:
            link = self.world.meetlink.link(user, tenant_id="t1")
            assert (link.email if link else None) == self.model.get(user)

    @invariant()
    def one_user_per_account(self) -> None:
        held = [link.email for u in USERS if (link := self.world.meetlink.link(u, tenant_id="t1"))]
        assert len(held) == len(set(held))  # S8, S24


TestLinkMachine = LinkMachine.TestCase
TestLinkMachine.settings = settings(max_examples=60, stateful_step_count=25, deadline=None)
