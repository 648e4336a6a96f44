"""Secrets never leak, on any provider: not in logs (every logger at DEBUG, httpx and httpcore
included) and not in any raised exception's str or repr."""

from __future__ import annotations

import logging
import traceback
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest

from meetlink.adapters.clock import ManualClock
from meetlink.domain.conference import MeetingTerms
from meetlink.errors import MeetLinkError
from meetlink.ports.provider import MeetingRequest

from .targets import make_target, pkce


def _describe(exc: BaseException) -> str:
    parts = []
    seen: BaseException | None = exc
    while seen is not None:
        parts += [str(seen), repr(seen)]
        seen = seen.__cause__ or seen.__context__
    return "\n".join(parts + traceback.format_exception_only(exc))


@pytest.mark.parametrize(
    "kind",
    [
        "zoom-emulator",
        "zoom-emulator-http",
        "teams-emulator",
        "teams-emulator-http",
        "google_meet-emulator",
        "google_meet-emulator-http",
    ],
)
def test_no_secret_in_logs_or_errors(
    kind: str, clock: ManualClock, caplog: pytest.LogCaptureFixture
) -> None:
    for name in ("", "httpx", "httpcore", "meetlink", "hpack", "urllib3"):
        caplog.set_level(logging.DEBUG, logger=name)
    errors: list[str] = []

    def expect_error(call: Callable[..., Any], *args: object, **kwargs: object) -> None:
        try:
            call(*args, **kwargs)
        except MeetLinkError as exc:
            errors.append(_describe(exc))
        else:
            raise AssertionError("expected a MeetLinkError")

    with make_target(kind, clock) as target:
        emulator, provider, facts = target.emulator, target.provider, target.facts
        user = target.add_account("leak@contoso.com")
        secrets: list[str] = [emulator.client_secret]
        secrets += [getattr(emulator, name) for name in facts.app_secrets]
        verifier, challenge = pkce()
        answer = target.consent(
            provider.authorization_url(state="st", code_challenge=challenge), user
        )
        tokens = provider.exchange_code(code=answer["code"], code_verifier=verifier)
        secrets += [answer["code"], verifier, tokens.access_token, tokens.refresh_token]
        expect_error(provider.exchange_code, code=answer["code"], code_verifier=verifier)

        bad = target.consent(provider.authorization_url(state="s2", code_challenge=challenge), user)
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
        expect_error(provider.get_meeting, tokens.access_token, made.meeting_id + "9")
        fresh = provider.refresh(tokens.refresh_token)
        secrets += [fresh.access_token, fresh.refresh_token]
        emulator.fail_next(status=0, path=facts.token_path)
        expect_error(provider.refresh, fresh.refresh_token)
        emulator.fail_next(status=503, path=facts.api_path)
        expect_error(provider.account, fresh.access_token)
        emulator.fail_next(status=429, path=facts.api_path, retry_after="0.5")
        expect_error(provider.account, fresh.access_token)
        clock.advance(timedelta(hours=2))
        expect_error(provider.account, fresh.access_token)
        provider.revoke(fresh)
        errors.append(repr(tokens) + repr(fresh) + repr(provider))

    logged = caplog.text + "\n".join(r.getMessage() for r in caplog.records)
    names = {r.name.split(".")[0] for r in caplog.records}
    assert "httpx" in names and "meetlink" in names  # logging really was on
    if kind.endswith("-http"):
        assert "httpcore" in names
    assert len(errors) >= 8
    for secret in secrets:
        assert secret and secret not in logged, "a secret reached the logs"
        for text in errors:
            assert secret not in text, "a secret reached an exception"
