"""What the facade answers: the result of a save, a link request, a webhook reply."""

from __future__ import annotations

import enum
from datetime import datetime

import attrs

from meetlink.domain.conference import Conference
from meetlink.domain.issuance import Notice, Refusal

__all__ = [
    "NOTICE_KINDS",
    "RELINK_KINDS",
    "HostEvent",
    "HostEventKind",
    "HostNotice",
    "HostNoticeKind",
    "LinkRequest",
    "Relink",
    "SaveResult",
    "WebhookReply",
]


@attrs.frozen
class SaveResult:
    """The outcome of ``save_event``: the conference after the save, why a requested URL was
    not issued (every reason that applies), and notices that never block."""

    event_id: str
    conference: Conference | None
    refusals: tuple[Refusal, ...] = ()
    notices: tuple[Notice, ...] = ()


@attrs.frozen
class LinkRequest:
    """Where to send the user to authorize the app; ``state`` is valid for 10 minutes, once."""

    authorize_url: str = attrs.field(repr=False)
    state: str = attrs.field(repr=False)
    expires_at: datetime


@attrs.frozen
class WebhookReply:
    """What the host's webhook endpoint must answer."""

    status: int
    body: bytes
    content_type: str = "application/json"


class HostEventKind(enum.Enum):
    """What a [`HostEvent`][meetlink.domain.results.HostEvent] of the host event feed reports.

    The notices (``NOTICE_KINDS``: the first five and ``EVENT_DELETED_BY_OTHER``) are
    something the host should tell a user or an operator; ``HostNoticeKind`` is this same
    enum, so ``event.kind is HostNoticeKind.LINK_BROKEN`` holds for them. The others report
    what happened to an event's conference."""

    LINK_BROKEN = "link_broken"  # the provider refused the grant: the user must link again
    LINK_REMOVED_AT_PROVIDER = "link_removed_at_provider"  # "Remove App" (S16)
    LINK_TAKEN_OVER = "link_taken_over"  # another user linked the same account (S9)
    WORK_FAILED = "work_failed"  # a meeting or mail job gave up after its retries
    # Stored tokens could not be decrypted (a wrong or missing encryption key): an operator
    # should check ``encryption_keys``. Unlinking still worked; nothing was revoked; jobs that
    # need the tokens wait and are retried once the key is back.
    CREDENTIALS_UNREADABLE = "credentials_unreadable"
    # The event's conference got a join URL (it had none, or had failed).
    CONFERENCE_ISSUED = "conference_issued"
    # The event's issued conference changed: its URL or passcode, or its time at the provider.
    CONFERENCE_UPDATED = "conference_updated"
    # The event's conference is gone (the URL was unticked, no longer allowed, or the event
    # was deleted); its meeting is being deleted at the provider.
    CONFERENCE_WITHDRAWN = "conference_withdrawn"
    # The event's conference FAILED (refused for good, gave up, or the event ended first).
    CONFERENCE_FAILED = "conference_failed"
    # A meeting deleted or changed on the provider's own site was made to match the event again.
    MEETING_REPAIRED = "meeting_repaired"
    # Another user deleted the event (``delete_event(actor_id=...)`` named someone else than its
    # owner): the owner (``user_id``) is told; ``detail`` names who deleted it.
    EVENT_DELETED_BY_OTHER = "event_deleted_by_other"

    @property
    def code(self) -> str:
        """The stable code of its text in ``meetlink.messages`` (``"host_notice.<value>"``)."""
        return f"host_notice.{self.value}"


#: The notices' kinds: the same enum as [`HostEventKind`][meetlink.domain.results.HostEventKind]
#: (one enum, so a notice and its feed event compare as the same kind).
HostNoticeKind = HostEventKind

#: The notices: what a user or an operator should be told (the others report conference
#: changes; a listener that handles notices only can skip what is not in here).
NOTICE_KINDS = frozenset(
    {
        HostEventKind.LINK_BROKEN,
        HostEventKind.LINK_REMOVED_AT_PROVIDER,
        HostEventKind.LINK_TAKEN_OVER,
        HostEventKind.WORK_FAILED,
        HostEventKind.CREDENTIALS_UNREADABLE,
        HostEventKind.EVENT_DELETED_BY_OTHER,
    }
)

#: The kinds after which a user must link again (the event carries a ``relink``).
RELINK_KINDS = frozenset(
    {
        HostEventKind.LINK_BROKEN,
        HostEventKind.LINK_REMOVED_AT_PROVIDER,
        HostEventKind.LINK_TAKEN_OVER,
    }
)


@attrs.frozen(kw_only=True)
class HostNotice:
    """Passed to the host's ``listener`` once per occurrence, after the change committed.
    ``user_id``/``event_id`` say whom it concerns (None when not applicable). ``detail`` is
    English for logs; ``code`` and ``params`` give its text for a user in
    ``meetlink.messages``."""

    kind: HostNoticeKind
    tenant_id: str | None = None
    user_id: str | None = None
    provider: str | None = None
    event_id: str | None = None
    detail: str = ""

    @property
    def code(self) -> str:
        """The stable code of its text (``"host_notice.<kind>"``)."""
        return self.kind.code

    @property
    def params(self) -> dict[str, str]:
        """What its text is filled with (the provider, when known)."""
        return {"provider": self.provider} if self.provider else {}


@attrs.frozen(kw_only=True)
class Relink:
    """How a user starts linking again, in one step:
    ``meetlink.begin_link(**relink.arguments)`` gives the authorize URL to send them to.

    For the tenant's organisation link (``user_id`` is ``""``, ``organisation`` is True) an
    administrator links again: ``meetlink.begin_org_link(**relink.arguments,
    admin_user_id=...)`` (the host knows who its administrators are).

    ``admin_consent_url``: where an administrator of the user's organisation can approve the
    app for everyone (Microsoft Teams; None for providers without such a page). It is the cure
    when Microsoft answers that the organisation requires admin approval."""

    tenant_id: str
    user_id: str
    provider: str
    admin_consent_url: str | None = attrs.field(default=None, repr=False)

    @property
    def organisation(self) -> bool:
        """Whether the link to make again is the tenant's organisation link."""
        return self.user_id == ""  # meetlink.domain.links.ORGANISATION_USER

    @property
    def arguments(self) -> dict[str, str]:
        """The keyword arguments of [`begin_link`][meetlink.app.facade.MeetLink.begin_link]
        (of [`begin_org_link`][meetlink.app.facade.MeetLink.begin_org_link] but its
        ``admin_user_id`` for an organisation link)."""
        if self.organisation:
            return {"tenant_id": self.tenant_id, "provider": self.provider}
        return {"tenant_id": self.tenant_id, "user_id": self.user_id, "provider": self.provider}


@attrs.frozen(kw_only=True)
class HostEvent(HostNotice):
    """One entry of the host event feed (``MeetLink.events``), and what the ``listener`` is
    called with after the change it reports committed.

    ``id``: its place in the tenant's feed (decimal text; pass the last one processed as
    ``after=`` to resume). ``at``: when it was recorded. ``relink``: how the user links again,
    for the kinds that need it (else None)."""

    id: str
    at: datetime
    relink: Relink | None = None
