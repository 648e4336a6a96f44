"""The composition root of ``meetlink.MeetLink``: the application's facade
([`meetlink.app.facade.MeetLink`][meetlink.MeetLink]) with the adapters a host
does not have to choose, the system clock and the shipped mail templates.

The application layer imports only the domain and the ports; the defaults are made here,
outside it (docs/architecture.md). The Jinja2 composer is imported when a MeetLink is made
without a composer, so ``import meetlink`` stays light.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

from meetlink.adapters.clock import SystemClock
from meetlink.app import facade
from meetlink.app.settings import Settings
from meetlink.domain.results import HostNotice
from meetlink.ports.clock import Clock
from meetlink.ports.mailer import MailComposer, Mailer
from meetlink.ports.provider import VideoProvider
from meetlink.ports.storage import Storage

__all__ = ["MeetLink"]


class MeetLink(facade.MeetLink):
    """Web conference URLs for a host's calendar events.

    The host's composition root passes the adapters::

        MeetLink(storage=SqlStorage(url, encryption_keys=[key]),
                 providers=[ZoomProvider(...)],
                 mailer=SmtpMailer(...))

    ``composer`` defaults to the shipped Jinja2 templates, ``clock`` to the system clock; any
    [`Settings`][meetlink.app.settings.Settings] field may be passed as a keyword. ``listener``,
    if given, receives a [`HostNotice`][meetlink.domain.results.HostNotice] once per event the
    host should surface (a link broken or removed at the provider, taken over by another user,
    work that gave up). ``organizer``, if given, is called with ``(tenant_id, owner_id)`` and
    returns the event owner's ``(name, address)`` (or None): invitations then name the owner
    as ORGANIZER and replies go to them (unless ``reply_to`` is set); the From stays the
    sender's (``mail_from``).

    Every id a host passes is its id inside one tenant: methods that take a user or event id
    take ``tenant_id`` too (a required keyword where it is not the first argument), and
    [`tenant`][meetlink.app.facade.MeetLink.tenant] gives the same methods for one tenant
    without it.
    """

    def __init__(
        self,
        *,
        storage: Storage,
        providers: Mapping[str, VideoProvider] | Iterable[VideoProvider],
        mailer: Mailer,
        composer: MailComposer | None = None,
        clock: Clock | None = None,
        settings: Settings | None = None,
        listener: Callable[[HostNotice], None] | None = None,
        organizer: Callable[[str, str], tuple[str, str] | None] | None = None,
        **options: Any,
    ) -> None:
        if composer is None:
            from meetlink.adapters.mail import JinjaMailComposer  # Jinja2: only when used

            composer = JinjaMailComposer()
        super().__init__(
            storage=storage,
            providers=providers,
            mailer=mailer,
            composer=composer,
            clock=clock or SystemClock(),
            settings=settings,
            listener=listener,
            organizer=organizer,
            **options,
        )
