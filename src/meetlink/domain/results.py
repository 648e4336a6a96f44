"""What the facade answers: the result of a save, a link request, a webhook reply."""

from __future__ import annotations

import enum
from datetime import datetime

import attrs

from meetlink.domain.conference import Conference
from meetlink.domain.issuance import Notice, Refusal

__all__ = ["HostNotice", "HostNoticeKind", "LinkRequest", "SaveResult", "WebhookReply"]


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


class HostNoticeKind(enum.Enum):
    """Something the host product should tell a user or an operator about."""

    LINK_BROKEN = "link_broken"  # the provider refused the grant: the user must link again
    LINK_REMOVED_AT_PROVIDER = "link_removed_at_provider"  # "Remove App" (S16)
    LINK_TAKEN_OVER = "link_taken_over"  # another user linked the same account (S9)
    WORK_FAILED = "work_failed"  # a meeting or mail job gave up after its retries
    # Stored tokens could not be decrypted (a wrong or missing encryption key): an operator
    # should check ``encryption_keys``. Unlinking still worked; nothing was revoked; jobs that
    # need the tokens wait and are retried once the key is back.
    CREDENTIALS_UNREADABLE = "credentials_unreadable"


@attrs.frozen(kw_only=True)
class HostNotice:
    """Passed to the host's ``listener`` once per occurrence, after the change committed.
    ``user_id``/``event_id`` say whom it concerns (None when not applicable)."""

    kind: HostNoticeKind
    tenant_id: str | None = None
    user_id: str | None = None
    provider: str | None = None
    event_id: str | None = None
    detail: str = ""
