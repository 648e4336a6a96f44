"""Access tokens for provider calls: refresh single-flight per link, refresh-once-on-401.

No transaction is open while the provider is called (DESIGN 4). A refresh is single flight
across processes through a short lease on the link row: claim the lease in one short unit of
work, POST the refresh with no transaction open, store the rotated pair in another unit of
work (a compare-and-swap on the token version) before the access token is used. Siblings
(other threads wait on an in-process lock; other processes poll the row) use the stored pair
as soon as its version moves; a lease whose holder died runs out and is taken over.

invalid_grant with the stored refresh token unchanged means the grant is dead; so does a
second 401 right after a refresh. The link ends (GRANT_REVOKED, re-authorisation required),
its account's conferences are handled as after any unlink, and the host is told once.

A worker killed between the provider's answer and the store loses the rotated pair, and the
next refresh meets invalid_grant (as a lost refresh answer does, RELIABILITY scenario 5):
that window is one short commit. A storage failure at that point is retried, and the pair is
kept in memory and stored at the next use, so only a dead process still breaks the link.
"""

from __future__ import annotations

import functools
import logging
import threading
import time
from collections.abc import Callable
from datetime import timedelta
from typing import TypeVar

from meetlink.app.context import AppContext
from meetlink.app.moves import ConferenceMoves
from meetlink.domain.links import LinkRecord, TokenSet, UnlinkReason
from meetlink.domain.results import HostNotice, HostNoticeKind
from meetlink.errors import AuthExpired, GrantRevoked, NotLinked, StorageError
from meetlink.ports.provider import VideoProvider
from meetlink.ports.storage import UnitOfWork

__all__ = ["REFRESH_LEASE", "REFRESH_MARGIN", "TokenKeeper"]

REFRESH_MARGIN = 300  # seconds before expiry at which a token is refreshed
REFRESH_LEASE = timedelta(seconds=30)  # the provider call times out well within it
_POLL_SECONDS = 0.02
_STORE_ATTEMPTS = 5

T = TypeVar("T")
log = logging.getLogger("meetlink.tokens")


class TokenKeeper:
    """Hands out valid access tokens and makes provider calls with them."""

    def __init__(self, ctx: AppContext, moves: ConferenceMoves) -> None:
        self._ctx = ctx
        self._moves = moves
        self._locks: dict[str, threading.Lock] = {}
        self._locks_guard = threading.Lock()
        # Rotated pairs the provider gave us that storage refused to take (an outage): they
        # are the only valid ones, so they are stored before anything else is tried.
        self._unsaved: dict[str, tuple[int, TokenSet]] = {}

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

    def keep_alive(self, link: LinkRecord) -> None:
        """Refresh ``link`` now because its refresh token went unused for long (keep-alive),
        single flight like any refresh: when a sibling refreshed since ``link`` was read,
        nothing more happens. A refused refresh ends the link (GrantRevoked is raised)."""
        with self._lock_for(link.id):
            self._refresh(link.id, link.token_version, True)

    def _refresh(self, link_id: str, seen: int, force: bool) -> str:
        """Single flight across processes: claim the lease, refresh, store."""
        unsaved = self._unsaved.get(link_id)
        if unsaved is not None and unsaved[0] == seen:
            return self._store(link_id, seen, unsaved[1])
        started = time.monotonic()
        while True:
            # A lease its holder kept this long (real time: test clocks may stand still)
            # belongs to a dead or hung worker: take it over.
            stale = time.monotonic() - started > REFRESH_LEASE.total_seconds()
            claimed = self._ctx.transaction(
                functools.partial(self._claim, link_id=link_id, seen=seen, force=force,
                                  stale=stale)
            )  # fmt: skip
            if isinstance(claimed, str):
                return claimed  # a sibling refreshed meanwhile, or no refresh is needed
            if claimed is not None:
                break
            time.sleep(_POLL_SECONDS)  # a sibling holds the lease: wait for its new version
        assert claimed.tokens is not None
        provider = self._ctx.providers.grant(claimed)  # the organisation's app for its link
        try:
            fresh = provider.refresh(claimed.tokens.refresh_token)  # no transaction open
        except GrantRevoked:
            # The refresh token we sent is refused: dead, unless a sibling rotated it.
            token = self._end_link(link_id, seen, "the provider refused the grant")
            if token is not None:
                return token
            raise
        except BaseException:
            self._ctx.transaction(lambda uow: self._release(uow, link_id, seen))
            raise
        return self._store(link_id, seen, fresh)

    def _claim(
        self, uow: UnitOfWork, link_id: str, seen: int, force: bool, stale: bool
    ) -> LinkRecord | str | None:
        """The link, leased to this worker; a token when none is needed any more; None
        while a sibling holds the lease."""
        link = uow.links.get(link_id, for_update=True)
        tokens = None if link is None or not link.active else link.readable_tokens()
        if link is None or tokens is None:
            raise NotLinked(f"link {link_id} is no longer active")
        now = self._ctx.clock.now()
        if link.token_version != seen or (not force and not tokens.expired(now, REFRESH_MARGIN)):
            return tokens.access_token
        if not link.refresh_claimable(now) and not stale:
            return None
        leased = link.lease_refresh(now + REFRESH_LEASE)
        uow.links.update(leased)
        return leased

    def _release(self, uow: UnitOfWork, link_id: str, seen: int) -> None:
        link = uow.links.get(link_id, for_update=True)
        if link is not None and link.active and link.token_version == seen:
            uow.links.update(link.release_refresh())

    def _store(self, link_id: str, seen: int, fresh: TokenSet) -> str:
        """Store the rotated pair (it is the only valid one now) before using it."""
        for attempt in range(1, _STORE_ATTEMPTS + 1):
            try:
                swapped = self._ctx.transaction(
                    lambda uow: uow.links.swap_tokens(
                        link_id, seen, fresh, refreshed_at=self._ctx.clock.now()
                    )
                )
            except StorageError:
                if attempt == _STORE_ATTEMPTS:
                    self._unsaved[link_id] = (seen, fresh)
                    raise
                time.sleep(0.05 * attempt)
                continue
            self._unsaved.pop(link_id, None)
            if not swapped:
                # Unlinked meanwhile, or a sibling whose lease we took over stored first.
                return self._load(link_id).tokens.access_token  # type: ignore[union-attr]
            return fresh.access_token
        raise AssertionError("unreachable")

    def _end_link(self, link_id: str, seen: int | None, why: str) -> str | None:
        """The grant is dead: end the link (GRANT_REVOKED, re-authorisation required) and
        tell the host once. Returns the stored token instead when a sibling rotated the pair
        since ``seen`` (then nothing is dead)."""

        def work(uow: UnitOfWork, notices: list[HostNotice]) -> str | None:
            link = uow.links.get(link_id, for_update=True)
            if link is None or not link.active:
                return None
            if seen is not None and link.token_version != seen and link.tokens is not None:
                return link.tokens.access_token
            uow.links.update(link.ended(UnlinkReason.GRANT_REVOKED, self._ctx.clock.now()))
            notices.append(
                HostNotice(
                    kind=HostNoticeKind.LINK_BROKEN,
                    tenant_id=link.tenant_id,
                    user_id=link.user_id,
                    provider=link.provider,
                    detail=f"{why}; link the account again",
                )
            )
            notices.extend(self._moves.link_lost(uow, link))
            log.warning("link %s lost its grant at %s (%s); the user must link again",
                        link.id, link.provider, why)  # fmt: skip
            return None

        return self._ctx.transaction_notifying(work)

    def call(self, link: LinkRecord, action: Callable[[VideoProvider, str], T]) -> T:
        """Call ``action(provider, access_token)``; on AuthExpired refresh once and retry.
        A second refusal of a freshly refreshed token ends the link (scenario 16)."""
        provider = self._ctx.providers.acting(link)  # for a user an organisation link serves
        if not provider.capabilities.needs_link:
            return action(provider, "")  # no tokens to keep: the owner holds it (holders.py)
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
        try:
            return action(provider, token)
        except AuthExpired as exc:
            self._end_link(link.id, None, "the provider refused a freshly refreshed token")
            raise GrantRevoked(f"the access token is refused after a refresh: {exc}") from exc
