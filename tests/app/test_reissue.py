"""S21 re-issue on the owner's other account, and what happens when it cannot complete: an
issued URL is withdrawn only by its event (API "Additions")."""

from __future__ import annotations

from datetime import timedelta

from meetlink import ConferenceStatus, Participant
from meetlink.errors import ProviderRejected, ProviderUnavailable
from tests.app.conftest import World
from tests.conferences import status
from tests.ical import calendar_of, integer


def _latest_calendar_urls(world: World) -> dict[str, tuple[str, str]]:
    """Each participant's latest calendar entry for e1: (METHOD, URL)."""
    latest: dict[str, tuple[int, str, str]] = {}
    for mail in world.mailer.outbox:
        for part in mail.walk():
            if part.get_content_type() != "text/calendar":
                continue
            calendar = calendar_of(part)
            vevent = next(iter(calendar.walk("VEVENT")))
            who = mail["To"].addresses[0].addr_spec
            seen = (
                integer(vevent, "SEQUENCE"),
                str(calendar["METHOD"]),
                str(vevent.get("URL", "")),
            )
            if who not in latest or latest[who][0] < seen[0]:
                latest[who] = seen
    return {who: (method, url) for who, (_, method, url) in latest.items()}


def test_a_reissue_that_cannot_complete_keeps_the_issued_url(linked: World) -> None:
    ml = linked.meetlink
    first = ml.save_event(linked.event()).conference
    assert first is not None and first.status is ConferenceStatus.ISSUED
    old_url = first.join_url
    linked.deliver()
    ml.unlink("alice", tenant_id="t1")
    assert status(ml.conference("e1", tenant_id="t1")) is ConferenceStatus.DETACHED
    other = linked.zoom.add_account("alice@other.example")
    linked.link("alice", other)
    linked.zoom.fail_next(ProviderUnavailable("down"), method="create_meeting")
    ml.save_event(linked.event(title="Renamed"))  # S21: re-issued on the new account
    ml.unlink("alice", tenant_id="t1")  # ...which is lost before the create succeeds
    linked.clock.advance(timedelta(hours=1))
    linked.deliver()
    conf = ml.conference("e1", tenant_id="t1")
    assert conf is not None, "the issued URL was dropped without a cancellation"
    assert conf.status is ConferenceStatus.DETACHED
    assert conf.join_url == old_url
    # The old account comes back: its meeting is kept (it is the URL participants hold).
    linked.clock.advance(timedelta(days=2))
    linked.link("alice", linked.zoom.find_account(first.external_account_id))
    linked.clock.advance(timedelta(days=1))
    linked.deliver()
    conf = ml.conference("e1", tenant_id="t1")
    assert conf is not None and conf.status is ConferenceStatus.ISSUED
    assert conf.join_url == old_url
    assert [m["join_url"] for m in linked.zoom.live_meetings()] == [old_url]
    assert set(_latest_calendar_urls(linked).values()) == {("REQUEST", old_url)}


def test_a_reissue_that_completes_replaces_the_url_and_deletes_the_old_meeting(
    linked: World,
) -> None:
    ml = linked.meetlink
    first = ml.save_event(linked.event()).conference
    assert first is not None
    linked.deliver()
    ml.unlink("alice", tenant_id="t1")
    other = linked.zoom.add_account("alice@other.example")
    linked.link("alice", other)
    second = ml.save_event(linked.event(title="Renamed")).conference
    assert second is not None and second.status is ConferenceStatus.ISSUED
    assert second.join_url != first.join_url
    assert second.external_account_id == other.id
    linked.deliver()
    assert set(_latest_calendar_urls(linked).values()) == {("REQUEST", second.join_url)}
    # The old meeting goes once its account is linked again (by anyone).
    old = linked.zoom.find_account(first.external_account_id)
    linked.link("bob", old)
    linked.clock.advance(timedelta(minutes=1))
    linked.deliver()
    assert [m["join_url"] for m in linked.zoom.live_meetings()] == [second.join_url]


def test_participants_changed_by_a_save_whose_reissue_cannot_complete_are_told(
    linked: World,
) -> None:
    """The save that starts a re-issue also changes who is invited; the re-issue then ends
    with the kept URL (here: the event is over before the new meeting exists). Removed
    participants get a cancellation, new ones an invitation with the URL that still works."""
    ml = linked.meetlink
    first = ml.save_event(linked.event()).conference
    assert first is not None and first.join_url is not None
    linked.deliver()
    ml.unlink("alice", tenant_id="t1")
    linked.link("alice", linked.zoom.add_account("alice@other.example"))
    linked.clock.advance(timedelta(days=2))  # the event is over
    people = (Participant("carol@example.com"), Participant("dave@example.com"))
    ml.save_event(linked.event(start=linked.event().start - timedelta(days=2),
                               participants=people))  # fmt: skip
    linked.deliver()
    conf = ml.conference("e1", tenant_id="t1")
    assert conf is not None and conf.status is ConferenceStatus.DETACHED
    assert conf.join_url == first.join_url
    assert _latest_calendar_urls(linked) == {
        "bob@example.com": ("CANCEL", first.join_url),
        "carol@example.com": ("REQUEST", first.join_url),
        "dave@example.com": ("REQUEST", first.join_url),
    }


def test_participants_changed_while_a_reissue_gives_up_are_told(linked: World) -> None:
    ml = linked.meetlink
    first = ml.save_event(linked.event()).conference
    assert first is not None and first.join_url is not None
    linked.deliver()
    ml.unlink("alice", tenant_id="t1")
    linked.link("alice", linked.zoom.add_account("alice@other.example"))
    linked.zoom.fail_next(ProviderRejected("no", status=400), method="create_meeting")
    people = (Participant("dave@example.com"),)
    ml.save_event(linked.event(participants=people))
    linked.deliver()
    conf = ml.conference("e1", tenant_id="t1")
    assert conf is not None and conf.status is ConferenceStatus.DETACHED
    assert _latest_calendar_urls(linked) == {
        "bob@example.com": ("CANCEL", first.join_url),
        "carol@example.com": ("CANCEL", first.join_url),
        "dave@example.com": ("REQUEST", first.join_url),
    }
