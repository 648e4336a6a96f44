"""A meeting attached to an event, and what must happen to keep it in step with the event.

A conference belongs to the external account that hosts it, not to a host user: whoever holds
an active link to that account can manage it (so a takeover, S9, or a relink of the same account
keeps it manageable). With no such link it is DETACHED: the URL stays, nothing can change it.

Deleting a meeting is not a conference state: when the URL is withdrawn or the event deleted,
the conference row goes at once and a self-contained delete job (provider, account, meeting id,
marker) carries the deletion to the provider until it confirms (S19, S20).

How a conference moves between its states is one table:
[`meetlink.domain.lifecycle`][meetlink.domain.lifecycle].
"""

from __future__ import annotations

import enum
from datetime import datetime

import attrs

import meetlink.errors as errors
from meetlink.domain.event import Event, MovedOccurrence

__all__ = [
    "AGENDA_LIMIT",
    "ENDED_ERROR",
    "TOPIC_LIMIT",
    "Conference",
    "ConferenceRecord",
    "ConferenceStatus",
    "KeptMeeting",
    "MailedState",
    "MeetingTerms",
    "Step",
    "error_code",
    "plan_sync",
    "terms_for",
]

TOPIC_LIMIT = 200
AGENDA_LIMIT = 2000


#: Why a conference whose event ended before its meeting existed is FAILED.
ENDED_ERROR = "the event ended before its meeting could be created"


def error_code(error: str) -> str:
    """The message code of a stored conference error: errors are stored as English text,
    ``"<ErrorClass>: <message>"`` when an error stopped the work."""
    if error == ENDED_ERROR:
        return "conference.event_ended"
    name = error.split(":", 1)[0].strip()
    found = getattr(errors, name, None)
    if isinstance(found, type) and issubclass(found, errors.MeetLinkError):
        return found.code
    return "conference.failed"


class ConferenceStatus(enum.Enum):
    """Where a conference stands."""

    PENDING = "pending"  # requested; the provider has not confirmed yet (join_url None)
    ISSUED = "issued"  # the meeting exists and reflects the event
    DETACHED = "detached"  # the URL exists but no active link can manage it any more
    FAILED = "failed"  # refused for good, gave up, or the event ended first; see ``error``


@attrs.frozen
class Conference:
    """The public view of an event's conference. Never carries the host start URL.

    ``error`` says in plain words why it is FAILED, or why the last attempt failed (never a
    token or secret); ``next_attempt_at`` is when a PENDING conference's work runs again;
    ``tenant_id`` is the tenant of its event (the event id is the host's id inside it)."""

    event_id: str
    provider: str
    status: ConferenceStatus
    meeting_id: str | None
    join_url: str | None
    passcode: str | None
    external_account_id: str
    error: str | None = attrs.field(default=None, kw_only=True)
    next_attempt_at: datetime | None = attrs.field(default=None, kw_only=True)
    tenant_id: str | None = attrs.field(default=None, kw_only=True)

    @property
    def error_code(self) -> str | None:
        """The stable code of ``error``'s text in ``meetlink.messages`` (None: no error):
        ``conference.event_ended`` (also for an event saved in the past), the code of the
        error that stopped the work (``error.provider_unavailable``...), else
        ``conference.failed``."""
        return None if self.error is None else error_code(self.error)

    @property
    def error_params(self) -> dict[str, str]:
        """What the error's text is filled with (the provider)."""
        return {"provider": self.provider}


@attrs.frozen(kw_only=True)
class MeetingTerms:
    """What the provider meeting must say, derived from the event."""

    topic: str
    start: datetime
    duration_minutes: int
    timezone: str
    agenda: str = ""
    # R2: a recurring event's rule, skipped and moved occurrences (``start`` is the first
    # occurrence and ``duration_minutes`` the length of one).
    recurrence: str | None = None
    exdates: tuple[datetime, ...] = ()
    moved: tuple[MovedOccurrence, ...] = ()


def terms_for(event: Event) -> MeetingTerms:
    """The meeting terms that follow from ``event`` (topic cut to the provider limit)."""
    return MeetingTerms(
        topic=event.title[:TOPIC_LIMIT],
        start=event.start,
        duration_minutes=event.duration_minutes,
        timezone=event.timezone,
        agenda=event.description[:AGENDA_LIMIT],
        recurrence=event.recurrence,
        exdates=event.exdates,
        moved=event.moved,
    )


@attrs.frozen(kw_only=True)
class MailedState:
    """What participants were last told, to know which mails a change owes them (S13)."""

    join_url: str
    passcode: str | None
    start: datetime
    end: datetime
    emails: tuple[str, ...]
    # R2: the series and the day form participants were told (a change is a new SEQUENCE).
    recurrence: str | None = None
    exdates: tuple[datetime, ...] = ()
    moved: tuple[MovedOccurrence, ...] = ()
    all_day: bool = False
    # The provider of the meeting participants were told of (its name goes in later mail).
    provider: str | None = None

    @property
    def schedule(self) -> tuple[object, ...]:
        """Everything about when the meeting takes place (a change owes an update)."""
        return (self.start, self.end, self.recurrence, self.exdates, self.moved, self.all_day)


@attrs.frozen(kw_only=True)
class KeptMeeting:
    """The issued meeting participants hold while its replacement is being issued on the
    owner's other account (S21): its URL stays the event's URL until the replacement is
    ISSUED, then it is deleted (or it stays, if the replacement cannot complete)."""

    provider: str
    external_account_id: str
    meeting_id: str
    join_url: str
    passcode: str | None
    marker: str
    synced: MeetingTerms | None = None


@attrs.frozen(kw_only=True)
class ConferenceRecord:
    """A conference as storage keeps it (one per event: keyed by ``(tenant_id, event_id)``).

    The provider, account, marker and meeting fields describe the meeting the work is about;
    ``kept`` (only while a replacement is PENDING) the issued meeting participants hold."""

    tenant_id: str
    event_id: str
    provider: str
    external_account_id: str
    status: ConferenceStatus = ConferenceStatus.PENDING
    marker: str  # unique per create attempt series; put in the meeting to find it again
    meeting_id: str | None = None
    join_url: str | None = None
    passcode: str | None = None
    synced: MeetingTerms | None = None  # what the provider meeting says now, as far as we know
    maybe_created: bool = False  # a create may have happened without our seeing the answer
    mailed: MailedState | None = None
    error: str | None = None
    kept: KeptMeeting | None = None
    created_at: datetime

    def public(self, next_attempt_at: datetime | None = None) -> Conference:
        """The host-facing view (``next_attempt_at``: when its pending work runs again).
        While a replacement is pending, participants still hold the kept meeting: the view
        shows it, DETACHED."""
        kept = self.kept
        if kept is not None:
            return Conference(
                event_id=self.event_id,
                provider=kept.provider,
                status=ConferenceStatus.DETACHED,
                meeting_id=kept.meeting_id,
                join_url=kept.join_url,
                passcode=kept.passcode,
                external_account_id=kept.external_account_id,
                error=self.error,
                next_attempt_at=next_attempt_at,
                tenant_id=self.tenant_id,
            )
        pending = self.status is ConferenceStatus.PENDING
        return Conference(
            event_id=self.event_id,
            provider=self.provider,
            status=self.status,
            meeting_id=self.meeting_id,
            join_url=self.join_url,
            passcode=self.passcode,
            external_account_id=self.external_account_id,
            error=self.error,
            next_attempt_at=next_attempt_at if pending else None,
            tenant_id=self.tenant_id,
        )


class Step(enum.Enum):
    """The next provider action for a wanted conference."""

    CREATE = "create"
    FIND_THEN_CREATE = "find_then_create"  # an earlier create may have landed: adopt it
    UPDATE = "update"
    LOST = "lost"  # no active link holds the account: the account-lost move applies
    DONE = "done"


def plan_sync(record: ConferenceRecord, terms: MeetingTerms, manageable: bool) -> Step:
    """What the sync job must do so the provider meeting matches ``terms``. A FAILED
    conference waits for ``retry()`` or a new save; nothing runs for it on its own."""
    if record.status is ConferenceStatus.FAILED:
        return Step.DONE
    if not manageable:
        return Step.LOST
    if record.meeting_id is None:
        return Step.FIND_THEN_CREATE if record.maybe_created else Step.CREATE
    if record.synced != terms:
        return Step.UPDATE
    return Step.DONE
