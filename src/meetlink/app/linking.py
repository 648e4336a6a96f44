"""Linking host users to provider accounts (S6-S10, S15, S16, S23, S24).

OAuth: state + PKCE S256 on every link, the state valid for 10 minutes and once, and bound to
the host user (tenant and user id) who began it. A host user is ``(tenant_id, user_id)``.
Completing a link moves an external account held by another user, of this tenant or another
(S9), without revoking anything at the provider; the previous holder's tenant is told.
Never two users per external account, never two accounts per user and provider: the
storage's unique constraints settle concurrent calls, which are retried.
"""

from __future__ import annotations

import base64
import hashlib
import json
import logging
import secrets
import uuid
from collections.abc import Iterable
from datetime import datetime

import attrs

from meetlink.app.context import AppContext
from meetlink.app.drift import Drift
from meetlink.app.erasure import Erasures
from meetlink.app.moves import ConferenceMoves
from meetlink.app.validation import delivery_key, ident
from meetlink.domain.links import (
    AccountLink,
    LinkRecord,
    TokenSet,
    UnlinkReason,
    organisation_account,
    plan_link,
)
from meetlink.domain.records import PendingAuth
from meetlink.domain.results import HostNotice, HostNoticeKind, LinkRequest, WebhookReply
from meetlink.domain.subscription import SubscriptionRecord, snapshot
from meetlink.errors import (
    AddonInactive,
    GrantRevoked,
    InvalidInput,
    InvalidLinkState,
    MeetLinkError,
    UnknownProvider,
    WebhookRejected,
)
from meetlink.ports.provider import OAuthProvider, ProviderAccount, WebhookKind
from meetlink.ports.storage import UnitOfWork

__all__ = ["ORGANISATION_STATE", "Linking", "new_link"]

#: Appended to the provider key of an authorization in flight for an organisation link:
#: such a state completes only as one (and a user's state only as a user link).
ORGANISATION_STATE = "+org"

log = logging.getLogger("meetlink.linking")


def new_link(
    pending: PendingAuth,
    account: ProviderAccount,
    tokens: TokenSet,
    now: datetime,
    *,
    user_id: str | None = None,
    external_account_id: str | None = None,
) -> LinkRecord:
    """The active link an authorization in flight ends in: for ``pending``'s user (or
    ``user_id``) and ``account`` (or the account key ``external_account_id``)."""
    return LinkRecord(
        id=uuid.uuid4().hex,
        user_id=pending.user_id if user_id is None else user_id,
        tenant_id=pending.tenant_id,
        provider=pending.provider,
        external_account_id=external_account_id or account.external_account_id,
        account_id=account.account_id,
        email=account.email,
        plan=account.plan,
        linked_at=now,
        tokens=tokens,
        refreshed_at=now,
    )


def _challenge(verifier: str) -> str:
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


class Linking:
    """Link, unlink, and provider webhooks."""

    def __init__(self, ctx: AppContext, moves: ConferenceMoves) -> None:
        self._ctx = ctx
        self._moves = moves
        #: Puts meetings deleted or changed at the provider back (set by the facade).
        self.drift: Drift | None = None
        #: Erases an account's data when the provider asks (set by the facade).
        self.erasures: Erasures | None = None

    def addon_active(self, uow: UnitOfWork, tenant_id: str) -> bool:
        """Whether the tenant's add-on is active now."""
        record = uow.subscriptions.get(tenant_id) or SubscriptionRecord(tenant_id=tenant_id)
        return snapshot(record, self._ctx.clock.now()).active

    def begin(
        self, tenant_id: str, user_id: str, provider_key: str, *, organisation: bool = False
    ) -> LinkRequest:
        """Start linking: the provider's consent URL with state and PKCE (S10).
        LinkNotNeeded for a provider that needs no link. ``organisation``: an organisation
        link begun by the admin ``user_id`` (the organisation's app's consent page)."""
        provider: OAuthProvider = self._ctx.providers.oauth(provider_key)
        if organisation:
            provider = self._ctx.providers.organisation(provider_key).organisation()
        now = self._ctx.clock.now()
        state = secrets.token_urlsafe(32)
        verifier = secrets.token_urlsafe(64)  # 86 unreserved characters (RFC 7636: 43-128)
        pending = PendingAuth(
            state=state,
            tenant_id=tenant_id,
            user_id=user_id,
            provider=provider.key + (ORGANISATION_STATE if organisation else ""),
            code_verifier=verifier,
            created_at=now,
            expires_at=now + self._ctx.settings.link_state_ttl,
        )

        def work(uow: UnitOfWork) -> None:
            if not self.addon_active(uow, tenant_id):
                raise AddonInactive(f"the web conference add-on is not active for {tenant_id!r}")
            uow.auth_states.purge(now)
            uow.auth_states.add(pending)

        self._ctx.transaction(work)
        url = provider.authorization_url(state=state, code_challenge=_challenge(verifier))
        return LinkRequest(authorize_url=url, state=state, expires_at=pending.expires_at)

    def complete(
        self,
        state: str,
        code: str | None,
        error: str | None,
        *,
        error_description: str | None = None,
        error_subcode: str | None = None,
        user_id: str,
        tenant_id: str,
    ) -> AccountLink:
        """Finish linking from the OAuth callback's parameters. An ``error`` becomes the
        provider adapter's typed LinkError (it reads its own codes, e.g. AADSTS).
        ``user_id``/``tenant_id`` must be who began the link (RFC 9700 4.7: the state is
        bound to the user agent's session), else InvalidLinkState and nothing changes."""
        now = self._ctx.clock.now()
        pending = self.take(state, tenant_id, user_id, organisation=False)
        provider = self._ctx.providers.oauth(pending.provider)
        tokens = self.exchange(
            provider, pending, code, error, description=error_description, subcode=error_subcode
        )
        account = provider.account(tokens.access_token)
        new = new_link(pending, account, tokens, now)
        self.store(new)
        return new.public()

    def take(self, state: str, tenant_id: str, user_id: str, *, organisation: bool) -> PendingAuth:
        """The authorization in flight for ``state`` (used up), begun by ``user_id`` of
        ``tenant_id`` for a user link or (``organisation``) an organisation link; else
        InvalidLinkState and nothing changes. The returned ``provider`` is the provider key."""
        now = self._ctx.clock.now()

        def take(uow: UnitOfWork) -> PendingAuth | None:
            pending = uow.auth_states.take(state)
            if pending is None:
                return None
            if (pending.tenant_id, pending.user_id) != (tenant_id, user_id):
                # Raising rolls the take back: the state stays for the user who began it.
                raise InvalidLinkState("this link was started by another user")
            if pending.provider.endswith(ORGANISATION_STATE) != organisation:
                raise InvalidLinkState(
                    "this state is for an organisation link"
                    if organisation is False
                    else "this state is for a user's own link"
                )
            return pending

        pending = self._ctx.transaction(take)
        if pending is None or pending.expires_at <= now:
            raise InvalidLinkState("unknown, expired or already used link state")
        return attrs.evolve(pending, provider=pending.provider.removesuffix(ORGANISATION_STATE))

    def exchange(
        self,
        provider: OAuthProvider,
        pending: PendingAuth,
        code: str | None,
        error: str | None,
        *,
        description: str | None = None,
        subcode: str | None = None,
    ) -> TokenSet:
        """The tokens the OAuth callback's ``code`` buys at ``provider`` (the app that began
        the authorization); an ``error`` becomes the app's typed LinkError."""
        if error is not None:
            raise provider.link_error(error=error, description=description, subcode=subcode)
        if not code:
            raise InvalidLinkState("the callback carried neither a code nor an error")
        try:
            return provider.exchange_code(code=code, code_verifier=pending.code_verifier)
        except GrantRevoked:
            # invalid_grant here is about the code, not a link: expired, used, or issued for
            # another state (PKCE mismatch: a code injected into this callback).
            raise InvalidLinkState(
                "the provider refused the authorization code (expired, already used, or "
                "issued for another link); link again"
            ) from None

    def store(self, new: LinkRecord) -> None:
        """Make ``new`` the active link of its user (or organisation) and account: the links
        it replaces end (S7, S9), their conferences follow (DETACHED or held by the new
        link), the previous holder's tenant is told, an old grant the user left is revoked."""
        ended_links: list[LinkRecord] = []
        unread: dict[str, LinkRecord] = {}

        def work(uow: UnitOfWork) -> list[LinkRecord]:
            ended_links.clear()
            unread.clear()
            # Serialise callbacks for the same account (S8/S9 under concurrency): the loser of
            # a race waits for the winner's commit instead of failing on the unique index.
            uow.links.lock_account(new.provider, new.external_account_id)
            by_user = uow.links.active_for_user(new.tenant_id, new.user_id, new.provider)
            by_account = uow.links.active_for_account(new.provider, new.external_account_id)
            plan = plan_link(new, by_user, by_account, self._ctx.clock.now())
            unread.update({e.id: e for e in (by_user, by_account) if e and e.credential_error})
            for ended in plan.ended:
                uow.links.update(ended)
                ended_links.append(ended)
            uow.links.add(plan.new)
            for ended in plan.ended:
                self._moves.link_lost(uow, ended)
            self._moves.link_regained(uow, new)
            self._record_unread(uow, unread.values())
            for ended in ended_links:
                if ended.unlink_reason is UnlinkReason.TAKEN_OVER:
                    self._record(
                        uow,
                        HostNoticeKind.LINK_TAKEN_OVER,
                        ended,
                        "the provider account is now linked to another user",
                    )
            return [e for e in (by_user,) if e is not None and e.external_account_id
                    != new.external_account_id]  # fmt: skip

        replaced = self._ctx.transaction(work)
        self._forgotten_unread(unread.values())
        for old in replaced:
            # The user moved to another account: the old grant is no longer wanted.
            self._revoke(old)

    def unlink(self, tenant_id: str, user_id: str, provider_key: str) -> bool:
        """End the link of the tenant's user (S15): forget tokens, revoke at the provider
        (best effort)."""
        self._ctx.providers.get(provider_key)
        now = self._ctx.clock.now()

        def work(uow: UnitOfWork) -> LinkRecord | None:
            link = uow.links.active_for_user(tenant_id, user_id, provider_key)
            if link is None:
                return None
            uow.links.update(link.ended(UnlinkReason.USER, now))
            self._moves.link_lost(uow, link)
            self._record_unread(uow, [link])
            return link

        link = self._ctx.transaction(work)
        if link is None:
            return False
        self._forgotten_unread([link])
        self._revoke(link)
        return True

    def _forgotten_unread(self, links: Iterable[LinkRecord]) -> None:
        """Log when a link ended with tokens no configured key could read (the host event
        was recorded with the change: ``_record_unread``)."""
        for link in links:
            if link.credential_error is None:
                continue
            log.warning(
                "link %s ended with unreadable tokens (%s): forgotten without a revoke at %s",
                link.id,
                link.credential_error,
                link.provider,
            )

    def _record_unread(self, uow: UnitOfWork, links: Iterable[LinkRecord]) -> None:
        """Tell the host when a link ended with tokens no configured key could read: they were
        forgotten unread and nothing was revoked at the provider (the grant lives on there
        until the user removes the app or it expires)."""
        for link in links:
            if link.credential_error is not None:
                self._record(
                    uow,
                    HostNoticeKind.CREDENTIALS_UNREADABLE,
                    link,
                    "the link's stored tokens could not be decrypted with the configured "
                    "encryption keys; the link ended without revoking its grant (check "
                    "encryption_keys)",
                )

    def _record(self, uow: UnitOfWork, kind: HostNoticeKind, link: LinkRecord, detail: str) -> None:
        """Record a host event about ``link``'s user (in the link's own tenant) in ``uow``: it
        commits with the change and reaches the listener after the commit."""
        notice = HostNotice(
            kind=kind,
            tenant_id=link.tenant_id,
            user_id=link.user_id,
            provider=link.provider,
            detail=detail,
        )
        uow.feed.add(notice, self._ctx.clock.now())

    def _revoke(self, link: LinkRecord) -> None:
        if link.tokens is None:  # none kept, or unreadable (said by _forgotten_unread)
            return
        try:
            self._ctx.providers.grant(link).revoke(link.tokens)
        except MeetLinkError as exc:
            log.warning("revoking link %s at %s failed: %s", link.id, link.provider, exc)

    def webhook(self, provider_key: str, headers: dict[str, str], body: bytes) -> WebhookReply:
        """Verify and act on a provider webhook (S16)."""
        try:
            provider = self._ctx.providers.webhooks(provider_key)
        except UnknownProvider:
            return _reply(404, {"error": "unknown provider"})
        if provider is None:
            return _reply(404, {"error": "this provider sends no webhooks"})
        now = self._ctx.clock.now()
        try:
            message = provider.parse_webhook(headers, body, now)
        except WebhookRejected as exc:
            return _reply(exc.status, {"error": str(exc)[:200]})
        try:  # what is looked up and stored below: ids, checked as text first
            delivery_key("delivery_key", message.delivery_key)
            if message.external_account_id is not None:
                ident("external_account_id", message.external_account_id)
            if message.organisation_id is not None:
                ident("organisation_id", message.organisation_id)
        except InvalidInput as exc:
            return _reply(400, {"error": f"webhook field {exc}"[:200]})
        if message.kind is WebhookKind.URL_VALIDATION:
            return WebhookReply(200, message.reply_body, message.reply_content_type)
        if message.organisation_id:  # the organisation's app was removed (its admin)
            account: str | None = organisation_account(message.organisation_id)
        else:
            account = message.external_account_id
        if message.kind is WebhookKind.DEAUTHORIZED and account:
            removed_account: str = account

            def work(uow: UnitOfWork) -> LinkRecord | None:
                if not uow.webhooks.record(provider.key, message.delivery_key, now):
                    return None  # a replay changes nothing
                if message.erase_data and self.erasures is not None:
                    when = message.occurred_at or now
                    self.erasures.ask(uow, provider.key, removed_account, min(when, now))
                link = uow.links.active_for_account(provider.key, removed_account)
                if link is None:
                    return None
                if message.occurred_at is not None and link.linked_at > message.occurred_at:
                    return None  # sent before this link was made: it cannot be about it
                uow.links.update(link.ended(UnlinkReason.PROVIDER_REMOVED, now))
                self._moves.link_lost(uow, link)
                self._record_unread(uow, [link])
                self._record(
                    uow,
                    HostNoticeKind.LINK_REMOVED_AT_PROVIDER,
                    link,
                    "the app was removed at the provider",
                )
                return link

            removed = self._ctx.transaction(work)
            if removed is not None:
                self._forgotten_unread([removed])
        drifted = (WebhookKind.MEETING_DELETED, WebhookKind.MEETING_CHANGED)
        if message.kind in drifted and self.drift is not None and message.external_account_id:
            if message.meeting_id is None:
                return _reply(400, {"error": "webhook field meeting_id: missing"})
            try:
                ident("meeting_id", message.meeting_id)
            except InvalidInput as exc:
                return _reply(400, {"error": f"webhook field {exc}"[:200]})
            drift = self.drift

            def repair(uow: UnitOfWork) -> int:
                if not uow.webhooks.record(provider.key, message.delivery_key, now):
                    return 0  # a replay changes nothing
                return drift.on_webhook(uow, provider.key, message)

            self._ctx.transaction(repair)
        return _reply(200, {"status": "ok"})


def _reply(status: int, data: dict[str, str]) -> WebhookReply:
    return WebhookReply(status, json.dumps(data).encode(), "application/json")
