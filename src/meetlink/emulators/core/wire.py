"""What passes between a client and an emulator: the request as a handler reads it
([`Incoming`][meetlink.emulators.core.wire.Incoming]) and its answer
([`Reply`][meetlink.emulators.core.wire.Reply]), both plain values.

One ``dispatch(method, target, headers, body) -> Reply`` function per emulator serves both the
in-process transport and the loopback HTTP server (``loopback``). A reply marked ``drop``
was applied, then its connection is lost (a lost answer).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import Any, ClassVar, Self
from urllib.parse import parse_qsl, urlencode, urlsplit

import attrs

__all__ = ["Dispatch", "Incoming", "Reply", "split_target"]


@attrs.frozen
class Reply:
    """An emulator's answer. ``drop``: the request was applied, then the connection closes
    without an answer. A provider whose JSON carries another ``Content-Type`` spelling sets
    ``json_type`` on a subclass."""

    json_type: ClassVar[str] = "application/json; charset=utf-8"

    status: int
    body: bytes = b""
    headers: Mapping[str, str] = attrs.field(factory=dict)
    drop: bool = False

    @classmethod
    def json(cls, status: int, data: Any, headers: Mapping[str, str] | None = None) -> Self:
        """A JSON answer."""
        merged = {"Content-Type": cls.json_type, **(headers or {})}
        return cls(status, json.dumps(data).encode("utf-8"), merged)

    @classmethod
    def html(cls, status: int, text: str) -> Self:
        """An HTML page."""
        return cls(status, text.encode("utf-8"), {"Content-Type": "text/html; charset=utf-8"})

    @classmethod
    def xml(cls, status: int, text: str) -> Self:
        """An XML answer."""
        return cls(status, text.encode("utf-8"), {"Content-Type": "application/xml;charset=UTF-8"})

    @classmethod
    def redirect(cls, location: str, query: Mapping[str, str]) -> Self:
        """A 302 to ``location`` with ``query`` added to its query string."""
        separator = "&" if "?" in location else "?"
        return cls(302, b"", {"Location": location + separator + urlencode(query)})

    def with_headers(self, extra: Mapping[str, str]) -> Self:
        """This answer with ``extra`` headers added (or replaced)."""
        return attrs.evolve(self, headers={**self.headers, **extra}) if extra else self


@attrs.frozen
class Incoming:
    """A request as a handler sees it: method in upper case, the path without its query
    (still percent-encoded), the query parameters, lower-case header names, the raw body."""

    method: str
    path: str
    query: Mapping[str, str]
    headers: Mapping[str, str] = attrs.field(repr=False)
    body: bytes = attrs.field(repr=False)
    query_string: str = ""

    @classmethod
    def parse(cls, method: str, target: str, headers: Mapping[str, str], body: bytes) -> Incoming:
        """A raw request (``target``: the path with its query string)."""
        parts = urlsplit(target)
        query = dict(parse_qsl(parts.query, keep_blank_values=True))
        return cls(method.upper(), parts.path or "/", query, dict(headers), body, parts.query)

    def form(self, *, with_query: bool = False) -> dict[str, str]:
        """The form body (``application/x-www-form-urlencoded``); ``with_query``: merged
        over the query parameters (Zoom accepts both)."""
        fields = dict(self.query) if with_query else {}
        try:
            text = self.body.decode("utf-8")
        except UnicodeDecodeError:
            return fields
        fields.update(dict(parse_qsl(text, keep_blank_values=True)))
        return fields

    def json_object(self) -> dict[str, Any] | None:
        """The JSON object in the body; None when the body is not one."""
        try:
            data = json.loads(self.body.decode("utf-8") or "null")
        except (UnicodeDecodeError, ValueError):
            return None
        return data if isinstance(data, dict) else None


#: ``dispatch(method, target, headers, body)``: ``target`` is the path with its query string,
#: header names are lower-case.
Dispatch = Callable[[str, str, dict[str, str], bytes], Reply]


def split_target(target: str) -> tuple[str, dict[str, str]]:
    """A request target split into its path and its query parameters."""
    parts = urlsplit(target)
    return parts.path or "/", dict(parse_qsl(parts.query, keep_blank_values=True))
