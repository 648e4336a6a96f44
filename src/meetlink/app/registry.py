"""Video providers by key (stable strings stored in the database)."""

from __future__ import annotations

import difflib
import logging
from collections.abc import Iterable, Mapping

from meetlink.errors import ConfigurationError, UnknownProvider
from meetlink.ports.provider import VideoProvider

__all__ = ["ProviderRegistry"]

log = logging.getLogger("meetlink")


class ProviderRegistry:
    """The providers a MeetLink instance can use."""

    def __init__(self, providers: Mapping[str, VideoProvider] | Iterable[VideoProvider]) -> None:
        if not isinstance(providers, Iterable):
            raise ConfigurationError("providers: a list of providers (or a mapping by key)")
        if isinstance(providers, Mapping):
            pairs = list(providers.items())
        else:
            pairs = [(getattr(p, "key", None), p) for p in providers]
        self._by_key: dict[str, VideoProvider] = {}
        for key, provider in pairs:
            if not isinstance(key, str) or not key.strip():
                raise ConfigurationError(f"a provider needs a non-empty string key, not {key!r}")
            if getattr(provider, "key", key) != key:
                raise ConfigurationError(
                    f"provider {provider.key!r} is registered under another key, {key!r}"
                )
            if key in self._by_key:
                # Two providers under one key: links and meetings would reach either one.
                raise ConfigurationError(f"two providers are registered under the key {key!r}")
            self._by_key[key] = provider

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

    def close(self) -> None:
        """Close every provider that has a ``close()`` (their HTTP clients); one that
        fails to close is logged and the others are still closed."""
        for key, provider in self._by_key.items():
            close = getattr(provider, "close", None)
            if callable(close):
                try:
                    close()
                except Exception:
                    log.warning("closing provider %r failed", key, exc_info=True)

    def find(self, key: str | None) -> VideoProvider | None:
        """The provider for ``key`` or None."""
        return None if key is None else self._by_key.get(key)
