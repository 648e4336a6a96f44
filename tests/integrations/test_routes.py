"""The ready-made host routes (Flask blueprint, Starlette routes over MeetLink and over
AsyncMeetLink, Django sync and async views) against the Zoom emulator: every outcome of
``complete_link`` and ``handle_webhook`` becomes a redirect with a reason or a 4xx/503, never
a 500."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest

from meetlink.testing import Sandbox, ZoomUser

from .hosts import REDIRECT_TO, Host, django_host, flask_host, starlette_host

T0 = datetime(2026, 12, 1, 0, 0, tzinfo=UTC)
CALLBACK = "/meetlink/zoom/callback"
WEBHOOK = "/meetlink/zoom/webhook"


@pytest.fixture
def sandbox() -> Iterator[Sandbox]:
    with Sandbox(now=T0, seed=3) as sb:
        sb.meetlink.start_trial("t1")
        yield sb


@pytest.fixture(params=["flask", "starlette", "starlette-async", "django", "django-async"])
def host(request: pytest.FixtureRequest, sandbox: Sandbox) -> Iterator[Host]:
    if request.param == "flask":
        maker = flask_host(sandbox.meetlink)
    elif request.param.startswith("django"):
        maker = django_host(sandbox.meetlink, use_async=request.param == "django-async")
    else:
        maker = starlette_host(sandbox.meetlink, use_async=request.param == "starlette-async")
    with maker as made:
        made.session.user = ("t1", "alice")
        yield made


def _consent(
    sb: Sandbox, user_id: str = "alice", **consent: bool
) -> tuple[dict[str, str], ZoomUser]:
    zoom_user = sb.zoom.add_user(f"{user_id}@corp.example")
    request = sb.meetlink.begin_link("t1", user_id)
    return sb.zoom.consent(request.authorize_url, zoom_user, **consent), zoom_user


def _outcome(host: Host, query: dict[str, str]) -> str:
    """The callback's redirect reason (and that it went back to the host's page)."""
    reply = host.get(f"{CALLBACK}?{urlencode(query)}")
    assert reply.status == 303, reply
    assert reply.location is not None
    target = urlsplit(reply.location)
    assert target.path == "/settings"
    params = parse_qs(target.query)
    assert params["tab"] == ["video"] and params["provider"] == ["zoom"]
    return params["meetlink"][0]


def test_the_callback_links_the_signed_in_user_and_goes_back(host: Host, sandbox: Sandbox) -> None:
    params, zoom_user = _consent(sandbox)
    assert _outcome(host, params) == "linked"
    link = sandbox.meetlink.link("alice", tenant_id="t1")
    assert link is not None and link.email == zoom_user.email
    assert _outcome(host, params) == "expired"  # the same callback again: state used


@pytest.mark.parametrize(
    ("query", "status"),
    [
        ({}, 400),  # no state: nobody came from a link
        ({"code": "abc"}, 400),
        ({"state": "x" * 5000}, 400),
        ({"state": "a\x00b"}, 400),
    ],
)
def test_a_callback_without_a_usable_state_is_400(
    host: Host, query: dict[str, str], status: int
) -> None:
    reply = host.get(f"{CALLBACK}?{urlencode(query)}")
    assert reply.status == status and reply.location is None


def test_an_unknown_provider_is_404(host: Host) -> None:
    assert host.get("/meetlink/skype/callback?state=abc").status == 404
    assert host.post("/meetlink/skype/webhook", {}, b"{}").status == 404


def test_each_refusal_goes_back_with_its_reason(host: Host, sandbox: Sandbox) -> None:
    denied, _ = _consent(sandbox, allow=False)
    assert _outcome(host, denied) == "denied"

    params, _ = _consent(sandbox)
    approval = {"state": params["state"], "error": "admin_approval_required"}
    assert _outcome(host, approval) == "admin_approval_required"

    assert _outcome(host, {"state": "never-issued", "code": "x"}) == "expired"

    params, _ = _consent(sandbox)
    assert _outcome(host, {"state": params["state"], "error": "server_error"}) == "rejected"


def test_a_reused_code_and_a_zoom_outage_go_back_with_a_reason(
    host: Host, sandbox: Sandbox
) -> None:
    used, _ = _consent(sandbox)
    assert _outcome(host, used) == "linked"
    again = sandbox.meetlink.begin_link("t1", "alice")  # a new state, the old code
    assert _outcome(host, {"state": again.state, "code": used["code"]}) == "rejected"

    params, _ = _consent(sandbox, "bob")
    host.session.user = ("t1", "bob")
    sandbox.zoom.fail_next(status=503, path="/oauth/token")
    assert _outcome(host, params) == "unavailable"


def test_the_callback_only_completes_for_who_began_it(host: Host, sandbox: Sandbox) -> None:
    params, _ = _consent(sandbox, "mallory")  # mallory's link URL, opened by alice
    assert _outcome(host, params) == "expired"
    assert (
        sandbox.meetlink.link("alice", tenant_id="t1") is None
        and sandbox.meetlink.link("mallory", tenant_id="t1") is None
    )

    host.session.user = None  # nobody signed in: nothing happens, the state is kept
    assert _outcome(host, params) == "not_signed_in"

    host.session.user = ("t2", "mallory")  # the same user id in another tenant: not mallory
    assert _outcome(host, params) == "expired"
    assert sandbox.meetlink.link("mallory", tenant_id="t2") is None

    host.session.user = ("t1", "mallory")  # the state still works for mallory
    assert _outcome(host, params) == "linked"
    assert sandbox.meetlink.link("mallory", tenant_id="t1") is not None


def test_a_database_outage_is_no_500(host: Host, sandbox: Sandbox) -> None:
    params, _ = _consent(sandbox)
    headers, body = sandbox.zoom.webhook("endpoint.url_validation", {"plainToken": "abc"})
    sandbox.storage.drop_schema()  # every query now fails
    assert _outcome(host, params) == "unavailable"
    assert host.post(WEBHOOK, headers, body).status == 200  # answered without the database
    headers, body = sandbox.zoom.webhook("app_deauthorized", {"user_id": "u", "account_id": "a"})
    assert host.post(WEBHOOK, headers, body).status == 503  # Zoom delivers it again later


def test_the_webhook_unlinks_on_remove_app_and_answers_validation(
    host: Host, sandbox: Sandbox
) -> None:
    params, zoom_user = _consent(sandbox)
    assert _outcome(host, params) == "linked"

    headers, body = sandbox.zoom.webhook("endpoint.url_validation", {"plainToken": "abc"})
    reply = host.post(WEBHOOK, headers, body)
    assert reply.status == 200 and reply.content_type.startswith("application/json")
    assert json.loads(reply.text)["plainToken"] == "abc"

    headers, body = sandbox.zoom.remove_app(zoom_user)
    assert host.post(WEBHOOK, headers, body).status == 200
    assert sandbox.meetlink.link("alice", tenant_id="t1") is None


def test_forged_malformed_and_oversized_webhooks_are_refused(host: Host, sandbox: Sandbox) -> None:
    headers, body = sandbox.zoom.webhook("endpoint.url_validation", {"plainToken": "abc"})
    assert host.post(WEBHOOK, headers, body + b" ").status == 401  # the signature no longer fits
    forged = {**headers, "x-zm-request-timestamp": str(int((T0 - timedelta(hours=1)).timestamp()))}
    assert host.post(WEBHOOK, forged, body).status == 401  # stale
    assert host.post(WEBHOOK, {"content-type": "application/json"}, b"{").status in (400, 401)
    big = {"content-type": "application/json", "content-length": str(2 << 20)}
    assert host.post(WEBHOOK, big, b"x" * (2 << 20)).status == 413


def test_redirect_to_may_be_computed_from_the_request(sandbox: Sandbox) -> None:
    from flask import Flask

    from meetlink.integrations.flask import blueprint

    app = Flask(__name__)
    app.register_blueprint(
        blueprint(
            sandbox.meetlink,
            url_prefix="/hooks/",
            current_user=lambda request: ("t1", request.args.get("as", "alice")),
            redirect_to=lambda request: f"https://app.example.com/u/{request.args['as']}",
        )
    )
    params, _ = _consent(sandbox)
    reply = app.test_client().get(f"/hooks/zoom/callback?{urlencode({**params, 'as': 'alice'})}")
    assert reply.headers["Location"] == (
        "https://app.example.com/u/alice?meetlink=linked&provider=zoom"
    )
    assert REDIRECT_TO.startswith("/")


def test_a_teams_user_sent_back_for_admin_approval_goes_back_with_that_reason() -> None:
    """Entra's "return to app" after "Need admin approval" comes back as ``access_denied``
    with ``error_subcode=cancel``: the route passes the sub-code on, so the host hears
    ``admin_approval_required``, not ``denied``."""
    with Sandbox(now=T0, seed=3, with_teams=True) as sb:
        assert sb.teams is not None
        sb.meetlink.start_trial("t1")
        sb.teams.require_admin_consent()
        user = sb.teams.add_user("ann@contoso.example")
        for maker in (flask_host(sb.meetlink), starlette_host(sb.meetlink, use_async=True)):
            request = sb.meetlink.begin_link("t1", "alice", provider="teams")
            back = sb.teams.consent(request.authorize_url, user, return_to_app=True)
            assert back["error"] == "access_denied" and back["error_subcode"] == "cancel"
            with maker as host:
                host.session.user = ("t1", "alice")
                reply = host.get(f"/meetlink/teams/callback?{urlencode(back)}")
                assert sb.meetlink.link("alice", "teams", tenant_id="t1") is None
            assert reply.status == 303 and reply.location is not None
            params = parse_qs(urlsplit(reply.location).query)
            assert params["meetlink"] == ["admin_approval_required"]
            assert params["provider"] == ["teams"]


def test_routes_cannot_be_made_without_current_user(sandbox: Sandbox) -> None:
    """The callback links an account to the (tenant, user) the host's session names, and only
    for whoever began the link: routes without ``current_user`` could bind nothing, so they
    are refused when they are made, not at the first callback."""
    from meetlink import ConfigurationError
    from meetlink.aio import AsyncMeetLink
    from meetlink.integrations.flask import blueprint
    from meetlink.integrations.starlette import routes

    with pytest.raises(ConfigurationError, match="current_user"):
        blueprint(sandbox.meetlink)
    with pytest.raises(ConfigurationError, match="current_user"):
        routes(sandbox.meetlink)
    with pytest.raises(ConfigurationError, match="current_user"):
        routes(AsyncMeetLink(sandbox.meetlink), current_user=None)

    from meetlink.integrations.django import urlpatterns

    with pytest.raises(ConfigurationError, match="current_user"):
        urlpatterns(sandbox.meetlink)
    with pytest.raises(ConfigurationError, match="current_user"):
        urlpatterns(AsyncMeetLink(sandbox.meetlink), current_user=None)


def test_the_shared_routes_serve_any_framework_and_refuse_what_cannot_work(
    sandbox: Sandbox,
) -> None:
    """``endpoints.Routes`` is the logic the framework modules wrap: usable without one, and
    refusing at once what could only fail at the first request."""
    import asyncio

    from meetlink import ConfigurationError
    from meetlink.aio import AsyncMeetLink
    from meetlink.integrations.endpoints import Routes

    shared = Routes(sandbox.meetlink, current_user=lambda request: ("t1", "alice"))
    params, _ = _consent(sandbox)
    answer = shared.callback(None, "zoom", params)
    assert answer.status == 303 and answer.location == "/?meetlink=linked&provider=zoom"
    assert sandbox.meetlink.link("alice", tenant_id="t1") is not None

    with pytest.raises(ConfigurationError, match="MeetLink or an AsyncMeetLink"):
        Routes(object(), current_user=lambda request: None)  # type: ignore[arg-type]
    over_async = Routes(AsyncMeetLink(sandbox.meetlink), current_user=lambda request: ("t1", "bob"))
    with pytest.raises(ConfigurationError, match="async views"):
        over_async.callback(None, "zoom", {"state": "s"})

    async def offload(call: object, *args: object, **kwargs: object) -> object:
        raise AssertionError("an AsyncMeetLink runs its calls itself")

    answer = asyncio.run(over_async.acallback(None, "zoom", {"state": "s"}, offload=offload))
    assert answer.location == "/?meetlink=expired&provider=zoom"  # complete_link ran
    asyncio.run(over_async.meetlink.aclose())  # type: ignore[union-attr]
