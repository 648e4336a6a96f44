"""Contract-suite targets for every provider: one VideoProvider plus the controls a test needs
to drive it, and the facts about the provider the shared tests read as data.

Add a provider by writing its target (a few lines over its emulator) and listing it in
``TARGETS``: every shared test (contract, secrets, error mapping) then runs on it.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any, Generic, TypeVar

import attrs
import httpx

from meetlink.adapters.clock import ManualClock
from meetlink.adapters.google_meet import GoogleMeetProvider as GP
from meetlink.adapters.memory.provider import FakeVideoProvider
from meetlink.adapters.teams import TeamsProvider as TP
from meetlink.adapters.zoom import ZoomProvider as ZP
from meetlink.domain.conference import MeetingTerms
from meetlink.domain.links import TokenSet
from meetlink.emulators import BaseEmulator, TeamsEmulator, ZoomEmulator
from meetlink.emulators.google_meet import GoogleMeetEmulator
from meetlink.errors import ProviderUnavailable
from meetlink.ports.provider import MeetingRequest, OAuthProvider
from tests.google_meet.schemas import checking as MeetSchemas
from tests.teams.schemas import checking as GraphSchemas
from tests.zoom.schemas import checking as ZoomSchemas

T0 = datetime(2025, 3, 10, 9, 0, 0, tzinfo=UTC)


def pkce() -> tuple[str, str]:
    """A PKCE (verifier, S256 challenge) pair."""
    verifier = secrets.token_urlsafe(48)
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return verifier, base64.urlsafe_b64encode(digest).decode("ascii").rstrip("=")


@attrs.frozen
class Facts:
    """How a provider differs, as data the shared tests read."""

    provider: str  # "zoom", "teams", "fake"
    rotation_kills_old_refresh_token: bool  # Zoom: yes; Entra keeps the old one valid
    token_path: str  # a prefix of the token endpoint's path
    api_path: str  # a prefix of the API's paths
    lost_create_path: str  # where a create goes
    app_secrets: tuple[str, ...] = ()  # attribute names of the emulator's secrets
    refresh_rotates: bool = True  # a refresh answer brings a new refresh token (Google: no)
    # The meeting keeps the terms meetlink sent (topic, start; Meet: a space has neither) and
    # a create whose answer was lost on the wire can be found (Meet: nobody can name it).
    keeps_terms: bool = True
    finds_lost_answers: bool = True


ZOOM = Facts("zoom", True, "/oauth/token", "/v2/", "/v2/users/me/meetings", ("webhook_secret",))
TEAMS = Facts(
    "teams", False, "/organizations/oauth2/v2.0/token", "/v1.0/", "/v1.0/me/onlineMeetings"
)
GOOGLE_MEET = Facts(
    "google_meet",
    False,
    "/token",
    "/v",  # userinfo (/v1/) and Meet (/v2/)
    "/v2/spaces",
    refresh_rotates=False,
    keeps_terms=False,
    finds_lost_answers=False,
)
FAKE = Facts("fake", True, "", "", "")


ProviderT = TypeVar("ProviderT", bound=OAuthProvider, covariant=True)
EmulatorT = TypeVar("EmulatorT", covariant=True)


class Target(Generic[ProviderT, EmulatorT]):
    """A provider under test and its controls (an emulator, or the generic fake). A suite of
    one provider names their types (``TeamsTarget``), so mypy checks its calls to them."""

    def __init__(
        self,
        facts: Facts,
        clock: ManualClock,
        provider: ProviderT,
        emulator: EmulatorT,
        checker: Any = None,
    ) -> None:
        self.facts = facts
        self.clock = clock
        self.provider = provider
        self.emulator = emulator
        # The emulator's or the fake's controls differ (add_user or add_account, consent or
        # authorize): the methods below call the right one.
        self._controls: Any = emulator
        self.checker = checker  # the schema-checking transport, what it checked

    def add_account(self, email: str, *, plan: str = "licensed") -> Any:
        if self.facts.provider == "zoom":
            return self._controls.add_user(email, plan=plan)
        if self.facts.provider == "fake":
            return self._controls.add_account(email, plan=plan)
        return self._controls.add_user(email)

    def consent(self, url: str, account: Any, *, allow: bool = True) -> dict[str, str]:
        if self.facts.provider == "fake":
            answer: dict[str, str] = self._controls.authorize(url, account, allow=allow)
        else:
            answer = self._controls.consent(url, account, allow=allow)
        return answer

    def remove_app(self, account: Any) -> tuple[dict[str, str], bytes] | None:
        notice: tuple[dict[str, str], bytes] | None
        if self.facts.provider == "fake":
            self._controls.revoke_account(account)
            notice = self._controls.deauthorization(account)
        else:
            notice = self._controls.remove_app(account)
        return notice

    def expire_access_tokens(self) -> None:
        if self.facts.provider == "fake":
            self._controls.expire_tokens()
        else:
            self.clock.advance(timedelta(hours=1, seconds=1))  # both issue 3600 s tokens

    def lose_next_create_response(self) -> None:
        if self.facts.provider == "fake":
            lost = ProviderUnavailable("response lost", maybe_applied=True)
            self._controls.fail_next(lost, method="create_meeting", apply=True)
        else:
            self._controls.fail_next(status=0, method="POST", path=self.facts.lost_create_path)

    def live_meeting_count(self, account: Any) -> int:
        if self.facts.provider == "fake":
            return len(self._controls.live_meetings(account))
        return len(self._controls.meetings(account))


def _common(emulator: BaseEmulator[Any, Any], clock: ManualClock) -> dict[str, Any]:
    common: dict[str, Any] = {
        "client_id": emulator.client_id,
        "client_secret": emulator.client_secret,
        "redirect_uri": emulator.redirect_uri,
        "clock": clock,
    }
    if isinstance(emulator, ZoomEmulator):
        common["webhook_secrets"] = emulator.webhook_secret
    return common


@contextmanager
def make_target(kind: str, clock: ManualClock) -> Iterator[Target[Any, Any]]:
    """A ready target: ``{provider}-emulator`` (in-process), ``{provider}-emulator-http``
    (loopback), every answer checked against the provider's schemas; or ``fake``."""
    if kind == "fake":
        fake = FakeVideoProvider(clock)
        yield Target(FAKE, clock, fake, fake)
        return
    provider_name, _, how = kind.partition("-")
    emulator: BaseEmulator[Any, Any]
    cls: Any
    if provider_name == "zoom":
        emulator, facts, schemas, cls = ZoomEmulator(clock=clock, seed=7), ZOOM, ZoomSchemas, ZP
        bases: tuple[str, ...] = ("oauth_base_url", "api_base_url")
    elif provider_name == "google_meet":
        emulator, facts, schemas = GoogleMeetEmulator(clock=clock, seed=7), GOOGLE_MEET, MeetSchemas
        cls = GP
        bases = ("accounts_base_url", "oauth2_base_url", "userinfo_base_url", "meet_base_url")
    else:
        emulator, facts, schemas, cls = TeamsEmulator(clock=clock, seed=7), TEAMS, GraphSchemas, TP
        bases = ("authority_base_url", "graph_base_url")
    common = _common(emulator, clock)
    if how == "emulator":
        checker = schemas(emulator.transport())
        with httpx.Client(transport=checker) as client:
            yield Target(facts, clock, cls(client=client, **common), emulator, checker)
        return
    with emulator.serve() as server:
        checker = schemas(httpx.HTTPTransport())
        with httpx.Client(transport=checker, timeout=10) as client:
            urls = {name: server.base_url for name in bases}
            yield Target(facts, clock, cls(client=client, **urls, **common), emulator, checker)


AnyTarget = Target[OAuthProvider, Any]
ZoomTarget = Target[ZP | FakeVideoProvider, ZoomEmulator | FakeVideoProvider]
ZoomEmulatorTarget = Target[ZP, ZoomEmulator]
TeamsTarget = Target[TP, TeamsEmulator]

ZOOM_TARGETS = ["zoom-emulator", "zoom-emulator-http", "fake"]  # the fake mimics Zoom
TEAMS_TARGETS = ["teams-emulator", "teams-emulator-http"]
GOOGLE_MEET_TARGETS = ["google_meet-emulator", "google_meet-emulator-http"]
TARGETS = [
    "zoom-emulator",
    "zoom-emulator-http",
    "teams-emulator",
    "teams-emulator-http",
    "google_meet-emulator",
    "google_meet-emulator-http",
    "fake",
]


def link(target: AnyTarget, email: str = "host@contoso.com", **user: Any) -> tuple[Any, TokenSet]:
    """A new account of ``target``'s provider, linked: the account and its tokens."""
    account = target.add_account(email, **user)
    verifier, challenge = pkce()
    url = target.provider.authorization_url(state="s-1", code_challenge=challenge)
    answer = target.consent(url, account)
    assert answer["state"] == "s-1"
    tokens = target.provider.exchange_code(code=answer["code"], code_verifier=verifier)
    return account, tokens


def meeting_request(
    target: AnyTarget, marker: str = "mk-1", *, topic: str = "Weekly sync", hours: int = 24
) -> MeetingRequest:
    """A 30-minute meeting ``hours`` from now carrying ``marker``."""
    start = target.clock.now().replace(microsecond=0) + timedelta(hours=hours)
    terms = MeetingTerms(
        topic=topic, start=start, duration_minutes=30, timezone="Asia/Tokyo", agenda="Notes"
    )
    return MeetingRequest(terms=terms, marker=marker)
