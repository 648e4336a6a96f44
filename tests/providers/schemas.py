"""A transport that checks every body a provider adapter sends and gets against the
provider's published schemas (each provider names its schemas and its checker)."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from typing import Any

import httpx

#: ``(method, path) -> schema name or None`` for request bodies.
RequestSchema = Callable[[str, str], str | None]
#: ``(method, path, status) -> schema names`` for answer bodies.
ResponseSchemas = Callable[[str, str, int], Iterable[str]]


class SchemaChecking(httpx.BaseTransport):
    """Wraps a transport; validates request and response bodies with ``check(name, body)``;
    records what it checked in :attr:`checked`."""

    def __init__(
        self,
        inner: httpx.BaseTransport,
        *,
        check: Callable[[str, Any], None],
        request_schema: RequestSchema,
        response_schemas: ResponseSchemas,
    ) -> None:
        self.inner = inner
        self.checked: list[str] = []
        self._check = check
        self._request_schema = request_schema
        self._response_schemas = response_schemas

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        """Validate, forward, validate."""
        path = request.url.path
        name = self._request_schema(request.method, path)
        if name is not None:
            self._check(name, json.loads(request.read()))
            self.checked.append(name)
        response = self.inner.handle_request(request)
        response.read()
        for schema in self._response_schemas(request.method, path, response.status_code):
            self._check(schema, json.loads(response.content))
            self.checked.append(schema)
        return response

    def close(self) -> None:
        """Close the inner transport."""
        self.inner.close()
