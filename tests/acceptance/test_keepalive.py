"""Links that never die of inactivity (API "Additions"): a meeting booked 150 days ahead and
edited at day 140, on Zoom and on Teams, whose emulators let a refresh token die after 90
idle days (``refresh_token_idle``). With keep-alive and ``run_pending()`` at least every 30
days the edit reaches the meeting; without it (setting off, or ``run_pending()`` never
called) the link ends with LINK_BROKEN and a notice, never silently. Every database."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import attrs
import pytest

from meetlink import ConferenceStatus, Event, Participant
from meetlink.domain.results import HostNotice, HostNoticeKind
from meetlink.testing import Sandbox
from tests.notices import notices_into
from tests.storage.dbservers import private_database, require_server

T0 = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
DAY = timedelta(days=1)
BACKENDS = ["sqlite-memory", "postgresql", "mariadb"]


@attrs.define
class Story:
    """A sandbox with Zoom and Teams, the owner linked on ``provider``, the host's notices."""

    sb: Sandbox
    provider: str
    notices: list[HostNotice]
    user: Any = None

    def link(self) -> None:
        emulator: Any = self.sb.zoom if self.provider == "zoom" else self.sb.teams
        self.user = emulator.add_user("alice@corp.example")
        request = self.sb.meetlink.begin_link("t1", "alice", provider=self.provider)
        params = emulator.consent(request.authorize_url, self.user)
        self.sb.meetlink.complete_link(
            params["state"], code=params["code"], user_id="alice", tenant_id="t1"
        )

    def event(self, title: str = "Kick-off") -> Event:
        start = T0 + 150 * DAY
        return Event("e1", "t1", "alice", title, start, start + timedelta(hours=1),
                     participants=(Participant("bob@example.com"),),
                     web_meeting=self.provider)  # fmt: skip

    def meeting_topics(self) -> list[str]:
        if self.provider == "zoom":
            return [m["topic"] for m in self.sb.zoom.meetings()]
        assert self.sb.teams is not None
        return [m["subject"] for m in self.sb.teams.meetings()]

    def live_until_day_140(self, run_every: timedelta | None) -> None:
        """Book at day 0; ``run_pending()`` every ``run_every`` (None: never); day 140."""
        self.link()
        booked = self.sb.meetlink.save_event(self.event()).conference
        assert booked is not None and booked.status is ConferenceStatus.ISSUED
        while self.sb.clock.now() < T0 + 140 * DAY:
            step = run_every or 140 * DAY
            self.sb.clock.set(min(self.sb.clock.now() + step, T0 + 140 * DAY))
            if run_every is not None:
                self.sb.meetlink.run_pending()


@pytest.fixture(params=BACKENDS)
def backend_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite-memory":
        yield "sqlite://"
        return
    require_server(request.param)
    with private_database(request.param, tmp_path) as url:
        yield url


def _story(url: str, provider: str, **settings: Any) -> Iterator[Story]:
    notices: list[HostNotice] = []
    with Sandbox(now=T0, database_url=url, isolate=False, with_teams=True, seed=3,
                 listener=notices_into(notices), **settings) as sb:  # fmt: skip
        assert sb.teams is not None
        assert sb.zoom.refresh_token_idle == sb.teams.refresh_token_idle == 90 * DAY
        sb.meetlink.contract("t1")
        yield Story(sb, provider, notices)


@pytest.fixture(params=["zoom", "teams"])
def story(request: pytest.FixtureRequest, backend_url: str) -> Iterator[Story]:
    yield from _story(backend_url, request.param)


@pytest.fixture(params=["zoom", "teams"])
def story_without_keepalive(request: pytest.FixtureRequest, backend_url: str) -> Iterator[Story]:
    yield from _story(backend_url, request.param, token_keepalive=None)


@pytest.mark.parametrize("run_every", [30 * DAY, 7 * DAY], ids=["30d", "7d"])
def test_edit_at_day_140_reaches_the_meeting(story: Story, run_every: timedelta) -> None:
    story.live_until_day_140(run_every)
    result = story.sb.meetlink.save_event(story.event("Kick-off (moved)"))
    assert result.conference is not None
    assert result.conference.status is ConferenceStatus.ISSUED
    assert story.meeting_topics() == ["Kick-off (moved)"]
    assert story.sb.meetlink.link("alice", story.provider, tenant_id="t1") is not None
    assert story.notices == []


def test_without_keepalive_the_edit_finds_the_link_broken_and_says_so(
    story_without_keepalive: Story,
) -> None:
    story = story_without_keepalive
    story.live_until_day_140(30 * DAY)
    _the_link_broke_loudly(story)


def test_without_run_pending_the_edit_finds_the_link_broken_and_says_so(story: Story) -> None:
    story.live_until_day_140(None)
    _the_link_broke_loudly(story)


def _the_link_broke_loudly(story: Story) -> None:
    result = story.sb.meetlink.save_event(story.event("Kick-off (moved)"))
    assert result.conference is not None
    assert result.conference.status is ConferenceStatus.DETACHED  # the URL stays
    assert story.meeting_topics() == ["Kick-off"]  # the edit could not reach it
    assert story.sb.meetlink.link("alice", story.provider, tenant_id="t1") is None
    broken = [n for n in story.notices if n.kind is HostNoticeKind.LINK_BROKEN]
    assert [(n.user_id, n.provider) for n in broken] == [("alice", story.provider)]


def test_a_refused_keepalive_refresh_ends_the_link_at_once(story: Story) -> None:
    story.link()
    story.sb.meetlink.save_event(story.event())
    emulator: Any = story.sb.zoom if story.provider == "zoom" else story.sb.teams
    if story.provider == "zoom":
        emulator.remove_app(story.user)  # the webhook never arrives: only the refresh tells
    else:
        emulator.revoke_consent(story.user)  # Microsoft sends no webhook
    story.sb.clock.advance(30 * DAY)
    # One job done, bob's invitation (the keep-alive's refresh is not a job), and the link
    # is ended by that refresh:
    assert story.sb.meetlink.run_pending() == 1
    assert (
        story.sb.meetlink.link("alice", story.provider, tenant_id="t1") is None
    )  # at day 30, not day 140
    [broken] = story.notices
    assert broken.kind is HostNoticeKind.LINK_BROKEN and broken.user_id == "alice"
    conference = story.sb.meetlink.conference("e1", tenant_id="t1")
    assert conference is not None and conference.status is ConferenceStatus.DETACHED
