"""Organisation links over HTTP against ``meetlink emulator`` (a real subprocess; issue 22):
the developer makes the provider's organisation through the control endpoints, the admin
links it through the consent pages, three users who never linked get meetings on their own
accounts, an outsider's conference is FAILED, and (Teams) a user without an application access
policy gets the notice naming the cmdlet. The closing note quotes the requests of one create
on each provider from ``/_emulator/requests``."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from meetlink import ConferenceStatus, Event, MeetLink
from meetlink.adapters.mail import RecordingMailer
from meetlink.adapters.sqlalchemy import SqlStorage, generate_key
from meetlink.adapters.teams import TeamsProvider
from meetlink.adapters.zoom import ZoomProvider
from tests.test_emulator_command import _start, _stop


def _event(event_id: str, owner: str, provider: str) -> Event:
    start = datetime.now(UTC) + timedelta(days=1)
    return Event(
        id=event_id,
        tenant_id="acme",
        owner_id=owner,
        title=f"Plan {event_id}",
        start=start,
        end=start + timedelta(hours=1),
        web_meeting=provider,
    )


def _meetlink(provider: Any) -> MeetLink:
    storage = SqlStorage("sqlite://", encryption_keys=[generate_key()], create_schema=True)
    return MeetLink(storage=storage, providers=[provider], mailer=RecordingMailer())


def _consent(http: httpx.Client, url: str, email: str, **extra: Any) -> dict[str, str]:
    answer = http.post("/_emulator/consent", json={"authorize_url": url, "email": email, **extra})
    assert answer.status_code == 200, answer.text
    params: dict[str, str] = answer.json()["params"]
    return params


def _requests(http: httpx.Client) -> list[tuple[str, str]]:
    return [(r["method"], r["path"]) for r in http.get("/_emulator/requests").json()]


def test_a_zoom_organisation_over_http() -> None:
    process, app = _start("--port", "0", "--seed", "5")
    http = httpx.Client(base_url=app["base_url"], timeout=30)
    try:
        admin = http.post(
            "/_emulator/users", json={"email": "it@acme.example", "role": "admin"}
        ).json()
        account = admin["account_id"]
        users = {
            name: http.post(
                "/_emulator/users", json={"email": f"{name}@acme.example", "account_id": account}
            ).json()
            for name in ("ann", "ben", "cai")
        }
        bad = http.post("/_emulator/users", json={"email": "x@acme.example", "role": "king"})
        assert bad.status_code == 400
        assert http.post("/_emulator/users", json={"email": "y@a.b", "x": 1}).status_code == 400
        base = app["base_url"]
        provider = ZoomProvider(
            client_id=app["client_id"],
            client_secret=app["client_secret"],
            redirect_uri=app["redirect_uri"],
            webhook_secrets=[app["webhook_secret"], app["admin_webhook_secret"]],
            oauth_base_url=base,
            api_base_url=base,
            org_client_id=app["admin_client_id"],
            org_client_secret=app["admin_client_secret"],
        )
        with _meetlink(provider) as ml:
            ml.contract("acme")
            for name in (*users, "out"):
                ml.set_directory_address(name, f"{name}@acme.example", tenant_id="acme")
            request = ml.begin_org_link(tenant_id="acme", admin_user_id="boss")
            member = http.post(
                "/_emulator/consent",
                json={"authorize_url": request.authorize_url, "email": "ann@acme.example"},
            )
            assert member.status_code == 403  # only an owner or admin installs it
            request = ml.begin_org_link(tenant_id="acme", admin_user_id="boss")
            params = _consent(http, request.authorize_url, "it@acme.example")
            org = ml.complete_org_link(
                params["state"], code=params["code"], tenant_id="acme", admin_user_id="boss"
            )
            assert org.account_id == account

            before = len(_requests(http))
            first = ml.save_event(_event("e-ann", "ann", "zoom")).conference
            create = _requests(http)[before:]
            ann = users["ann"]["id"]
            assert create == [
                ("GET", "/v2/users/ann@acme.example"),
                ("GET", f"/v2/users/{ann}/settings"),
                ("POST", f"/v2/users/{ann}/meetings"),
            ]
            for name in ("ann", "ben", "cai"):
                conf = (
                    first
                    if name == "ann"
                    else ml.save_event(_event(f"e-{name}", name, "zoom")).conference
                )
                assert conf is not None and conf.status is ConferenceStatus.ISSUED
                hosted = http.get("/_emulator/meetings", params={"email": f"{name}@acme.example"})
                assert [str(m["id"]) for m in hosted.json()] == [conf.meeting_id]
            outsider = ml.save_event(_event("e-out", "out", "zoom")).conference
            assert outsider is not None and outsider.status is ConferenceStatus.FAILED
            assert (outsider.error or "").startswith("NotInOrganisation")
            http.post("/_emulator/users", json={"email": "eve@acme.example", "account_id": account})
            ml.set_directory_address("eve", "eve@acme.example", tenant_id="acme")
            forbidden = http.post("/_emulator/forbid", json={"email": "eve@acme.example"})
            assert forbidden.status_code == 200, forbidden.text
            eve = ml.save_event(_event("e-eve", "eve", "zoom")).conference
            assert eve is not None and eve.status is ConferenceStatus.FAILED
            assert (eve.error or "").startswith("HostingNotAllowed")

            removed = http.post(
                "/_emulator/remove-app", json={"email": "it@acme.example", "admin_app": True}
            ).json()
            webhook = removed["webhook"]
            reply = ml.handle_webhook("zoom", webhook["headers"], webhook["body"].encode())
            assert reply.status == 200 and ml.org_link(tenant_id="acme") is None
            detached = ml.conference("e-ann", tenant_id="acme")
            assert detached is not None and detached.status is ConferenceStatus.DETACHED
    finally:
        http.close()
        _stop(process)


def test_a_teams_organisation_over_http() -> None:
    process, app = _start("--provider", "teams", "--port", "0", "--seed", "6")
    http = httpx.Client(base_url=app["base_url"], timeout=30)
    try:
        http.post("/_emulator/users", json={"email": "it@contoso.example", "admin": True})
        users = {
            name: http.post("/_emulator/users", json={"email": f"{name}@contoso.example"}).json()
            for name in ("ann", "ben", "cai", "dee")
        }
        for name in ("ann", "ben", "cai"):
            granted = http.post(
                "/_emulator/access-policy", json={"email": f"{name}@contoso.example"}
            )
            assert granted.status_code == 200
        base = app["base_url"]
        provider = TeamsProvider(
            client_id=app["client_id"],
            client_secret=app["client_secret"],
            redirect_uri=app["redirect_uri"],
            authority_base_url=base,
            graph_base_url=base,
            organisation_links=True,
        )
        with _meetlink(provider) as ml:
            ml.contract("acme")
            for name in (*users, "out"):
                ml.set_directory_address(name, f"{name}@contoso.example", "teams", tenant_id="acme")
            own = ml.begin_link("acme", "boss", provider="teams")
            params = _consent(http, own.authorize_url, "it@contoso.example")
            ml.complete_link(params["state"], code=params["code"], user_id="boss", tenant_id="acme")
            request = ml.begin_org_link("teams", tenant_id="acme", admin_user_id="boss")
            params = _consent(http, request.authorize_url, "it@contoso.example", admin_consent=True)
            org = ml.complete_org_link(
                params["state"], tenant=params["tenant"], tenant_id="acme", admin_user_id="boss"
            )
            assert org.account_id == app["tenant_id"]

            before = len(_requests(http))
            first = ml.save_event(_event("e-ann", "ann", "teams")).conference
            ann = users["ann"]["id"]
            # the app-only token got at complete_org_link is still fresh: no token request
            assert _requests(http)[before:] == [
                ("GET", "/v1.0/users/ann@contoso.example"),
                ("POST", f"/v1.0/users/{ann}/onlineMeetings/createOrGet"),
            ]
            for name in ("ann", "ben", "cai"):
                conf = (
                    first
                    if name == "ann"
                    else ml.save_event(_event(f"e-{name}", name, "teams")).conference
                )
                assert conf is not None and conf.status is ConferenceStatus.ISSUED
                assert conf.external_account_id == users[name]["id"]
            dee = ml.save_event(_event("e-dee", "dee", "teams")).conference
            assert dee is not None and dee.status is ConferenceStatus.FAILED
            assert "Grant-CsApplicationAccessPolicy" in (dee.error or "")
            outsider = ml.save_event(_event("e-out", "out", "teams")).conference
            assert outsider is not None and outsider.status is ConferenceStatus.FAILED
            assert (outsider.error or "").startswith("NotInOrganisation")
            http.post("/_emulator/forbid", json={"email": "cai@contoso.example"})
            cai = ml.save_event(_event("e-cai-2", "cai", "teams")).conference
            assert cai is not None and cai.status is ConferenceStatus.FAILED
            assert (cai.error or "").startswith("HostingNotAllowed")
            assert ml.unlink_org("teams", tenant_id="acme")
            assert ml.link("boss", "teams", tenant_id="acme") is not None
    finally:
        http.close()
        _stop(process)
