"""``ZoomEmulator``: a faithful fake of Zoom's OAuth, REST and webhook behaviour.

It implements the checklist of FACTS.md §9 (see docs in the methods below) and runs either
in-process ([`ZoomEmulator.transport`][meetlink.emulators.core.base.BaseEmulator.transport], an
httpx transport) or as a real HTTP server on loopback
([`ZoomEmulator.serve`][meetlink.emulators.core.base.BaseEmulator.serve]). All state is on the
instance behind one lock; with a ``seed`` every id, code and token repeats from run to run. Times
follow the injected clock (codes, token expiry, idle refresh tokens, the daily cap's UTC day and
webhook timestamps). Beyond the checklist: the app's scopes (4711), the account passcode policy in
the user settings (a breaking passcode is refused in XML) and meetings in progress (3002 on delete).

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
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, urlsplit

from meetlink.adapters.zoom.budget import zoom_rate_budget
from meetlink.adapters.zoom.webhooks import sign_webhook
from meetlink.emulators.core import BaseEmulator, Fault, Incoming
from meetlink.ports.clock import Clock
from meetlink.ports.provider import RateBudget

from .oauth import decide
from .settings import POLICY_FIELDS
from .state import DEFAULT_PER_SECOND, Reply, ZoomState, ZoomUser
from .urls import ROUTES, fault_reply

if TYPE_CHECKING:
    from meetlink.adapters.zoom.provider import ZoomProvider

__all__ = ["ZoomEmulator"]


class ZoomEmulator(BaseEmulator[ZoomState, ZoomUser]):
    """A fake Zoom for tests, demos and benchmarks (like moto for AWS).

    ``latency`` seconds are slept per request (outside the lock). ``daily_meeting_cap`` is
    Zoom's per-user create+update limit per UTC day (100); ``per_second`` maps a rate-limit
    label ("Light", "Medium") to requests per second per account (default: generous, 1,000;
    pass ``ZOOM_PRO_PER_SECOND`` and friends from ``budget`` for Zoom's plans). The
    providers it makes ([`provider`][meetlink.emulators.zoom.emulator.ZoomEmulator.provider])
    declare a rate budget that follows these limits: the daily cap always, the per-second limits
    when ``per_second`` was given. ``latency``, ``daily_meeting_cap``, ``refresh_token_idle`` and
    ``scopes`` are settable. Without a ``clock`` the emulator follows the clock of the first
    provider made with one ([`provider`][meetlink.emulators.zoom.emulator.ZoomEmulator.provider]),
    else the system clock: Zoom's days, codes and tokens then pass as meetlink's time does.
    """

    provider_name = "zoom"
    #: What ``POST /_emulator/users`` takes beyond the email (``add_user``'s keywords).
    control_user_options = ("plan", "account_id", "role")
    default_retry_after = "1"
    routes = ROUTES

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
        self._clock_given = clock is not None
        state = ZoomState.fresh(
            clock=clock,
            seed=seed,
            redirect_uri=redirect_uri,
            latency=latency,
            webhook_secret="",
            daily_cap=daily_meeting_cap,
            per_second=dict(DEFAULT_PER_SECOND if per_second is None else per_second),
            per_second_given=per_second is not None,
        )
        self._state = state
        self._budget: tuple[tuple[int, tuple[tuple[str, int], ...]], RateBudget] | None = None
        state.client_id = client_id or state.token("", 16)[:22]
        state.client_secret = client_secret or state.token("", 24)
        state.webhook_secret = webhook_secret or state.token("", 16)[:22]
        state.admin_client_id = state.token("", 16)[:22]
        state.admin_client_secret = state.token("", 24)
        state.admin_webhook_secret = state.token("", 16)[:22]

    # --- the registered app (client_id, client_secret, redirect_uri: BaseEmulator) -------

    @property
    def admin_client_id(self) -> str:
        """The client id of the admin-managed (account-level) app registered beside the
        user-managed one: installed once by an account's owner or admin, its token acts for
        every user of the account with the ``:admin`` scopes (organisation links)."""
        return self._state.admin_client_id

    @property
    def admin_client_secret(self) -> str:
        """The admin-managed app's client secret."""
        return self._state.admin_client_secret

    @property
    def webhook_secret(self) -> str:
        """The secret token the user-managed app's webhooks are signed with."""
        return self._state.webhook_secret

    @property
    def admin_webhook_secret(self) -> str:
        """The admin-managed app's own secret token: Zoom signs each app's webhooks with
        that app's, so a host verifying the admin-managed app's ``app_deauthorized`` needs
        both (``ZoomProvider(webhook_secrets=[...])``)."""
        return self._state.admin_webhook_secret

    @property
    def daily_meeting_cap(self) -> int:
        """Create+update requests per user per UTC day (Zoom: 100); past it, 429 until the
        next 00:00 UTC. Settable at any time."""
        return self._state.daily_cap

    @daily_meeting_cap.setter
    def daily_meeting_cap(self, cap: int) -> None:
        with self._state.lock:
            self._state.daily_cap = max(0, int(cap))

    @property
    def scopes(self) -> frozenset[str]:
        """The scopes configured on the app (granular, e.g. ``meeting:delete:meeting``).
        Tokens carry the scopes of their consent: a change applies to the next link; calls
        a token's scopes do not cover answer 400 code 4711."""
        return self._state.scopes

    @scopes.setter
    def scopes(self, scopes: frozenset[str] | set[str]) -> None:
        with self._state.lock:
            self._state.scopes = frozenset(scopes)

    # --- users and consent ----------------------------------------------------------------

    def add_user(
        self,
        email: str,
        *,
        plan: str = "licensed",
        account_id: str | None = None,
        role: str = "member",
    ) -> ZoomUser:
        """Create a Zoom user ("basic" = type 1, "licensed" = type 2) in a new or given
        account, with a ``role`` ("owner", "admin" or "member")."""
        if plan not in ("basic", "licensed"):
            raise ValueError("plan must be 'basic' or 'licensed'")
        if role not in ("owner", "admin", "member"):
            raise ValueError("role must be 'owner', 'admin' or 'member'")
        with self._state.lock:
            user = ZoomUser(
                id=self._state.zoom_id(),
                email=email,
                account_id=account_id or self._state.zoom_id(),
                plan=plan,
                role=role,
            )
            self._state.users[user.id] = user
            return user

    def consent(self, authorize_url: str, user: ZoomUser, *, allow: bool = True) -> dict[str, str]:
        """``user`` signs in on Zoom's page and presses Allow (or Deny): the query parameters
        Zoom redirects back with. Raises ``ConsentError`` for a request Zoom refuses on
        its own page, ``ConsentBlocked`` while admin pre-approval is pending."""
        params = dict(parse_qsl(urlsplit(authorize_url).query, keep_blank_values=True))
        with self._state.lock:
            self._state.record("GET", "/oauth/authorize", urlsplit(authorize_url).query)
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

    def forbid(self, user: ZoomUser) -> None:
        """``user`` may not host or schedule meetings (the account's admin turned meeting
        hosting off for them, or their user type has none): creating a meeting for them
        answers 400 code 3161 (FACTS.md §3.1)."""
        with self._state.lock:
            self._state.no_hosting.add(user.id)

    def allow(self, user: ZoomUser) -> None:
        """``user`` may host meetings again (undoes
        [`forbid`][meetlink.emulators.zoom.emulator.ZoomEmulator.forbid])."""
        with self._state.lock:
            self._state.no_hosting.discard(user.id)

    def set_passcode_policy(self, account_id: str, **rules: bool | int) -> None:
        """The account's minimum passcode requirements, with Zoom's field names (``length``,
        ``have_letter``, ``have_number``, ``have_special_character``,
        ``have_upper_and_lower_characters``, ``only_allow_numeric``,
        ``consecutive_characters_length``): the user settings report them, and a create or
        update whose passcode breaks them gets Zoom's XML 400 (FACTS.md §3.3)."""
        unknown = set(rules) - set(POLICY_FIELDS)
        if unknown:
            raise ValueError(f"unknown passcode rule(s): {', '.join(sorted(unknown))}")
        with self._state.lock:
            self._state.passcode_policies[account_id] = dict(rules)

    # --- meetings in progress -------------------------------------------------------------

    def start_meeting(self, meeting_id: int | str) -> None:
        """The host starts the meeting: its status is "started" and Zoom refuses to delete
        it (400, code 3002) until it ends."""
        self._set_status(meeting_id, "started")

    def end_meeting(self, meeting_id: int | str) -> None:
        """The meeting ends: back to "waiting" (a scheduled meeting can be started again)."""
        self._set_status(meeting_id, "waiting")

    def _set_status(self, meeting_id: int | str, status: str) -> None:
        with self._state.lock:
            meeting = self._state.meetings.get(int(meeting_id))
            if meeting is None:
                raise KeyError(f"no meeting {meeting_id}")
            meeting["status"] = status

    # --- changes on Zoom's own site (drift) ------------------------------------------------

    def delete_meeting_on_site(self, meeting_id: int | str) -> tuple[dict[str, str], bytes]:
        """Someone deletes the meeting on Zoom's web site: it is gone (the API answers 404,
        code 3001), and the signed ``meeting.deleted`` webhook Zoom sends is returned
        (headers, body)."""
        with self._state.lock:
            meeting = self._state.meetings.pop(int(meeting_id), None)
            if meeting is None:
                raise KeyError(f"no meeting {meeting_id}")
        thing = {
            key: meeting[key]
            for key in ("uuid", "id", "host_id", "topic", "type", "start_time", "duration",
                        "timezone")
            if key in meeting
        }  # fmt: skip
        return self.webhook(
            "meeting.deleted",
            {
                "account_id": self._account_of(meeting["host_id"]),
                "operator_id": meeting["host_id"],
                "operation": "all",
                "object": thing,
            },
        )

    def change_meeting_on_site(
        self,
        meeting_id: int | str,
        *,
        start: datetime | None = None,
        duration: int | None = None,
        topic: str | None = None,
    ) -> tuple[dict[str, str], bytes]:
        """Someone changes the meeting on Zoom's web site (its start, length or topic); the
        signed ``meeting.updated`` webhook Zoom sends is returned (headers, body): its
        ``object`` holds the id and the changed fields, ``old_object`` what they were."""
        changed: dict[str, Any] = {}
        if start is not None:
            changed["start_time"] = start.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        if duration is not None:
            changed["duration"] = duration
        if topic is not None:
            changed["topic"] = topic
        with self._state.lock:
            meeting = self._state.meetings.get(int(meeting_id))
            if meeting is None:
                raise KeyError(f"no meeting {meeting_id}")
            old = {key: meeting.get(key) for key in changed}
            meeting.update(changed)
            host = meeting["host_id"]
        return self.webhook(
            "meeting.updated",
            {
                "account_id": self._account_of(host),
                "operator_id": host,
                "operation": "all",
                "object": {"id": int(meeting_id), **changed},
                "old_object": {"id": int(meeting_id), **old},
            },
        )

    def _account_of(self, user_id: str) -> str:
        with self._state.lock:
            user = self._state.users.get(user_id)
            return user.account_id if user is not None else ""

    # --- observation ----------------------------------------------------------------------

    def meetings(self, user: ZoomUser | None = None) -> list[dict[str, Any]]:
        """Meetings that exist now (all, or ``user``'s), in Zoom's Get-meeting JSON shape.

        A series is one meeting, as Zoom keeps it: ``type`` 8 (fixed time) with its
        ``recurrence`` and every ``occurrences`` entry (``occurrence_id``, ``start_time``,
        ``duration``, ``status``; past ones included, deleted ones gone, moved ones at their
        new time), or ``type`` 3 (no fixed time) with neither ``start_time`` nor occurrences."""
        with self._state.lock:
            found = [
                copy.deepcopy(m)
                for m in self._state.meetings.values()
                if user is None or m["host_id"] == user.id
            ]
        return sorted(found, key=lambda m: (m["created_at"], m["id"]))

    # --- webhooks -------------------------------------------------------------------------

    def webhook(
        self, event: str, payload: Mapping[str, Any], *, admin_app: bool = False
    ) -> tuple[dict[str, str], bytes]:
        """A signed webhook request (headers, raw body) as Zoom would send it now, from the
        user-managed app, or (``admin_app``) from the admin-managed one: its client id, signed
        with its own secret token."""
        now = self._state.clock.now()
        with self._state.lock:
            tracking = self._state.token("", 16)
        body = json.dumps(
            {"event": event, "payload": dict(payload), "event_ts": int(now.timestamp() * 1000)},
            separators=(",", ":"),
        ).encode("utf-8")
        timestamp = str(int(now.timestamp()))
        secret = self.admin_webhook_secret if admin_app else self.webhook_secret
        headers = {
            "user-agent": "Zoom Marketplace/1.0a",
            "clientid": self.admin_client_id if admin_app else self.client_id,
            "content-type": "application/json; charset=utf-8",
            "x-zm-request-timestamp": timestamp,
            "x-zm-signature": sign_webhook(secret, timestamp, body),
            "x-zm-trackingid": "v=2.0&s=" + tracking,
        }
        return headers, body

    def remove_app(
        self, user: ZoomUser, *, admin_app: bool = False, retain_data: bool = True
    ) -> tuple[dict[str, str], bytes]:
        """``user`` presses "Remove App": every token of theirs dies, and the signed
        ``app_deauthorized`` webhook Zoom sends is returned (headers, body). ``admin_app``:
        the account's admin removes the admin-managed app (its account-wide tokens die; the
        webhook names the admin-managed app's ``client_id``). ``retain_data=False``: the user
        also asks for their data to be deleted (``user_data_retention: "false"``)."""
        now = self._state.clock.now()
        with self._state.lock:
            self._state.revoke_user(user.id, account_wide=admin_app)
            signature = self._state.token("", 32)
        utc = now.astimezone(UTC)
        millis = f"{utc:%Y-%m-%dT%H:%M:%S}.{utc.microsecond // 1000:03d}Z"
        payload = {
            "account_id": user.account_id,
            "user_id": user.id,
            "signature": signature,
            "deauthorization_time": millis,
            "client_id": self.admin_client_id if admin_app else self.client_id,
            "user_data_retention": "true" if retain_data else "false",
        }
        return self.webhook("app_deauthorized", payload, admin_app=admin_app)

    # --- faults and transports ------------------------------------------------------------

    def _fault_reply(self, fault: Fault, request: Incoming) -> Reply:
        return fault_reply(self._state, fault, request)

    def _control_extra(self) -> dict[str, str]:
        return {
            "webhook_secret": self.webhook_secret,
            "admin_client_id": self.admin_client_id,
            "admin_client_secret": self.admin_client_secret,
            "admin_webhook_secret": self.admin_webhook_secret,
        }

    def provider(self, *, clock: Clock | None = None, base_url: str | None = None) -> ZoomProvider:
        """A ``ZoomProvider`` registered as this emulator's app: in-process, or over
        HTTP when ``base_url`` (from [`serve`][meetlink.emulators.core.base.BaseEmulator.serve]) is
        given."""
        from meetlink.adapters.zoom.provider import ZoomProvider

        if clock is not None and not self._clock_given:
            self._state.clock = clock  # one time for Zoom and meetlink (see the class doc)
            self._clock_given = True
        common: dict[str, Any] = {
            "client_id": self.client_id,
            "client_secret": self.client_secret,
            "redirect_uri": self.redirect_uri,
            "webhook_secrets": (self.webhook_secret, self.admin_webhook_secret),
            "clock": clock or self._state.clock,
            "org_client_id": self.admin_client_id,
            "org_client_secret": self.admin_client_secret,
        }
        common["rate_budget"] = self.rate_budget
        if base_url is not None:
            return ZoomProvider(oauth_base_url=base_url, api_base_url=base_url, **common)
        return ZoomProvider(transport=self.transport(), **common)

    def rate_budget(self) -> RateBudget:
        """The rate budget of this emulator's limits as they are now (what its providers
        declare): the daily meeting cap, and the per-second limits when they were given."""
        state = self._state
        per_second = tuple(sorted(state.per_second.items())) if state.per_second_given else ()
        key = (state.daily_cap, per_second)
        if self._budget is None or self._budget[0] != key:
            budget = zoom_rate_budget(dict(per_second), daily_meeting_cap=state.daily_cap)
            self._budget = (key, budget)
        return self._budget[1]
