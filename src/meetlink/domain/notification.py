"""Which participant mails a change owes (S13, S14).

Participants are mailed the join URL when a conference is issued, again when the event's time
or URL changes. When the URL is withdrawn from an event that stays, they get an update of the
event without it (iCalendar METHOD:REQUEST, a higher SEQUENCE: their calendars keep the
event); a cancellation only when the event itself is deleted. Participants added later get an
invitation; removed ones a cancellation.
"""

from __future__ import annotations

import enum

import attrs

from meetlink.domain.conference import MailedState

__all__ = ["MailKind", "PlannedMail", "plan_mails"]


class MailKind(enum.Enum):
    """The kinds of participant mail."""

    INVITATION = "invitation"  # iCalendar METHOD:REQUEST
    UPDATE = "update"  # iCalendar METHOD:REQUEST, higher SEQUENCE
    CANCELLATION = "cancellation"  # iCalendar METHOD:CANCEL (the event is deleted)
    # iCalendar METHOD:REQUEST, higher SEQUENCE, no conference URL: the event stays, its
    # web meeting was removed.
    WITHDRAWAL = "withdrawal"
    REMINDER = "reminder"  # no iCalendar part (a client would read it as an update)


@attrs.frozen
class PlannedMail:
    """One mail to one participant address."""

    kind: MailKind
    email: str


def plan_mails(before: MailedState | None, after: MailedState | None) -> list[PlannedMail]:
    """The mails that move participants from knowing ``before`` to knowing ``after``.

    An ``after`` without a URL (``join_url`` empty: withdrawn from an event that stays)
    invites nobody new: who was told gets the event without the URL (WITHDRAWAL) when
    anything changed, who is no longer invited a cancellation."""
    old = () if before is None else before.emails
    new = () if after is None else after.emails
    # Addresses compare case-insensitively (as Event's duplicate check does).
    old_keys = {e.lower() for e in old}
    new_keys = {e.lower() for e in new}
    mails: list[PlannedMail] = []
    if after is not None:
        changed = before is not None and (
            (before.join_url, before.passcode, before.schedule)
            != (after.join_url, after.passcode, after.schedule)
        )
        withdrawn = not after.join_url
        for email in new:
            if email.lower() not in old_keys:
                if not withdrawn:
                    mails.append(PlannedMail(MailKind.INVITATION, email))
            elif changed:
                mails.append(PlannedMail(MailKind.WITHDRAWAL if withdrawn else MailKind.UPDATE,
                                         email))  # fmt: skip
    mails.extend(PlannedMail(MailKind.CANCELLATION, e) for e in old if e.lower() not in new_keys)
    return mails
