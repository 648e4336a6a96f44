"""Zoom webhook signing, verification and parsing (pure, no I/O).

Zoom signs ``"v0:" + x-zm-request-timestamp + ":" + raw body`` with HMAC-SHA256 under the
app's secret token and sends ``x-zm-signature: v0=<hex>`` (FACTS.md §6.1). Verification here:

- body larger than [`MAX_BODY`][meetlink.adapters.zoom.webhooks.MAX_BODY] ->
  ``WebhookRejected(413)``;
- signature or timestamp header missing -> 401; timestamp not a number -> 400;
- timestamp more than [`TOLERANCE_SECONDS`][meetlink.adapters.zoom.webhooks.TOLERANCE_SECONDS] away
  from ``now`` -> 401 (replay window);
- no configured secret matches (several are accepted, for rotation) -> 401;
- signed but not a JSON object with a string ``event`` (or nested too deep to read) -> 400;
- a ``plainToken`` or ``user_id`` that is no id (empty, longer than
  [`MAX_ID`][meetlink.adapters.zoom.webhooks.MAX_ID] characters, a control character or a lone
  surrogate) -> 400, before anything uses it.

Meetings changed on Zoom's own site (drift repair): ``meeting.deleted`` and
``meeting.updated`` become MEETING_DELETED / MEETING_CHANGED with ``payload.object.id`` (a
number or digits) as ``meeting_id`` and the meeting's host (``object.host_id``, else the
``operator_id`` who changed it) as ``external_account_id``; ``meeting.updated`` also carries
``object.start_time`` and ``object.duration`` when Zoom sent them (only what changed). One
that is not shaped so is of no interest (OTHER): 200, nothing changes.

Replay keys: a delivery is known by what it says happened and when. A deauthorization
without ``deauthorization_time`` or ``event_ts`` is known by its signed request timestamp
(which also dates it), so a second genuine removal after a relink is not taken for a replay.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from meetlink.errors import WebhookRejected
from meetlink.ports.provider import MAX_WEBHOOK_BYTES, WebhookKind, WebhookMessage

__all__ = [
    "MAX_BODY",
    "TOLERANCE_SECONDS",
    "parse_webhook",
    "sign_webhook",
    "url_validation_reply",
]

MAX_BODY = MAX_WEBHOOK_BYTES
TOLERANCE_SECONDS = 300
#: The longest ``plainToken`` or ``user_id`` taken (Zoom's are about 22 characters).
MAX_ID = 191
_TIMESTAMP = re.compile(r"[0-9]{1,12}")
_NOT_ID = re.compile(r"[\x00-\x1f\x7f\ud800-\udfff]")


def _id(payload: dict[str, Any], name: str, event: str) -> str:
    """``payload[name]`` if it is an id (text meetlink can encode, look up and store)."""
    value = payload.get(name)
    if not isinstance(value, str) or not value or len(value) > MAX_ID or _NOT_ID.search(value):
        raise WebhookRejected(400, f"{event}: payload.{name} is not an id")
    return value


def sign_webhook(secret: str, timestamp: str, body: bytes) -> str:
    """The ``x-zm-signature`` value Zoom sends for ``body`` at ``timestamp`` (Unix seconds)."""
    message = b"v0:" + timestamp.encode("ascii") + b":" + body
    return "v0=" + hmac.new(secret.encode("utf-8"), message, hashlib.sha256).hexdigest()


def url_validation_reply(secret: str, plain_token: str) -> bytes:
    """The JSON reply to ``endpoint.url_validation`` (FACTS.md §6.2)."""
    encrypted = hmac.new(
        secret.encode("utf-8"), plain_token.encode("utf-8"), hashlib.sha256
    ).hexdigest()
    return json.dumps({"plainToken": plain_token, "encryptedToken": encrypted}).encode("utf-8")


def _lower(headers: Mapping[str, str]) -> dict[str, str]:
    return {str(k).lower(): str(v) for k, v in headers.items()}


def _matching_secret(secrets: Sequence[str], timestamp: str, body: bytes, given: str) -> str:
    given_bytes = given.strip().encode("utf-8", "replace")
    found: str | None = None
    for secret in secrets:
        expected = sign_webhook(secret, timestamp, body).encode("ascii")
        # Check every secret (no early exit) so timing does not tell which one matched.
        if hmac.compare_digest(expected, given_bytes) and found is None:
            found = secret
    if found is None:
        raise WebhookRejected(401, "webhook signature does not match")
    return found


def _verified(
    headers: Mapping[str, str], body: bytes, now: datetime, secrets: Sequence[str]
) -> tuple[str, dict[str, Any]]:
    """The matching secret and the decoded JSON object, or WebhookRejected."""
    if len(body) > MAX_BODY:
        raise WebhookRejected(413, f"webhook body larger than {MAX_BODY} bytes")
    if not secrets:
        raise WebhookRejected(401, "no webhook secret is configured")
    lowered = _lower(headers)
    signature = lowered.get("x-zm-signature")
    timestamp = lowered.get("x-zm-request-timestamp")
    if signature is None or timestamp is None:
        raise WebhookRejected(401, "webhook signature or timestamp header missing")
    timestamp = timestamp.strip()
    if not _TIMESTAMP.fullmatch(timestamp):
        raise WebhookRejected(400, "webhook timestamp is not Unix seconds")
    if abs(now.timestamp() - int(timestamp)) > TOLERANCE_SECONDS:
        raise WebhookRejected(401, "webhook timestamp outside the accepted window")
    secret = _matching_secret(secrets, timestamp, body, signature)
    try:
        data = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise WebhookRejected(400, "webhook body is not JSON") from exc
    except RecursionError:  # arrays or objects nested ~1,000 deep: no webhook looks like that
        raise WebhookRejected(400, "webhook body is nested too deeply") from None
    if not isinstance(data, dict) or not isinstance(data.get("event"), str):
        raise WebhookRejected(400, "webhook body has no event name")
    return secret, data


def _sent_at(headers: Mapping[str, str]) -> datetime:
    """The signed ``x-zm-request-timestamp`` (already checked to be Unix seconds)."""
    return datetime.fromtimestamp(int(_lower(headers)["x-zm-request-timestamp"].strip()), UTC)


def _time(value: object) -> datetime | None:
    """``deauthorization_time`` (ISO-8601) or ``event_ts`` (epoch ms) as aware UTC."""
    if isinstance(value, str):
        try:
            parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return None
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
    if isinstance(value, int) and not isinstance(value, bool) and 0 < value < 10**14:
        return datetime.fromtimestamp(value / 1000, UTC)
    return None


def _key(*parts: object) -> str:
    digest = hashlib.sha256("\x1f".join(str(p) for p in parts).encode("utf-8", "replace"))
    return "zoom:" + digest.hexdigest()[:40]


def parse_webhook(
    headers: Mapping[str, str],
    body: bytes,
    now: datetime,
    secrets: Sequence[str],
    org_client_id: str | None = None,
) -> WebhookMessage:
    """Verify and parse a Zoom webhook request; see the module docstring for the rules.
    ``org_client_id``: the admin-managed app's client id; its ``app_deauthorized`` (the
    account's admin removed it) ends the account's organisation link."""
    secret, data = _verified(headers, body, now, secrets)
    event: str = data["event"]
    payload = data.get("payload")
    payload = payload if isinstance(payload, dict) else {}
    event_ts = data.get("event_ts")
    if event == "endpoint.url_validation":
        plain = _id(payload, "plainToken", event)
        return WebhookMessage(
            kind=WebhookKind.URL_VALIDATION,
            delivery_key=_key(event, plain, event_ts),
            reply_body=url_validation_reply(secret, plain),
        )
    if event == "app_deauthorized":
        user_id = _id(payload, "user_id", event)
        when = payload.get("deauthorization_time")
        dated = when if when is not None else event_ts
        sent_at = _sent_at(headers)
        account = payload.get("account_id")
        organisation = (
            account
            if org_client_id and payload.get("client_id") == org_client_id
            and isinstance(account, str) and account
            else None
        )  # fmt: skip
        return WebhookMessage(
            kind=WebhookKind.DEAUTHORIZED,
            # Undated by Zoom: the signed send time tells two removals apart (a replay
            # repeats it) and dates the removal (never applied to a later link).
            delivery_key=_key(event, user_id, dated if dated is not None else sent_at),
            external_account_id=None if organisation else user_id,
            organisation_id=organisation,
            occurred_at=_time(when) or _time(event_ts) or sent_at,
            # Zoom sends "false" (text) when the user wants their data deleted.
            erase_data=payload.get("user_data_retention") in (False, "false"),
        )
    if event in ("meeting.deleted", "meeting.updated"):
        found = _meeting(event, payload, body, event_ts)
        if found is not None:
            return found
    return WebhookMessage(
        kind=WebhookKind.OTHER,
        delivery_key=_key(event, hashlib.sha256(body).hexdigest()),
        occurred_at=_time(event_ts),
    )


def _meeting(
    event: str, payload: dict[str, Any], body: bytes, event_ts: object
) -> WebhookMessage | None:
    """A meeting deleted or changed on Zoom's site, or None when the payload names no meeting
    and host meetlink could look up."""
    thing = payload.get("object")
    if not isinstance(thing, dict):
        return None
    raw_id = thing.get("id")
    if isinstance(raw_id, bool) or not isinstance(raw_id, int | str):
        return None
    meeting_id = str(raw_id)
    if not meeting_id.isascii() or not meeting_id.isdigit() or len(meeting_id) > 20:
        return None
    host = thing.get("host_id", payload.get("operator_id"))
    if not isinstance(host, str) or not host or len(host) > MAX_ID or _NOT_ID.search(host):
        return None
    deleted = event == "meeting.deleted"
    duration = thing.get("duration")
    return WebhookMessage(
        kind=WebhookKind.MEETING_DELETED if deleted else WebhookKind.MEETING_CHANGED,
        delivery_key=_key(event, hashlib.sha256(body).hexdigest()),
        external_account_id=host,
        occurred_at=_time(event_ts),
        meeting_id=meeting_id,
        start=None if deleted else _time(thing.get("start_time")),
        duration_minutes=duration
        if not deleted
        and isinstance(duration, int)
        and not isinstance(duration, bool)
        and 0 < duration < 100_000
        else None,
    )
