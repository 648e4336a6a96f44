"""One shell every OAuth provider's sans-I/O core plugs into (after gidgethub's ``abc`` and
its thin httpx layer, and Authlib's ``OAuth2Client``).

The core ([`OAuthCore`][meetlink.adapters.shell.OAuthCore]: pure, no I/O) builds the consent URL and
the token requests and reads token answers and callback errors; the provider's REST half is the same
kind of pure functions (``build request -> send -> parse``). The shell does what is the same for
every provider:

- owns the httpx client (or borrows the host's) and closes it;
- ``_call(request, parse)``: sends one [`HttpRequest`][meetlink.adapters.http.HttpRequest]
  (transport failures become ``ProviderUnavailable``) and hands status, headers, body and the
  time to ``parse``, which returns meetlink types or raises the port's errors (each
  provider's table, built with [`meetlink.adapters.failures`][meetlink.adapters.failures]);
- the OAuth half of the port: ``authorization_url``, ``exchange_code``, ``refresh``,
  ``link_error``, with [`ProviderShell._issued`][meetlink.adapters.shell.ProviderShell._issued] as
  the hook for what a token answer tells beyond the tokens (Entra's tenant);
- ``capabilities`` with the rate budget in force (a budget, none, or a callable asked each
  time);
- [`TokenCache`][meetlink.adapters.shell.TokenCache], a bounded cache keyed by access token (its
  SHA-256, never the token).

The orchestration stays in the application: refresh on ``AuthExpired`` and retry once, the
cross-process lease on the link (``app/tokens.py``). The shell only makes the calls.
"""

from __future__ import annotations

import hashlib
import json
import logging
import threading
from collections import OrderedDict
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta
from types import TracebackType
from typing import Any, ClassVar, Generic, Protocol, Self, TypeVar

import attrs
import httpx

from meetlink.adapters.clock import SystemClock
from meetlink.adapters.http import HttpRequest, send
from meetlink.domain.links import TokenSet
from meetlink.errors import LinkError, ProviderUnavailable
from meetlink.ports.clock import Clock
from meetlink.ports.provider import Capabilities, RateBudget

__all__ = [
    "BudgetSource",
    "IssuedTokens",
    "OAuthCore",
    "Parse",
    "ProviderShell",
    "TokenCache",
    "token_answer",
]

T = TypeVar("T")
V = TypeVar("V")
#: ``parse(status, headers, body, now)``: a provider answer read by a sans-I/O function.
Parse = Callable[[int, Mapping[str, str], bytes, datetime], T]
#: A provider's rate budget: a budget, None (no budget), or a callable asked for the budget
#: in force each time (an emulator whose limits a test changes).
BudgetSource = RateBudget | None | Callable[[], RateBudget | None]


@attrs.frozen
class IssuedTokens:
    """A token endpoint answer: the [`TokenSet`][meetlink.domain.links.TokenSet], and the
    organisation (tenant) the answer names when it names one (Entra's id_token ``tid``)."""

    token_set: TokenSet
    tenant_id: str | None = None


def token_answer(
    body: bytes, now: datetime, *, provider: str, previous_refresh_token: str | None = None
) -> tuple[TokenSet, dict[str, Any]]:
    """A successful token endpoint answer (RFC 6749 §5.1) as a
    [`TokenSet`][meetlink.domain.links.TokenSet] (expiry from ``expires_in``), and the answer's JSON
    (for what a provider adds, such as an id_token). Without a refresh token in it,
    ``previous_refresh_token`` is kept; without either, or unreadable:
    ProviderUnavailable(maybe_applied) (the grant may have been used: a rotated refresh token is
    already dead)."""
    try:
        data = json.loads(body.decode("utf-8"))
        access = data["access_token"]
        refresh = data.get("refresh_token") or previous_refresh_token
        expires_in = int(data.get("expires_in", 3599))
        if not (isinstance(access, str) and isinstance(refresh, str) and access and refresh):
            raise TypeError("token fields are not strings")
    except (UnicodeDecodeError, ValueError, TypeError, KeyError, AttributeError) as exc:
        raise ProviderUnavailable(
            f"{provider} token answer unreadable (HTTP 200, no usable tokens)", maybe_applied=True
        ) from exc
    scope = data.get("scope")
    tokens = TokenSet(
        access_token=access,
        refresh_token=refresh,
        expires_at=now + timedelta(seconds=max(expires_in, 0)),
        scope=scope if isinstance(scope, str) else "",
    )
    return tokens, data


class OAuthCore(Protocol):
    """**Protocol:** a provider's sans-I/O OAuth core (pure: builds requests, reads
    answers)."""

    @property
    def provider_name(self) -> str:
        """The provider as messages and logs name it ("Zoom", "Microsoft")."""
        ...

    def authorization_url(self, *, state: str, code_challenge: str) -> str:
        """The consent page URL (PKCE S256, the app's redirect URI)."""
        ...

    def exchange_request(self, *, code: str, code_verifier: str, now: datetime) -> HttpRequest:
        """The token request that trades an authorization code."""
        ...

    def refresh_request(self, *, refresh_token: str, now: datetime) -> HttpRequest:
        """The token request that refreshes."""
        ...

    def token_parser(self, previous_refresh_token: str | None) -> Parse[IssuedTokens]:
        """How to read a token answer (a refused grant raises GrantRevoked);
        ``previous_refresh_token``: the one a refresh sent (None for a code exchange)."""
        ...

    def link_error(
        self, *, error: str, description: str | None = None, subcode: str | None = None
    ) -> LinkError:
        """The typed error for an OAuth callback that carried ``error``."""
        ...


class ProviderShell:
    """The part of every OAuth provider adapter that is the same: a subclass names its
    ``key``, passes its core and base capabilities, and adds its REST methods (each
    ``self._call(core_request(...), core_parse)``)."""

    key_name: ClassVar[str]

    def __init__(
        self,
        core: OAuthCore,
        capabilities: Capabilities,
        rate_budget: BudgetSource,
        client: httpx.Client | None,
        transport: httpx.BaseTransport | None,
        clock: Clock | None,
        timeout: float,
    ) -> None:
        """``client`` (the host's, not closed by
        [`close`][meetlink.adapters.shell.ProviderShell.close]) or ``transport`` (e.g. an
        emulator's) or neither (a client with ``timeout`` seconds is made)."""
        self._core = core
        self._base_caps = capabilities
        self._caps = capabilities
        self._budget: BudgetSource = rate_budget
        self._clock: Clock = clock or SystemClock()
        self._log = logging.getLogger(type(self).__module__)
        self._owns_client = client is None
        self._http = client or httpx.Client(
            transport=transport,
            timeout=httpx.Timeout(timeout, connect=min(timeout, 5.0)),
            follow_redirects=False,
        )

    # --- lifecycle ----------------------------------------------------------------------

    def close(self) -> None:
        """Close the HTTP client when this provider made it (a client passed in is the
        host's to close)."""
        if self._owns_client:
            self._http.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    # --- the port -----------------------------------------------------------------------

    @property
    def key(self) -> str:
        """The stable provider key stored in the database."""
        return self.key_name

    @property
    def capabilities(self) -> Capabilities:
        """What this provider can do, with the rate budget in force."""
        budget = self._budget() if callable(self._budget) else self._budget
        if budget is not self._caps.rate_budget:  # made once per budget object
            self._caps = attrs.evolve(self._base_caps, rate_budget=budget)
        return self._caps

    def authorization_url(self, *, state: str, code_challenge: str) -> str:
        """The provider's consent page URL (PKCE S256, the configured redirect URI)."""
        return self._core.authorization_url(state=state, code_challenge=code_challenge)

    def exchange_code(self, *, code: str, code_verifier: str) -> TokenSet:
        """Trade an authorization code for tokens. invalid_grant -> GrantRevoked."""
        now = self._clock.now()
        request = self._core.exchange_request(code=code, code_verifier=code_verifier, now=now)
        return self._issued(self._call(request, self._core.token_parser(None)))

    def refresh(self, refresh_token: str) -> TokenSet:
        """New tokens (the refresh token may rotate: meetlink stores the new one before it
        uses it). A refused refresh token -> GrantRevoked."""
        request = self._core.refresh_request(refresh_token=refresh_token, now=self._clock.now())
        return self._issued(self._call(request, self._core.token_parser(refresh_token)))

    def link_error(
        self, *, error: str, description: str | None = None, subcode: str | None = None
    ) -> LinkError:
        """The typed error for an OAuth callback that carried ``error``."""
        return self._core.link_error(error=error, description=description, subcode=subcode)

    # --- hooks and transport ------------------------------------------------------------

    def _issued(self, tokens: IssuedTokens) -> TokenSet:
        """What a token answer tells beyond the tokens (a subclass keeps it); the tokens."""
        return tokens.token_set

    def _call(self, request: HttpRequest, parse: Parse[T]) -> T:
        """Send ``request`` and read its answer with ``parse``."""
        response = send(
            self._http,
            method=request.method,
            url=request.url,
            headers=request.headers,
            body=request.body,
            provider_name=self._core.provider_name,
            log=self._log,
        )
        return parse(response.status_code, response.headers, response.content, self._clock.now())


class TokenCache(Generic[V]):
    """What a provider learnt about an access token (Zoom's passcode policy, Entra's
    tenant), keyed by the token's SHA-256 (no secret kept as a key), at most
    ``max_entries`` (the oldest go). Thread-safe."""

    def __init__(self, max_entries: int = 1024) -> None:
        self._entries: OrderedDict[bytes, V] = OrderedDict()
        self._max = max_entries
        self._lock = threading.Lock()

    @staticmethod
    def _key(access_token: str) -> bytes:
        return hashlib.sha256(access_token.encode("utf-8")).digest()

    def get(self, access_token: str) -> V | None:
        """What is kept for ``access_token``, or None."""
        with self._lock:
            return self._entries.get(self._key(access_token))

    def put(self, access_token: str, value: V) -> None:
        """Keep ``value`` for ``access_token`` (the newest entry)."""
        key = self._key(access_token)
        with self._lock:
            self._entries[key] = value
            self._entries.move_to_end(key)
            while len(self._entries) > self._max:
                self._entries.popitem(last=False)

    def drop(self, access_token: str) -> None:
        """Forget what is kept for ``access_token``."""
        with self._lock:
            self._entries.pop(self._key(access_token), None)
