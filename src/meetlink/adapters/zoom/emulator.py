"""``ZoomEmulator``: a faithful fake of Zoom's OAuth, REST and webhook behaviour.

It implements the checklist of FACTS.md §9 (see docs in the methods below) and runs either
in-process (:meth:`ZoomEmulator.transport`, an httpx transport) or as a real HTTP server on
loopback (:meth:`ZoomEmulator.serve`). All state is on the instance behind one lock; with a
``seed`` every id, code and token repeats from run to run. Times follow the injected clock
(codes, token expiry, the daily cap's UTC day and webhook timestamps).

Wiring a provider to it::

    zoom = ZoomEmulator(clock=clock)
    provider = zoom.provider(clock=clock)        # or, by hand:
    provider = ZoomProvider(client_id=zoom.client_id, client_secret=zoom.client_secret,
                            redirect_uri=zoom.redirect_uri, webhook_secrets=zoom.webhook_secret,
                            transport=zoom.transport(), clock=clock)
"""

from __future__ import annotations

import copy
import json
import random
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from datetime import UTC
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, urlsplit

import httpx

from meetlink.adapters.clock import SystemClock
from meetlink.ports.clock import Clock

from .emulator_http import EmulatorServer, in_process_transport, serve_state
from .emulator_oauth import ConsentBlocked, ConsentError, decide
from .emulator_state import DEFAULT_PER_SECOND, EmulatorState, Fault, ZoomUser
from .webhooks import sign_webhook

if TYPE_CHECKING:
    from .provider import ZoomProvider

__all__ = ["ConsentBlocked", "ConsentError", "EmulatorServer", "ZoomEmulator", "ZoomUser"]


class ZoomEmulator:
    """A fake Zoom for tests, demos and benchmarks (like moto for AWS).

    ``latency`` seconds are slept per request (outside the lock). ``daily_meeting_cap`` is
    Zoom's per-user create+update limit per UTC day (100); ``per_second`` maps a rate-limit
    label ("Light", "Medium") to requests per second per account (default: generous).
    """

    def __init__(
        self,
        *,
        clock: Clock | None = None,
        seed: int | None = None,
        client_id: str | None = None,
        client_secret: str | None = None,
        redirect_uri: str = "http://127.0.0.1/meetlink/zoom/callback",
        webhook_secret: str | None = None,
        latency: float = 0.0,
        daily_meeting_cap: int = 100,
        per_second: Mapping[str, int] | None = None,
    ) -> None:
        rng: random.Random = random.Random(seed) if seed is not None else random.SystemRandom()
        self._state = EmulatorState(
            clock=clock or SystemClock(),
            rng=rng,
            client_id="",
            client_secret="",
            redirect_uri=redirect_uri,
            webhook_secret="",
            daily_cap=daily_meeting_cap,
            per_second=dict(DEFAULT_PER_SECOND if per_second is None else per_second),
            latency=latency,
        )
        state = self._state
        state.client_id = client_id or state.token("", 16)[:22]
        state.client_secret = client_secret or state.token("", 24)
        state.webhook_secret = webhook_secret or state.token("", 16)[:22]

    def __repr__(self) -> str:
        return f"ZoomEmulator(users={len(self._state.users)}, meetings={len(self._state.meetings)})"

    # --- the registered app ---------------------------------------------------------------

    @property
    def client_id(self) -> str:
        """The app's OAuth client id."""
        return self._state.client_id

    @property
    def client_secret(self) -> str:
        """The app's OAuth client secret."""
        return self._state.client_secret

    @property
    def redirect_uri(self) -> str:
        """The app's registered redirect URI (matched exactly)."""
        return self._state.redirect_uri

    @property
    def webhook_secret(self) -> str:
        """The secret token webhooks are signed with."""
        return self._state.webhook_secret

    @property
    def requests(self) -> list[tuple[str, str]]:
        """Every request received so far, in order, as ``(method, path)``."""
        return self._state.requests

    @property
    def latency(self) -> float:
        """Seconds slept per request (outside the lock); settable at any time."""
        return self._state.latency

    @latency.setter
    def latency(self, seconds: float) -> None:
        self._state.latency = max(0.0, float(seconds))

    @property
    def clock(self) -> Clock:
        """The clock the emulator follows."""
        return self._state.clock

    # --- users and consent ----------------------------------------------------------------

    def add_user(
        self, email: str, *, plan: str = "licensed", account_id: str | None = None
    ) -> ZoomUser:
        """Create a Zoom user ("basic" = type 1, "licensed" = type 2) in a new or given account."""
        if plan not in ("basic", "licensed"):
            raise ValueError("plan must be 'basic' or 'licensed'")
        with self._state.lock:
            user = ZoomUser(
                id=self._state.zoom_id(),
                email=email,
                account_id=account_id or self._state.zoom_id(),
                plan=plan,
            )
            self._state.users[user.id] = user
            return user

    def users(self) -> list[ZoomUser]:
        """Every user added so far, in order."""
        with self._state.lock:
            return list(self._state.users.values())

    def consent(self, authorize_url: str, user: ZoomUser, *, allow: bool = True) -> dict[str, str]:
        """``user`` signs in on Zoom's page and presses Allow (or Deny): the query parameters
        Zoom redirects back with. Raises :class:`ConsentError` for a request Zoom refuses on
        its own page, :class:`ConsentBlocked` while admin pre-approval is pending."""
        params = dict(parse_qsl(urlsplit(authorize_url).query, keep_blank_values=True))
        with self._state.lock:
            self._state.requests.append(("GET", "/oauth/authorize"))
            return decide(self._state, params, user, allow=allow)

    def require_admin_approval(self, account_id: str) -> None:
        """The account's admin must pre-approve the app before its users can consent."""
        with self._state.lock:
            self._state.approval_required.add(account_id)
            self._state.approved.discard(account_id)

    def approve(self, account_id: str) -> None:
        """The account's admin pre-approves the app."""
        with self._state.lock:
            self._state.approved.add(account_id)

    # --- observation ----------------------------------------------------------------------

    def meetings(self, user: ZoomUser | None = None) -> list[dict[str, Any]]:
        """Meetings that exist now (all, or ``user``'s), in Zoom's Get-meeting JSON shape."""
        with self._state.lock:
            found = [
                copy.deepcopy(m)
                for m in self._state.meetings.values()
                if user is None or m["host_id"] == user.id
            ]
        return sorted(found, key=lambda m: (m["created_at"], m["id"]))

    # --- webhooks -------------------------------------------------------------------------

    def webhook(self, event: str, payload: Mapping[str, Any]) -> tuple[dict[str, str], bytes]:
        """A signed webhook request (headers, raw body) as Zoom would send it now."""
        now = self._state.clock.now()
        with self._state.lock:
            tracking = self._state.token("", 16)
        body = json.dumps(
            {"event": event, "payload": dict(payload), "event_ts": int(now.timestamp() * 1000)},
            separators=(",", ":"),
        ).encode("utf-8")
        timestamp = str(int(now.timestamp()))
        headers = {
            "user-agent": "Zoom Marketplace/1.0a",
            "clientid": self.client_id,
            "content-type": "application/json; charset=utf-8",
            "x-zm-request-timestamp": timestamp,
            "x-zm-signature": sign_webhook(self.webhook_secret, timestamp, body),
            "x-zm-trackingid": "v=2.0&s=" + tracking,
        }
        return headers, body

    def remove_app(self, user: ZoomUser) -> tuple[dict[str, str], bytes]:
        """``user`` presses "Remove App": every token of theirs dies, and the signed
        ``app_deauthorized`` webhook Zoom sends is returned (headers, body)."""
        now = self._state.clock.now()
        with self._state.lock:
            self._state.revoke_user(user.id)
            signature = self._state.token("", 32)
        utc = now.astimezone(UTC)
        millis = f"{utc:%Y-%m-%dT%H:%M:%S}.{utc.microsecond // 1000:03d}Z"
        payload = {
            "account_id": user.account_id,
            "user_id": user.id,
            "signature": signature,
            "deauthorization_time": millis,
            "client_id": self.client_id,
        }
        return self.webhook("app_deauthorized", payload)

    # --- faults and transports ------------------------------------------------------------

    def fail_next(
        self,
        count: int = 1,
        *,
        status: int = 500,
        method: str | None = None,
        path: str | None = None,
        retry_after: int = 1,
    ) -> None:
        """The next ``count`` requests matching ``method`` (exact) and ``path`` (prefix) fail
        with ``status``; 429 carries ``Retry-After``; 0 applies the request, then drops the
        connection (a lost response)."""
        if count < 1:
            raise ValueError("count must be at least 1")
        with self._state.lock:
            self._state.faults.append(Fault(count, status, method, path, retry_after))

    def transport(self) -> httpx.BaseTransport:
        """An in-process httpx transport serving both ``zoom.us`` and ``api.zoom.us`` paths."""
        return in_process_transport(self._state)

    @contextmanager
    def serve(self) -> Iterator[EmulatorServer]:
        """This emulator over real HTTP on 127.0.0.1; yields an object with ``base_url``."""
        with serve_state(self._state) as server:
            yield server

    def provider(self, *, clock: Clock | None = None, base_url: str | None = None) -> ZoomProvider:
        """A :class:`ZoomProvider` registered as this emulator's app: in-process, or over
        HTTP when ``base_url`` (from :meth:`serve`) is given."""
        from .provider import ZoomProvider

        common: dict[str, Any] = {
            "client_id": self.client_id,
            "client_secret": self.client_secret,
            "redirect_uri": self.redirect_uri,
            "webhook_secrets": self.webhook_secret,
            "clock": clock or self._state.clock,
        }
        if base_url is not None:
            return ZoomProvider(oauth_base_url=base_url, api_base_url=base_url, **common)
        return ZoomProvider(transport=self.transport(), **common)
