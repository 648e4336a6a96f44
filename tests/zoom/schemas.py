"""Zoom's OpenAPI schemas (fixtures/zoom_schemas.json) and a transport that checks traffic.

Every request body the adapter sends and every response body the emulator returns through
:func:`checking` is validated with ``OAS30Validator``.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import httpx
from jsonschema import ValidationError
from openapi_schema_validator import OAS30Validator, oas30_format_checker

from tests.providers.schemas import SchemaChecking

FIXTURE = Path(__file__).parent / "fixtures" / "zoom_schemas.json"
SCHEMAS: dict[str, Any] = json.loads(FIXTURE.read_text(encoding="utf-8"))


def _weekly_days_as_the_spec_describes(instance: Any) -> Any:
    """The spec's ``weekly_days`` enum lists single days ("1".."7") while its description,
    in both copies, says several days go comma-separated ("1,3": Sundays and Tuesdays).
    Each day of such a value is checked against the enum; the value is then validated as
    its first day (everything else in the instance is validated untouched)."""
    if not isinstance(instance, dict) or not isinstance(instance.get("recurrence"), dict):
        return instance
    days = instance["recurrence"].get("weekly_days")
    if not isinstance(days, str) or "," not in days:
        return instance
    enum = SCHEMAS["meeting_create_request"]["properties"]["recurrence"]["properties"]
    allowed = enum["weekly_days"]["enum"]
    for day in days.split(","):
        if day not in allowed:
            raise ValidationError(f"weekly_days day {day!r} is not one of {allowed}")
    return {**instance, "recurrence": {**instance["recurrence"], "weekly_days": days[0]}}


def check(name: str, instance: Any) -> None:
    """Raise jsonschema's ValidationError when ``instance`` breaks schema ``name``."""
    instance = _weekly_days_as_the_spec_describes(instance)
    OAS30Validator(SCHEMAS[name], format_checker=oas30_format_checker).validate(instance)


def _request_schema(method: str, path: str) -> str | None:
    if method == "POST" and re.fullmatch(r"/v2/users/[^/]+/meetings", path):
        return "meeting_create_request"
    if method == "PATCH" and re.fullmatch(r"/v2/meetings/\d+", path):
        return "meeting_update_request"
    return None


def _response_schemas(method: str, path: str, status: int) -> tuple[str, ...]:
    if method == "POST" and status == 201 and path.endswith("/meetings"):
        return ("meeting_create_response", "meeting_get_response")
    if method != "GET" or status != 200:
        return ()
    if re.fullmatch(r"/v2/users/[^/]+/meetings", path):
        return ("meetings_list_response",)
    if re.fullmatch(r"/v2/users/[^/]+/settings", path):
        return ("user_settings_response",)
    if re.fullmatch(r"/v2/users/[^/]+", path):
        return ("user_get_response",)
    if re.fullmatch(r"/v2/meetings/\d+", path):
        return ("meeting_get_response",)
    return ()


def checking(inner: httpx.BaseTransport) -> SchemaChecking:
    """``inner`` with every Zoom body checked against Zoom's OpenAPI schemas."""
    return SchemaChecking(
        inner, check=check, request_schema=_request_schema, response_schemas=_response_schemas
    )
