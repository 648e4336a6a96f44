"""Google Meet through the test kit: the seed story on ``Sandbox(with_meet=True)`` (link,
issue on save, mail, reminder, reschedule, delete by another user, unlink, a revoked grant),
a lost create, a series, and a 100-event import against the emulator's quotas."""

from __future__ import annotations

from datetime import timedelta
from email.message import EmailMessage

import attrs

from meetlink import ConferenceStatus, Event, Participant
from meetlink.domain.issuance import IssuancePolicy
from meetlink.domain.results import HostNotice, HostNoticeKind
from meetlink.emulators.google_meet import GoogleMeetEmulator, GoogleUser
from meetlink.testing import Sandbox
from tests.acceptance.conftest import T0
from tests.mailtext import plain

MEET = "google_meet"


def _meet(sb: Sandbox) -> GoogleMeetEmulator:
    assert sb.meet is not None
    return sb.meet


def _link(sb: Sandbox, user_id: str = "alice", email: str = "alice@corp.example") -> GoogleUser:
    user = _meet(sb).add_user(email)
    request = sb.meetlink.begin_link("t1", user_id, provider=MEET)
    params = _meet(sb).consent(request.authorize_url, user)
    sb.meetlink.complete_link(params["state"], code=params["code"], user_id=user_id, tenant_id="t1")
    return user


def _event(sb: Sandbox, event_id: str = "e1", *, days: int = 1, title: str = "Review") -> Event:
    start = T0 + timedelta(days=days)
    return Event(
        id=event_id,
        tenant_id="t1",
        owner_id="alice",
        title=title,
        start=start,
        end=start + timedelta(minutes=45),
        participants=(Participant(email="bob@example.com"), Participant(email="c@example.com")),
        web_meeting=MEET,
    )


def _text(mail: EmailMessage) -> str:
    return plain(mail)


def _meet_calls(sb: Sandbox) -> list[tuple[str, str]]:
    return [(m, p) for m, p in _meet(sb).requests if p.startswith("/v2/")]


def test_meet_is_registered_only_when_asked() -> None:
    with Sandbox(now=T0) as sb:
        assert sb.meet is None
    with Sandbox(now=T0, with_meet=True, seed=1) as sb:
        assert isinstance(sb.meet, GoogleMeetEmulator)
        assert sb.meetlink.web_meeting_available("t1", "alice", MEET) is False  # no link yet


def test_the_seed_story_on_google_meet() -> None:
    notices: list[HostNotice] = []
    with Sandbox(now=T0, with_meet=True, seed=1, listener=notices.append) as sb:
        ml, meet = sb.meetlink, _meet(sb)
        ml.start_trial("t1")
        user = _link(sb)
        assert ml.link("alice", MEET, tenant_id="t1") is not None
        assert ml.web_meeting_available("t1", "alice", MEET)

        # Issue on save: one space, its meetingUri is the join URL.
        conf = ml.save_event(_event(sb)).conference
        assert conf is not None and conf.status is ConferenceStatus.ISSUED
        [space] = meet.meetings(user)
        assert conf.join_url == space["meetingUri"] and conf.meeting_id == space["name"]
        assert conf.join_url is not None and conf.join_url.startswith("https://meet.google.com/")
        assert space["config"]["accessType"] == "TRUSTED"
        assert ml.start_url("e1", "alice", tenant_id="t1") == conf.join_url  # no host URL

        # Mail: both participants get the URL.
        ml.run_pending()
        assert sorted(m["To"].addresses[0].addr_spec for m in sb.outbox) == [
            "bob@example.com",
            "c@example.com",
        ]
        assert all(conf.join_url in _text(m) for m in sb.outbox)

        # Reschedule (a minute later: a sync job spends from the create budget, 10 a minute
        # per user, whatever it does): nothing changes at Google, the participants get the
        # update.
        sb.clock.advance(timedelta(minutes=1))
        calls = _meet_calls(sb)
        moved = ml.save_event(_event(sb, days=2, title="Review (moved)")).conference
        assert moved is not None and moved.status is ConferenceStatus.ISSUED
        assert moved.join_url == conf.join_url
        ml.run_pending()
        assert _meet_calls(sb) == calls
        updates = sb.outbox[2:]
        assert len(updates) == 2 and all(conf.join_url in _text(m) for m in updates)
        assert all("Review (moved)" in m["Subject"] for m in updates)

        # Reminder at the start shows the URL.
        sb.clock.set(T0 + timedelta(days=2) - timedelta(minutes=5))
        assert ml.send_due_reminders() == 2
        ml.run_pending()
        reminders = sb.outbox[4:]
        assert len(reminders) == 2 and all(conf.join_url in _text(m) for m in reminders)

        # Delete by another user: the conference in progress ends, the space is restricted.
        meet.start_conference(conf.join_url)
        assert ml.delete_event("e1", actor_id="bob", tenant_id="t1")
        ml.run_pending()
        assert meet.meetings() == [] and meet.closed() == [conf.meeting_id]
        [closed] = meet.spaces(user)
        assert "activeConference" not in closed
        assert closed["config"]["accessType"] == "RESTRICTED"
        assert meet.can_join(conf.join_url, same_domain=True) == "knock"
        assert len(sb.outbox) == 8  # 2 invitations, 2 updates, 2 reminders, 2 cancellations

        # Unlink: the grant is revoked at Google.
        second = ml.save_event(_event(sb, "e2", days=3)).conference
        assert second is not None and second.status is ConferenceStatus.ISSUED
        assert ml.unlink("alice", MEET, tenant_id="t1") is True
        assert ml.link("alice", MEET, tenant_id="t1") is None
        assert ("POST", "/revoke") in meet.requests
        assert not ml.web_meeting_available("t1", "alice", MEET)

        # A revoked grant: the user removes the app at Google; the next call that needs a
        # refresh finds the link dead, says so, and keeps the URL.
        _link(sb)
        sb.clock.advance(timedelta(minutes=1))
        third = ml.save_event(_event(sb, "e3", days=4)).conference
        assert third is not None and third.status is ConferenceStatus.ISSUED
        meet.revoke_consent(meet.users()[-1])
        sb.clock.advance(timedelta(hours=2))  # the access token expired
        edited = ml.save_event(_event(sb, "e3", days=5, title="Third (moved)")).conference
        assert edited is not None and edited.join_url == third.join_url
        ml.save_event(_event(sb, "e4", days=6))
        ml.run_pending()
        assert ml.link("alice", MEET, tenant_id="t1") is None
        broken = [n for n in notices if n.kind is HostNoticeKind.LINK_BROKEN]
        assert [(n.user_id, n.provider) for n in broken] == [("alice", MEET)]


def test_a_lost_create_leaves_no_duplicate_in_the_hosts_sight() -> None:
    with Sandbox(now=T0, with_meet=True, seed=2) as sb:
        ml, meet = sb.meetlink, _meet(sb)
        ml.start_trial("t1")
        _link(sb)
        meet.fail_next(1, status=0, method="POST", path="/v2/spaces")
        saved = ml.save_event(_event(sb)).conference
        assert saved is not None and saved.status is ConferenceStatus.PENDING
        [orphan] = meet.orphans()
        sb.clock.advance(timedelta(minutes=2))
        ml.run_pending()
        conf = ml.conference("e1", tenant_id="t1")
        assert conf is not None and conf.status is ConferenceStatus.ISSUED
        assert [s["name"] for s in meet.meetings()] == [conf.meeting_id] != [orphan]
        lost_uri = next(s["meetingUri"] for s in meet.spaces() if s["name"] == orphan)
        assert all(lost_uri not in m.as_string() for m in sb.outbox) and sb.outbox
        assert conf.join_url != lost_uri


def test_a_series_gets_one_space() -> None:
    with Sandbox(now=T0, with_meet=True, seed=3, policy=IssuancePolicy.roadmap()) as sb:
        ml, meet = sb.meetlink, _meet(sb)
        ml.start_trial("t1")
        _link(sb)
        weekly = attrs.evolve(_event(sb), recurrence="FREQ=WEEKLY;BYDAY=MO;COUNT=10")
        conf = ml.save_event(weekly).conference
        assert conf is not None and conf.status is ConferenceStatus.ISSUED
        assert [s["meetingUri"] for s in meet.meetings()] == [conf.join_url]


def test_a_100_event_import_by_one_user_meets_no_429() -> None:
    with Sandbox(now=T0, with_meet=True, seed=4) as sb:
        ml, meet = sb.meetlink, _meet(sb)
        ml.start_trial("t1")
        _link(sb)
        assert (meet.creates_per_user, meet.creates_per_project) == (10, 100)
        for n in range(100):
            ml.save_event(_event(sb, f"imp-{n}", days=3 + n % 20))
        for _ in range(1000):
            if len(meet.meetings()) == 100:
                break
            sb.clock.advance(timedelta(seconds=6))
            ml.run_pending()
        assert len(meet.meetings()) == 100 and meet.throttled == 0
        issued = [ml.conference(f"imp-{n}", tenant_id="t1") for n in range(100)]
        assert all(c is not None and c.status is ConferenceStatus.ISSUED for c in issued)
        assert sb.clock.now() - T0 < timedelta(minutes=11)  # paced at 10 a minute


def test_each_tenant_chooses_the_access_type() -> None:
    chosen = {"t1": "OPEN", "t2": "RESTRICTED"}
    with Sandbox(
        now=T0, with_meet=True, seed=5, meet_access_type=lambda t: chosen.get(t or "", "TRUSTED")
    ) as sb:
        ml, meet = sb.meetlink, _meet(sb)
        for tenant in ("t1", "t2", "t3"):
            sb.clock.advance(timedelta(minutes=1))  # the project's creates are paced too
            ml.start_trial(tenant)
            user = meet.add_user(f"owner@{tenant}.example")
            request = ml.begin_link(tenant, "alice", provider=MEET)
            params = meet.consent(request.authorize_url, user)
            ml.complete_link(
                params["state"], code=params["code"], user_id="alice", tenant_id=tenant
            )
            conf = ml.save_event(
                attrs.evolve(_event(sb, f"{tenant}-e"), tenant_id=tenant)
            ).conference
            assert conf is not None and conf.status is ConferenceStatus.ISSUED
            [space] = [s for s in meet.spaces() if s["meetingUri"] == conf.join_url]
            assert space["config"]["accessType"] == chosen.get(tenant, "TRUSTED")


def test_meet_conferences_reach_the_host_event_feed() -> None:
    told: list[HostNotice] = []
    with Sandbox(now=T0, with_meet=True, seed=4, listener=told.append) as sb:
        sb.meetlink.start_trial("t1")
        _link(sb)
        event = _event(sb)
        sb.meetlink.save_event(event)
        later = timedelta(hours=2)
        # a space has no time: moving the event changes nothing participants hold
        sb.meetlink.save_event(
            attrs.evolve(event, start=event.start + later, end=event.end + later)
        )
        sb.meetlink.save_event(attrs.evolve(event, web_meeting=None))
        feed = sb.meetlink.events(tenant_id="t1")
        assert [(e.kind.value, e.user_id, e.event_id, e.provider) for e in feed] == [
            ("conference_issued", "alice", "e1", MEET),
            ("conference_withdrawn", "alice", "e1", MEET),
        ]
        assert told == feed
