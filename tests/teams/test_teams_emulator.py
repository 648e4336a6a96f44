"""TeamsEmulator behaviours from FACTS.md §8, driven over raw HTTP (httpx against its
transport or its loopback server) so the wire shapes are what is tested."""

from __future__ import annotations

import json
import threading
from datetime import timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from meetlink.adapters.clock import ManualClock
from meetlink.emulators.teams import ConsentBlocked, ConsentError, TeamsEmulator, TeamsUser
from meetlink.errors import GrantRevoked
from tests.providers.targets import pkce

from .schemas import check, unknown_meeting_properties

TOKEN = "/organizations/oauth2/v2.0/token"


def _client(teams: TeamsEmulator) -> httpx.Client:
    return httpx.Client(transport=teams.transport(), base_url="https://emulator")


def _code(teams: TeamsEmulator, user: TeamsUser, challenge: str, **extra: str) -> str:
    provider = teams.provider()
    url = provider.authorization_url(state="s", code_challenge=challenge)
    if extra:
        url += "&" + "&".join(f"{k}={v}" for k, v in extra.items())
    return teams.consent(url, user)["code"]


def _redeem(teams: TeamsEmulator, code: str, verifier: str, path: str = TOKEN) -> httpx.Response:
    form = {
        "client_id": teams.client_id,
        "client_secret": teams.client_secret,
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": teams.redirect_uri,
        "code_verifier": verifier,
        "scope": "openid profile offline_access User.Read OnlineMeetings.ReadWrite",
    }
    with _client(teams) as client:
        return client.post(path, data=form)


def _tokens(teams: TeamsEmulator, user: TeamsUser) -> dict[str, Any]:
    verifier, challenge = pkce()
    reply = _redeem(teams, _code(teams, user, challenge), verifier)
    assert reply.status_code == 200, reply.text
    data: dict[str, Any] = reply.json()
    return data


def _graph(
    teams: TeamsEmulator, method: str, path: str, token: str, body: Any = None
) -> httpx.Response:
    headers = {"Authorization": f"Bearer {token}", "client-request-id": "cri-1"}
    with _client(teams) as client:
        return client.request(method, path, headers=headers, json=body)


def _error_codes(reply: httpx.Response) -> list[int]:
    codes: list[int] = reply.json()["error_codes"]
    return codes


# --- identity -----------------------------------------------------------------------------


def test_token_response_shape(teams: TeamsEmulator) -> None:
    user = teams.add_user("ann@contoso.com")
    data = _tokens(teams, user)
    assert data["token_type"] == "Bearer" and data["expires_in"] == data["ext_expires_in"]
    from meetlink.adapters.teams.sansio import jwt_claims

    access, ident = jwt_claims(data["access_token"]), jwt_claims(data["id_token"])
    assert access["oid"] == user.id and access["tid"] == user.tenant_id
    assert access["aud"] == "https://graph.microsoft.com"
    assert "OnlineMeetings.ReadWrite" in access["scp"]
    assert ident["aud"] == teams.client_id and ident["iss"].endswith("/v2.0")
    assert ident["preferred_username"] == "ann@contoso.com"


def test_random_lifetime_between_60_and_90_minutes(clock: ManualClock) -> None:
    teams = TeamsEmulator(clock=clock, seed=1, expires_in=None)
    data = _tokens(teams, teams.add_user("a@contoso.com"))
    assert 3600 <= data["expires_in"] <= 5400


def test_error_json_shape(teams: TeamsEmulator) -> None:
    user = teams.add_user("ann@contoso.com")
    verifier, challenge = pkce()
    reply = _redeem(teams, _code(teams, user, challenge), "x" + verifier)
    body = reply.json()
    assert reply.status_code == 400 and body["error"] == "invalid_grant"
    assert body["error_codes"] == [501481]
    assert body["error_description"].startswith("AADSTS501481: ")
    assert "\r\nTrace ID: " in body["error_description"]
    assert {"timestamp", "trace_id", "correlation_id", "error_uri"} <= body.keys()


def test_code_expires_after_ten_minutes(teams: TeamsEmulator, clock: ManualClock) -> None:
    user = teams.add_user("ann@contoso.com")
    verifier, challenge = pkce()
    code = _code(teams, user, challenge)
    clock.advance(timedelta(minutes=10, seconds=1))
    assert _error_codes(_redeem(teams, code, verifier)) == [70008]


def test_code_single_use_then_54005(teams: TeamsEmulator) -> None:
    user = teams.add_user("ann@contoso.com")
    verifier, challenge = pkce()
    code = _code(teams, user, challenge)
    assert _redeem(teams, code, verifier).status_code == 200
    assert _error_codes(_redeem(teams, code, verifier)) == [54005]


def test_code_redeemed_on_another_tenant_is_700005(teams: TeamsEmulator) -> None:
    user = teams.add_user("ann@contoso.com")
    verifier, challenge = pkce()
    code = _code(teams, user, challenge)
    reply = _redeem(teams, code, verifier, f"/{teams.tenant_id}/oauth2/v2.0/token")
    assert _error_codes(reply) == [700005]


def test_client_authentication(clock: ManualClock) -> None:
    teams = TeamsEmulator(clock=clock, seed=2, invalid_client_status=400)
    with _client(teams) as client:
        missing = client.post(TOKEN, data={"client_id": teams.client_id, "grant_type": "x"})
        wrong = client.post(
            TOKEN, data={"client_id": teams.client_id, "client_secret": "no", "grant_type": "x"}
        )
        basic = client.post(
            TOKEN, data={"grant_type": "nope"}, auth=(teams.client_id, teams.client_secret)
        )
    assert (missing.status_code, _error_codes(missing)) == (400, [7000218])
    assert (wrong.json()["error"], _error_codes(wrong)) == ("invalid_client", [7000215])
    assert basic.json()["error"] == "unsupported_grant_type"  # Basic auth accepted


def test_refresh_inactivity_is_700082(teams: TeamsEmulator, clock: ManualClock) -> None:
    user = teams.add_user("ann@contoso.com")
    refresh = _tokens(teams, user)["refresh_token"]
    clock.advance(timedelta(days=91))
    with teams.provider() as provider, pytest.raises(GrantRevoked) as caught:
        provider.refresh(refresh)
    assert "AADSTS700082" in str(caught.value) and "bad_token" in str(caught.value)


@pytest.mark.parametrize("aadsts", [50173, 50076, 53003, 70043, 700016])
def test_scripted_refresh_faults(teams: TeamsEmulator, aadsts: int) -> None:
    user = teams.add_user("ann@contoso.com")
    refresh = _tokens(teams, user)["refresh_token"]
    teams.fail_refresh(user, aadsts)
    with teams.provider() as provider, pytest.raises(GrantRevoked) as caught:
        provider.refresh(refresh)
    assert f"AADSTS{aadsts}" in str(caught.value)


def test_decline_styles(teams: TeamsEmulator) -> None:
    user = teams.add_user("ann@contoso.com")
    url = teams.provider().authorization_url(state="s", code_challenge="c")
    cancel = teams.consent(url, user, allow=False)
    assert cancel == {
        "error": "access_denied",
        "error_subcode": "cancel",
        "error_description": "AADSTS65004: User declined to consent to access the app.",
        "state": "s",
    }
    declined = teams.consent(url, user, allow=False, decline="declined")
    assert declined["error"] == "access_denied"
    assert declined["error_description"].startswith("AADSTS65004")


def test_admin_approval_needed(teams: TeamsEmulator) -> None:
    user = teams.add_user("ann@contoso.com")
    teams.require_admin_consent()
    url = teams.provider().authorization_url(state="s", code_challenge="c")
    with pytest.raises(ConsentBlocked, match="AADSTS90094"):
        teams.consent(url, user)
    back = teams.consent(url, user, return_to_app=True)
    assert back == {"error": "access_denied", "error_subcode": "cancel", "state": "s"}
    teams.grant_admin_consent()
    assert "code" in teams.consent(url, user)


def test_sign_in_page_refusals(teams: TeamsEmulator) -> None:
    provider = teams.provider()
    msa = teams.add_user("me@outlook.com", personal=True)
    url = provider.authorization_url(state="s", code_challenge="c")
    with pytest.raises(ConsentError, match="AADSTS500208"):
        teams.consent(url, msa)
    user = teams.add_user("ann@contoso.com")
    with pytest.raises(ConsentError, match="AADSTS50011"):
        teams.consent(url.replace("callback", "other"), user)
    other = teams.add_user("eve@fabrikam.com", tenant_id="fabrikam-tenant")
    scoped = url.replace("/organizations/", f"/{teams.tenant_id}/")
    with pytest.raises(ConsentError, match="AADSTS90002"):
        teams.consent(scoped, other)


def test_consent_page_over_http(teams: TeamsEmulator) -> None:
    user = teams.add_user("ann@contoso.com")
    with teams.serve() as server, teams.provider(base_url=server.base_url) as provider:
        verifier, challenge = pkce()
        url = provider.authorization_url(state="st", code_challenge=challenge)
        with httpx.Client() as browser:
            page = browser.get(url)
            assert page.status_code == 200 and "Permissions requested" in page.text
            form = {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()} | {
                "user_id": user.id,
                "decision": "accept",
            }
            action = urlsplit(url).path
            sent = browser.post(f"{server.base_url}{action}", data=form)
        assert sent.status_code == 302
        query = parse_qs(urlsplit(sent.headers["location"]).query)
        assert query["state"] == ["st"]
        tokens = provider.exchange_code(code=query["code"][0], code_verifier=verifier)
        assert provider.account(tokens.access_token).email == "ann@contoso.com"


# --- Graph ----------------------------------------------------------------------------------


def test_create_or_get_201_then_200_ignores_new_times(teams: TeamsEmulator) -> None:
    token = _tokens(teams, teams.add_user("ann@contoso.com"))["access_token"]
    body = {
        "externalId": "ext-1",
        "subject": "One",
        "startDateTime": "2025-03-11T09:00:00+09:00",
        "endDateTime": "2025-03-11T10:00:00+09:00",
    }
    check("createOrGet_request", body)
    first = _graph(teams, "POST", "/v1.0/me/onlineMeetings/createOrGet", token, body)
    assert first.status_code == 201
    made = first.json()
    check("microsoft.graph.onlineMeeting", made)
    assert not unknown_meeting_properties(made)
    assert made["startDateTime"] == "2025-03-11T00:00:00.0000000Z"  # UTC, 7 digits
    assert made["externalId"] == "ext-1" and made["joinUrl"] == made["joinWebUrl"]
    assert made["joinMeetingIdSettings"]["passcode"] is None
    again = dict(body, startDateTime="2025-04-01T09:00:00Z", endDateTime="2025-04-01T10:00:00Z")
    second = _graph(teams, "POST", "/v1.0/me/onlineMeetings/createOrGet", token, again)
    assert second.status_code == 200 and second.json() == made
    assert second.headers["client-request-id"] == "cri-1" and second.headers["request-id"]


def test_create_or_get_validation(teams: TeamsEmulator) -> None:
    token = _tokens(teams, teams.add_user("ann@contoso.com"))["access_token"]
    path = "/v1.0/me/onlineMeetings/createOrGet"
    assert _graph(teams, "POST", path, token, {"subject": "x"}).status_code == 400
    end_only = {"externalId": "e", "endDateTime": "2025-03-11T10:00:00Z"}
    assert _graph(teams, "POST", path, token, end_only).status_code == 400
    backwards = dict(end_only, startDateTime="2025-03-11T11:00:00Z")
    assert _graph(teams, "POST", path, token, backwards).status_code == 400
    defaults = _graph(teams, "POST", path, token, {"externalId": "d"}).json()
    assert defaults["startDateTime"] == "2025-03-10T09:00:00.0000000Z"
    assert defaults["endDateTime"] == "2025-03-10T10:00:00.0000000Z"
    plain = _graph(teams, "POST", "/v1.0/me/onlineMeetings", token, {"externalId": "no"})
    assert plain.status_code == 400
    error = plain.json()
    check("microsoft.graph.ODataErrors.ODataError", error)
    assert error["error"]["innerError"]["client-request-id"] == "cri-1"


def test_patch_rules_and_delete(teams: TeamsEmulator) -> None:
    token = _tokens(teams, teams.add_user("ann@contoso.com"))["access_token"]
    made = _graph(teams, "POST", "/v1.0/me/onlineMeetings", token, {"subject": "S"}).json()
    one = "/v1.0/me/onlineMeetings/" + made["id"].replace("/", "%2F").replace("+", "%2B")
    assert _graph(teams, "PATCH", one, token, {"joinWebUrl": "x"}).status_code == 400
    half = {"startDateTime": "2025-03-12T09:00:00Z"}
    assert _graph(teams, "PATCH", one, token, half).status_code == 400
    both = dict(half, endDateTime="2025-03-12T09:30:00Z", subject="T")
    patched = _graph(teams, "PATCH", one, token, both)
    assert patched.status_code == 200
    body = patched.json()
    assert (body["id"], body["joinWebUrl"], body["subject"]) == (
        made["id"],
        made["joinWebUrl"],
        "T",
    )
    assert _graph(teams, "DELETE", one, token).status_code == 204
    assert _graph(teams, "GET", one, token).json()["error"]["code"] == "itemNotFound"
    assert _graph(teams, "DELETE", one, token).status_code == 404
    assert teams.still_joinable(made["joinWebUrl"])  # FACTS.md §2.5


def test_filter_by_join_url(teams: TeamsEmulator) -> None:
    token = _tokens(teams, teams.add_user("ann@contoso.com"))["access_token"]
    made = _graph(teams, "POST", "/v1.0/me/onlineMeetings", token, {"subject": "S"}).json()
    with _client(teams) as client:
        found = client.get(
            "/v1.0/me/onlineMeetings",
            params={"$filter": f"JoinWebUrl eq '{made['joinWebUrl']}'"},
            headers={"Authorization": f"Bearer {token}"},
        )
    assert [m["id"] for m in found.json()["value"]] == [made["id"]]
    assert _graph(teams, "GET", "/v1.0/me/onlineMeetings", token).status_code == 400


def test_graph_auth_errors(teams: TeamsEmulator, clock: ManualClock) -> None:
    user = teams.add_user("ann@contoso.com")
    token = _tokens(teams, user)["access_token"]
    assert _graph(teams, "GET", "/v1.0/me", "").status_code == 401
    teams.forbid(user)
    bare = _graph(teams, "POST", "/v1.0/me/onlineMeetings", token, {})
    assert bare.status_code == 403 and bare.json()["error"]["message"] == ""
    clock.advance(timedelta(hours=1))
    expired = _graph(teams, "GET", "/v1.0/me", token)
    assert expired.json()["error"]["code"] == "InvalidAuthenticationToken"


@pytest.mark.parametrize("retry_after", [1, 0.249, None])
def test_fail_next_retry_after(teams: TeamsEmulator, retry_after: float | None) -> None:
    token = _tokens(teams, teams.add_user("ann@contoso.com"))["access_token"]
    teams.fail_next(status=429, path="/v1.0/me", retry_after=retry_after)
    reply = _graph(teams, "GET", "/v1.0/me", token)
    assert reply.status_code == 429 and reply.json()["error"]["code"] == "TooManyRequests"
    assert reply.headers.get("retry-after") == (None if retry_after is None else str(retry_after))
    assert _graph(teams, "GET", "/v1.0/me", token).status_code == 200


def test_seeded_runs_repeat(clock: ManualClock) -> None:
    def run() -> list[str]:
        teams = TeamsEmulator(clock=clock, seed=99)
        user = teams.add_user("a@contoso.com")
        data = _tokens(teams, user)
        made = _graph(teams, "POST", "/v1.0/me/onlineMeetings", data["access_token"], {}).json()
        return [teams.client_id, user.id, data["refresh_token"], made["id"], made["joinWebUrl"]]

    assert run() == run()


def test_concurrent_create_or_get_makes_one_meeting(teams: TeamsEmulator) -> None:
    user = teams.add_user("ann@contoso.com")
    token = _tokens(teams, user)["access_token"]
    body = {"externalId": "race", "subject": "R"}
    statuses: list[int] = []

    def call() -> None:
        reply = _graph(teams, "POST", "/v1.0/me/onlineMeetings/createOrGet", token, body)
        statuses.append(reply.status_code)

    threads = [threading.Thread(target=call) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(statuses) == [200] * 7 + [201]
    assert len(teams.meetings(user)) == 1
    assert json.loads(json.dumps(teams.meetings(user)))[0]["externalId"] == "race"
