"""ZoomEmulator behaviour (FACTS.md §9): OAuth rules, limits, faults, shapes."""

from __future__ import annotations

import base64
import json
import threading
import types
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from meetlink.adapters.clock import ManualClock
from meetlink.adapters.zoom import ZoomProvider
from meetlink.domain.conference import MeetingTerms
from meetlink.domain.links import TokenSet
from meetlink.emulators.zoom import ConsentBlocked, ConsentError, ZoomEmulator
from meetlink.errors import (
    AuthExpired,
    GrantRevoked,
    ProviderRejected,
    ProviderUnavailable,
    RateLimited,
)
from meetlink.ports.provider import MeetingRequest
from tests.providers.targets import pkce

from .schemas import check, checking

DAILY = (
    "You have exceeded the daily rate limit (100) of Meeting Create/Update API requests "
    "permitted for this particular user. You may resume these requests at GMT 00:00:00."
)


def _link(zoom: ZoomEmulator, provider: ZoomProvider, email: str = "h@example.com") -> TokenSet:
    user = zoom.add_user(email)
    verifier, challenge = pkce()
    answer = zoom.consent(provider.authorization_url(state="s", code_challenge=challenge), user)
    return provider.exchange_code(code=answer["code"], code_verifier=verifier)


def _req(clock: ManualClock, marker: str = "m", topic: str = "T") -> MeetingRequest:
    terms = MeetingTerms(
        topic=topic, start=clock.now() + timedelta(days=2), duration_minutes=30, timezone="UTC"
    )
    return MeetingRequest(terms=terms, marker=marker)


def _raw(zoom: ZoomEmulator) -> httpx.Client:
    return httpx.Client(transport=checking(zoom.transport()), base_url="https://api.zoom.us")


# --- OAuth ------------------------------------------------------------------------------


def test_code_expires_after_five_minutes(
    emulator: ZoomEmulator, provider: ZoomProvider, clock: ManualClock
) -> None:
    user = emulator.add_user("a@example.com")
    verifier, challenge = pkce()
    url = provider.authorization_url(state="s", code_challenge=challenge)
    late = emulator.consent(url, user)
    in_time = emulator.consent(url, user)
    clock.advance(timedelta(seconds=299))
    provider.exchange_code(code=in_time["code"], code_verifier=verifier)
    clock.advance(timedelta(seconds=2))
    with pytest.raises(ProviderRejected) as caught:
        provider.exchange_code(code=late["code"], code_verifier=verifier)
    assert caught.value.provider_code == "invalid_request"


def test_code_is_single_use(emulator: ZoomEmulator, provider: ZoomProvider) -> None:
    user = emulator.add_user("a@example.com")
    verifier, challenge = pkce()
    answer = emulator.consent(provider.authorization_url(state="s", code_challenge=challenge), user)
    provider.exchange_code(code=answer["code"], code_verifier=verifier)
    with pytest.raises(ProviderRejected, match="Invalid authorization code"):
        provider.exchange_code(code=answer["code"], code_verifier=verifier)


def test_pkce_mismatch_is_invalid_grant_and_burns_the_code(
    emulator: ZoomEmulator, provider: ZoomProvider
) -> None:
    user = emulator.add_user("a@example.com")
    verifier, challenge = pkce()
    answer = emulator.consent(provider.authorization_url(state="s", code_challenge=challenge), user)
    with pytest.raises(GrantRevoked):
        provider.exchange_code(code=answer["code"], code_verifier=verifier + "x")
    with pytest.raises(ProviderRejected):
        provider.exchange_code(code=answer["code"], code_verifier=verifier)


def test_plain_pkce_and_no_pkce_follow_zoom(emulator: ZoomEmulator) -> None:
    user = emulator.add_user("a@example.com")
    base = f"https://zoom.us/oauth/authorize?response_type=code&client_id={emulator.client_id}"
    base += f"&redirect_uri={emulator.redirect_uri}"
    plain = emulator.consent(base + "&code_challenge=abc", user)  # method defaults to plain
    none = emulator.consent(base, user)
    auth = base64.b64encode(f"{emulator.client_id}:{emulator.client_secret}".encode()).decode()
    with httpx.Client(transport=emulator.transport()) as client:
        for code, verifier in [(plain["code"], "abc"), (none["code"], None)]:
            form = {
                "grant_type": "authorization_code",
                "code": code,
                "redirect_uri": emulator.redirect_uri,
            }
            if verifier:
                form["code_verifier"] = verifier
            # Zoom takes the parameters as query parameters too (FACTS.md §1.3).
            reply = client.post(
                "https://zoom.us/oauth/token",
                params=form,
                headers={"Authorization": f"Basic {auth}"},
            )
            assert reply.status_code == 200
            assert reply.json()["expires_in"] == 3599 and reply.json()["token_type"] == "bearer"


def test_token_endpoint_requires_basic_auth(emulator: ZoomEmulator) -> None:
    with httpx.Client(transport=emulator.transport()) as client:
        reply = client.post("https://zoom.us/oauth/token", data={"grant_type": "refresh_token"})
        assert reply.status_code == 400
        assert reply.json() == {
            "reason": "Invalid client_id or client_secret",
            "error": "invalid_client",
        }
    wrong = ZoomProvider(
        client_id=emulator.client_id,
        client_secret="wrong",
        redirect_uri=emulator.redirect_uri,
        transport=emulator.transport(),
    )
    with wrong, pytest.raises(ProviderRejected) as caught:
        wrong.refresh("x")
    assert caught.value.provider_code == "invalid_client"


def test_refresh_rotation_kills_the_old_refresh_token(
    emulator: ZoomEmulator, provider: ZoomProvider
) -> None:
    first = _link(emulator, provider)
    second = provider.refresh(first.refresh_token)
    with pytest.raises(GrantRevoked):
        provider.refresh(first.refresh_token)
    third = provider.refresh(second.refresh_token)
    assert provider.account(third.access_token).email == "h@example.com"


def test_access_token_lives_one_hour(
    emulator: ZoomEmulator, provider: ZoomProvider, clock: ManualClock
) -> None:
    tokens = _link(emulator, provider)
    assert tokens.expires_at == clock.now() + timedelta(seconds=3599)
    clock.advance(timedelta(seconds=3599))
    provider.account(tokens.access_token)
    clock.advance(timedelta(seconds=1))
    with _raw(emulator) as client:
        reply = client.get(
            "/v2/users/me", headers={"Authorization": f"Bearer {tokens.access_token}"}
        )
        assert reply.status_code == 401
        assert reply.json() == {"code": 124, "message": "Access token is expired."}
        reply = client.get("/v2/users/me")
        assert reply.json() == {"code": 124, "message": "Invalid access token."}


def test_consent_checks_the_request(emulator: ZoomEmulator, provider: ZoomProvider) -> None:
    user = emulator.add_user("a@example.com")
    url = provider.authorization_url(state="s", code_challenge="c")
    with pytest.raises(ConsentError, match="4709"):
        emulator.consent(url.replace("127.0.0.1", "evil.example"), user)
    with pytest.raises(ConsentError, match="client_id"):
        emulator.consent(url.replace(emulator.client_id, "other"), user)
    with pytest.raises(ConsentError, match="S256 or plain"):
        emulator.consent(url.replace("S256", "S512"), user)


def test_admin_approval_blocks_until_approved(
    emulator: ZoomEmulator, provider: ZoomProvider
) -> None:
    user = emulator.add_user("a@corp.example", account_id="corp")
    emulator.require_admin_approval("corp")
    url = provider.authorization_url(state="s", code_challenge="c")
    with pytest.raises(ConsentBlocked, match="admin"):
        emulator.consent(url, user)
    emulator.approve("corp")
    assert "code" in emulator.consent(url, user)


def test_remove_app_revokes_and_signs(emulator: ZoomEmulator, provider: ZoomProvider) -> None:
    tokens = _link(emulator, provider)
    other = _link(emulator, provider, "other@example.com")
    me = provider.account(tokens.access_token)
    [user] = [u for u in emulator.users() if u.id == me.external_account_id]
    headers, body = emulator.remove_app(user)
    payload = json.loads(body)["payload"]
    assert set(payload) == {
        "account_id",
        "user_id",
        "signature",
        "deauthorization_time",
        "client_id",
        "user_data_retention",  # "true": the user keeps their data (retain_data=False: "false")
    }
    assert (
        payload["user_id"] == me.external_account_id and payload["client_id"] == emulator.client_id
    )
    assert payload["deauthorization_time"].endswith("Z")
    with pytest.raises(AuthExpired):
        provider.account(tokens.access_token)
    with pytest.raises(GrantRevoked):
        provider.refresh(tokens.refresh_token)
    provider.account(other.access_token)  # other users keep their grants
    message = provider.parse_webhook(headers, body, emulator.clock.now())
    assert message.external_account_id == me.external_account_id


# --- REST -------------------------------------------------------------------------------


def test_create_answers_the_full_get_shape(
    emulator: ZoomEmulator, provider: ZoomProvider, clock: ManualClock
) -> None:
    tokens = _link(emulator, provider)
    provider.create_meeting(tokens.access_token, _req(clock))
    [meeting] = emulator.meetings()
    check("meeting_get_response", meeting)
    check("meeting_create_response", meeting)
    assert meeting["id"] >= 10**9 and len(str(meeting["id"])) >= 10
    for key in (
        "uuid",
        "host_id",
        "host_email",
        "start_url",
        "h323_password",
        "encrypted_password",
    ):
        assert meeting[key]
    assert "?pwd=" in meeting["join_url"] and meeting["status"] == "waiting"
    assert meeting["start_time"].endswith("Z") and meeting["created_at"].endswith("Z")


def test_patch_and_delete_answer_204_without_body(
    emulator: ZoomEmulator, provider: ZoomProvider, clock: ManualClock
) -> None:
    tokens = _link(emulator, provider)
    made = provider.create_meeting(tokens.access_token, _req(clock))
    auth = {"Authorization": f"Bearer {tokens.access_token}"}
    with _raw(emulator) as client:
        reply = client.patch(f"/v2/meetings/{made.meeting_id}", json={"topic": "New"}, headers=auth)
        assert (reply.status_code, reply.content) == (204, b"")
        assert client.get(f"/v2/meetings/{made.meeting_id}", headers=auth).json()["topic"] == "New"
        reply = client.delete(f"/v2/meetings/{made.meeting_id}", headers=auth)
        assert (reply.status_code, reply.content) == (204, b"")
        reply = client.get(f"/v2/meetings/{made.meeting_id}", headers=auth)
        assert reply.status_code == 404 and reply.json()["code"] == 3001


@pytest.mark.parametrize(
    "body",
    [
        {"topic": "x" * 201},
        {"agenda": "x" * 2001},
        {"password": "far-too-long-pw"},
        {"password": "no spaces"},
        {"type": 5},
        {"timezone": "Mars/Olympus"},
        {"start_time": "tomorrow"},
    ],
)
def test_validation_errors(
    emulator: ZoomEmulator, provider: ZoomProvider, body: dict[str, object]
) -> None:
    tokens = _link(emulator, provider)
    auth = {"Authorization": f"Bearer {tokens.access_token}"}
    with httpx.Client(transport=emulator.transport()) as client:
        reply = client.post("https://api.zoom.us/v2/users/me/meetings", json=body, headers=auth)
        assert reply.status_code == 400
        assert reply.json()["code"] == 300 and reply.json()["errors"]
        reply = client.post("https://api.zoom.us/v2/users/me/meetings", content=b"[]", headers=auth)
        assert reply.json() == {
            "code": 300,
            "message": "Request Body should be a valid JSON object.",
        }
    assert emulator.meetings() == []


def test_list_pages_with_next_page_token(
    emulator: ZoomEmulator, provider: ZoomProvider, clock: ManualClock
) -> None:
    tokens = _link(emulator, provider)
    for n in range(5):
        provider.create_meeting(tokens.access_token, _req(clock, f"m{n}"))
    auth = {"Authorization": f"Bearer {tokens.access_token}"}
    seen: list[int] = []
    with _raw(emulator) as client:
        params: dict[str, str] = {"type": "upcoming", "page_size": "2"}
        while True:
            page = client.get("/v2/users/me/meetings", params=params, headers=auth).json()
            assert page["total_records"] == 5
            seen += [m["id"] for m in page["meetings"]]
            if not page["next_page_token"]:
                break
            params["next_page_token"] = page["next_page_token"]
    assert sorted(seen) == sorted(m["id"] for m in emulator.meetings())
    clock.advance(timedelta(days=3))  # all are over now: "upcoming" leaves them out...
    fresh = provider.refresh(tokens.refresh_token).access_token
    with _raw(emulator) as client:
        auth = {"Authorization": f"Bearer {fresh}"}
        upcoming = client.get("/v2/users/me/meetings", params={"type": "upcoming"}, headers=auth)
    assert upcoming.json()["meetings"] == []
    # ...the provider's listing ("scheduled") still finds them (a lost create, late).
    assert len(provider.list_meetings(fresh)) == 5


def test_other_users_meetings_are_not_reachable(
    emulator: ZoomEmulator, provider: ZoomProvider, clock: ManualClock
) -> None:
    mine = _link(emulator, provider, "a@example.com")
    theirs = _link(emulator, provider, "b@example.com")
    made = provider.create_meeting(mine.access_token, _req(clock))
    with pytest.raises(ProviderRejected):
        provider.get_meeting(theirs.access_token, made.meeting_id)
    with pytest.raises(ProviderRejected):
        provider.delete_meeting(theirs.access_token, made.meeting_id)
    assert provider.list_meetings(theirs.access_token) == []


def test_daily_cap_counts_create_and_update_and_resets_at_utc_midnight(
    emulator: ZoomEmulator, provider: ZoomProvider, clock: ManualClock
) -> None:
    clock.set(datetime(2025, 3, 10, 23, 0, tzinfo=UTC))
    tokens = _link(emulator, provider)
    first = provider.create_meeting(tokens.access_token, _req(clock))
    for _ in range(98):
        provider.update_meeting(tokens.access_token, first.meeting_id, _req(clock))
    provider.create_meeting(tokens.access_token, _req(clock))
    with pytest.raises(RateLimited) as caught:
        provider.create_meeting(tokens.access_token, _req(clock))
    assert caught.value.retry_at == datetime(2025, 3, 11, tzinfo=UTC)
    with pytest.raises(RateLimited):
        provider.update_meeting(tokens.access_token, first.meeting_id, _req(clock))
    with _raw(emulator) as client:
        auth = {"Authorization": f"Bearer {tokens.access_token}"}
        reply = client.post("/v2/users/me/meetings", json={"topic": "x"}, headers=auth)
        assert reply.status_code == 429 and reply.json() == {"code": 429, "message": DAILY}
    assert provider.delete_meeting(tokens.access_token, first.meeting_id)  # delete is not capped
    clock.set(datetime(2025, 3, 11, 0, 0, tzinfo=UTC))
    fresh = provider.refresh(tokens.refresh_token)
    provider.create_meeting(fresh.access_token, _req(clock))


def test_daily_cap_is_per_user(emulator: ZoomEmulator, clock: ManualClock) -> None:
    zoom = ZoomEmulator(clock=clock, seed=1, daily_meeting_cap=1)
    with zoom.provider() as provider:
        a = _link(zoom, provider, "a@example.com")
        b = _link(zoom, provider, "b@example.com")
        provider.create_meeting(a.access_token, _req(clock))
        provider.create_meeting(b.access_token, _req(clock))
        with pytest.raises(RateLimited):
            provider.create_meeting(a.access_token, _req(clock))


def test_per_second_buckets(clock: ManualClock) -> None:
    zoom = ZoomEmulator(clock=clock, seed=1, per_second={"Light": 2, "Medium": 100})
    with zoom.provider() as provider:
        tokens = _link(zoom, provider)
        with _raw(zoom) as client:
            auth = {"Authorization": f"Bearer {tokens.access_token}"}
            replies = [client.get("/v2/users/me", headers=auth) for _ in range(3)]
            if replies[-1].status_code != 429:  # crossed a second boundary: try once more
                replies = [client.get("/v2/users/me", headers=auth) for _ in range(3)]
        limited = replies[-1]
        assert limited.status_code == 429
        assert limited.headers["X-RateLimit-Category"] == "Light"
        assert limited.headers["X-RateLimit-Limit"] == "2"
        assert limited.headers["X-RateLimit-Remaining"] == "0"
        assert limited.headers["Retry-After"] == "1"


# --- faults, latency, transports ---------------------------------------------------------


def test_fail_next_statuses(
    emulator: ZoomEmulator, provider: ZoomProvider, clock: ManualClock
) -> None:
    tokens = _link(emulator, provider)
    emulator.fail_next(status=500)
    with pytest.raises(ProviderUnavailable):
        provider.account(tokens.access_token)
    emulator.fail_next(status=429, retry_after=7)
    with pytest.raises(RateLimited) as caught:
        provider.account(tokens.access_token)
    assert caught.value.retry_at == clock.now() + timedelta(seconds=7)
    emulator.fail_next(status=401)
    with pytest.raises(AuthExpired):
        provider.account(tokens.access_token)
    provider.account(tokens.access_token)


def test_fail_next_filters_and_counts(
    emulator: ZoomEmulator, provider: ZoomProvider, clock: ManualClock
) -> None:
    tokens = _link(emulator, provider)
    emulator.fail_next(2, status=503, method="POST", path="/v2/users/me/meetings")
    provider.account(tokens.access_token)  # GET does not match
    provider.list_meetings(tokens.access_token)  # GET on the same path does not match
    for _ in range(2):
        with pytest.raises(ProviderUnavailable):
            provider.create_meeting(tokens.access_token, _req(clock))
    provider.create_meeting(tokens.access_token, _req(clock))
    assert len(emulator.meetings()) == 1


@pytest.mark.parametrize("over_http", [False, True])
def test_status_zero_applies_then_drops(
    emulator: ZoomEmulator, clock: ManualClock, over_http: bool
) -> None:
    with emulator.serve() as server:
        provider = emulator.provider(clock=clock, base_url=server.base_url if over_http else None)
        with provider:
            tokens = _link(emulator, provider)
            emulator.fail_next(status=0, path="/v2/users/me/meetings")
            with pytest.raises(ProviderUnavailable) as caught:
                provider.create_meeting(tokens.access_token, _req(clock, "lost"))
            assert caught.value.maybe_applied is True
            assert [m["agenda"] for m in emulator.meetings()] == ["[meetlink:lost]"]
            emulator.fail_next(status=0, path="/oauth/token")
            with pytest.raises(ProviderUnavailable):
                provider.refresh(tokens.refresh_token)
            with pytest.raises(GrantRevoked):  # the lost refresh rotated the token anyway
                provider.refresh(tokens.refresh_token)


def test_requests_are_recorded(
    emulator: ZoomEmulator, provider: ZoomProvider, clock: ManualClock
) -> None:
    tokens = _link(emulator, provider)
    made = provider.create_meeting(tokens.access_token, _req(clock))
    provider.delete_meeting(tokens.access_token, made.meeting_id)
    assert emulator.requests == [
        ("GET", "/oauth/authorize"),
        ("POST", "/oauth/token"),
        ("GET", "/v2/users/me/settings"),
        ("POST", "/v2/users/me/meetings"),
        ("DELETE", f"/v2/meetings/{made.meeting_id}"),
    ]


def test_latency_is_applied(clock: ManualClock, monkeypatch: pytest.MonkeyPatch) -> None:
    import meetlink.emulators.core.base as base

    slept: list[float] = []  # the waits asked for, read without a clock
    monkeypatch.setattr(base, "time", types.SimpleNamespace(sleep=slept.append))
    zoom = ZoomEmulator(clock=clock, latency=0.05)
    with zoom.provider() as provider, pytest.raises(GrantRevoked):
        provider.refresh("nope")
    assert slept == [0.05]  # the constructor's latency, before the one answer


def test_seed_makes_runs_repeat(clock: ManualClock) -> None:
    def run() -> tuple[str, ...]:
        zoom = ZoomEmulator(clock=clock, seed=99)
        user = zoom.add_user("a@example.com")
        with zoom.provider() as provider:
            tokens = _link(zoom, provider)
            made = provider.create_meeting(tokens.access_token, _req(clock))
        return (zoom.client_id, zoom.webhook_secret, user.id, tokens.access_token, made.meeting_id)

    assert run() == run()


def test_concurrent_creates_are_safe(
    emulator: ZoomEmulator, provider: ZoomProvider, clock: ManualClock
) -> None:
    tokens = _link(emulator, provider)
    errors: list[BaseException] = []

    def work() -> None:
        try:
            for _ in range(5):
                provider.create_meeting(tokens.access_token, _req(clock))
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=work) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    ids = [m["id"] for m in emulator.meetings()]
    assert len(ids) == len(set(ids)) == 40


def test_users_me_shape(emulator: ZoomEmulator, provider: ZoomProvider) -> None:
    tokens = _link(emulator, provider)
    with _raw(emulator) as client:
        me = client.get(
            "/v2/users/me", headers={"Authorization": f"Bearer {tokens.access_token}"}
        ).json()
    check("user_get_response", me)
    assert me["type"] == 2 and me["status"] == "active" and isinstance(me["pmi"], int)


def test_user_settings_shape_and_passcode_policy(
    emulator: ZoomEmulator, provider: ZoomProvider
) -> None:
    tokens = _link(emulator, provider)
    [user] = emulator.users()
    auth = {"Authorization": f"Bearer {tokens.access_token}"}
    with _raw(emulator) as client:  # checked against Spec-2023b's "User settings" schema
        plain = client.get("/v2/users/me/settings", headers=auth).json()
        emulator.set_passcode_policy(user.account_id, length=8, have_number=True)
        strict = client.get("/v2/users/me/settings", headers=auth).json()
    assert plain["schedule_meeting"]["meeting_password_requirement"]["length"] == 0
    policy = strict["schedule_meeting"]["meeting_password_requirement"]
    assert policy["length"] == 8 and policy["have_number"] is True
    assert strict["schedule_meeting"]["require_password_for_scheduling_new_meetings"] is True
    with pytest.raises(ValueError, match="unknown passcode rule"):
        emulator.set_passcode_policy(user.account_id, lenght=8)


def test_passcode_breaking_the_policy_is_refused_in_xml(
    emulator: ZoomEmulator, provider: ZoomProvider
) -> None:
    tokens = _link(emulator, provider)
    [user] = emulator.users()
    emulator.set_passcode_policy(user.account_id, length=6, have_letter=True)
    auth = {"Authorization": f"Bearer {tokens.access_token}"}
    body = {"topic": "T", "type": 2, "password": "12345"}
    with httpx.Client(transport=emulator.transport()) as client:
        reply = client.post("https://api.zoom.us/v2/users/me/meetings", json=body, headers=auth)
    assert reply.status_code == 400 and reply.headers["content-type"].startswith("application/xml")
    text = reply.text
    assert (
        text.startswith("<?xml")
        and "<code>300</code>" in text
        and "<field>password</field>" in text
    )
    assert "at least 6 characters" in text and "at least 1 letter" in text
    assert emulator.meetings() == []


def test_missing_scope_answers_4711(emulator: ZoomEmulator, provider: ZoomProvider) -> None:
    emulator.scopes = emulator.scopes - {"meeting:read:list_meetings"}
    tokens = _link(emulator, provider)
    auth = {"Authorization": f"Bearer {tokens.access_token}"}
    with _raw(emulator) as client:
        reply = client.get("/v2/users/me/meetings", headers=auth)
    assert reply.status_code == 400
    assert reply.json() == {
        "code": 4711,
        "message": "Invalid access token, does not contain scopes:"
        "[meeting:read:list_meetings:admin, meeting:read:list_meetings].",
    }
    assert "meeting:read:list_meetings" not in tokens.scope.split()


def test_deleting_a_started_meeting_answers_3002(
    emulator: ZoomEmulator, provider: ZoomProvider, clock: ManualClock
) -> None:
    tokens = _link(emulator, provider)
    made = provider.create_meeting(tokens.access_token, _req(clock))
    emulator.start_meeting(made.meeting_id)
    auth = {"Authorization": f"Bearer {tokens.access_token}"}
    with _raw(emulator) as client:
        assert client.get(f"/v2/meetings/{made.meeting_id}", headers=auth).json()["status"] == (
            "started"
        )
        reply = client.delete(f"/v2/meetings/{made.meeting_id}", headers=auth)
        assert reply.status_code == 400 and reply.json()["code"] == 3002
        emulator.end_meeting(made.meeting_id)
        assert client.delete(f"/v2/meetings/{made.meeting_id}", headers=auth).status_code == 204
    with pytest.raises(KeyError):
        emulator.start_meeting(made.meeting_id)


def test_revoke_takes_a_live_access_token_only(
    emulator: ZoomEmulator, provider: ZoomProvider, clock: ManualClock
) -> None:
    tokens = _link(emulator, provider)
    basic = base64.b64encode(f"{emulator.client_id}:{emulator.client_secret}".encode()).decode()
    headers = {"Authorization": f"Basic {basic}"}
    with httpx.Client(transport=emulator.transport(), base_url="https://zoom.us") as client:
        by_refresh = client.post(
            "/oauth/revoke", data={"token": tokens.refresh_token}, headers=headers
        )
        assert by_refresh.status_code == 400 and by_refresh.json()["reason"] == "Invalid Token!"
        provider.account(tokens.access_token)  # nothing was revoked
        ok = client.post("/oauth/revoke", data={"token": tokens.access_token}, headers=headers)
        assert ok.json() == {"status": "success"}
    with pytest.raises(GrantRevoked):
        provider.refresh(tokens.refresh_token)


def test_daily_cap_message_names_the_cap(
    emulator: ZoomEmulator, provider: ZoomProvider, clock: ManualClock
) -> None:
    emulator.daily_meeting_cap = 1
    tokens = _link(emulator, provider)
    provider.create_meeting(tokens.access_token, _req(clock, "a"))
    with pytest.raises(RateLimited, match=r"daily rate limit \(1\)"):
        provider.create_meeting(tokens.access_token, _req(clock, "b"))
