"""``Sandbox``: MeetLink wired to the in-process Zoom emulator, SQL storage, a recording
mailer and a manual clock shared by all of them."""

from __future__ import annotations

from collections.abc import Iterable
from contextlib import ExitStack
from datetime import datetime
from email.message import EmailMessage
from types import TracebackType
from typing import Any

from meetlink.adapters.clock import ManualClock
from meetlink.adapters.google_meet import AccessTypeSource, GoogleMeetProvider
from meetlink.adapters.mail import JinjaMailComposer, RecordingMailer
from meetlink.adapters.sqlalchemy import SqlSpaceLedger, SqlStorage, generate_key
from meetlink.adapters.teams import TeamsProvider
from meetlink.adapters.zoom import ZoomProvider
from meetlink.compose import MeetLink
from meetlink.domain.links import AccountLink, OrganisationLink
from meetlink.emulators.google_meet import GoogleMeetEmulator
from meetlink.emulators.teams import TeamsEmulator
from meetlink.emulators.zoom import ZoomEmulator, ZoomUser
from meetlink.errors import ConfigurationError
from meetlink.ports.provider import VideoProvider
from meetlink.testing.databases import private_database

__all__ = ["Sandbox"]


class Sandbox:
    """A ready MeetLink for tests and demos.

    Attributes: ``meetlink`` (the facade), ``zoom`` (the
    [`ZoomEmulator`][meetlink.emulators.zoom.emulator.ZoomEmulator]), ``clock`` (a
    [`ManualClock`][meetlink.adapters.clock.ManualClock] that the emulator follows too), ``outbox``
    (delivered ``EmailMessage`` objects), ``storage`` and ``mailer``. ``settings`` keywords go to
    MeetLink (``trial_length``, ``reminder_lead``, ``policy``, ``retry``...). ``with_teams=True``
    also registers Microsoft Teams (key ``"teams"``) on a
    [`TeamsEmulator`][meetlink.emulators.teams.emulator.TeamsEmulator] (``teams``);
    ``with_meet=True`` registers Google Meet (key ``"google_meet"``) on a
    [`GoogleMeetEmulator`][meetlink.emulators.google_meet.emulator.GoogleMeetEmulator] (``meet``;
    its provider is ``meet_provider``, whose ``access_type`` is ``meet_access_type``); ``providers``
    adds the host's own providers (docs/providers.md), and ``clock`` is the
    [`ManualClock`][meetlink.adapters.clock.ManualClock] to use instead of a new one at ``now``
    (e.g. one they read). On PostgreSQL or MariaDB the sandbox works in a private schema or database
    of the server at ``database_url``, dropped by [`close`][meetlink.testing.sandbox.Sandbox.close]
    (``isolate=False`` uses the URL as given).
    """

    def __init__(
        self,
        *,
        now: datetime | None = None,
        database_url: str = "sqlite://",
        seed: int | None = None,
        with_teams: bool = False,
        with_meet: bool = False,
        meet_access_type: AccessTypeSource = "TRUSTED",
        isolate: bool = True,
        providers: Iterable[VideoProvider] = (),
        clock: ManualClock | None = None,
        **settings: Any,
    ) -> None:
        self._stack = ExitStack()
        try:
            if isolate:  # a private schema/database on a shared server, dropped on close
                database_url = self._stack.enter_context(private_database(database_url))
            self.database_url = database_url
            if clock is not None and now is not None:
                raise ConfigurationError("Sandbox: pass now= or clock=, not both")
            self.clock = clock if clock is not None else ManualClock(now)
            self.zoom = ZoomEmulator(clock=self.clock, seed=seed)
            self.provider = ZoomProvider(
                client_id=self.zoom.client_id,
                client_secret=self.zoom.client_secret,
                redirect_uri=self.zoom.redirect_uri,
                webhook_secrets=(self.zoom.webhook_secret, self.zoom.admin_webhook_secret),
                transport=self.zoom.transport(),
                clock=self.clock,
                rate_budget=self.zoom.rate_budget,  # the emulator's limits as they are now
                org_client_id=self.zoom.admin_client_id,  # organisation links
                org_client_secret=self.zoom.admin_client_secret,
            )
            registered: list[VideoProvider] = [self.provider]
            self.teams: TeamsEmulator | None = None
            self._teams_provider: TeamsProvider | None = None
            if with_teams:  # R1: Microsoft Teams as the "teams" provider, on the same clock
                self.teams = TeamsEmulator(clock=self.clock, seed=seed)
                self._teams_provider = self.teams.provider(clock=self.clock)
                registered.append(self._teams_provider)
            self.storage = SqlStorage(
                database_url, encryption_keys=[generate_key()], create_schema=True
            )
            self.meet: GoogleMeetEmulator | None = None
            self.meet_provider: GoogleMeetProvider | None = None
            if with_meet:  # Google Meet as the "google_meet" provider, on the same clock,
                # its space ledger in the database (shared by every instance on it)
                self.meet = GoogleMeetEmulator(clock=self.clock, seed=seed)
                self.meet_provider = self.meet.provider(
                    clock=self.clock,
                    access_type=meet_access_type,
                    ledger=SqlSpaceLedger(self.storage, now=self.clock.now),
                )
                registered.append(self.meet_provider)
            registered.extend(providers)  # the host's own (docs/providers.md)
            self.mailer = RecordingMailer()
            self.meetlink = MeetLink(
                storage=self.storage,
                providers=registered,
                mailer=self.mailer,
                composer=JinjaMailComposer(),
                clock=self.clock,
                **settings,
            )
        except BaseException:
            self._stack.close()
            raise

    @property
    def outbox(self) -> list[EmailMessage]:
        """Every message delivered so far (by ``meetlink.run_pending()``)."""
        return self.mailer.outbox

    def link_user(
        self, tenant_id: str, user_id: str, email: str | None = None, *, plan: str = "licensed"
    ) -> tuple[AccountLink, ZoomUser]:
        """Shortcut: add a Zoom user and link it to the tenant's ``user_id`` through the real
        OAuth flow (completed as that user's session would)."""
        user = self.zoom.add_user(email or f"{user_id}@example.com", plan=plan)
        request = self.meetlink.begin_link(tenant_id, user_id)
        params = self.zoom.consent(request.authorize_url, user)
        link = self.meetlink.complete_link(
            params["state"], code=params["code"], user_id=user_id, tenant_id=tenant_id
        )
        return link, user

    def link_org(self, tenant_id: str, admin_user_id: str, admin: ZoomUser) -> OrganisationLink:
        """Shortcut: the Zoom account's owner or admin ``admin`` installs the admin-managed
        app for the tenant (the host's ``admin_user_id`` began it), through the real OAuth
        flow: an organisation link (docs/org-install.md)."""
        request = self.meetlink.begin_org_link("zoom", tenant_id=tenant_id,
                                               admin_user_id=admin_user_id)  # fmt: skip
        params = self.zoom.consent(request.authorize_url, admin)
        return self.meetlink.complete_org_link(
            params["state"], code=params["code"], tenant_id=tenant_id, admin_user_id=admin_user_id
        )

    def close(self) -> None:
        """Release the storage and the emulator's resources (and drop the private schema or
        database on a server)."""
        self.meetlink.close()
        self.provider.close()
        if self._teams_provider is not None:
            self._teams_provider.close()
        if self.meet_provider is not None:
            self.meet_provider.close()
        self._stack.close()

    def __enter__(self) -> Sandbox:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()
