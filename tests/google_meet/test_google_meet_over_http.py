"""Google Meet over real HTTP: ``meetlink emulator --provider google_meet`` as a subprocess, a
MeetLink wired from its first line alone running the seed story (link, issue on save, mail,
reminder, reschedule, delete by another user, unlink, a revoked grant), and Authlib's OAuth 2.0
client completing the emulator's flow with PKCE and a refresh."""

from __future__ import annotations

import re
import secrets
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from html import unescape
from typing import Any

import httpx
import pytest

from meetlink import ConferenceStatus, Event, MeetLink, Participant
from meetlink.adapters.clock import ManualClock
from meetlink.adapters.google_meet import SCOPES, GoogleMeetProvider
from meetlink.adapters.mail import RecordingMailer
from meetlink.adapters.sqlalchemy import SqlStorage, generate_key
from meetlink.domain.results import HostNotice, HostNoticeKind
from tests.mailtext import plain
from tests.test_emulator_command import _start, _stop

MEET = "google_meet"


@pytest.fixture
def emulator() -> Iterator[dict[str, Any]]:
    process, app = _start(
        "--provider", MEET, "--user", "alice@corp.example", "--user", "bob@corp.example"
    )
    try:
        yield app
    finally:
        _stop(process)


def _continue(http: httpx.Client, authorize_url: str, email: str) -> dict[str, str]:
    """Sign in as ``email`` on the emulator's consent page and press Continue: the
    parameters of the redirect back to the host."""
    page = http.get(authorize_url)
    assert page.status_code == 200, page.text
    form = page.text.split('<form id="allow"', 1)[1].split("</form>", 1)[0]
    fields = {
        unescape(n): unescape(v) for n, v in re.findall(r'name="([^"]+)" value="([^"]*)"', form)
    }
    users = dict(re.findall(r'<option value="([^"]+)">([^<]+)</option>', form))
    fields["user_id"] = next(uid for uid, mail in users.items() if mail == email)
    answer = http.post(authorize_url.split("?", 1)[0], data=fields)
    assert answer.status_code == 302
    return dict(httpx.URL(answer.headers["location"]).params)


def _event(event_id: str, start: datetime, title: str = "Review") -> Event:
    return Event(
        id=event_id,
        tenant_id="t1",
        owner_id="alice",
        title=title,
        start=start,
        end=start + timedelta(minutes=30),
        participants=(Participant(email="carol@example.com"),),
        web_meeting=MEET,
    )


def test_the_seed_story_over_http(emulator: dict[str, Any]) -> None:
    base = emulator["base_url"]
    clock = ManualClock(datetime.now(UTC).replace(microsecond=0))
    notices: list[HostNotice] = []
    provider = GoogleMeetProvider(
        client_id=emulator["client_id"],
        client_secret=emulator["client_secret"],
        redirect_uri=emulator["redirect_uri"],
        accounts_base_url=base,
        oauth2_base_url=base,
        userinfo_base_url=base,
        meet_base_url=base,
        clock=clock,
    )
    mailer = RecordingMailer()
    ml = MeetLink(
        storage=SqlStorage("sqlite://", encryption_keys=[generate_key()], create_schema=True),
        providers=[provider],
        mailer=mailer,
        clock=clock,
        listener=notices.append,
    )
    http = httpx.Client(base_url=base, timeout=30)
    try:
        ml.start_trial("t1")
        request = ml.begin_link("t1", "alice", provider=MEET)
        params = _continue(http, request.authorize_url, "alice@corp.example")
        ml.complete_link(params["state"], code=params["code"], user_id="alice", tenant_id="t1")

        start = clock.now() + timedelta(days=1)
        conf = ml.save_event(_event("e1", start)).conference
        assert conf is not None and conf.status is ConferenceStatus.ISSUED
        assert conf.join_url is not None
        [space] = http.get("/_emulator/meetings").json()
        assert space["meetingUri"] == conf.join_url and space["name"] == conf.meeting_id
        assert space["config"]["accessType"] == "TRUSTED"

        ml.run_pending()
        assert [conf.join_url in plain(m) for m in mailer.outbox] == [True]

        clock.advance(timedelta(minutes=1))
        calls = [r for r in http.get("/_emulator/requests").json() if "/v2/" in r["path"]]
        moved = ml.save_event(_event("e1", start + timedelta(hours=2), "Review (moved)"))
        assert moved.conference is not None and moved.conference.join_url == conf.join_url
        ml.run_pending()
        after = [r for r in http.get("/_emulator/requests").json() if "/v2/" in r["path"]]
        assert after == calls  # nothing to change at Google
        assert len(mailer.outbox) == 2 and conf.join_url in plain(mailer.outbox[1])

        clock.set(start + timedelta(hours=2) - timedelta(minutes=5))
        assert ml.send_due_reminders() == 1
        ml.run_pending()
        assert len(mailer.outbox) == 3 and conf.join_url in plain(mailer.outbox[2])

        assert ml.delete_event("e1", actor_id="bob", tenant_id="t1")
        ml.run_pending()
        assert http.get("/_emulator/meetings").json() == []
        assert "CANCEL" in mailer.outbox[3].as_string()

        assert ml.unlink("alice", MEET, tenant_id="t1") is True
        paths = [r["path"] for r in http.get("/_emulator/requests").json()]
        assert "/revoke" in paths

        params = _continue(http, ml.begin_link("t1", "alice", provider=MEET).authorize_url,
                           "alice@corp.example")  # fmt: skip
        ml.complete_link(params["state"], code=params["code"], user_id="alice", tenant_id="t1")
        clock.advance(timedelta(minutes=1))
        kept = ml.save_event(_event("e2", clock.now() + timedelta(days=2))).conference
        assert kept is not None and kept.status is ConferenceStatus.ISSUED
        removed = http.post("/_emulator/remove-app", json={"email": "alice@corp.example"})
        assert removed.status_code == 200 and removed.json()["webhook"] is None
        clock.advance(timedelta(hours=2))  # the access token is spent: a refresh is needed
        edited = ml.save_event(_event("e2", clock.now() + timedelta(days=3), "Moved")).conference
        assert edited is not None and edited.join_url == kept.join_url
        ml.save_event(_event("e3", clock.now() + timedelta(days=4)))
        ml.run_pending()
        assert ml.link("alice", MEET, tenant_id="t1") is None
        assert [n.kind for n in notices].count(HostNoticeKind.LINK_BROKEN) == 1
    finally:
        http.close()
        ml.close()
        provider.close()


def test_authlib_completes_the_flow_with_pkce_and_refresh(emulator: dict[str, Any]) -> None:
    from authlib.integrations.httpx_client import OAuth2Client

    base = emulator["base_url"]
    verifier = secrets.token_urlsafe(48)
    with OAuth2Client(
        client_id=emulator["client_id"],
        client_secret=emulator["client_secret"],
        redirect_uri=emulator["redirect_uri"],
        scope=SCOPES,
        code_challenge_method="S256",
        token_endpoint_auth_method="client_secret_post",
    ) as client:
        url, state = client.create_authorization_url(
            f"{base}/o/oauth2/v2/auth", code_verifier=verifier, access_type="offline",
            prompt="consent",
        )  # fmt: skip
        assert "code_challenge_method=S256" in url and "access_type=offline" in url
        with httpx.Client(timeout=30) as browser:
            params = _continue(browser, url, "bob@corp.example")
        assert params["state"] == state
        token = client.fetch_token(f"{base}/token", code=params["code"], code_verifier=verifier)
        assert token["refresh_token"] and "meetings.space.created" in token["scope"]
        space = client.post(f"{base}/v2/spaces", json={})
        assert space.status_code == 200 and space.json()["meetingUri"].startswith("https://")
        fresh = client.refresh_token(f"{base}/token", refresh_token=token["refresh_token"])
        assert fresh["access_token"] != token["access_token"]
        assert client.get(f"{base}/v1/userinfo").json()["email"] == "bob@corp.example"
        with pytest.raises(Exception, match="invalid_grant"):
            client.fetch_token(f"{base}/token", code=params["code"], code_verifier=verifier)
