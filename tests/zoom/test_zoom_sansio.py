"""The pure request builders and response parsers (sansio), checked against Zoom's schemas."""

from __future__ import annotations

import base64
import json
import re
from datetime import UTC, datetime, timedelta, timezone
from urllib.parse import parse_qs, urlsplit

from hypothesis import given, settings
from hypothesis import strategies as st

from meetlink.adapters.zoom import ZOOM_CAPABILITIES, ZoomProvider, sansio
from meetlink.domain.conference import MeetingTerms
from meetlink.ports.provider import MeetingRequest

from .schemas import check

NOW = datetime(2025, 3, 10, 9, 0, tzinfo=UTC)
JST = timezone(timedelta(hours=9))
PASSCODE = re.compile(r"[a-zA-Z0-9@\-_*!]{1,10}")


def _request(topic: str = "Sync", agenda: str = "", marker: str = "mk-1") -> MeetingRequest:
    terms = MeetingTerms(
        topic=topic,
        start=datetime(2025, 3, 11, 18, 30, 15, 999, tzinfo=JST),
        duration_minutes=45,
        timezone="Asia/Tokyo",
        agenda=agenda,
    )
    return MeetingRequest(terms=terms, marker=marker)


def test_authorization_url() -> None:
    url = sansio.authorization_url(
        "https://zoom.us/",
        client_id="cid",
        redirect_uri="https://app.example/cb?x=1",
        state="st",
        code_challenge="ch",
    )
    parts = urlsplit(url)
    assert (parts.scheme, parts.netloc, parts.path) == ("https", "zoom.us", "/oauth/authorize")
    assert parse_qs(parts.query) == {
        "response_type": ["code"],
        "client_id": ["cid"],
        "redirect_uri": ["https://app.example/cb?x=1"],
        "state": ["st"],
        "code_challenge": ["ch"],
        "code_challenge_method": ["S256"],
    }


def test_token_requests_keep_secrets_out_of_the_url() -> None:
    built = sansio.exchange_request(
        "https://zoom.us",
        client_id="cid",
        client_secret="csecret",
        redirect_uri="https://app.example/cb",
        code="the-code",
        code_verifier="the-verifier",
    )
    assert built.method == "POST" and built.url == "https://zoom.us/oauth/token"
    assert built.headers["Authorization"] == "Basic " + base64.b64encode(b"cid:csecret").decode()
    assert built.headers["Content-Type"] == "application/x-www-form-urlencoded"
    assert parse_qs(built.body.decode()) == {
        "grant_type": ["authorization_code"],
        "code": ["the-code"],
        "redirect_uri": ["https://app.example/cb"],
        "code_verifier": ["the-verifier"],
    }
    assert "the-code" not in repr(built) and "csecret" not in repr(built)
    refresh = sansio.refresh_request(
        "https://zoom.us", client_id="cid", client_secret="csecret", refresh_token="rt"
    )
    assert refresh.url == "https://zoom.us/oauth/token"
    assert parse_qs(refresh.body.decode()) == {
        "grant_type": ["refresh_token"],
        "refresh_token": ["rt"],
    }
    revoke = sansio.revoke_request("https://zoom.us", client_id="c", client_secret="s", token="t")
    assert revoke.url == "https://zoom.us/oauth/revoke" and revoke.body == b"token=t"


def test_create_body_shape() -> None:
    built = sansio.create_meeting_request(
        "https://api.zoom.us", "at", _request(agenda="Bring notes")
    )
    assert built.url == "https://api.zoom.us/v2/users/me/meetings"
    assert built.headers["Authorization"] == "Bearer at"
    body = json.loads(built.body)
    check("meeting_create_request", body)
    assert body["type"] == 2
    assert body["start_time"] == "2025-03-11T09:30:15Z"
    assert body["timezone"] == "Asia/Tokyo" and body["duration"] == 45
    assert body["agenda"] == "Bring notes\n\n[meetlink:mk-1]"
    assert PASSCODE.fullmatch(body["password"])


def test_update_body_shape() -> None:
    built = sansio.update_meeting_request("https://api.zoom.us", "at", "85746065432", _request())
    assert (built.method, built.url) == ("PATCH", "https://api.zoom.us/v2/meetings/85746065432")
    body = json.loads(built.body)
    check("meeting_update_request", body)
    assert "password" not in body and body["agenda"] == "[meetlink:mk-1]"


def test_passcodes_are_valid_and_varied() -> None:
    codes = {sansio.generate_passcode() for _ in range(200)}
    assert len(codes) == 200
    for code in codes:
        assert PASSCODE.fullmatch(code) and len(code) <= 10
        assert any(c.isdigit() for c in code) and any(c.isalpha() for c in code)


@settings(max_examples=150, deadline=None)
@given(
    topic=st.text(max_size=400),
    agenda=st.text(max_size=2600),
    marker=st.text(
        alphabet=st.characters(blacklist_characters="]\r\n", blacklist_categories=["Cs"]),
        min_size=1,
        max_size=100,
    ),
)
def test_any_terms_make_a_valid_body_whose_marker_reads_back(
    topic: str, agenda: str, marker: str
) -> None:
    body = json.loads(
        sansio.create_meeting_request(
            "https://api.zoom.us", "at", _request(topic, agenda, marker)
        ).body
    )
    check("meeting_create_request", body)
    assert sansio.marker_of(body["agenda"]) == marker


def test_parse_account_plans() -> None:
    for kind, plan in [(1, "basic"), (2, "licensed"), (3, "licensed"), (99, "licensed")]:
        raw = json.dumps({"id": "u", "account_id": "a", "email": "e@x", "type": kind}).encode()
        assert sansio.parse_account(200, {}, raw, NOW).plan == plan


def test_parse_meeting_keeps_big_ids_as_strings() -> None:
    raw = json.dumps(
        {
            "id": 85746065432123,
            "join_url": "https://us05web.zoom.us/j/85746065432123?pwd=x",
            "password": "",
            "topic": "T",
            "start_time": "2022-03-25T07:29:29Z",
            "duration": 30,
            "timezone": "Asia/Tokyo",
            "agenda": "x\n\n[meetlink:abc]",
        }
    ).encode()
    meeting = sansio.parse_meeting(200, {}, raw, NOW)
    assert meeting.meeting_id == "85746065432123"
    assert meeting.passcode is None and meeting.marker == "abc"
    assert meeting.start == datetime(2022, 3, 25, 7, 29, 29, tzinfo=UTC)


def test_capabilities_are_data() -> None:
    assert ZOOM_CAPABILITIES.display_name == "Zoom"
    assert ZOOM_CAPABILITIES.free_plan_minutes == 40
    assert ZOOM_CAPABILITIES.idempotent_create is False
    assert ZOOM_CAPABILITIES.host_start_url and ZOOM_CAPABILITIES.deauthorization_webhook
    assert ZOOM_CAPABILITIES.supports_recurring  # R2: one type 8/3 meeting per series
    assert ZOOM_CAPABILITIES.recurrence is not None
    assert ZOOM_CAPABILITIES.needs_link
    with ZoomProvider(
        client_id="c", client_secret="sekrit-1", redirect_uri="https://a/cb"
    ) as provider:
        assert provider.key == "zoom" and provider.capabilities is ZOOM_CAPABILITIES
        assert "sekrit-1" not in repr(provider)
