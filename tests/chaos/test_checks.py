"""The chaos checks are not vacuous: a small clean run passes them, and the same run with a
meeting at Zoom that meetlink does not know (made by another product on the same account),
or with a start URL in a mail, fails them."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from meetlink import Event, MeetLink
from meetlink.adapters.mail import RecordingMailer
from meetlink.adapters.sqlalchemy import SqlStorage, generate_key

from .checks import check
from .world import ChaosWorld

T0 = datetime(2026, 12, 1, 8, 0, tzinfo=UTC)


@pytest.fixture
def world(tmp_path: Path) -> Iterator[ChaosWorld]:
    world = ChaosWorld(f"sqlite:///{tmp_path / 'chaos.db'}", seed=7, now=T0)
    world.run(60, 0.25)
    world.drain()
    world.relink_every_account()
    yield world
    world.close()


def test_a_clean_run_passes_and_counts_what_it_did(world: ChaosWorld) -> None:
    counts = check(world)
    assert counts["operations_total"] == 60
    assert counts["provider_requests_in_all"] > 0


def test_an_orphaned_meeting_is_found(world: ChaosWorld) -> None:
    provider = world.zoom.provider(clock=world.clock)
    other = MeetLink(
        storage=SqlStorage("sqlite://", encryption_keys=[generate_key()], create_schema=True),
        providers=[provider],
        mailer=RecordingMailer(),
        clock=world.clock,
    )
    try:
        other.contract("x")
        account = next(iter(world.accounts.values())).zoom
        request = other.begin_link("x", "stranger")
        params = world.zoom.consent(request.authorize_url, account)
        other.complete_link(params["state"], code=params["code"], user_id="stranger", tenant_id="x")
        start = world.clock.now() + timedelta(days=1)
        other.save_event(Event("x1", "x", "stranger", "Elsewhere", start,
                               start + timedelta(hours=1), web_meeting="zoom"))  # fmt: skip
    finally:
        other.close()
        provider.close()
    with pytest.raises(AssertionError, match="orphaned meeting"):
        check(world)


def test_a_start_url_in_a_mail_is_found(world: ChaosWorld) -> None:
    meetings = world.zoom.meetings()
    assert meetings and world.sandbox.outbox, "the run left a meeting and mail"
    meeting = meetings[0]
    leaked = world.sandbox.outbox[-1]
    plain = leaked.get_body(("plain",))
    assert plain is not None
    plain.set_content(f"{plain.get_content()}\n{meeting['start_url']}\n")
    with pytest.raises(AssertionError, match="carries a start URL"):
        check(world)
