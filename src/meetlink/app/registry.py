"""Video providers by key (stable strings stored in the database).

Checked at construction (docs/providers.md): one provider per key, a mapping key that is the
provider's own ``key``, keys that fit the database (at most 32 characters), real
[`Capabilities`][meetlink.ports.provider.Capabilities], and every method the capabilities promise
(the meeting methods always; OAuth when it needs a link; ``start_url`` with a host start
URL; ``parse_webhook`` with a deauthorization webhook).
"""

from __future__ import annotations

import difflib
import logging
from collections.abc import Iterable, Mapping
from typing import cast

from meetlink.app.validation import MAX_PROVIDER_KEY
from meetlink.domain.links import LinkRecord
from meetlink.errors import ConfigurationError, LinkNotNeeded, ProviderRejected, UnknownProvider
from meetlink.ports.provider import (
    Capabilities,
    OAuthProvider,
    OrganisationProvider,
    StartUrlProvider,
    VideoProvider,
    WebhookProvider,
)

__all__ = ["ProviderRegistry"]

log = logging.getLogger("meetlink")

_MEETINGS = ("create_meeting", "update_meeting", "get_meeting", "delete_meeting", "find_by_marker")
#: The methods each capability promises, when True.
_PROMISED = {
    "needs_link": (
        "authorization_url", "exchange_code", "refresh", "link_error", "revoke", "account"
    ),
    "host_start_url": ("start_url",),
    "deauthorization_webhook": ("parse_webhook",),
    "organisation_install": ("organisation", "find_user", "acting_for"),
}  # fmt: skip


def _check(key: object, provider: object) -> str:
    """``key``, when ``provider`` may be registered under it; ConfigurationError otherwise."""
    if not isinstance(key, str) or not key.strip():
        raise ConfigurationError(f"a provider needs a non-empty string key, not {key!r}")
    if len(key) > MAX_PROVIDER_KEY:
        limit = MAX_PROVIDER_KEY
        raise ConfigurationError(f"provider key {key!r} is longer than {limit} characters")
    if getattr(provider, "key", key) != key:
        raise ConfigurationError(
            f"provider {getattr(provider, 'key', None)!r} is registered under another key, {key!r}"
        )
    caps = getattr(provider, "capabilities", None)
    if not isinstance(caps, Capabilities):
        raise ConfigurationError(
            f"provider {key!r}: capabilities must be a meetlink.ports.provider.Capabilities,"
            f" not {type(caps).__name__}"
        )
    missing = [name for name in _MEETINGS if not callable(getattr(provider, name, None))]
    for flag, methods in _PROMISED.items():
        if getattr(caps, flag):
            missing += [f"{m} ({flag}=True)" for m in methods
                        if not callable(getattr(provider, m, None))]  # fmt: skip
    if missing:
        raise ConfigurationError(
            f"provider {key!r} lacks {', '.join(missing)} (see docs/providers.md)"
        )
    return key


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
            checked = _check(key, provider)
            if checked in self._by_key:
                # Two providers under one key: links and meetings would reach either one.
                raise ConfigurationError(f"two providers are registered under the key {key!r}")
            self._by_key[checked] = provider

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

    def oauth(self, key: str) -> OAuthProvider:
        """The provider for ``key``, which links through OAuth; LinkNotNeeded when it needs
        no link (``needs_link`` False)."""
        provider = self.get(key)
        if not provider.capabilities.needs_link:
            name = provider.capabilities.display_name
            raise LinkNotNeeded(f"{name} ({key!r}) needs no link: its meetings need no account")
        return cast(OAuthProvider, provider)  # its methods were checked at construction

    def organisation(self, key: str) -> OrganisationProvider:
        """The provider for ``key``, where one admin grant serves an organisation
        (``organisation_install``); ProviderRejected otherwise."""
        provider = self.oauth(key)
        if not provider.capabilities.organisation_install:
            name = provider.capabilities.display_name
            raise ProviderRejected(
                f"{name} ({key!r}) is not set up for organisation links (docs/org-install.md)",
                code="no_organisation_app",
            )
        return cast(OrganisationProvider, provider)  # its methods were checked at construction

    def grant(self, link: LinkRecord) -> OAuthProvider:
        """The OAuth app that issued ``link``'s tokens: the organisation's app for an
        organisation link (or a holder acting through one), the user app otherwise."""
        if link.is_organisation or link.acting_for is not None:
            return self.organisation(link.provider).organisation()
        return self.oauth(link.provider)

    def acting(self, link: LinkRecord) -> VideoProvider:
        """The provider whose meeting methods ``link`` calls: for a holder served by an
        organisation link, the provider acting for that user with the organisation's token."""
        if link.acting_for is not None:
            return self.organisation(link.provider).acting_for(link.acting_for)
        return self.get(link.provider)

    def webhooks(self, key: str) -> WebhookProvider | None:
        """The provider for ``key`` if it sends webhooks (``deauthorization_webhook``)."""
        provider = self.get(key)
        if not provider.capabilities.deauthorization_webhook:
            return None
        return cast(WebhookProvider, provider)

    def host_start(self, key: str) -> StartUrlProvider | None:
        """The provider for ``key`` if it has host start URLs (``host_start_url``)."""
        provider = self.get(key)
        if not provider.capabilities.host_start_url:
            return None
        return cast(StartUrlProvider, provider)

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
