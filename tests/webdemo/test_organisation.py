"""The web demo's admin screen for organisation links (docs/org-install.md): the admin links
the company's Zoom account and Microsoft tenant once, users who never linked get URLs, the
screen lists who the organisation serves; nobody else may use it."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import httpx
import pytest

from meetlink import ConferenceStatus, Event
from meetlink.webdemo.runtime import WebDemo

from .visitor import Visitor


@pytest.fixture
def visitor(web_demo: WebDemo) -> Iterator[Visitor]:
    v = Visitor(web_demo)
    v.post("/session/lang", {"lang": "en", "next": "/"})
    yield v
    v.close()


def _event(demo: WebDemo, event_id: str, owner: str, provider: str) -> Event:
    start = demo.clock.now() + timedelta(days=1)
    return Event(
        id=event_id,
        tenant_id="acme",
        owner_id=owner,
        title="Plan",
        start=start,
        end=start + timedelta(minutes=30),
        web_meeting=provider,
    )


def test_the_admin_links_the_organisation_and_sees_who_it_serves(visitor: Visitor) -> None:
    demo = visitor.demo
    visitor.sign_in_as("admin")
    visitor.post("/admin/contract", {"web_conference": "yes"})
    page = visitor.get("/admin/organisation")
    assert page.status_code == 200 and 'id="org-zoom-link"' in page.text

    back = visitor.consent_via("/admin/organisation/zoom/link", "admin@acme.example", "allow")
    assert "The organisation is linked with Zoom." in back.text
    assert "Linked by admin@acme.example" in back.text

    conf = demo.tenant.save_event(_event(demo, "e1", "alice", "zoom")).conference
    assert conf is not None and conf.status is ConferenceStatus.ISSUED
    assert demo.tenant.link("alice", "zoom") is None  # Alice never linked
    served = visitor.get("/admin/organisation").text
    zoom_part = served.split('id="org-zoom-users"', 1)[1].split("</table>", 1)[0]
    assert "Served by the organisation" in zoom_part and "alice@acme.example" in zoom_part

    # Teams: the admin's own link first, then the consent for the organisation
    visitor.link("teams", "admin@acme.example", "accept")
    back = visitor.consent_via("/admin/organisation/teams/link", "admin@acme.example", "accept")
    assert "The organisation is linked with Microsoft Teams." in back.text
    control = demo.controls["teams"]
    granted = httpx.post(f"{control.base_url}/_emulator/access-policy", json={"global": True})
    assert granted.status_code == 200
    conf = demo.tenant.save_event(_event(demo, "e2", "bob", "teams")).conference
    assert conf is not None and conf.status is ConferenceStatus.ISSUED

    unlinked = visitor.post("/admin/organisation/zoom/unlink", {"confirmed": "yes"})
    assert "Unlinked the organisation from Zoom." in unlinked.text
    assert demo.tenant.org_link("zoom") is None


def test_only_the_admin_may_link_the_organisation(visitor: Visitor) -> None:
    visitor.sign_in_as("alice")
    assert visitor.get("/admin/organisation").status_code == 403
    answer = visitor.http.post("/admin/organisation/zoom/link")
    assert answer.status_code == 403
    assert visitor.demo.tenant.org_link("zoom") is None


def test_unlinking_the_organisation_asks_first(visitor: Visitor) -> None:
    """Unlinking detaches every served user's meetings: as Unlink and Delete, it asks."""
    demo = visitor.demo
    demo.tenant.contract()
    visitor.sign_in_as("admin")
    visitor.consent_via("/admin/organisation/zoom/link", "admin@acme.example", "allow")
    asked = visitor.post("/admin/organisation/zoom/unlink")
    assert 'id="confirm-question"' in asked.text and "Unlink the organisation from Zoom?" in (
        asked.text
    )
    assert demo.tenant.org_link("zoom") is not None
    done = visitor.post("/admin/organisation/zoom/unlink", {"confirmed": "yes"})
    assert "Unlinked the organisation from Zoom." in done.text
    assert demo.tenant.org_link("zoom") is None


def test_a_refused_organisation_link_is_told_in_the_users_language(visitor: Visitor) -> None:
    """The callback's error is the catalogue's text, never the exception's English prose."""
    visitor.demo.tenant.contract()
    visitor.sign_in_as("admin")
    visitor.post("/session/lang", {"lang": "ja", "next": "/admin/organisation"})
    back = visitor.consent_via("/admin/organisation/zoom/link", "admin@acme.example", "deny")
    text = back.text
    assert "組織の連携に失敗しました" in text
    assert "Zoomの画面で許可されなかったため、連携していません。" in text
    assert "denied" not in text.lower() and "LinkDenied" not in text
    assert visitor.demo.tenant.org_link("zoom") is None
