"""Graph's onlineMeeting schemas (fixtures/graph_onlinemeeting_schemas.json, a subset of
/work/shared/teams/graph-v1.0-me-onlineMeetings.openapi-extract.json; provenance and
adaptations in its ``_source``) and a transport that checks traffic against them.

Request bodies the adapter sends and Graph response bodies the emulator returns through
:func:`checking` are validated with ``OAS30Validator`` (the extract uses the
3.0 ``nullable`` keyword). The schemas allow extra properties (onlineMeeting is an OData
OpenType), so :func:`unknown_meeting_properties` adds a stricter check of property names.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import httpx
from openapi_schema_validator import OAS30Validator, oas30_format_checker

from tests.providers.schemas import SchemaChecking

FIXTURE = Path(__file__).parent / "fixtures" / "graph_onlinemeeting_schemas.json"
DOCUMENT: dict[str, Any] = json.loads(FIXTURE.read_text(encoding="utf-8"))
SCHEMAS: dict[str, Any] = DOCUMENT["components"]["schemas"]
#: Properties real v1.0 answers carry beyond the schema (FACTS.md §2.1: OpenType extras).
OPEN_TYPE_EXTRAS = frozenset({"@odata.context", "joinUrl", "autoAdmittedUsers"})
_ONE = re.compile(r"/v1\.0/me/onlineMeetings/[^/]+")


def check(name: str, instance: Any) -> None:
    """Raise jsonschema's ValidationError when ``instance`` breaks component ``name`` (or
    ``"createOrGet_request"``, the action's request body)."""
    if name == "createOrGet_request":
        schema: dict[str, Any] = dict(DOCUMENT["createOrGet_request"])
    else:
        schema = {"allOf": [{"$ref": f"#/components/schemas/{name}"}]}
    schema["components"] = DOCUMENT["components"]
    OAS30Validator(schema, format_checker=oas30_format_checker).validate(instance)


def _properties(name: str) -> set[str]:
    found: set[str] = set()
    for part in SCHEMAS[name].get("allOf", [SCHEMAS[name]]):
        if "$ref" in part:
            found |= _properties(part["$ref"].rsplit("/", 1)[1])
        found |= set(part.get("properties", {}))
    return found


MEETING_PROPERTIES = frozenset(_properties("microsoft.graph.onlineMeeting"))


def unknown_meeting_properties(meeting: dict[str, Any]) -> set[str]:
    """Top-level names neither in the onlineMeeting schema nor a known OpenType extra."""
    return set(meeting) - MEETING_PROPERTIES - OPEN_TYPE_EXTRAS


_FOR_USER = re.compile(r"/v1\.0/users/[^/]+(?=/onlineMeetings|$)")


def _as_me(path: str) -> str:
    """``/v1.0/users/{id}/onlineMeetings...`` (an app-only token acting for a user) has the
    bodies of ``/v1.0/me/onlineMeetings...``, and ``/v1.0/users/{id | upn}`` a user's (Graph
    documents both paths on the same pages: application-post-onlinemeetings, user-get)."""
    return _FOR_USER.sub("/v1.0/me", path, count=1)


def _request_schema(method: str, path: str) -> str | None:
    path = _as_me(path)
    if method == "POST" and path == "/v1.0/me/onlineMeetings/createOrGet":
        return "createOrGet_request"
    if method in ("POST", "PATCH") and (path == "/v1.0/me/onlineMeetings" or _ONE.fullmatch(path)):
        return "microsoft.graph.onlineMeeting"
    return None


def _response_schema(method: str, path: str, status: int) -> str | None:
    path = _as_me(path)
    if not path.startswith("/v1.0/") or status == 204:
        return None
    if status >= 400:
        return "microsoft.graph.ODataErrors.ODataError"
    if path == "/v1.0/me":
        return "microsoft.graph.user_me"
    if path.startswith("/v1.0/me/onlineMeetings") and method in ("POST", "PATCH", "GET"):
        return (
            None
            if path == "/v1.0/me/onlineMeetings" and method == "GET"
            else ("microsoft.graph.onlineMeeting")
        )
    return None


def _check(name: str, body: Any) -> None:
    check(name, body)
    if name == "microsoft.graph.onlineMeeting":
        assert not unknown_meeting_properties(body), unknown_meeting_properties(body)


def _response_schemas(method: str, path: str, status: int) -> tuple[str, ...]:
    found = _response_schema(method, path, status)
    return () if found is None else (found,)


def checking(inner: httpx.BaseTransport) -> SchemaChecking:
    """``inner`` with every Graph body checked against the schema extract."""
    return SchemaChecking(
        inner, check=_check, request_schema=_request_schema, response_schemas=_response_schemas
    )
