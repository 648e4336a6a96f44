"""Meeting bodies in the emulator: validation, the 201/GET shape, list pages (FACTS.md §3, §4).

Validation follows Zoom's limits: ``topic`` <= 200, ``agenda`` <= 2000, ``password`` <= 10
characters of ``[a-zA-Z0-9@-_*!]``, known ``type`` and IANA ``timezone``, and a type 8
``recurrence`` within §3.2 (intervals <= 90 days / 12 weeks / 3 months, ``end_times`` <= 60
as in Spec-2023b, never both ends); failures answer 400 ``{"code": 300, "message":
"Validation Failed.", "errors": [...]}``.

Recurring meetings: type 8 lists its ``occurrences`` (epoch-ms ``occurrence_id``, start,
duration, ``status: "available"``), laid out anew whenever the series' time or recurrence
changes; type 3 (no fixed time) has neither ``start_time`` nor occurrences.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from meetlink.adapters.zoom.recurrence import occurrence_id, rule_of, zoom_time

from .state import Reply, ZoomState, ZoomUser

__all__ = [
    "apply_changes",
    "change_occurrence",
    "list_meetings",
    "meeting_changes",
    "new_meeting",
    "upcoming_occurrences",
    "zoom_time",
]

_PASSWORD = re.compile(r"[a-zA-Z0-9@\-_*!]{1,10}")
_TYPES = (1, 2, 3, 8)
_DEFAULT_SETTINGS: dict[str, Any] = {
    "host_video": False,
    "participant_video": False,
    "join_before_host": False,
    "jbh_time": 0,
    "mute_upon_entry": False,
    "watermark": False,
    "use_pmi": False,
    "approval_type": 2,
    "audio": "voip",
    "auto_recording": "none",
    "waiting_room": False,
    "meeting_authentication": False,
    "private_meeting": False,
    "email_notification": True,
    "host_save_video_order": False,
    "alternative_host_update_polls": False,
}


_MAX_INTERVAL = {1: 90, 2: 12, 3: 3}  # FACTS.md §3.2 (days, weeks, months)


def _invalid(errors: list[dict[str, str]]) -> Reply:
    return Reply.json(400, {"code": 300, "message": "Validation Failed.", "errors": errors})


def _start(value: object, tz: str) -> datetime | None:
    """``start_time`` in GMT (``...Z``) or local time in ``tz``; None when unreadable."""
    if not isinstance(value, str):
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=ZoneInfo(tz))
    return parsed.astimezone(UTC)


def _timezone_ok(tz: object) -> bool:
    if not isinstance(tz, str) or not tz or ".." in tz or tz.startswith("/"):
        return False
    try:
        ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        return False
    return True


def _validate(body: bytes, current: Mapping[str, Any] | None) -> dict[str, Any] | Reply:
    """The accepted fields of a create/update body, or the 400 Zoom would send."""
    try:
        data = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        data = None
    if not isinstance(data, dict):
        return Reply.json(
            400, {"code": 300, "message": "Request Body should be a valid JSON object."}
        )
    errors: list[dict[str, str]] = []

    def bad(field: str, message: str = "Invalid field.") -> None:
        errors.append({"field": field, "message": message})

    accepted: dict[str, Any] = {}
    if "topic" in data:
        if not isinstance(data["topic"], str) or len(data["topic"]) > 200:
            bad("topic", "Topic can not exceed 200 characters.")
        accepted["topic"] = data["topic"]
    if "agenda" in data:
        if not isinstance(data["agenda"], str) or len(data["agenda"]) > 2000:
            bad("agenda", "Agenda can not exceed 2000 characters.")
        accepted["agenda"] = data["agenda"]
    if "type" in data:
        if data["type"] not in _TYPES or isinstance(data["type"], bool):
            bad("type")
        accepted["type"] = data["type"]
    if "password" in data:
        pw = data["password"]
        if not isinstance(pw, str) or (pw and not _PASSWORD.fullmatch(pw)):
            bad("password", "Password may only contain: a-z A-Z 0-9 @ - _ * ! (max 10).")
        accepted["password"] = pw
    if "duration" in data:
        d = data["duration"]
        if not isinstance(d, int) or isinstance(d, bool) or d < 0:
            bad("duration")
        accepted["duration"] = d
    tz = data.get("timezone", current.get("timezone") if current else None) or "UTC"
    if "timezone" in data and not _timezone_ok(data["timezone"]):
        bad("timezone")
        tz = "UTC"
    accepted["timezone"] = tz
    if "start_time" in data:
        start = _start(data["start_time"], tz)
        if start is None:
            bad("start_time")
        else:
            accepted["start_time"] = zoom_time(start)
    if "settings" in data:
        if isinstance(data["settings"], dict):
            accepted["settings"] = data["settings"]
        else:
            bad("settings")
    if "recurrence" in data:
        for field in _recurrence_errors(data["recurrence"]):
            bad(f"recurrence.{field}")
        accepted["recurrence"] = data["recurrence"]
    return _invalid(errors) if errors else accepted


def _int(value: object) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _recurrence_errors(value: object) -> list[str]:
    """The fields of a ``recurrence`` object Zoom would refuse (FACTS.md §3.2)."""
    if not isinstance(value, dict):
        return ["type"]
    errors: list[str] = []
    kind = _int(value.get("type"))
    if kind not in _MAX_INTERVAL:
        return ["type"]
    interval = value.get("repeat_interval", 1)
    if _int(interval) is None or not 1 <= interval <= _MAX_INTERVAL[kind]:
        errors.append("repeat_interval")
    if "end_times" in value and "end_date_time" in value:
        errors.append("end_date_time")  # "Cannot be used with end_times"
    times = value.get("end_times", 1)
    if _int(times) is None or not 1 <= times <= 60:
        errors.append("end_times")
    if "end_date_time" in value and _start(value["end_date_time"], "UTC") is None:
        errors.append("end_date_time")
    if kind == 2:
        days = value.get("weekly_days")  # a string "1,3"; Cal.com sends an int (§3.4)
        text = str(days) if _int(days) is not None else days
        names = text.split(",") if isinstance(text, str) else []
        if not names or any(d not in ("1", "2", "3", "4", "5", "6", "7") for d in names):
            errors.append("weekly_days")
    if kind == 3:
        if "monthly_week" in value or "monthly_week_day" in value:
            if value.get("monthly_week") not in (-1, 1, 2, 3, 4):
                errors.append("monthly_week")
            if value.get("monthly_week_day") not in range(1, 8):
                errors.append("monthly_week_day")
        elif _int(value.get("monthly_day", 1)) not in range(1, 32):
            errors.append("monthly_day")
    return errors


def _lay_out(meeting: dict[str, Any]) -> None:
    """Give a type 8 meeting its occurrences (and drop what other types do not have)."""
    kind = meeting.get("type")
    if kind != 8:
        meeting.pop("recurrence", None)
        meeting.pop("occurrences", None)
        if kind == 3:
            meeting.pop("start_time", None)  # no fixed time
        return
    recurrence = dict(meeting.get("recurrence") or {"type": 1})
    if "end_date_time" not in recurrence:
        recurrence.setdefault("end_times", 1)  # Zoom's default: one occurrence
    recurrence.setdefault("repeat_interval", 1)
    meeting["recurrence"] = recurrence
    start = _start(meeting["start_time"], "UTC")
    assert start is not None
    rule = rule_of(recurrence, start, meeting["timezone"])
    meeting["occurrences"] = [
        {
            "occurrence_id": occurrence_id(moment),
            "start_time": zoom_time(moment),
            "duration": meeting["duration"],
            "status": "available",
        }
        for moment in rule
    ]


def upcoming_occurrences(meeting: dict[str, Any], now: datetime) -> dict[str, Any]:
    """The Get-meeting answer: past occurrences are left out, as Zoom does unless asked for
    ``show_previous_occurrences``."""
    if "occurrences" not in meeting:
        return meeting
    shown = dict(meeting)
    shown["occurrences"] = [o for o in meeting["occurrences"] if _upcoming(o, now)]
    return shown


def change_occurrence(
    state: ZoomState, meeting: dict[str, Any], oid: str, method: str, body: bytes
) -> Reply:
    """``DELETE`` or ``PATCH /meetings/{id}?occurrence_id=``: drop one occurrence, or change
    its start and duration (§4.3: the occurrence keeps its id)."""
    found = [o for o in meeting.get("occurrences", []) if o["occurrence_id"] == oid]
    if not found:
        return Reply.json(400, {"code": 3000, "message": "Invalid occurrence_id."})
    if method == "DELETE":
        meeting["occurrences"].remove(found[0])
        return Reply(204)
    fields = _validate(body, meeting)
    if isinstance(fields, Reply):
        return fields
    if "start_time" in fields:
        found[0]["start_time"] = fields["start_time"]
    if "duration" in fields:
        found[0]["duration"] = fields["duration"]
    meeting["occurrences"].sort(key=lambda o: (o["start_time"], o["occurrence_id"]))
    return Reply(204)


def new_meeting(state: ZoomState, user: ZoomUser, body: bytes) -> dict[str, Any] | Reply:
    """The full Get-meeting JSON of a meeting created from ``body``, or an error reply."""
    fields = _validate(body, None)
    if isinstance(fields, Reply):
        return fields
    now = state.now()
    mid = state.rng.randrange(10**10, 10**11)
    while mid in state.meetings:
        mid = state.rng.randrange(10**10, 10**11)
    password: str = fields.get("password", "")
    encrypted = state.token("", 24)
    kind = fields.get("type", 2)
    meeting: dict[str, Any] = {
        "uuid": state.token("", 16)[:22] + "==",
        "id": mid,
        "host_id": user.id,
        "host_email": user.email,
        "assistant_id": "",
        "topic": fields.get("topic", "Zoom meeting"),
        "type": kind,
        "status": "waiting",
        "timezone": fields["timezone"],
        "agenda": fields.get("agenda", ""),
        "created_at": zoom_time(now),
        "start_url": f"https://us05web.zoom.us/s/{mid}?zak={state.token('eyJ', 30)}",
        "join_url": f"https://us05web.zoom.us/j/{mid}" + (f"?pwd={encrypted}" if password else ""),
        "password": password,
        "h323_password": "".join(str(state.rng.randrange(10)) for _ in range(6))
        if password
        else "",
        "encrypted_password": encrypted if password else "",
        "pre_schedule": False,
        "settings": {**_DEFAULT_SETTINGS, **fields.get("settings", {})},
    }
    if kind != 1:  # instant meetings have no start time (FACTS.md §3.3)
        meeting["start_time"] = fields.get("start_time", zoom_time(now))
        meeting["duration"] = fields.get("duration", 60)
    if kind == 8:
        meeting["recurrence"] = fields.get("recurrence")
    _lay_out(meeting)
    return meeting


def meeting_changes(
    state: ZoomState, user: ZoomUser, body: bytes, meeting: Mapping[str, Any]
) -> dict[str, Any] | Reply:
    """The keys a PATCH changes in ``meeting``, or an error reply."""
    fields = _validate(body, meeting)
    if isinstance(fields, Reply):
        return fields
    if "settings" in fields:
        fields["settings"] = {**meeting["settings"], **fields["settings"]}
    if "password" in fields and fields["password"] != meeting.get("password"):
        encrypted = state.token("", 24)
        fields["encrypted_password"] = encrypted
        fields["join_url"] = f"https://us05web.zoom.us/j/{meeting['id']}?pwd={encrypted}"
    return fields


def apply_changes(meeting: dict[str, Any], changes: dict[str, Any]) -> None:
    """Apply a PATCH; a change of the series' time, type or recurrence lays its occurrences
    out anew (earlier per-occurrence changes are gone)."""
    schedule = ("type", "start_time", "duration", "timezone", "recurrence")
    relay = any(k in changes and changes[k] != meeting.get(k) for k in schedule)
    if (
        changes.get("type") in (2, 8)
        and "start_time" not in meeting
        and "start_time" not in changes
    ):
        changes["start_time"] = meeting["created_at"]
    meeting.update(changes)
    if relay or meeting.get("type") != 8:
        _lay_out(meeting)


def _upcoming(meeting: Mapping[str, Any], now: datetime) -> bool:
    """Not over yet: a type 3 meeting never is; a type 8 one until its last occurrence."""
    occurrences = meeting.get("occurrences")
    if occurrences:
        return any(_upcoming(o, now) for o in occurrences)
    start = meeting.get("start_time")
    if not isinstance(start, str):
        return True
    begins = datetime.fromisoformat(start.replace("Z", "+00:00"))
    return begins + timedelta(minutes=int(meeting.get("duration") or 0)) >= now


def _list_item(meeting: Mapping[str, Any]) -> dict[str, Any]:
    keys = ("uuid", "id", "host_id", "topic", "type", "start_time", "duration", "timezone")
    item = {k: meeting[k] for k in keys if k in meeting}
    item.update(
        agenda=meeting.get("agenda", ""),
        created_at=meeting["created_at"],
        join_url=meeting["join_url"],
    )
    return item


def list_meetings(state: ZoomState, user: ZoomUser, query: Mapping[str, str]) -> Reply:
    """GET /v2/users/me/meetings: ``type`` scheduled (default) or upcoming, paged."""
    kind = query.get("type", "scheduled")
    if kind not in ("scheduled", "upcoming", "live", "upcoming_meetings", "previous_meetings"):
        return _invalid([{"field": "type", "message": "Invalid field."}])
    try:
        size = max(1, min(300, int(query.get("page_size", "30"))))
    except ValueError:
        size = 30
    now = state.now()
    mine = [m for m in state.meetings.values() if m["host_id"] == user.id and m["type"] != 1]
    if kind in ("upcoming", "upcoming_meetings"):
        mine = [m for m in mine if _upcoming(m, now)]
    elif kind == "live":
        mine = []
    elif kind == "previous_meetings":
        mine = [m for m in mine if not _upcoming(m, now)]
    mine.sort(key=lambda m: (m.get("start_time", ""), m["id"]))
    offset = 0
    token = query.get("next_page_token")
    if token:
        held = state.pages.get(token)
        if held is None or held[0] != user.id:
            return Reply.json(
                400, {"code": 300, "message": "The next page token is invalid or expired."}
            )
        offset = held[1]
    page = mine[offset : offset + size]
    next_token = ""
    if offset + size < len(mine):
        next_token = state.token("", 24)
        state.pages[next_token] = (user.id, offset + size)
    body = {
        "page_size": size,
        "total_records": len(mine),
        "next_page_token": next_token,
        "meetings": [_list_item(m) for m in page],
    }
    return Reply.json(200, body)
