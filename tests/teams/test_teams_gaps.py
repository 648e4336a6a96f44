"""Teams behaviours beyond the main path, each emulated and met by TeamsProvider, in-process
and over loopback HTTP: idle refresh tokens, latency, admin consent and the way back from
"Need admin approval", personal accounts on ``common``, revocation that lags, certificate
client authentication, and finding a lost create without a PATCH."""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Callable, Iterator
from datetime import timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from meetlink.adapters.clock import ManualClock
from meetlink.adapters.teams import ClientCertificate, TeamsProvider
from meetlink.domain.conference import MeetingTerms
from meetlink.domain.links import TokenSet
from meetlink.emulators.teams import ConsentBlocked, ConsentError, TeamsEmulator, TeamsUser
from meetlink.errors import (
    AdminApprovalRequired,
    GrantRevoked,
    LinkDenied,
    LinkError,
    ProviderRejected,
    ProviderUnavailable,
    UnsupportedAccount,
)
from meetlink.ports.provider import MeetingRequest
from tests.providers.targets import pkce

Factory = Callable[..., TeamsProvider]


@pytest.fixture(params=["emulator", "emulator-http"])
def kind(request: pytest.FixtureRequest) -> str:
    """In-process transport, or the loopback HTTP server."""
    return str(request.param)


@pytest.fixture
def teams(clock: ManualClock) -> TeamsEmulator:
    """A seeded emulator on the manual clock."""
    return TeamsEmulator(clock=clock, seed=11)


@pytest.fixture
def make(teams: TeamsEmulator, clock: ManualClock, kind: str) -> Iterator[Factory]:
    """Build TeamsProviders for this emulator (keywords override the app's defaults)."""
    made: list[TeamsProvider] = []
    with teams.serve() as server:

        def build(**overrides: Any) -> TeamsProvider:
            common: dict[str, Any] = {
                "client_id": teams.client_id,
                "client_secret": teams.client_secret,
                "redirect_uri": teams.redirect_uri,
                "clock": clock,
            }
            if kind == "emulator":
                common["transport"] = teams.transport()
            else:
                common |= {"authority_base_url": server.base_url, "graph_base_url": server.base_url}
            provider = TeamsProvider(**(common | overrides))
            made.append(provider)
            return provider

        yield build
        for provider in made:
            provider.close()


def _link(teams: TeamsEmulator, provider: TeamsProvider, user: TeamsUser) -> TokenSet:
    verifier, challenge = pkce()
    url = provider.authorization_url(state="s", code_challenge=challenge)
    code = teams.consent(url, user)["code"]
    return provider.exchange_code(code=code, code_verifier=verifier)


def _request(clock: ManualClock, marker: str = "mk") -> MeetingRequest:
    start = clock.now().replace(microsecond=0) + timedelta(days=1)
    terms = MeetingTerms(topic="Review", start=start, duration_minutes=30, timezone="UTC")
    return MeetingRequest(terms=terms, marker=marker)


# --- refresh tokens die after 90 idle days ------------------------------------------------


def test_refresh_token_works_after_89_idle_days_and_dies_after_91(
    teams: TeamsEmulator, make: Factory, clock: ManualClock
) -> None:
    provider = make()
    tokens = _link(teams, provider, teams.add_user("ann@contoso.com"))
    clock.advance(timedelta(days=89))
    fresh = provider.refresh(tokens.refresh_token)
    clock.advance(timedelta(days=91))
    with pytest.raises(GrantRevoked, match="AADSTS700082"):
        provider.refresh(fresh.refresh_token)


def test_refresh_token_idle_is_settable(
    teams: TeamsEmulator, make: Factory, clock: ManualClock
) -> None:
    assert teams.refresh_token_idle == timedelta(days=90)
    teams.refresh_token_idle = timedelta(hours=3)
    provider = make()
    tokens = _link(teams, provider, teams.add_user("ann@contoso.com"))
    clock.advance(timedelta(hours=2))
    provider.refresh(tokens.refresh_token)  # used: its idle window starts again
    clock.advance(timedelta(hours=2))
    provider.refresh(tokens.refresh_token)  # Entra keeps the old one valid (FACTS.md §1.5)
    clock.advance(timedelta(hours=3))
    with pytest.raises(GrantRevoked, match="AADSTS700082"):
        provider.refresh(tokens.refresh_token)


def test_latency_is_settable(teams: TeamsEmulator, make: Factory) -> None:
    provider = make()
    user = teams.add_user("ann@contoso.com")
    teams.latency = 0.05  # (waited before every answer: tests/emulators/test_scaffold.py)
    _link(teams, provider, user)
    assert teams.latency == 0.05
    teams.latency = -3
    assert teams.latency == 0.0


# --- admin consent ------------------------------------------------------------------------


def test_admin_consent_url(make: Factory) -> None:
    url = make().admin_consent_url(state="adm-1")
    parts = urlsplit(url)
    query = {k: v[0] for k, v in parse_qs(parts.query).items()}
    assert parts.path.endswith("/organizations/v2.0/adminconsent")
    assert query["scope"] == (
        "https://graph.microsoft.com/User.Read https://graph.microsoft.com/OnlineMeetings.ReadWrite"
    )
    assert query["state"] == "adm-1" and query["redirect_uri"].endswith("/teams/callback")
    common = make(tenant="common").admin_consent_url()
    assert "/organizations/v2.0/adminconsent" in common and "state=" not in common


def test_admin_consent_unblocks_the_tenant(teams: TeamsEmulator, make: Factory) -> None:
    provider = make()
    teams.require_admin_consent()
    user = teams.add_user("ann@contoso.com")
    admin = teams.add_user("it@contoso.com", admin=True)
    url = provider.authorization_url(state="s", code_challenge="c")
    with pytest.raises(ConsentBlocked):
        teams.consent(url, user)
    back = teams.consent(url, user, return_to_app=True)
    error = provider.link_error(
        error=back["error"],
        description=back.get("error_description"),
        subcode=back.get("error_subcode"),
    )
    assert isinstance(error, AdminApprovalRequired) and error.admin_consent_url is not None

    with pytest.raises(ConsentError, match="AADSTS90094"):
        teams.admin_consent(error.admin_consent_url, user)  # not an administrator
    declined = teams.admin_consent(error.admin_consent_url, admin, allow=False)
    assert declined["error"] == "access_denied" and "tenant" not in declined
    answer = teams.admin_consent(provider.admin_consent_url(state="adm"), admin)
    assert answer == {
        "admin_consent": "True",
        "tenant": teams.tenant_id,
        "scope": (
            "https://graph.microsoft.com/User.Read "
            "https://graph.microsoft.com/OnlineMeetings.ReadWrite"
        ),
        "state": "adm",
    }
    assert "code" in teams.consent(url, user)  # any user of the tenant can link now
    assert "code" in teams.consent(url, teams.add_user("new@contoso.com"))


def test_admin_consent_refuses_common(teams: TeamsEmulator, make: Factory) -> None:
    admin = teams.add_user("it@contoso.com", admin=True)
    url = make().admin_consent_url().replace("/organizations/", "/common/")
    with pytest.raises(ConsentError, match="organisation"):
        teams.admin_consent(url, admin)


def test_admin_consent_page_over_http(teams: TeamsEmulator, make: Factory) -> None:
    admin = teams.add_user("it@contoso.com", admin=True)
    with teams.serve() as server, httpx.Client(base_url=server.base_url) as client:
        url = make(authority_base_url=server.base_url).admin_consent_url(state="z")
        page = client.get(url)
        assert page.status_code == 200 and "Accept for your organization" in page.text
        legacy = client.get(url.replace("/v2.0/adminconsent", "/adminconsent"))
        assert legacy.status_code == 200
        fields = dict(parse_qs(urlsplit(url).query))
        form = {k: v[0] for k, v in fields.items()} | {"decision": "accept", "user_id": admin.id}
        moved = client.post(urlsplit(url).path, data=form)
    assert moved.status_code == 302
    back = {k: v[0] for k, v in parse_qs(urlsplit(moved.headers["location"]).query).items()}
    assert back["admin_consent"] == "True" and back["tenant"] == teams.tenant_id


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        (
            {
                "error": "access_denied",
                "subcode": "cancel",
                "description": "AADSTS65004: User declined to consent to access the app.",
            },
            LinkDenied,
        ),
        ({"error": "access_denied", "description": "AADSTS65004: declined."}, LinkDenied),
        ({"error": "access_denied", "subcode": "cancel"}, AdminApprovalRequired),
        ({"error": "access_denied", "description": "AADSTS90094: approval"}, AdminApprovalRequired),
        (
            {"error": "invalid_request", "description": "AADSTS90095: workflow"},
            AdminApprovalRequired,
        ),
        ({"error": "consent_required"}, AdminApprovalRequired),
        ({"error": "access_denied"}, LinkDenied),
        ({"error": "server_error", "description": "AADSTS90033: busy"}, LinkError),
    ],
)
def test_callback_errors_are_read_in_the_adapter(
    make: Factory, params: dict[str, str], expected: type[LinkError]
) -> None:
    error = make().link_error(
        error=params["error"], description=params.get("description"), subcode=params.get("subcode")
    )
    assert type(error) is expected
    if isinstance(error, AdminApprovalRequired):
        assert error.admin_consent_url is not None and "/adminconsent?" in error.admin_consent_url


# --- personal accounts --------------------------------------------------------------------


def test_personal_account_on_common_is_refused(
    teams: TeamsEmulator, make: Factory, clock: ManualClock
) -> None:
    provider = make(tenant="common")
    msa = teams.add_user("me@outlook.com", personal=True)
    tokens = _link(teams, provider, msa)  # Entra lets it sign in on /common
    with pytest.raises(UnsupportedAccount, match="work or school"):
        provider.account(tokens.access_token)
    with pytest.raises(ProviderRejected) as caught:  # and Graph refuses it meetings
        provider.create_meeting(tokens.access_token, _request(clock))
    assert caught.value.provider_code == "AuthenticationError" and caught.value.status == 400
    assert teams.meetings() == []
    work = teams.add_user("ann@contoso.com")
    assert provider.account(_link(teams, provider, work).access_token).email == "ann@contoso.com"


# --- revocation lags ----------------------------------------------------------------------


def test_revoked_consent_keeps_refreshing_for_the_revocation_delay(
    teams: TeamsEmulator, make: Factory, clock: ManualClock
) -> None:
    provider = make()
    user = teams.add_user("ann@contoso.com")
    tokens = _link(teams, provider, user)
    teams.revocation_delay = timedelta(minutes=5)
    teams.revoke_consent(user)
    clock.advance(timedelta(minutes=4))
    during = provider.refresh(tokens.refresh_token)  # not noticed yet
    clock.advance(timedelta(minutes=2))
    with pytest.raises(GrantRevoked, match="AADSTS65001"):
        provider.refresh(during.refresh_token)
    assert provider.account(during.access_token).email == "ann@contoso.com"  # until it expires


# --- certificate client authentication ----------------------------------------------------


@pytest.fixture(scope="module")
def certificate() -> ClientCertificate:
    """One key pair for the module (RSA generation is slow)."""
    return ClientCertificate.generate("meetlink-test")


def test_certificate_client_auth(
    teams: TeamsEmulator, make: Factory, certificate: ClientCertificate
) -> None:
    teams.register_certificate(certificate.certificate_pem)
    provider = make(client_secret=None, client_certificate=certificate)
    tokens = _link(teams, provider, teams.add_user("ann@contoso.com"))
    fresh = provider.refresh(tokens.refresh_token)
    assert provider.account(fresh.access_token).email == "ann@contoso.com"
    assert "PRIVATE" not in repr(certificate)


def test_thumbprints_are_the_certificates_own(
    teams: TeamsEmulator, certificate: ClientCertificate, clock: ManualClock
) -> None:
    """x5t and x5t#S256 are the SHA-1 and SHA-256 of the certificate's DER bytes (RFC 7515
    sections 4.1.7-4.1.8), computed here with ``cryptography`` and hashlib, not with meetlink's
    ``thumbprints()``: the assertion carries them, the emulator files the certificate under
    them, and the signature verifies with the certificate's key."""
    der = x509.load_pem_x509_certificate(certificate.certificate_pem).public_bytes(
        serialization.Encoding.DER
    )
    sha1, sha256 = (_b64url(hashlib.new(name, der).digest()) for name in ("sha1", "sha256"))
    token = certificate.assertion(client_id="app", audience="https://login/token", now=clock.now())
    head, body, signature = token.split(".")
    header = json.loads(_unb64url(head))
    assert (header["alg"], header["x5t"], header["x5t#S256"]) == ("RS256", sha1, sha256)
    key = x509.load_pem_x509_certificate(certificate.certificate_pem).public_key()
    assert isinstance(key, rsa.RSAPublicKey)
    key.verify(_unb64url(signature), f"{head}.{body}".encode(), padding.PKCS1v15(), hashes.SHA256())
    teams.register_certificate(certificate.certificate_pem)
    assert set(teams._state.certificates) == {sha1, sha256}  # the app registration's index


def _b64url(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode("ascii").rstrip("=")


def _unb64url(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def test_unregistered_or_stale_certificate_is_refused(
    teams: TeamsEmulator, make: Factory, certificate: ClientCertificate, clock: ManualClock
) -> None:
    user = teams.add_user("ann@contoso.com")
    unknown = make(client_secret=None, client_certificate=certificate)
    with pytest.raises(ProviderRejected, match="AADSTS700027"):
        _link(teams, unknown, user)
    teams.register_certificate(certificate.certificate_pem)
    behind = ManualClock(clock.now() - timedelta(hours=1))  # the host's clock is off
    stale = make(client_secret=None, client_certificate=certificate, clock=behind)
    with pytest.raises(ProviderRejected, match="AADSTS700024"):
        _link(teams, stale, user)


def test_provider_needs_exactly_one_credential(make: Factory) -> None:
    from meetlink.errors import ConfigurationError

    with pytest.raises(ConfigurationError):
        make(client_secret=None)


# --- a lost create is found without a PATCH -----------------------------------------------


def test_find_by_marker_returns_a_lost_create_untouched(
    teams: TeamsEmulator, make: Factory, clock: ManualClock
) -> None:
    provider = make()
    tokens = _link(teams, provider, teams.add_user("ann@contoso.com"))
    teams.fail_next(status=0, method="POST", path="/v1.0/me/onlineMeetings/createOrGet")
    with pytest.raises(ProviderUnavailable, match="after the request was sent") as lost:
        provider.create_meeting(tokens.access_token, _request(clock, "lost"))
    assert lost.value.maybe_applied  # the library must look for it before creating again
    before = len(teams.requests)
    [found] = provider.find_by_marker(tokens.access_token, "lost")
    assert found.marker == "lost" and found.topic == "Review"  # as created, not rewritten
    assert [m for m, _ in teams.requests[before:]] == ["POST"]  # one createOrGet, no PATCH
    assert len(teams.meetings()) == 1
