"""Zoom behaviours beyond the main path, each emulated and met by ZoomProvider, in-process
and over loopback HTTP: idle refresh tokens, the settable daily cap and latency, the account
passcode policy (and its XML refusal), missing scopes (4711), deleting a meeting in progress
(3002), and revoking the access token as Zoom documents it."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from meetlink.adapters.clock import ManualClock
from meetlink.adapters.zoom.provider import POLICY_TTL
from meetlink.domain.conference import MeetingTerms
from meetlink.domain.links import TokenSet
from meetlink.emulators.zoom import ZoomUser
from meetlink.emulators.zoom.state import APP_SCOPES
from meetlink.errors import (
    AuthExpired,
    GrantRevoked,
    MeetingInProgress,
    ProviderRejected,
    RateLimited,
)
from meetlink.ports.provider import MeetingRequest
from tests.providers.targets import ZoomEmulatorTarget, make_target, pkce


@pytest.fixture(params=["zoom-emulator", "zoom-emulator-http"])
def zoom(request: pytest.FixtureRequest, clock: ManualClock) -> Iterator[ZoomEmulatorTarget]:
    """ZoomProvider on the emulator, in-process and over loopback."""
    with make_target(request.param, clock) as made:
        yield made


def _link(zoom: ZoomEmulatorTarget, email: str = "host@example.com") -> tuple[ZoomUser, TokenSet]:
    user = zoom.emulator.add_user(email)
    verifier, challenge = pkce()
    url = zoom.provider.authorization_url(state="s", code_challenge=challenge)
    code = zoom.emulator.consent(url, user)["code"]
    return user, zoom.provider.exchange_code(code=code, code_verifier=verifier)


def _request(clock: ManualClock, marker: str = "mk", minutes: int = 30) -> MeetingRequest:
    start = clock.now().replace(microsecond=0) + timedelta(hours=2)
    terms = MeetingTerms(topic="Sync", start=start, duration_minutes=minutes, timezone="UTC")
    return MeetingRequest(terms=terms, marker=marker)


# --- refresh tokens die after 90 idle days ------------------------------------------------


def test_refresh_token_works_after_89_idle_days_and_dies_after_91(zoom: ZoomEmulatorTarget) -> None:
    _, tokens = _link(zoom)
    zoom.clock.advance(timedelta(days=89))
    fresh = zoom.provider.refresh(tokens.refresh_token)  # still alive
    zoom.clock.advance(timedelta(days=91))
    with pytest.raises(GrantRevoked):
        zoom.provider.refresh(fresh.refresh_token)


def test_refresh_token_idle_is_settable(zoom: ZoomEmulatorTarget) -> None:
    assert zoom.emulator.refresh_token_idle == timedelta(days=90)
    zoom.emulator.refresh_token_idle = timedelta(hours=2)
    _, tokens = _link(zoom)
    zoom.clock.advance(timedelta(hours=1))
    fresh = zoom.provider.refresh(tokens.refresh_token)
    zoom.clock.advance(timedelta(hours=2))
    with pytest.raises(GrantRevoked):
        zoom.provider.refresh(fresh.refresh_token)


# --- daily cap and latency ----------------------------------------------------------------


def test_daily_meeting_cap_is_settable_and_resets_at_utc_midnight(zoom: ZoomEmulatorTarget) -> None:
    assert zoom.emulator.daily_meeting_cap == 100
    zoom.emulator.daily_meeting_cap = 2
    _, tokens = _link(zoom)
    made = zoom.provider.create_meeting(tokens.access_token, _request(zoom.clock, "a"))
    zoom.provider.update_meeting(tokens.access_token, made.meeting_id, _request(zoom.clock, "a"))
    with pytest.raises(RateLimited) as caught:
        zoom.provider.create_meeting(tokens.access_token, _request(zoom.clock, "b"))
    assert "(2)" in str(caught.value)
    midnight = datetime(2025, 3, 11, tzinfo=UTC)  # the clock starts 2025-03-10 09:00 UTC
    assert caught.value.retry_at == midnight
    zoom.clock.set(midnight)
    fresh = zoom.provider.refresh(tokens.refresh_token)
    zoom.provider.create_meeting(fresh.access_token, _request(zoom.clock, "b"))


def test_latency_is_settable(zoom: ZoomEmulatorTarget) -> None:
    zoom.emulator.latency = 0.05  # (waited before every answer: tests/emulators/test_scaffold.py)
    zoom.emulator.add_user("slow@example.com")
    _link(zoom)  # consent (no HTTP) and one token request
    assert zoom.emulator.latency == 0.05
    zoom.emulator.latency = -1
    assert zoom.emulator.latency == 0.0


# --- the account passcode policy ----------------------------------------------------------


@pytest.mark.parametrize(
    "rules",
    [
        {"length": 8, "only_allow_numeric": True, "consecutive_characters_length": 4},
        {"have_special_character": True, "have_upper_and_lower_characters": True},
        {"length": 10, "have_letter": True, "have_number": True},
    ],
)
def test_generated_passcode_meets_the_account_policy(
    zoom: ZoomEmulatorTarget, rules: dict[str, int | bool]
) -> None:
    user, tokens = _link(zoom)
    zoom.emulator.set_passcode_policy(user.account_id, **rules)
    for n in range(5):
        made = zoom.provider.create_meeting(tokens.access_token, _request(zoom.clock, f"m{n}"))
        assert made.passcode is not None
        if rules.get("only_allow_numeric"):
            assert made.passcode.isdigit()
    assert ("GET", "/v2/users/me/settings") in zoom.emulator.requests


def _settings_reads(zoom: ZoomEmulatorTarget) -> int:
    return zoom.emulator.requests.count(("GET", "/v2/users/me/settings"))


def test_policy_is_read_once_per_token_for_a_while(zoom: ZoomEmulatorTarget) -> None:
    _, tokens = _link(zoom)
    for n in range(3):
        zoom.provider.create_meeting(tokens.access_token, _request(zoom.clock, f"m{n}"))
    assert _settings_reads(zoom) == 1  # one GET of the settings for three creates
    zoom.clock.advance(POLICY_TTL)
    zoom.provider.create_meeting(tokens.access_token, _request(zoom.clock, "later"))
    assert _settings_reads(zoom) == 2  # kept no longer than POLICY_TTL


def test_a_policy_changed_since_it_was_read_is_read_again(zoom: ZoomEmulatorTarget) -> None:
    user, tokens = _link(zoom)
    zoom.provider.create_meeting(tokens.access_token, _request(zoom.clock, "before"))
    zoom.emulator.set_passcode_policy(user.account_id, length=8, only_allow_numeric=True)
    made = zoom.provider.create_meeting(tokens.access_token, _request(zoom.clock, "after"))
    # The create with the policy read before was refused (300, nothing made); the policy was
    # read again and the second try fits it.
    assert made.passcode is not None and made.passcode.isdigit() and len(made.passcode) >= 8
    assert _settings_reads(zoom) == 2
    assert [m.marker for m in zoom.provider.find_by_marker(tokens.access_token, "after")] == [
        "after"
    ]


def test_policy_refusal_comes_as_xml_and_is_read(zoom: ZoomEmulatorTarget) -> None:
    zoom.emulator.scopes = APP_SCOPES - {"user:read:settings"}  # policy unreadable: default
    user, tokens = _link(zoom)
    zoom.emulator.set_passcode_policy(user.account_id, only_allow_numeric=True)
    with pytest.raises(ProviderRejected) as caught:
        zoom.provider.create_meeting(tokens.access_token, _request(zoom.clock))
    assert (caught.value.provider_code, caught.value.status) == (300, 400)
    assert "Passcode can only contain numbers" in str(caught.value)
    assert zoom.emulator.meetings() == []


# --- missing scopes (4711) ----------------------------------------------------------------


def test_missing_scope_is_4711_and_rejected_for_good(zoom: ZoomEmulatorTarget) -> None:
    zoom.emulator.scopes = APP_SCOPES - {"meeting:delete:meeting"}
    _, tokens = _link(zoom)
    made = zoom.provider.create_meeting(tokens.access_token, _request(zoom.clock))
    with pytest.raises(ProviderRejected) as caught:
        zoom.provider.delete_meeting(tokens.access_token, made.meeting_id)
    assert caught.value.provider_code == 4711 and caught.value.status == 400
    assert "meeting:delete:meeting" in str(caught.value) and "links Zoom again" in str(caught.value)
    zoom.emulator.scopes = APP_SCOPES  # the app owner adds it: a token from a new link works
    _, relinked = _link(zoom, "host2@example.com")
    other = zoom.provider.create_meeting(relinked.access_token, _request(zoom.clock, "x"))
    assert zoom.provider.delete_meeting(relinked.access_token, other.meeting_id) is True


# --- a meeting in progress (3002) ---------------------------------------------------------


def test_meeting_in_progress_is_deleted_after_it_ends(zoom: ZoomEmulatorTarget) -> None:
    _, tokens = _link(zoom)
    made = zoom.provider.create_meeting(tokens.access_token, _request(zoom.clock, minutes=45))
    zoom.emulator.start_meeting(made.meeting_id)
    with pytest.raises(MeetingInProgress) as caught:
        zoom.provider.delete_meeting(tokens.access_token, made.meeting_id)
    assert isinstance(caught.value, RateLimited)  # a wait, not a failure
    assert made.start is not None
    assert caught.value.retry_at == made.start + timedelta(minutes=45)
    assert len(zoom.emulator.meetings()) == 1
    zoom.emulator.end_meeting(made.meeting_id)
    assert zoom.provider.delete_meeting(tokens.access_token, made.meeting_id) is True


def test_overrunning_meeting_is_asked_again_later(zoom: ZoomEmulatorTarget) -> None:
    _, tokens = _link(zoom)
    made = zoom.provider.create_meeting(tokens.access_token, _request(zoom.clock))
    zoom.emulator.start_meeting(made.meeting_id)
    zoom.clock.advance(timedelta(hours=4))  # long past its scheduled end
    fresh = zoom.provider.refresh(tokens.refresh_token)
    with pytest.raises(MeetingInProgress) as caught:
        zoom.provider.delete_meeting(fresh.access_token, made.meeting_id)
    assert caught.value.retry_at == zoom.clock.now() + timedelta(minutes=10)


# --- revoke -------------------------------------------------------------------------------


def test_revoke_sends_the_access_token(zoom: ZoomEmulatorTarget) -> None:
    _, tokens = _link(zoom)
    zoom.provider.revoke(tokens)
    with pytest.raises(AuthExpired):
        zoom.provider.account(tokens.access_token)
    with pytest.raises(GrantRevoked):
        zoom.provider.refresh(tokens.refresh_token)


def test_revoke_with_an_expired_access_token_refreshes_first(zoom: ZoomEmulatorTarget) -> None:
    _, tokens = _link(zoom)
    zoom.clock.advance(timedelta(hours=2))
    before = len(zoom.emulator.requests)
    zoom.provider.revoke(tokens)
    assert zoom.emulator.requests[before:] == [("POST", "/oauth/token"), ("POST", "/oauth/revoke")]
    with pytest.raises(GrantRevoked):
        zoom.provider.refresh(tokens.refresh_token)


def test_revoke_of_a_dead_grant(zoom: ZoomEmulatorTarget) -> None:
    user, tokens = _link(zoom)
    zoom.emulator.remove_app(user)
    with pytest.raises(ProviderRejected, match="may still be authorised"):
        zoom.provider.revoke(tokens)  # Zoom says "Invalid Token!": not taken for a success
    zoom.clock.advance(timedelta(hours=2))
    zoom.provider.revoke(tokens)  # the refresh says invalid_grant: nothing left to revoke
