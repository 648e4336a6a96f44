"""The provider contract kit: the checks meetlink relies on, to run against your own
[`VideoProvider`][meetlink.ports.provider.VideoProvider] (docs/providers.md).

With pytest, subclass [`ProviderContract`][meetlink.testing.contract.ProviderContract] in a class
whose name starts with ``Test`` and say how to make a target; every ``test_*`` method is one check::

    class TestMyProvider(ProviderContract):
        def make_target(self) -> MyTarget:
            return MyTarget()

Without pytest, [`check_provider`][meetlink.testing.contract.check_provider] runs every check and
returns what each did. Checks that do not apply to the provider's capabilities (OAuth for a provider
that needs no link, webhooks for one that sends none) or need a hook the target does not have are
skipped ([`unittest.SkipTest`][unittest.case.SkipTest], which pytest reports as a skip).

A target ([`ProviderTarget`][meetlink.testing.contract.ProviderTarget]) holds the provider and the
clock it reads. Hooks, used when present:

- ``add_account(email) -> account`` and ``consent(authorize_url, account, *, allow=True) ->
  dict`` (the query parameters the provider redirects back with): required when the
  provider needs a link (``Capabilities.needs_link``);
- ``expire_access_tokens()``: make every access token issued so far expire;
- ``lose_next_create_response()``: the next create takes effect but its answer is lost;
- ``remove_app(account) -> (headers, body)``: the user removes the app; returns the signed
  deauthorization webhook the provider sends (``Capabilities.deauthorization_webhook``);
- ``close()``: called after each check.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
import unittest
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from datetime import datetime, timedelta
from typing import Any, Protocol, cast

import attrs

from meetlink.adapters.mail import RecordingMailer
from meetlink.adapters.memory.storage import InMemoryStorage
from meetlink.app.registry import ProviderRegistry
from meetlink.compose import MeetLink
from meetlink.domain.conference import ConferenceStatus, MeetingTerms
from meetlink.domain.event import Event, Participant
from meetlink.domain.links import TokenSet
from meetlink.errors import (
    AuthExpired,
    GrantRevoked,
    LinkDenied,
    LinkError,
    LinkNotNeeded,
    ProviderError,
    ProviderUnavailable,
    WebhookRejected,
)
from meetlink.ports.clock import Clock
from meetlink.ports.provider import (
    Capabilities,
    MeetingRequest,
    OAuthProvider,
    StartUrlProvider,
    VideoProvider,
    WebhookKind,
    WebhookProvider,
)

__all__ = [
    "CHECKS",
    "ContractFailure",
    "ProviderContract",
    "ProviderTarget",
    "check_provider",
]


class ProviderTarget(Protocol):
    """**Protocol:** the provider under test and the clock it reads (hooks: see above)."""

    @property
    def provider(self) -> VideoProvider:
        """The provider under test."""
        ...

    @property
    def clock(self) -> Clock:
        """The clock the provider (and the service behind it) reads."""
        ...


def _pkce() -> tuple[str, str]:
    verifier = secrets.token_urlsafe(48)
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return verifier, base64.urlsafe_b64encode(digest).decode("ascii").rstrip("=")


def _hook(target: ProviderTarget, name: str) -> Callable[..., Any]:
    hook = getattr(target, name, None)
    if not callable(hook):
        raise unittest.SkipTest(f"the target has no {name}()")
    return cast(Callable[..., Any], hook)


def _request(
    clock: Clock, marker: str, *, topic: str = "Contract check", days: int = 1
) -> MeetingRequest:
    start = clock.now().replace(microsecond=0) + timedelta(days=days)
    terms = MeetingTerms(
        topic=topic, start=start, duration_minutes=30, timezone="Asia/Tokyo", agenda="Agenda"
    )
    return MeetingRequest(terms=terms, marker=marker)


class ProviderContract:
    """Every check meetlink relies on, as ``test_*`` methods (see the module docs)."""

    def make_target(self) -> ProviderTarget:
        """A fresh target for one check (override this)."""
        raise NotImplementedError("override make_target() to return your provider's target")

    @contextmanager
    def _target(self) -> Iterator[ProviderTarget]:
        target = self.make_target()
        try:
            yield target
        finally:
            close = getattr(target, "close", None)
            if callable(close):
                close()

    # -- helpers ---------------------------------------------------------------------------

    @staticmethod
    def _oauth(target: ProviderTarget) -> OAuthProvider:
        if not target.provider.capabilities.needs_link:
            raise unittest.SkipTest("the provider needs no link (no OAuth)")
        return cast(OAuthProvider, target.provider)

    def _linked(
        self, target: ProviderTarget, email: str = "host@example.com"
    ) -> tuple[Any, TokenSet]:
        """An account that went through the consent page, and its tokens."""
        provider = self._oauth(target)
        account = _hook(target, "add_account")(email)
        verifier, challenge = _pkce()
        url = provider.authorization_url(state="contract-state", code_challenge=challenge)
        answer = _hook(target, "consent")(url, account)
        assert answer.get("state") == "contract-state", answer
        tokens = provider.exchange_code(code=answer["code"], code_verifier=verifier)
        return account, tokens

    def _token(self, target: ProviderTarget) -> str:
        """An access token for the meeting checks ("" for a provider that needs no link)."""
        if not target.provider.capabilities.needs_link:
            return ""
        return self._linked(target)[1].access_token

    # -- the checks --------------------------------------------------------------------------

    def test_registers_with_meetlink(self) -> None:
        """The key, the capabilities and the methods they promise (MeetLink refuses it
        otherwise, naming what is missing)."""
        with self._target() as target:
            provider = target.provider
            assert isinstance(provider.key, str) and provider.key.strip(), provider.key
            assert len(provider.key) <= 32, "provider keys are at most 32 characters"
            caps = provider.capabilities
            assert isinstance(caps, Capabilities), caps
            assert caps.display_name.strip(), "a display name (it appears in mails)"
            assert ProviderRegistry([provider]).get(provider.key) is provider

    def test_links_through_oauth(self) -> None:
        """Consent page with state and PKCE S256, code exchange, the account, a refresh."""
        with self._target() as target:
            provider = self._oauth(target)
            url = provider.authorization_url(state="st4te", code_challenge="ch4llenge")
            assert "st4te" in url and "ch4llenge" in url and "S256" in url, url
            _, tokens = self._linked(target, "ann@example.com")
            assert tokens.expires_at > target.clock.now()
            account = provider.account(tokens.access_token)
            assert account.email.lower() == "ann@example.com", account
            assert account.external_account_id and account.plan
            fresh = provider.refresh(tokens.refresh_token)
            assert fresh.access_token and fresh.refresh_token
            again = provider.account(fresh.access_token)
            assert again.external_account_id == account.external_account_id

    def test_refused_codes_and_callback_errors_are_typed(self) -> None:
        """A code presented with the wrong PKCE verifier is invalid_grant (GrantRevoked); a
        callback's ``error`` becomes LinkDenied or another LinkError."""
        with self._target() as target:
            provider = self._oauth(target)
            account = _hook(target, "add_account")("pkce@example.com")
            _, challenge = _pkce()
            url = provider.authorization_url(state="s", code_challenge=challenge)
            answer = _hook(target, "consent")(url, account)
            try:
                provider.exchange_code(code=answer["code"], code_verifier=_pkce()[0])
            except GrantRevoked:
                pass
            else:
                raise AssertionError("a PKCE mismatch must raise GrantRevoked")
            assert isinstance(provider.link_error(error="access_denied"), LinkDenied)
            other = provider.link_error(error="server_error", description="busy")
            assert isinstance(other, LinkError) and not isinstance(other, LinkDenied)

    def test_revoke_is_best_effort(self) -> None:
        """Revoking a live grant raises nothing; revoking it again raises nothing or a
        ProviderError (the provider did not confirm: meetlink logs it and goes on)."""
        with self._target() as target:
            provider = self._oauth(target)
            _, tokens = self._linked(target)
            provider.revoke(tokens)
            with suppress(ProviderError):
                provider.revoke(tokens)

    def test_an_expired_access_token_is_auth_expired(self) -> None:
        """meetlink refreshes once and retries on AuthExpired."""
        with self._target() as target:
            provider = self._oauth(target)
            expire = _hook(target, "expire_access_tokens")
            _, tokens = self._linked(target)
            expire()
            try:
                provider.account(tokens.access_token)
            except AuthExpired:
                pass
            else:
                raise AssertionError("an expired access token must raise AuthExpired")
            fresh = provider.refresh(tokens.refresh_token)
            assert provider.account(fresh.access_token).email

    def test_meeting_lifecycle(self) -> None:
        """Create, read, update, delete; what the provider reports is what was asked."""
        with self._target() as target:
            provider, token = target.provider, self._token(target)
            request = _request(target.clock, "contract-life")
            made = provider.create_meeting(token, request)
            assert isinstance(made.meeting_id, str) and made.meeting_id, made
            assert made.join_url.startswith("https://"), made.join_url
            _reports(made, request)
            got = provider.get_meeting(token, made.meeting_id)
            assert (got.meeting_id, got.join_url) == (made.meeting_id, made.join_url), got
            moved = _request(target.clock, "contract-life", topic="Contract moved", days=2)
            provider.update_meeting(token, made.meeting_id, moved)
            _reports(provider.get_meeting(token, made.meeting_id), moved)
            assert provider.delete_meeting(token, made.meeting_id) is True
            assert isinstance(provider.delete_meeting(token, made.meeting_id), bool)

    def test_the_marker_finds_the_meeting(self) -> None:
        """``find_by_marker`` returns what a create with that marker made (an idempotent
        create returns the same meeting again; another provider finds nothing for a marker
        it never saw)."""
        with self._target() as target:
            provider, token = target.provider, self._token(target)
            made = provider.create_meeting(token, _request(target.clock, "contract-mark"))
            found = provider.find_by_marker(token, "contract-mark")
            assert [m.meeting_id for m in found] == [made.meeting_id], found
            if provider.capabilities.idempotent_create:
                again = provider.create_meeting(token, _request(target.clock, "contract-mark"))
                assert again.meeting_id == made.meeting_id, "create must be idempotent"
            else:
                assert provider.find_by_marker(token, "contract-other") == []

    def test_a_lost_create_is_maybe_applied_and_found(self) -> None:
        """A create whose answer was lost says so (maybe_applied), and its meeting is found
        by the marker: meetlink adopts it instead of creating a duplicate. A provider that
        cannot find it (``Capabilities.finds_lost_creates`` False: Google Meet) finds nothing
        rather than something else, and the retried create is then found by the marker."""
        with self._target() as target:
            provider, token = target.provider, self._token(target)
            lose = _hook(target, "lose_next_create_response")
            lose()
            try:
                provider.create_meeting(token, _request(target.clock, "contract-lost"))
            except ProviderUnavailable as exc:
                assert exc.maybe_applied, "a lost answer must be maybe_applied=True"
            else:
                raise AssertionError("a lost answer must raise ProviderUnavailable")
            if not provider.capabilities.finds_lost_creates:
                assert provider.find_by_marker(token, "contract-lost") == []
                made = provider.create_meeting(token, _request(target.clock, "contract-lost"))
                found = provider.find_by_marker(token, "contract-lost")
                assert [m.meeting_id for m in found] == [made.meeting_id], found
                return
            assert len(provider.find_by_marker(token, "contract-lost")) == 1

    def test_host_start_url(self) -> None:
        """A fresh host start URL, another URL than the join URL (``host_start_url``)."""
        with self._target() as target:
            if not target.provider.capabilities.host_start_url:
                raise unittest.SkipTest("no host start URL: the host joins with the join URL")
            provider = cast(StartUrlProvider, target.provider)
            token = self._token(target)
            made = target.provider.create_meeting(token, _request(target.clock, "contract-st"))
            url = provider.start_url(token, made.meeting_id)
            assert url.startswith("https://") and url != made.join_url, url

    def test_deauthorization_webhook(self) -> None:
        """Remove App arrives signed and names the account; a forged body is refused; a
        replay has the same delivery key (``deauthorization_webhook``)."""
        with self._target() as target:
            if not target.provider.capabilities.deauthorization_webhook:
                raise unittest.SkipTest("the provider sends no webhooks")
            provider = cast(WebhookProvider, target.provider)
            account, tokens = self._linked(target)
            me = self._oauth(target).account(tokens.access_token)
            headers, body = _hook(target, "remove_app")(account)
            now = target.clock.now()
            message = provider.parse_webhook(headers, body, now)
            assert message.kind is WebhookKind.DEAUTHORIZED, message
            assert message.external_account_id == me.external_account_id
            assert provider.parse_webhook(headers, body, now).delivery_key == message.delivery_key
            try:
                provider.parse_webhook(headers, body + b" ", now)
            except WebhookRejected as exc:
                assert exc.status in (400, 401), exc.status
            else:
                raise AssertionError("a forged webhook must raise WebhookRejected")

    def test_works_inside_meetlink(self) -> None:
        """The whole path: the owner links (or needs not), an event gets a meeting, the
        participant is mailed its URL, an edit keeps the URL, a delete cancels."""
        with self._target() as target:
            key = target.provider.key
            ml = MeetLink(storage=InMemoryStorage(), providers=[target.provider],
                          mailer=(mailer := RecordingMailer()), clock=target.clock)  # fmt: skip
            try:
                ml.contract("t1")
                if target.provider.capabilities.needs_link:
                    account = _hook(target, "add_account")("owner@example.com")
                    request = ml.begin_link("t1", "owner", key)
                    answer = _hook(target, "consent")(request.authorize_url, account)
                    ml.complete_link(
                        answer["state"], code=answer["code"], user_id="owner", tenant_id="t1"
                    )
                else:
                    try:
                        ml.begin_link("t1", "owner", key)
                    except LinkNotNeeded:
                        pass
                    else:
                        raise AssertionError("begin_link must say the provider needs no link")
                assert ml.web_meeting_available("t1", "owner", key)
                start = target.clock.now().replace(microsecond=0) + timedelta(days=2)
                guest = Participant(email="guest@example.com", locale="en")
                event = Event(
                    id="contract-event",
                    tenant_id="t1",
                    owner_id="owner",
                    title="Contract check",
                    start=start,
                    end=start + timedelta(minutes=30),
                    web_meeting=key,
                    participants=(guest,),
                )
                issued = ml.save_event(event).conference
                assert issued is not None and issued.status is ConferenceStatus.ISSUED, issued
                assert issued.join_url
                ml.run_pending()
                assert _mentions(mailer, issued.join_url), "the invitation carries the URL"
                edited = ml.save_event(attrs.evolve(event, title="Contract check (moved)"))
                assert edited.conference is not None
                assert edited.conference.status is ConferenceStatus.ISSUED, edited.conference
                assert edited.conference.join_url == issued.join_url, "an edit keeps the URL"
                assert ml.delete_event("contract-event", tenant_id="t1") is True
                assert ml.conference("contract-event", tenant_id="t1") is None
            finally:
                ml.close()


def _reports(meeting: Any, request: MeetingRequest) -> None:
    """What the provider reports of the meeting (topic, start), where it reports it, is
    what was asked."""
    if meeting.topic:
        assert meeting.topic == request.terms.topic, (meeting.topic, request.terms.topic)
    if meeting.start is not None:
        assert isinstance(meeting.start, datetime) and meeting.start.tzinfo is not None
        assert meeting.start == request.terms.start, (meeting.start, request.terms.start)


def _mentions(mailer: RecordingMailer, text: str) -> bool:
    for message in mailer.outbox:
        for part in message.walk():
            if part.get_content_maintype() == "text" and text in part.get_content():
                return True
    return False


#: The names of the checks, in the order
#: [`check_provider`][meetlink.testing.contract.check_provider] runs them.
CHECKS: tuple[str, ...] = tuple(n for n in vars(ProviderContract) if n.startswith("test_"))


class ContractFailure(AssertionError):
    """A check of the contract failed: ``check`` names it (``"test_meeting_lifecycle"``);
    the error it met is the ``__cause__`` (an ``AssertionError`` saying what differed, or
    whatever the provider raised)."""

    def __init__(self, check: str, error: BaseException) -> None:
        detail = str(error) or type(error).__name__
        super().__init__(f"{check} failed: {detail}")
        self.check = check


def check_provider(make_target: Callable[[], ProviderTarget]) -> dict[str, str]:
    """Run every check against targets from ``make_target`` (one per check); returns
    ``{check: "passed" | "skipped: why"}``. The first failing check raises
    [`ContractFailure`][meetlink.testing.contract.ContractFailure] naming it."""

    class _Run(ProviderContract):
        def make_target(self) -> ProviderTarget:
            return make_target()

    run, results = _Run(), {}
    for name in CHECKS:
        try:
            getattr(run, name)()
        except unittest.SkipTest as skip:
            results[name] = f"skipped: {skip}"
        except Exception as error:  # the check's assertion, or what the provider raised
            raise ContractFailure(name, error) from error
        else:
            results[name] = "passed"
    return results
