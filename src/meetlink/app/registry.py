"""Video providers by key (stable strings stored in the database)."""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Mapping

from meetlink.errors import UnknownProvider
from meetlink.ports.provider import VideoProvider

__all__ = ["ProviderRegistry"]


class ProviderRegistry:
    """The providers a MeetLink instance can use."""

    def __init__(self, providers: Mapping[str, VideoProvider] | Iterable[VideoProvider]) -> None:
        self._by_key: dict[str, VideoProvider]
        if isinstance(providers, Mapping):
            self._by_key = dict(providers)
        else:
            self._by_key = {p.key: p for p in providers}

    def __contains__(self, key: object) -> bool:
        return key in self._by_key

    def keys(self) -> tuple[str, ...]:
        """The registered keys."""
        return tuple(sorted(self._by_key))

    def get(self, key: str) -> VideoProvider:
        """The provider for ``key``; UnknownProvider (with a "did you mean") otherwise."""
        try:
            return self._by_key[key]
        except KeyError:
            close = difflib.get_close_matches(key, self._by_key, n=3)
            raise UnknownProvider(key, tuple(close) or self.keys()) from None

    def find(self, key: str | None) -> VideoProvider | None:
        """The provider for ``key`` or None."""
        return None if key is None else self._by_key.get(key)
