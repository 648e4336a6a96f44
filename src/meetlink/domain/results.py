"""What the facade answers: the result of a save, a link request, a webhook reply."""

from __future__ import annotations

from datetime import datetime

import attrs

from meetlink.domain.conference import Conference
from meetlink.domain.issuance import Notice, Refusal

__all__ = ["LinkRequest", "SaveResult", "WebhookReply"]


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
