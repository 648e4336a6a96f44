"""Access tokens for provider calls: refresh single-flight per link, refresh-once-on-401.

The new refresh token is stored (compare-and-swap on ``token_version``) before it is used.
When a refresh answers invalid_grant, the stored row is read again: if a sibling process
rotated the token meanwhile, its token is used; otherwise the link is broken
(GRANT_REVOKED) and its account's conferences are handled as after any unlink.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import TypeVar

from meetlink.app.accounts import account_lost
from meetlink.app.context import AppContext
from meetlink.domain.links import LinkRecord, TokenSet, UnlinkReason
from meetlink.errors import AuthExpired, GrantRevoked, NotLinked
from meetlink.ports.provider import VideoProvider
from meetlink.ports.storage import UnitOfWork

__all__ = ["TokenKeeper"]

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
        if link is None or not link.active or link.tokens is None:
            raise NotLinked(f"link {link_id} is no longer active")
        return link

    def access_token(self, link_id: str, *, force_refresh: bool = False) -> str:
        """A usable access token for the link, refreshing it first when it has expired
        (or when ``force_refresh``, after the provider refused it)."""
        link = self._load(link_id)
        assert link.tokens is not None
        now = self._ctx.clock.now()
        if not force_refresh and not link.tokens.expired(now):
            return link.tokens.access_token
        seen_version = link.token_version
        with self._lock_for(link_id):
            link = self._load(link_id)
            assert link.tokens is not None
            if link.token_version != seen_version or (
                not force_refresh and not link.tokens.expired(self._ctx.clock.now())
            ):
                return link.tokens.access_token  # a sibling refreshed while we waited
            return self._refresh(link).access_token

    def _refresh(self, link: LinkRecord) -> TokenSet:
        assert link.tokens is not None
        provider = self._ctx.providers.get(link.provider)
        try:
            fresh = provider.refresh(link.tokens.refresh_token)
        except GrantRevoked:
            current = self._load(link.id)
            if current.token_version != link.token_version and current.tokens is not None:
                return current.tokens  # another process rotated it: use theirs (scenario 6)
            self.break_link(link.id)
            raise
        swapped = self._ctx.transaction(
            lambda uow: uow.links.swap_tokens(link.id, link.token_version, fresh)
        )
        if not swapped:
            current = self._load(link.id)
            assert current.tokens is not None
            return current.tokens
        return fresh

    def break_link(self, link_id: str) -> None:
        """The grant is gone (invalid_grant): end the link as GRANT_REVOKED."""

        def work(uow: UnitOfWork) -> None:
            link = uow.links.get(link_id, for_update=True)
            if link is None or not link.active:
                return
            uow.links.update(link.ended(UnlinkReason.GRANT_REVOKED, self._ctx.clock.now()))
            account_lost(uow, link.provider, link.external_account_id)

        log.warning("link %s lost its grant at the provider; the user must link again", link_id)
        self._ctx.transaction(work)

    def call(self, link: LinkRecord, action: Callable[[VideoProvider, str], T]) -> T:
        """Call ``action(provider, access_token)``; on AuthExpired refresh once and retry."""
        provider = self._ctx.providers.get(link.provider)
        if link.tokens is not None and not link.tokens.expired(self._ctx.clock.now()):
            token = link.tokens.access_token  # just read with the link: no second read
        else:
            token = self.access_token(link.id)
        try:
            return action(provider, token)
        except AuthExpired:
            token = self.access_token(link.id, force_refresh=True)
            return action(provider, token)
