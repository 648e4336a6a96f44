"""Keep-alive: links outlive the providers' idle expiry of refresh tokens.

Zoom and Microsoft let a refresh token die after 90 days without use (FACTS). A link whose
meetings are booked months ahead may not call the provider for that long; its first edit
would then meet a dead grant. Each link stores when its refresh token was issued
(``refreshed_at``, set at linking and at every refresh); keep-alive refreshes the active links
whose token has idled for ``token_keepalive`` (default 30 days), through the token keeper's
single-flight refresh (a lease on the link row, no transaction across the provider call).
A refused refresh ends the link at once and tells the host (LINK_BROKEN).

The links due are read in pages of an index range (``refreshed_at, id``), never by scanning
the links. One walk goes through the range with a keyset cursor kept by this instance, so a
link whose refresh failed for a passing reason (the provider did not answer) never blocks the
ones behind it: it is tried again on the next walk. A provider that did not answer is left
alone for a few minutes (or until the time its 429 named). A link whose tokens no configured
key can read is skipped on every walk until the right key is deployed, and the host is told
once (CREDENTIALS_UNREADABLE).
"""

from __future__ import annotations

import functools
import logging
import threading
from datetime import datetime, timedelta

from meetlink.app.context import AppContext
from meetlink.app.tokens import TokenKeeper
from meetlink.domain.links import LinkRecord
from meetlink.domain.results import HostNotice, HostNoticeKind
from meetlink.errors import (
    CredentialError,
    GrantRevoked,
    NotLinked,
    ProviderError,
    ProviderUnavailable,
    RateLimited,
)
from meetlink.ports.storage import UnitOfWork

__all__ = ["LOOK_EVERY", "PROVIDER_PAUSE", "KeepAlive"]

log = logging.getLogger("meetlink.keepalive")

#: How often ``run_pending()`` looks for links due (a walk that found the range empty waits
#: this long before the next one; ``keep_alive()`` always looks).
LOOK_EVERY = timedelta(minutes=1)
#: How long a provider that did not answer a keep-alive refresh is left alone.
PROVIDER_PAUSE = timedelta(minutes=5)
_PAGE = 50


class KeepAlive:
    """Refreshes idle links; safe from several threads (and processes: the refresh is
    single flight per link)."""

    def __init__(self, ctx: AppContext, tokens: TokenKeeper) -> None:
        self._ctx = ctx
        self._tokens = tokens
        self._lock = threading.Lock()
        self._cursor: tuple[datetime, str] | None = None  # the walk in progress, if any
        self._next_look: datetime | None = None
        self._paused: dict[str, datetime] = {}  # provider -> left alone until
        self._unreadable: set[str] = set()  # links whose operator notice was sent

    def run(self, limit: int | None = None, *, throttled: bool = False) -> int:
        """Refresh up to ``limit`` links due (all when None); returns how many were
        refreshed or found dead (and ended). ``throttled``: look only when the last walk
        ended at least [`LOOK_EVERY`][meetlink.app.keepalive.LOOK_EVERY] ago (``run_pending`` calls
        it often)."""
        every = self._ctx.settings.token_keepalive
        if every is None or limit == 0:
            return 0
        now = self._ctx.clock.now()
        with self._lock:
            idle = self._cursor is None
            if throttled and idle and self._next_look is not None and now < self._next_look:
                return 0
        done = 0
        while limit is None or done < limit:
            with self._lock:
                after = self._cursor
            page = self._ctx.read(functools.partial(_idle, before=now - every, after=after))
            for link in page:
                with self._lock:
                    if self._cursor != after:
                        break  # another thread moved the walk on: follow it
                    self._cursor = after = (link.refreshed_at or now, link.id)
                done += self._refresh(link, now)
                if limit is not None and done >= limit:
                    return done
            else:
                if len(page) < _PAGE:
                    with self._lock:  # the walk reached the end of the range
                        self._cursor, self._next_look = None, now + LOOK_EVERY
                    return done
        return done

    def _refresh(self, link: LinkRecord, now: datetime) -> int:
        """One keep-alive refresh; 1 when the link was refreshed or ended."""
        with self._lock:
            paused = self._paused.get(link.provider)
            if paused is not None and now < paused:
                return 0
        try:
            self._tokens.keep_alive(link)
        except GrantRevoked:
            # The token keeper ended the link and told the host (LINK_BROKEN).
            log.warning("keep-alive: link %s at %s is dead; ended", link.id, link.provider)
            return 1
        except NotLinked:
            return 0  # unlinked meanwhile
        except CredentialError as exc:
            # A key is missing or wrong: the link stays, is tried again on every walk (it
            # refreshes once the right key is deployed), and the operator is told once.
            log.warning("keep-alive: link %s skipped: %s", link.id, exc)
            self._tell_unreadable(link, exc)
            return 0
        except ProviderUnavailable as exc:
            until = now + PROVIDER_PAUSE
            if isinstance(exc, RateLimited) and exc.retry_at is not None:
                until = max(until, exc.retry_at)
            with self._lock:
                self._paused[link.provider] = until
            log.info("keep-alive: %s did not answer (%s); again after %s", link.provider,
                     exc, until.isoformat())  # fmt: skip
            return 0
        except ProviderError as exc:
            log.warning("keep-alive: refreshing link %s failed: %s", link.id, exc)
            return 0
        log.info("keep-alive: link %s at %s refreshed", link.id, link.provider)
        with self._lock:
            self._unreadable.discard(link.id)  # readable again: a new mistake is told anew
        return 1

    def _tell_unreadable(self, link: LinkRecord, exc: CredentialError) -> None:
        with self._lock:
            if link.id in self._unreadable:
                return
            self._unreadable.add(link.id)
        self._ctx.notify(
            HostNotice(
                kind=HostNoticeKind.CREDENTIALS_UNREADABLE,
                tenant_id=link.tenant_id,
                user_id=link.user_id,
                provider=link.provider,
                detail=(
                    "keep-alive skipped the link: its stored tokens cannot be decrypted (check"
                    f" encryption_keys); it is refreshed once the key is back. {exc}"
                )[:500],
            )
        )


def _idle(
    uow: UnitOfWork, *, before: datetime, after: tuple[datetime, str] | None
) -> list[LinkRecord]:
    return uow.links.idle(before, limit=_PAGE, after=after)
