"""The pure Teams protocol core: request building and answer parsing without I/O."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import pytest

from meetlink.adapters.teams import sansio
from meetlink.domain.conference import MeetingTerms
from meetlink.errors import ProviderRejected
from meetlink.ports.provider import MeetingRequest

from .conftest import T0
from .schemas import check

REQUEST = MeetingRequest(
    terms=MeetingTerms(
        topic="Sync", start=datetime(2025, 3, 11, 18, 0, tzinfo=UTC), duration_minutes=45,
        timezone="Asia/Tokyo",
    ),
    marker="mk-7",
)  # fmt: skip


def test_authorization_url_on_a_configured_authority() -> None:
    url = sansio.authorization_url(
        "http://127.0.0.1:9/",
        "contoso.onmicrosoft.com",
        client_id="cid",
        redirect_uri="https://app/cb?x=1",
        state="s",
        code_challenge="c",
        prompt="select_account",
    )
    parts = urlsplit(url)
    query = {k: v[0] for k, v in parse_qs(parts.query).items()}
    assert parts.netloc == "127.0.0.1:9"
    assert parts.path == "/contoso.onmicrosoft.com/oauth2/v2.0/authorize"
    assert query["redirect_uri"] == "https://app/cb?x=1" and query["prompt"] == "select_account"
    assert query["response_mode"] == "query" and query["scope"] == sansio.SCOPES


def test_token_requests_put_the_secret_and_verifier_in_the_body() -> None:
    built = sansio.exchange_request(
        "https://login", "organizations", client_id="cid", client_secret="sec",
        redirect_uri="https://app/cb", code="the-code", code_verifier="ver",
    )  # fmt: skip
    form = {k: v[0] for k, v in parse_qs(built.body.decode()).items()}
    assert built.url == "https://login/organizations/oauth2/v2.0/token"
    assert form["client_secret"] == "sec" and form["code_verifier"] == "ver"
    assert form["grant_type"] == "authorization_code" and "Authorization" not in built.headers
    assert "sec" not in repr(built) and "the-code" not in repr(built)
    refresh = sansio.refresh_request(
        "https://login", "organizations", client_id="cid", client_secret="sec", refresh_token="rt"
    )
    form = {k: v[0] for k, v in parse_qs(refresh.body.decode()).items()}
    assert form["grant_type"] == "refresh_token" and form["refresh_token"] == "rt"


def test_create_or_get_body_matches_the_schema() -> None:
    built = sansio.create_or_get_request("https://graph", "at", REQUEST)
    body = json.loads(built.body)
    check("createOrGet_request", body)
    assert body == {
        "externalId": "mk-7",
        "subject": "Sync",
        "startDateTime": "2025-03-11T18:00:00Z",
        "endDateTime": "2025-03-11T18:45:00Z",
    }
    patch = sansio.update_meeting_request("https://graph", "at", "a/b", REQUEST)
    check("microsoft.graph.onlineMeeting", json.loads(patch.body))
    assert patch.url == "https://graph/v1.0/me/onlineMeetings/a%2Fb"


def test_empty_marker_is_refused() -> None:
    with pytest.raises(ProviderRejected):
        sansio.create_or_get_request(
            "https://graph", "at", MeetingRequest(terms=REQUEST.terms, marker="")
        )


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2025-03-11T18:00:00Z", datetime(2025, 3, 11, 18, tzinfo=UTC)),
        ("2025-03-11T18:00:00.2444915Z", datetime(2025, 3, 11, 18, 0, 0, 244491, tzinfo=UTC)),
        ("2025-03-12T03:00:00+09:00", datetime(2025, 3, 11, 18, tzinfo=UTC)),
        ("2025-03-11T18:00:00.0000000", datetime(2025, 3, 11, 18, tzinfo=UTC)),
        ("0001-01-01T00:00:00Z", None),
        ("yesterday", None),
        (None, None),
    ],
)
def test_parse_time(text: str | None, expected: datetime | None) -> None:
    assert sansio.parse_time(text) == expected


def test_tenant_comes_from_the_id_token() -> None:
    claims = base64.urlsafe_b64encode(json.dumps({"tid": "t-1"}).encode()).decode().rstrip("=")
    body = json.dumps(
        {"access_token": "opaque", "refresh_token": "rt", "expires_in": "3599",
         "id_token": f"h.{claims}.s", "scope": "User.Read"}
    ).encode()  # fmt: skip
    tokens = sansio.parse_tokens(200, {}, body, T0)
    assert tokens.tenant_id == "t-1"
    assert tokens.token_set.expires_at == T0 + timedelta(seconds=3599)
    assert sansio.jwt_claims("not-a-jwt") == {} and sansio.jwt_claims("a.!!.c") == {}


def test_existing_meeting_compared_with_the_terms() -> None:
    meeting = sansio.meeting_from_json(
        {
            "id": "m",
            "joinWebUrl": "https://teams/x",
            "subject": "Sync",
            "startDateTime": "2025-03-11T18:00:00.0000000Z",
            "endDateTime": "2025-03-11T18:45:00.0000000Z",
            "joinMeetingIdSettings": {"passcode": "Ab12cd"},
        }
    )
    assert meeting.passcode == "Ab12cd" and meeting.marker is None
    assert not sansio.meeting_terms_differ(meeting, REQUEST)
    later = MeetingRequest(
        terms=MeetingTerms(
            topic="Sync", start=REQUEST.terms.start + timedelta(hours=1), duration_minutes=45,
            timezone="UTC",
        ),
        marker="mk-7",
    )  # fmt: skip
    assert sansio.meeting_terms_differ(meeting, later)
