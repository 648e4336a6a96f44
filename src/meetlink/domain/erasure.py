"""Erasing what meetlink kept of a provider account whose user removed the app and asked
for their data to go (Zoom's ``app_deauthorized`` with ``user_data_retention: false``).

What is erased, ``erasure_delay`` after the deauthorization (at most 10 days, Zoom's limit):
every ended link of that provider account made before the deauthorization (its tokens, the
account's email, organisation id and plan, when it was linked and unlinked: the link
history), and the account's rate-budget counters and rate-limit wait. What stays, because
the lifecycle still needs it to delete meetings it owes: the provider's user id on the
conferences of the host's events and on the meeting deletions queued for that account
(meeting id and marker), nothing else. A link made after the deauthorization is a new
consent and stays.

The record of an erasure keeps no personal data: the provider, a SHA-256 of the account id
(to answer "was this account's data erased, and when?"), when the deauthorization happened,
when the erasure was due and when it happened.
"""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta

import attrs

__all__ = ["MAX_ERASURE_DELAY", "Erasure", "account_key"]

#: Zoom's Marketplace rule: a user's data is deleted within 10 days of the request.
MAX_ERASURE_DELAY = timedelta(days=10)


def account_key(provider: str, external_account_id: str) -> str:
    """The SHA-256 (hex) that stands for a provider account in erasure records."""
    return hashlib.sha256(f"{provider}\x1f{external_account_id}".encode()).hexdigest()


@attrs.frozen(kw_only=True)
class Erasure:
    """One requested erasure and when it happened (``erased_at`` None: not yet)."""

    provider: str
    account_key: str
    deauthorized_at: datetime
    due_at: datetime
    erased_at: datetime | None = None
