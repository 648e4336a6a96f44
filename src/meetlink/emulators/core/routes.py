"""A route table instead of an if-chain (after moto's ``urls.py``): each
[`Route`][meetlink.emulators.core.routes.Route] names the methods and the path pattern it serves and
the handler that answers; the table serves the first route whose pattern matches the whole path and
whose methods include the request's, else its ``not_found`` answer.

A handler is called with the state (lock held), the request and the pattern's groups in
order, percent-decoded: ``handler(state, request, *groups) -> Reply``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from typing import Generic, TypeVar
from urllib.parse import unquote

import attrs

from .wire import Incoming, Reply

__all__ = ["Route", "Routes", "route"]

StateT = TypeVar("StateT")
Handler = Callable[..., Reply]


@attrs.frozen
class Route:
    """``methods`` (upper case) on paths that fully match ``pattern`` go to ``handler``."""

    methods: frozenset[str]
    pattern: re.Pattern[str]
    handler: Handler

    def groups(self, request: Incoming) -> tuple[str, ...] | None:
        """The pattern's groups (percent-decoded) when this route serves ``request``."""
        found = self.pattern.fullmatch(request.path)
        if found is None or request.method not in self.methods:
            return None
        return tuple(unquote(g) if g is not None else "" for g in found.groups())


def route(methods: str, pattern: str, handler: Handler) -> Route:
    """A [`Route`][meetlink.emulators.core.routes.Route]: ``methods`` separated by spaces (``"GET
    POST"``), ``pattern`` a regular expression for the whole path."""
    return Route(frozenset(methods.upper().split()), re.compile(pattern), handler)


class Routes(Generic[StateT]):
    """One provider's route table."""

    def __init__(self, routes: Sequence[Route], not_found: Callable[[StateT, Incoming], Reply]):
        self._routes = tuple(routes)
        self._not_found = not_found

    def __call__(self, state: StateT, request: Incoming) -> Reply:
        """Serve ``request`` with the first route that takes it."""
        for entry in self._routes:
            groups = entry.groups(request)
            if groups is not None:
                return entry.handler(state, request, *groups)
        return self._not_found(state, request)
