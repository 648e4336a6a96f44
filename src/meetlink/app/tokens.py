"""Access tokens for provider calls: refresh single-flight per link, refresh-once-on-401.

A refresh takes the link's row lock (``SELECT ... FOR UPDATE``; SQLite: the immediate
transaction), re-checks the stored token (a sibling process may have refreshed it), posts the
refresh while holding the lock and stores the rotated pair before using it. So one refresh
request reaches the provider however many threads and processes find the token expired.
invalid_grant under the lock means the grant is dead: the link ends (GRANT_REVOKED), its
account's conferences are handled as after any unlink, and the host is told once.
Tokens are refreshed a few minutes before they expire, so the lock is rarely needed.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import TypeVar

from meetlink.app.accounts import account_lost
from meetlink.app.context import AppContext
from meetlink.domain.links import LinkRecord, UnlinkReason
from meetlink.domain.results import HostNotice, HostNoticeKind
from meetlink.errors import AuthExpired, GrantRevoked, NotLinked
from meetlink.ports.provider import VideoProvider

__all__ = ["REFRESH_MARGIN", "TokenKeeper"]

REFRESH_MARGIN = 300  # seconds before expiry at which a token is refreshed

T = TypeVar("T")
log = logging.getLogger("meetlink.tokens")


class TokenKeeper:
    """Hands out valid access tokens and makes provider calls with them."""

    def __init__(self, ctx: AppContext) -> None:
        self._ctx = ctx
        self._locks: dict[str, threading.Lock] = {}
        self._locks_guard = threading.Lock()

    def _lock_for(self, link_id: str) -> threading.Lock:
        with self._locks_guard:
            return self._locks.setdefault(link_id, threading.Lock())

    def _load(self, link_id: str) -> LinkRecord:
        link = self._ctx.read(lambda uow: uow.links.get(link_id))
        # readable_tokens(): CredentialError when a wrong key hides them (jobs retry later).
        if link is None or not link.active or link.readable_tokens() is None:
            raise NotLinked(f"link {link_id} is no longer active")
        return link

    def access_token(self, link_id: str, *, force_refresh: bool = False) -> str:
        """A usable access token for the link, refreshing it first when it is about to expire
        (or when ``force_refresh``, after the provider refused it)."""
        link = self._load(link_id)
        assert link.tokens is not None
        if not force_refresh and not link.tokens.expired(self._ctx.clock.now(), REFRESH_MARGIN):
            return link.tokens.access_token
        with self._lock_for(link_id):  # single flight inside this process
            return self._refresh(link_id, link.token_version, force_refresh)

    def _refresh(self, link_id: str, seen_version: int, force: bool) -> str:
        """Refresh under the link's row lock (single flight across processes, RELIABILITY
        1.4): re-check, POST the refresh holding the lock, store the new pair, commit."""
        ctx = self._ctx
        with ctx.storage.unit_of_work() as uow:
            link = uow.links.get(link_id, for_update=True)
            tokens = None if link is None or not link.active else link.readable_tokens()
            if link is None or tokens is None:
                raise NotLinked(f"link {link_id} is no longer active")
            now = ctx.clock.now()
            if link.token_version != seen_version or (
                not force and not tokens.expired(now, REFRESH_MARGIN)
            ):
                return tokens.access_token  # a sibling refreshed while we waited
            provider = ctx.providers.get(link.provider)
            try:
                fresh = provider.refresh(tokens.refresh_token)
            except GrantRevoked:
                # Under the lock, the stored refresh token is the one refused: the grant is
                # dead (a lost refresh answer ends here too, scenario 5). Unlink, tell once.
                uow.links.update(link.ended(UnlinkReason.GRANT_REVOKED, now))
                account_lost(uow, link.provider, link.external_account_id, now)
                uow.commit()
                log.warning("link %s lost its grant at %s; the user must link again",
                            link.id, link.provider)  # fmt: skip
                ctx.notify(
                    HostNotice(
                        kind=HostNoticeKind.LINK_BROKEN,
                        tenant_id=link.tenant_id,
                        user_id=link.user_id,
                        provider=link.provider,
                        detail="the provider refused the grant; link the account again",
                    )
                )
                raise
            # The new refresh token is stored before the access token is used.
            uow.links.swap_tokens(link.id, link.token_version, fresh)
            uow.commit()
            return fresh.access_token

    def call(self, link: LinkRecord, action: Callable[[VideoProvider, str], T]) -> T:
        """Call ``action(provider, access_token)``; on AuthExpired refresh once and retry."""
        provider = self._ctx.providers.get(link.provider)
        if link.tokens is not None and not link.tokens.expired(
            self._ctx.clock.now(), REFRESH_MARGIN
        ):
            token = link.tokens.access_token  # just read with the link: no second read
        else:
            token = self.access_token(link.id)
        try:
            return action(provider, token)
        except AuthExpired:
            token = self.access_token(link.id, force_refresh=True)
            return action(provider, token)
