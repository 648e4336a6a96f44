"""How long an organisation's directory lookup is used (``DirectoryEntry.fresh``): from the
moment it was made for ``org_lookup_ttl`` seconds, not after, and never one dated after
``now`` (a clock set back) or never made."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from meetlink.domain.links import DirectoryEntry

LOOKED_UP = datetime(2027, 3, 1, 9, 0, tzinfo=UTC)
TTL = 600.0


def _entry(resolved_at: datetime | None) -> DirectoryEntry:
    return DirectoryEntry(
        tenant_id="acme",
        provider="zoom",
        user_id="alice",
        address="alice@acme.example",
        external_account_id="zu-1" if resolved_at else None,
        found=resolved_at is not None,
        resolved_at=resolved_at,
    )


@pytest.mark.parametrize(
    ("age", "fresh"),
    [
        (timedelta(0), True),
        (timedelta(seconds=599, microseconds=999_999), True),
        (timedelta(seconds=600), False),  # the ttl is over
        (timedelta(hours=1), False),
        (timedelta(microseconds=-1), False),  # made "after" now: the clock went back
    ],
)
def test_a_lookup_is_used_for_its_ttl_from_when_it_was_made(age: timedelta, fresh: bool) -> None:
    assert _entry(LOOKED_UP).fresh(LOOKED_UP + age, TTL) is fresh


def test_an_address_never_looked_up_is_not_fresh() -> None:
    assert _entry(None).fresh(LOOKED_UP, TTL) is False
