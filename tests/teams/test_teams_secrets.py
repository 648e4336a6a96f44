"""Secrets never leak: not in logs (every logger at DEBUG, httpx and httpcore included) and
not in any raised exception's str or repr."""

from __future__ import annotations

import logging
import traceback
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta

import pytest

from meetlink.adapters.clock import ManualClock
from meetlink.adapters.teams import TeamsProvider
from meetlink.domain.conference import MeetingTerms
from meetlink.emulators.teams import TeamsEmulator
from meetlink.errors import MeetLinkError
from meetlink.ports.provider import MeetingRequest
from tests.zoom.harness import pkce


@contextmanager
def _provider(kind: str, teams: TeamsEmulator, clock: ManualClock) -> Iterator[TeamsProvider]:
    if kind == "in-process":
        with teams.provider(clock=clock) as provider:
            yield provider
        return
    with teams.serve() as server, teams.provider(clock=clock, base_url=server.base_url) as made:
        yield made


def _describe(exc: BaseException) -> str:
    parts = []
    seen: BaseException | None = exc
    while seen is not None:
        parts += [str(seen), repr(seen)]
        seen = seen.__cause__ or seen.__context__
    return "\n".join(parts + traceback.format_exception_only(exc))


@pytest.mark.parametrize("kind", ["in-process", "loopback-http"])
def test_no_secret_in_logs_or_errors(
    kind: str, clock: ManualClock, caplog: pytest.LogCaptureFixture
) -> None:
    for name in ("", "httpx", "httpcore", "meetlink", "hpack", "urllib3"):
        caplog.set_level(logging.DEBUG, logger=name)
    teams = TeamsEmulator(clock=clock, client_secret="client-SECRET-value-123", seed=3)
    user = teams.add_user("leak@contoso.com")
    secrets: list[str] = [teams.client_secret]
    errors: list[str] = []

    def expect_error(call: object, *args: object, **kwargs: object) -> None:
        try:
            call(*args, **kwargs)  # type: ignore[operator]
        except MeetLinkError as exc:
            errors.append(_describe(exc))
        else:
            raise AssertionError("expected a MeetLinkError")

    with _provider(kind, teams, clock) as provider:
        verifier, challenge = pkce()
        answer = teams.consent(
            provider.authorization_url(state="st", code_challenge=challenge), user
        )
        tokens = provider.exchange_code(code=answer["code"], code_verifier=verifier)
        secrets += [answer["code"], verifier, tokens.access_token, tokens.refresh_token]
        expect_error(provider.exchange_code, code=answer["code"], code_verifier=verifier)

        bad = teams.consent(provider.authorization_url(state="s2", code_challenge=challenge), user)
        secrets.append(bad["code"])
        expect_error(provider.exchange_code, code=bad["code"], code_verifier="wrong-" + verifier)

        terms = MeetingTerms(
            topic="Secret-free",
            start=clock.now() + timedelta(days=1),
            duration_minutes=30,
            timezone="UTC",
        )
        made = provider.create_meeting(tokens.access_token, MeetingRequest(terms=terms, marker="m"))
        provider.get_meeting(tokens.access_token, made.meeting_id)
        expect_error(provider.get_meeting, tokens.access_token, "no-such-meeting")
        fresh = provider.refresh(tokens.refresh_token)
        secrets += [fresh.access_token, fresh.refresh_token]
        teams.fail_next(status=0, path="/organizations/oauth2/v2.0/token")
        expect_error(provider.refresh, fresh.refresh_token)
        teams.fail_next(status=429, path="/v1.0/", retry_after="0.5")
        expect_error(provider.account, fresh.access_token)
        teams.revoke_consent(user)
        expect_error(provider.refresh, fresh.refresh_token)
        clock.advance(timedelta(hours=2))
        expect_error(provider.account, fresh.access_token)
        provider.revoke(tokens)
        errors.append(repr(tokens) + repr(fresh) + repr(provider))

    logged = caplog.text + "\n".join(r.getMessage() for r in caplog.records)
    names = {r.name.split(".")[0] for r in caplog.records}
    assert "httpx" in names and "meetlink" in names  # logging really was on
    if kind == "loopback-http":
        assert "httpcore" in names
    assert len(errors) >= 7
    for secret in secrets:
        assert secret and secret not in logged, "a secret reached the logs"
        for text in errors:
            assert secret not in text, "a secret reached an exception"
