"""``GoogleMeetEmulator``: a fake of Google's OAuth 2.0 for web server apps, OpenID userinfo and
the Meet REST API v2 spaces, after the facts in docs/google-meet.md.

It runs in-process
([`GoogleMeetEmulator.transport`][meetlink.emulators.core.base.BaseEmulator.transport]) or over
loopback HTTP ([`GoogleMeetEmulator.serve`][meetlink.emulators.core.base.BaseEmulator.serve]),
with the surface of the Zoom emulator (``add_user``, ``consent``, ``meetings``, ``fail_next``,
``requests``, ``serve()``, ``refresh_token_idle``, ``latency``). Spaces are JSON as the proto's
``Space`` (camelCase); Google's quotas on ``spaces.create`` (10 per minute per user, 100 per
project) are enforced over any 60 seconds.

Wiring a provider to it::

    meet = GoogleMeetEmulator(clock=clock)
    provider = meet.provider(clock=clock)        # or, by hand:
    provider = GoogleMeetProvider(client_id=meet.client_id, client_secret=meet.client_secret,
                                  redirect_uri=meet.redirect_uri, transport=meet.transport(),
                                  clock=clock)
"""

from __future__ import annotations

import copy
import json
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, urlsplit

from meetlink.emulators.core import BaseEmulator, Fault, Incoming
from meetlink.ports.clock import Clock

from .oauth import decide
from .state import REFRESH_TOKEN_IDLE, GoogleMeetState, GoogleUser, Reply
from .urls import ROUTES, fault_reply

if TYPE_CHECKING:
    from meetlink.adapters.google_meet import AccessTypeSource, GoogleMeetProvider, SpaceLedger

__all__ = ["GoogleMeetEmulator"]

_CONSUMER_DOMAINS = frozenset({"gmail.com", "googlemail.com"})


class GoogleMeetEmulator(BaseEmulator[GoogleMeetState, GoogleUser]):
    """A fake Google Meet for tests and demos.

    ``testing_mode``: the app's consent screen is External and in "Testing": refresh tokens
    expire 7 days after they were issued. ``creates_per_user`` / ``creates_per_project``:
    ``spaces.create`` calls allowed in any 60 seconds (Google: 10 and 100); settable.
    ``refresh_token_idle`` defaults to six months (Google's documented idle limit).
    """

    provider_name = "google_meet"
    routes = ROUTES

    def __init__(
        self,
        *,
        clock: Clock | None = None,
        seed: int | None = None,
        client_id: str | None = None,
        client_secret: str | None = None,
        redirect_uri: str = "http://127.0.0.1/meetlink/google_meet/callback",
        testing_mode: bool = False,
        creates_per_user: int = 10,
        creates_per_project: int = 100,
        latency: float = 0.0,
    ) -> None:
        state = GoogleMeetState.fresh(
            clock=clock,
            seed=seed,
            redirect_uri=redirect_uri,
            latency=latency,
            testing_mode=testing_mode,
            creates_per_user=creates_per_user,
            creates_per_project=creates_per_project,
        )
        state.refresh_idle = REFRESH_TOKEN_IDLE
        number = str(state.rng.randrange(10**11, 10**12))
        state.client_id = (
            client_id or f"{number}-{state.token('', 24).lower()[:32]}.apps.googleusercontent.com"
        )
        state.client_secret = client_secret or "GOCSPX-" + state.token("", 21)[:28]
        self._state = state

    # --- settings -------------------------------------------------------------------------

    @property
    def testing_mode(self) -> bool:
        """Refresh tokens issued from now on expire in 7 days (an External app in Testing)."""
        return self._state.testing_mode

    @testing_mode.setter
    def testing_mode(self, on: bool) -> None:
        with self._state.lock:
            self._state.testing_mode = bool(on)

    @property
    def creates_per_user(self) -> int:
        """``spaces.create`` calls one user may make in any 60 seconds."""
        return self._state.creates_per_user

    @creates_per_user.setter
    def creates_per_user(self, count: int) -> None:
        with self._state.lock:
            self._state.creates_per_user = int(count)

    @property
    def creates_per_project(self) -> int:
        """``spaces.create`` calls the whole app may make in any 60 seconds."""
        return self._state.creates_per_project

    @creates_per_project.setter
    def creates_per_project(self, count: int) -> None:
        with self._state.lock:
            self._state.creates_per_project = int(count)

    # --- users and consent ----------------------------------------------------------------

    def add_user(self, email: str, *, domain: str | None = None) -> GoogleUser:
        """A Google account. ``domain``: its Workspace domain (default: the email's domain,
        none for gmail.com: a consumer account)."""
        host = email.rsplit("@", 1)[-1].lower()
        with self._state.lock:
            user = GoogleUser(
                id=self._state.sub(),
                email=email,
                domain=domain
                if domain is not None
                else (None if host in _CONSUMER_DOMAINS else host),
            )
            self._state.users[user.id] = user
            return user

    def consent(
        self,
        authorize_url: str,
        user: GoogleUser,
        *,
        allow: bool = True,
        scopes: frozenset[str] | set[str] | None = None,
    ) -> dict[str, str]:
        """``user`` answers Google's consent screen: ``{"code", "scope", "state"}`` on
        Continue, ``{"error": "access_denied", "state"}`` on Cancel. ``scopes``: what the user
        leaves ticked on the granular consent screen (default: everything asked for).
        Raises ``ConsentError`` for what Google's page refuses itself (an unknown client,
        a redirect URI mismatch, an unknown scope)."""
        parts = urlsplit(authorize_url)
        params = dict(parse_qsl(parts.query, keep_blank_values=True))
        granted = frozenset(scopes) if scopes is not None else None
        with self._state.lock:
            self._state.record("GET", parts.path, parts.query)
            return decide(self._state, params, user, allow=allow, granted=granted)

    def revoke_consent(self, user: GoogleUser) -> None:
        """The user removes the app (myaccount.google.com, "Third-party apps & services"):
        every token of theirs dies at once; refreshes answer ``invalid_grant``."""
        with self._state.lock:
            self._state.revoke_user(user.id)

    def remove_app(self, user: GoogleUser) -> None:
        """Like the Zoom emulator's ``remove_app``: Google sends no webhook, so this returns
        None; the link's next refresh fails
        ([`revoke_consent`][meetlink.emulators.google_meet.emulator.GoogleMeetEmulator.revoke_consent])."""
        self.revoke_consent(user)

    # --- conferences ----------------------------------------------------------------------

    def start_conference(self, space: str) -> str:
        """Someone joins the space (its name, meeting code or URI): a conference is active
        (``activeConference.conferenceRecord``), returned."""
        with self._state.lock:
            state = self._state
            name = self._name(space)
            record = f"conferenceRecords/{state.token('', 12)}"
            state.meetings[name]["activeConference"] = {"conferenceRecord": record}
            return record

    def can_join(self, space: str, *, invited: bool = False, same_domain: bool = False) -> str:
        """What the space's access type lets a person do: ``"join"`` (without knocking) or
        ``"knock"`` (someone inside must admit them). OPEN: anyone joins; TRUSTED: the
        organisation and invitees join; RESTRICTED: invitees only. A Meet link is never
        refused outright: a closed space still lets people knock."""
        with self._state.lock:
            access = self._state.meetings[self._name(space)]["config"]["accessType"]
        if access == "OPEN" or invited or (access == "TRUSTED" and same_domain):
            return "join"
        return "knock"

    def _name(self, space: str) -> str:
        key = space.rsplit("/", 1)[-1]
        state = self._state
        name = (
            f"spaces/{key}" if f"spaces/{key}" in state.meetings else state.codes_of_spaces.get(key)
        )
        if name is None:
            raise KeyError(f"no such space: {space}")
        return name

    # --- observation ----------------------------------------------------------------------

    def meetings(self, user: GoogleUser | None = None) -> list[dict[str, Any]]:
        """The spaces still serving an event (all, or ``user``'s) as Meet's Space JSON: not
        those meetlink closed (restricted to invitees after a delete), nor those whose create
        answer was lost and that nobody has read since (no one outside Google holds their
        URI: [`orphans`][meetlink.emulators.google_meet.emulator.GoogleMeetEmulator.orphans])."""
        return [s for s in self.spaces(user) if s["name"] not in self._hidden()]

    def spaces(self, user: GoogleUser | None = None) -> list[dict[str, Any]]:
        """Every space ever created (all, or ``user``'s): a Meet space is never deleted."""
        with self._state.lock:
            state = self._state
            return [
                copy.deepcopy(s)
                for name, s in state.meetings.items()
                if user is None or state.owners[name] == user.id
            ]

    def closed(self) -> list[str]:
        """The names of the spaces restricted after creation (what meetlink's delete does)."""
        with self._state.lock:
            return sorted(self._state.closed)

    def orphans(self) -> list[str]:
        """The names of spaces whose create answer was lost and that nobody read since."""
        with self._state.lock:
            return sorted(self._state.unseen)

    def _hidden(self) -> set[str]:
        with self._state.lock:
            return set(self._state.closed) | set(self._state.unseen)

    # --- serving ---------------------------------------------------------------------------

    def handle(self, request: Incoming) -> Reply:
        """Serve one request; a create whose answer is dropped leaves an unseen space."""
        reply = super().handle(request)
        creating = request.method == "POST" and request.path == "/v2/spaces"
        if reply.drop and creating and reply.status == 200:
            name = json.loads(reply.body)["name"]
            with self._state.lock:
                self._state.unseen.add(name)
        return reply

    def _fault_reply(self, fault: Fault, request: Incoming) -> Reply:
        return fault_reply(self._state, fault, request)

    def provider(
        self,
        *,
        clock: Clock | None = None,
        base_url: str | None = None,
        access_type: AccessTypeSource = "TRUSTED",
        ledger: SpaceLedger | None = None,
    ) -> GoogleMeetProvider:
        """A ``GoogleMeetProvider`` registered as this emulator's app: in-process, or over
        HTTP when ``base_url`` (from [`serve`][meetlink.emulators.core.base.BaseEmulator.serve]) is
        given."""
        from meetlink.adapters.google_meet import GoogleMeetProvider

        common: dict[str, Any] = {
            "client_id": self.client_id,
            "client_secret": self.client_secret,
            "redirect_uri": self.redirect_uri,
            "clock": clock or self._state.clock,
            "access_type": access_type,
            "ledger": ledger,
        }
        if base_url is not None:
            return GoogleMeetProvider(
                accounts_base_url=base_url,
                oauth2_base_url=base_url,
                userinfo_base_url=base_url,
                meet_base_url=base_url,
                **common,
            )
        return GoogleMeetProvider(transport=self.transport(), **common)
