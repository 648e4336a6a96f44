"""Tenancy by construction, through the facade on every database (in-memory SQLite, SQLite,
PostgreSQL, MariaDB): every id a host passes is its id inside one tenant.

- A user id in one tenant never reaches another tenant's link: not through ``link``,
  ``web_meeting_available``, ``save_event``, ``start_url`` or ``unlink``, and a user of
  another tenant linking their own account leaves it alone.
- A host that numbers users and events per tenant (user ``1``, event ``1`` everywhere) works.
- Ids are compared exactly: trailing spaces, case and Unicode normalisation make other ids,
  the same on every database.
- A provider account still serves one (tenant, user) at a time across all tenants (S7-S9):
  a takeover from another tenant ends the holder's link and tells the holder's tenant.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from meetlink import (
    Event,
    HostNotice,
    HostNoticeKind,
    NoConference,
    NotMeetingHost,
    Participant,
    Refusal,
)
from meetlink.testing import Sandbox
from tests.notices import notices_into
from tests.storage.dbservers import private_database, require_server

T0 = datetime(2026, 12, 1, 0, 0, tzinfo=UTC)


class Tenants:
    """A Sandbox with two tenants in trial, and the host notices it received."""

    def __init__(self, sb: Sandbox, notices: list[HostNotice]) -> None:
        self.sb = sb
        self.ml = sb.meetlink
        self.notices = notices

    def event(self, tenant: str, event_id: str = "e1", owner: str = "u1", **more: Any) -> Event:
        start = self.sb.clock.now() + timedelta(days=1)
        return Event(
            event_id,
            tenant,
            owner,
            more.pop("title", f"{tenant} meeting"),
            start,
            start + timedelta(minutes=30),
            participants=more.pop(
                "participants", (Participant(f"guest@{tenant.lower()}.example"),)
            ),
            web_meeting="zoom",
            **more,
        )

    def revokes(self) -> int:
        return sum(1 for request in self.sb.zoom.requests if request[1] == "/oauth/revoke")


@pytest.fixture(params=["sqlite-memory", "sqlite", "postgresql", "mariadb"])
def tenants(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Tenants]:
    backend = request.param
    notices: list[HostNotice] = []
    with (
        private_database_url(backend, tmp_path) as url,
        Sandbox(now=T0, database_url=url, seed=1, listener=notices_into(notices)) as sb,
    ):
        sb.meetlink.start_trial("A")
        sb.meetlink.start_trial("B")
        yield Tenants(sb, notices)


def private_database_url(backend: str, tmp_path: Path) -> Any:
    from contextlib import nullcontext

    if backend == "sqlite-memory":
        return nullcontext("sqlite://")
    require_server(backend)
    return private_database(backend, tmp_path)


# -- finding 1: a user id in one tenant uses another tenant's link -------------------------


def test_another_tenants_user_with_the_same_id_sees_no_link(tenants: Tenants) -> None:
    ml = tenants.ml
    linked, _ = tenants.sb.link_user("A", "u1", "a-u1@corp.example")
    assert ml.link("u1", tenant_id="A") == linked
    assert ml.link("u1", tenant_id="B") is None
    assert ml.web_meeting_available("A", "u1") is True
    assert ml.web_meeting_available("B", "u1") is False


def test_another_tenants_event_is_not_issued_on_the_account(tenants: Tenants) -> None:
    ml, zoom = tenants.ml, tenants.sb.zoom
    tenants.sb.link_user("A", "u1", "a-u1@corp.example")
    result = ml.save_event(tenants.event("B", "b-event"))
    assert result.conference is None
    assert Refusal.NOT_LINKED in result.refusals
    assert zoom.meetings() == []  # nothing on A's Zoom account
    # A's own event is issued on A's account.
    own = ml.save_event(tenants.event("A", "a-event")).conference
    assert own is not None and own.join_url is not None
    assert [m["join_url"] for m in zoom.meetings()] == [own.join_url]


def test_another_tenant_gets_no_start_url_for_the_account(tenants: Tenants) -> None:
    ml = tenants.ml
    tenants.sb.link_user("A", "u1", "a-u1@corp.example")
    assert ml.save_event(tenants.event("A", "e1")).conference is not None
    ml.save_event(tenants.event("B", "e1"))  # the same ids in B: not issued (u1 not linked)
    with pytest.raises(NoConference):
        ml.start_url("e1", "u1", tenant_id="B")
    assert "zak=" in ml.start_url("e1", "u1", tenant_id="A")
    with pytest.raises(NotMeetingHost):
        ml.start_url("e1", "u2", tenant_id="A")


def test_unlinking_in_another_tenant_leaves_the_link(tenants: Tenants) -> None:
    ml = tenants.ml
    linked, _ = tenants.sb.link_user("A", "u1", "a-u1@corp.example")
    assert ml.unlink("u1", tenant_id="B") is False
    assert ml.link("u1", tenant_id="A") == linked
    assert tenants.revokes() == 0
    assert ml.save_event(tenants.event("A")).conference is not None  # the grant still works


def test_linking_in_another_tenant_leaves_the_link_and_its_grant(tenants: Tenants) -> None:
    ml = tenants.ml
    a_link, _ = tenants.sb.link_user("A", "u1", "a-u1@corp.example")
    b_link, _ = tenants.sb.link_user("B", "u1", "b-u1@corp.example")
    assert ml.link("u1", tenant_id="A") == a_link
    assert ml.link("u1", tenant_id="B") == b_link
    assert a_link.email != b_link.email
    assert tenants.revokes() == 0 and tenants.notices == []
    a_conf = ml.save_event(tenants.event("A")).conference
    b_conf = ml.save_event(tenants.event("B")).conference
    assert a_conf is not None and b_conf is not None
    assert a_conf.external_account_id == a_link.external_account_id
    assert b_conf.external_account_id == b_link.external_account_id


# -- finding 2: ids numbered per tenant ---------------------------------------------------


def test_user_1_and_event_1_in_two_tenants_are_two_users_and_two_events(
    tenants: Tenants,
) -> None:
    ml, sb = tenants.ml, tenants.sb
    a_link, a_user = sb.link_user("A", "1", "one@a.example")
    b_link, b_user = sb.link_user("B", "1", "one@b.example")
    assert (a_link.tenant_id, b_link.tenant_id) == ("A", "B")
    assert a_link.external_account_id != b_link.external_account_id
    a = ml.save_event(tenants.event("A", "1", owner="1", title="A's first"))
    b = ml.save_event(tenants.event("B", "1", owner="1", title="B's first"))
    assert a.conference is not None and b.conference is not None
    assert a.conference.join_url != b.conference.join_url
    assert [m["topic"] for m in sb.zoom.meetings(a_user)] == ["A's first"]
    assert [m["topic"] for m in sb.zoom.meetings(b_user)] == ["B's first"]
    stored_a, stored_b = ml.event("1", tenant_id="A"), ml.event("1", tenant_id="B")
    assert stored_a is not None and stored_a.title == "A's first"
    assert stored_b is not None and stored_b.title == "B's first"
    assert ml.conference("1", tenant_id="A") == a.conference
    assert ml.conference("1", tenant_id="B") == b.conference
    # Each tenant edits, starts and deletes its own event 1 only.
    ml.save_event(tenants.event("B", "1", owner="1", title="B renamed"))
    assert [m["topic"] for m in sb.zoom.meetings(a_user)] == ["A's first"]
    assert sb.zoom.meetings(a_user)[0]["id"] != sb.zoom.meetings(b_user)[0]["id"]
    assert ml.start_url("1", "1", tenant_id="A") != ml.start_url("1", "1", tenant_id="B")
    assert ml.delete_event("1", tenant_id="A") is True
    ml.run_pending()
    assert sb.zoom.meetings(a_user) == []
    assert [m["topic"] for m in sb.zoom.meetings(b_user)] == ["B renamed"]
    assert ml.event("1", tenant_id="A") is None
    assert ml.conference("1", tenant_id="B") is not None
    assert ml.retry("1", tenant_id="B") == ml.conference("1", tenant_id="B")


def test_mail_of_one_tenants_event_1_goes_to_its_participants_only(tenants: Tenants) -> None:
    ml, sb = tenants.ml, tenants.sb
    sb.link_user("A", "1", "one@a.example")
    sb.link_user("B", "1", "one@b.example")
    a = ml.save_event(tenants.event("A", "1", owner="1")).conference
    b = ml.save_event(tenants.event("B", "1", owner="1")).conference
    assert a is not None and b is not None and a.join_url and b.join_url
    ml.run_pending()
    by_recipient = {str(m["To"]): m for m in sb.outbox}
    assert set(by_recipient) == {"guest@a.example", "guest@b.example"}
    assert a.join_url in _text(by_recipient["guest@a.example"])
    assert b.join_url not in _text(by_recipient["guest@a.example"])
    assert b.join_url in _text(by_recipient["guest@b.example"])
    ml.delete_event("1", tenant_id="B")
    ml.run_pending()
    cancelled = [str(m["To"]) for m in sb.outbox[2:]]
    assert cancelled == ["guest@b.example"]


def _text(message: Any) -> str:
    return "\n".join(
        str(part.get_content()) for part in message.walk() if part.get_content_maintype() == "text"
    )


# -- S7-S9 across tenants ----------------------------------------------------------------


def test_a_takeover_from_another_tenant_tells_the_holders_tenant(tenants: Tenants) -> None:
    ml, sb = tenants.ml, tenants.sb
    _, zoom_user = sb.link_user("A", "u1", "shared@corp.example")
    issued = ml.save_event(tenants.event("A")).conference
    assert issued is not None
    request = ml.begin_link("B", "u2")
    params = sb.zoom.consent(request.authorize_url, zoom_user)
    taken = ml.complete_link(params["state"], code=params["code"], user_id="u2", tenant_id="B")
    assert (taken.tenant_id, taken.user_id) == ("B", "u2")
    assert ml.link("u1", tenant_id="A") is None
    assert [(n.kind, n.tenant_id, n.user_id) for n in tenants.notices] == [
        (HostNoticeKind.LINK_TAKEN_OVER, "A", "u1")
    ]
    assert tenants.revokes() == 0  # the grant is the new holder's too
    # A's meeting stays manageable through the account's new holder (S9).
    conference = ml.conference("e1", tenant_id="A")
    assert conference is not None and conference.status is issued.status


# -- finding 4: ids compared exactly on every database ------------------------------------

NFC = unicodedata.normalize("NFC", "jos\u00e9")
NFD = unicodedata.normalize("NFD", "jos\u00e9")


@pytest.mark.parametrize(
    ("stored", "other"),
    [("alice", "alice "), ("alice", "Alice"), (NFC, NFD)],
    ids=["trailing-space", "case", "nfc-nfd"],
)
def test_ids_that_differ_only_in_spaces_case_or_normalisation_are_other_ids(
    tenants: Tenants, stored: str, other: str
) -> None:
    ml = tenants.ml
    assert stored != other
    linked, _ = tenants.sb.link_user("A", stored, "held@corp.example")
    assert ml.link(other, tenant_id="A") is None
    assert ml.web_meeting_available("A", other) is False
    refused = ml.save_event(tenants.event("A", "e-other", owner=other))
    assert refused.conference is None and Refusal.NOT_LINKED in refused.refusals
    assert ml.unlink(other, tenant_id="A") is False
    assert ml.link(stored, tenant_id="A") == linked
    # Event ids and tenant ids too.
    issued = ml.save_event(tenants.event("A", stored, owner=stored)).conference
    assert issued is not None
    assert ml.event(other, tenant_id="A") is None
    assert ml.conference(other, tenant_id="A") is None
    assert ml.delete_event(other, tenant_id="A") is False
    assert ml.conference(stored, tenant_id="A") == issued
    ml.start_trial(other)
    assert ml.web_meeting_available(other, stored) is False
    assert ml.event(stored, tenant_id=other) is None
