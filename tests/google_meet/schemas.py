"""Meet v2 schemas derived from the protos (fixtures/meet_v2_schemas.json; provenance in its
``_source``) and a transport that checks every body the adapter sends and the emulator answers
against them."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import httpx
from jsonschema import Draft7Validator

from tests.providers.schemas import SchemaChecking

FIXTURE = Path(__file__).parent / "fixtures" / "meet_v2_schemas.json"
DOCUMENT: dict[str, Any] = json.loads(FIXTURE.read_text(encoding="utf-8"))
_ONE = re.compile(r"/v2/spaces/[^/:]+")


def check(name: str, instance: Any) -> None:
    """Raise jsonschema's ValidationError when ``instance`` breaks definition ``name``."""
    schema = {"$ref": f"#/definitions/{name}", "definitions": DOCUMENT["definitions"]}
    Draft7Validator(schema).validate(instance)


def _request_schema(method: str, path: str) -> str | None:
    if method == "POST" and path == "/v2/spaces":
        return "SpaceInput"
    if method == "PATCH" and _ONE.fullmatch(path):
        return "SpaceInput"
    if method == "POST" and path.endswith(":endActiveConference"):
        return "Empty"
    return None


def _response_schemas(method: str, path: str, status: int) -> Iterable[str]:
    if path.startswith("/v2/"):
        if status >= 400:
            return ["Status"]
        return ["Empty"] if path.endswith(":endActiveConference") else ["Space"]
    if path in ("/token", "/revoke"):
        if status >= 400:
            return ["OAuthError"]
        return ["TokenAnswer"] if path == "/token" else []
    if path == "/v1/userinfo" and status == 200:
        return ["UserInfo"]
    return []


def checking(inner: httpx.BaseTransport) -> SchemaChecking:
    """``inner`` wrapped in the schema checks."""
    return SchemaChecking(
        inner, check=check, request_schema=_request_schema, response_schemas=_response_schemas
    )
