"""Settings of a MeetLink instance (all have working defaults)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import attrs

from meetlink.domain.issuance import IssuancePolicy
from meetlink.domain.retry import RetryPolicy
from meetlink.domain.subscription import DEFAULT_TRIAL
from meetlink.errors import ConfigurationError

__all__ = ["Settings"]

_ALIASES = {
    "trial_days": ("trial_length", "days"),
    "reminder_lead_minutes": ("reminder_lead", "minutes"),
}


def _not_negative(instance: object, attribute: attrs.Attribute[timedelta], value: object) -> None:
    if not isinstance(value, timedelta) or value < timedelta(0):
        raise ConfigurationError(f"{attribute.name}: must be a timedelta of zero or more")


@attrs.frozen(kw_only=True)
class Settings:
    """Tunable behaviour. Pass any field as a keyword to ``MeetLink`` or ``Sandbox``."""

    trial_length: timedelta = attrs.field(default=DEFAULT_TRIAL, validator=_not_negative)  # S4
    reminder_lead: timedelta = attrs.field(default=timedelta(minutes=10), validator=_not_negative)
    policy: IssuancePolicy = attrs.field(factory=IssuancePolicy.seed)  # S17, S18
    retry: RetryPolicy = attrs.field(factory=RetryPolicy)
    link_state_ttl: timedelta = timedelta(minutes=10)
    job_lease: timedelta = timedelta(minutes=5)  # a claimed job is retaken after this
    claim_batch: int = 1  # jobs a worker claims at once (1: fair spread over workers)
    organizer_email: str = "no-reply@meetlink.invalid"
    organizer_name: str = "meetlink"
    sync_inline: bool = True  # save_event calls the provider before returning (S11)

    @classmethod
    def from_options(cls, base: Settings | None = None, **options: Any) -> Settings:
        """Settings from keyword options, with a clear error for unknown names.

        Convenience spellings: ``trial_days`` (int) for ``trial_length``,
        ``reminder_lead_minutes`` (int) for ``reminder_lead``; ``trial_length`` may also be
        given in days and ``reminder_lead`` in minutes as plain numbers."""
        for alias, (name, unit) in _ALIASES.items():
            if alias in options:
                options[name] = timedelta(**{unit: options.pop(alias)})
        for name, unit in (("trial_length", "days"), ("reminder_lead", "minutes")):
            value = options.get(name)
            if isinstance(value, int | float) and not isinstance(value, bool):
                options[name] = timedelta(**{unit: value})
        known = {f.name for f in attrs.fields(cls)}
        unknown = sorted(set(options) - known)
        if unknown:
            raise ConfigurationError(
                f"unknown setting(s): {', '.join(unknown)}; known: {', '.join(sorted(known))}"
            )
        base = base or cls()
        try:
            return attrs.evolve(base, **options)
        except TypeError as exc:
            raise ConfigurationError(str(exc)) from exc
