"""Settings of a MeetLink instance (all have working defaults).

Every setting is checked when the settings are made, by its declared type: a wrong type
(``reminder_lead="10"``, ``sync_inline="no"``), a negative duration or a malformed address
raises [`InvalidSetting`][meetlink.errors.InvalidSetting] naming the setting, so a mistake shows at
start-up instead of inside a later ``save_event``.

One rule for durations on every path (``MeetLink(...)``, ``Sandbox(...)``, ``Settings(...)``,
``Settings.from_options(...)``): a duration is a ``timedelta``; a plain number is refused,
because its unit would be a guess (``reminder_lead=600`` is ten hours in minutes, ten minutes
in seconds). The keyword options also take ``trial_days=`` and ``reminder_lead_minutes=``,
numbers whose name says the unit.
"""

from __future__ import annotations

import re
import types
import typing
from datetime import timedelta
from email.utils import parseaddr
from typing import Any

import attrs

from meetlink.domain.erasure import MAX_ERASURE_DELAY
from meetlink.domain.event import LOCALES, is_iana_timezone
from meetlink.domain.issuance import IssuancePolicy
from meetlink.domain.retry import RetryPolicy
from meetlink.domain.subscription import DEFAULT_TRIAL
from meetlink.errors import ConfigurationError, InvalidSetting

__all__ = ["Settings"]

_ALIASES = {
    "trial_days": ("trial_length", "days"),
    "reminder_lead_minutes": ("reminder_lead", "minutes"),
}
#: Durations that must be longer than zero (the others may be zero, never negative).
_POSITIVE = frozenset(
    {
        "trial_length",
        "link_state_ttl",
        "job_lease",
        "token_keepalive",
        "org_lookup_ttl",
        "host_event_retention",
        "meeting_check_every",
    }
)
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


@attrs.frozen(kw_only=True)
class Settings:
    """Tunable behaviour. Pass any field as a keyword to ``MeetLink`` or ``Sandbox``.

    ``mail_from``: the ``From`` of participant mail, ``"Name <address>"`` or an address
    (default: ``organizer_name <organizer_email>``); ``reply_to``: an address for replies
    (default: none). ``token_keepalive``: links whose refresh token has not been used this
    long are refreshed by ``run_pending()`` (None turns keep-alive off).
    ``default_timezone`` and ``default_locale``: what an event saved without a ``timezone``
    and a participant without a ``locale`` get (defaults: the seed's market, Asia/Tokyo and
    ja)."""

    # Types and ranges are checked in __attrs_post_init__ (negative durations included).
    trial_length: timedelta = DEFAULT_TRIAL  # S4: 14 days
    reminder_lead: timedelta = timedelta(minutes=10)  # S14
    policy: IssuancePolicy = attrs.field(factory=IssuancePolicy.seed)  # S17, S18
    retry: RetryPolicy = attrs.field(factory=RetryPolicy)
    link_state_ttl: timedelta = timedelta(minutes=10)
    job_lease: timedelta = timedelta(minutes=5)  # a claimed job is retaken after this
    claim_batch: int = 1  # jobs a worker claims at once (1: fair spread over workers)
    organizer_email: str = "no-reply@meetlink.invalid"
    organizer_name: str = "meetlink"
    mail_from: str | None = None
    reply_to: str | None = None
    sync_inline: bool = True  # save_event calls the provider before returning (S11)
    # Refresh every link whose refresh token went unused this long (run_pending): Zoom and
    # Microsoft let a refresh token die after 90 idle days. None: no keep-alive.
    token_keepalive: timedelta | None = timedelta(days=30)
    default_timezone: str = "Asia/Tokyo"  # Event.timezone left out
    default_locale: str = "ja"  # Participant.locale left out
    # How long a user's directory address, looked up with an organisation link's token, is
    # trusted before it is asked again (docs/org-install.md).
    org_lookup_ttl: timedelta = timedelta(days=1)
    # How long purge() keeps host events (MeetLink.events): a host reading its feed less
    # often than this loses entries.
    host_event_retention: timedelta = timedelta(days=30)
    # The meeting check (app/drift.py): meetings of events starting within the window are
    # read at the provider every meeting_check_every (providers without meeting webhooks:
    # Teams), and put back when deleted or moved there. None: no check.
    # How long after a deauthorization that asks for it the account's data is erased
    # (meetlink.domain.erasure); at most 10 days (Zoom's rule), zero: at once.
    erasure_delay: timedelta = timedelta(days=1)
    meeting_check_window: timedelta = timedelta(hours=24)
    meeting_check_every: timedelta | None = timedelta(hours=1)

    def __attrs_post_init__(self) -> None:
        hints = typing.get_type_hints(type(self))
        for field in attrs.fields(type(self)):
            _check(field.name, getattr(self, field.name), hints[field.name])
        if self.erasure_delay > MAX_ERASURE_DELAY:
            raise InvalidSetting("erasure_delay", "at most 10 days (Zoom's data deletion rule)")
        if self.claim_batch < 1:
            raise InvalidSetting("claim_batch", "must be at least 1")
        _check_address("organizer_email", self.organizer_email, display_name=False)
        if _CONTROL.search(self.organizer_name):
            raise InvalidSetting("organizer_name", "must be one line of text")
        if not is_iana_timezone(self.default_timezone):
            raise InvalidSetting("default_timezone", "must be an IANA time zone name")
        if self.default_locale not in LOCALES:
            raise InvalidSetting("default_locale", f"must be one of {', '.join(LOCALES)}")
        for name in ("mail_from", "reply_to"):
            value = getattr(self, name)
            if value is not None:
                _check_address(name, value, display_name=True)

    @property
    def sender(self) -> str:
        """The ``From`` of participant mail: ``mail_from``, else the organizer."""
        if self.mail_from is not None:
            return self.mail_from
        return f"{self.organizer_name} <{self.organizer_email}>"

    @classmethod
    def from_options(cls, base: Settings | None = None, **options: Any) -> Settings:
        """Settings from keyword options, with a clear error for unknown names.

        Convenience spellings, numbers whose name says the unit: ``trial_days`` for
        ``trial_length``, ``reminder_lead_minutes`` for ``reminder_lead`` (applied last).
        ``trial_length`` and ``reminder_lead`` themselves take a ``timedelta`` only, as in
        ``Settings(...)``."""
        for alias, (name, unit) in _ALIASES.items():
            if alias in options:
                options[name] = _duration(alias, options.pop(alias), unit)
        known = {f.name for f in attrs.fields(cls)}
        unknown = sorted(set(options) - known)
        if unknown:
            raise ConfigurationError(
                f"unknown setting(s): {', '.join(unknown)}; known: {', '.join(sorted(known))}"
            )
        if base is not None and not isinstance(base, cls):
            raise InvalidSetting("settings", f"must be a meetlink.Settings, not {_kind(base)}")
        return attrs.evolve(base or cls(), **options)


def _duration(name: str, value: Any, unit: str) -> timedelta:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise InvalidSetting(name, f"must be a number of {unit}, not {_kind(value)}")
    try:
        return timedelta(**{unit: value})
    except (OverflowError, ValueError) as exc:
        raise InvalidSetting(name, f"{value!r} {unit} is out of range") from exc


def _kind(value: object) -> str:
    return f"{type(value).__name__} {value!r}"[:80]


def _allowed(hint: Any) -> tuple[type, ...]:
    """The runtime classes a type hint admits (``X | None`` -> (X, NoneType))."""
    if isinstance(hint, types.UnionType) or typing.get_origin(hint) is typing.Union:
        return tuple(c for arg in typing.get_args(hint) for c in _allowed(arg))
    if hint is None:
        return (type(None),)
    if hint is Any:
        return (object,)
    if typing.get_origin(hint) is typing.Literal:
        return tuple({type(arg) for arg in typing.get_args(hint)})
    return (typing.get_origin(hint) or hint,)


def _check(name: str, value: Any, hint: Any) -> None:
    allowed = _allowed(hint)
    # bool is an int in Python: a flag is no count, and a count is no flag.
    wrong_bool = isinstance(value, bool) and bool not in allowed
    if wrong_bool or not isinstance(value, allowed):
        expected = " or ".join("None" if c is type(None) else c.__name__ for c in allowed)
        hint = _number_hint(name, value) if timedelta in allowed else ""
        raise InvalidSetting(name, f"must be {expected}, not {_kind(value)}{hint}")
    if isinstance(value, timedelta):
        if value < timedelta(0):
            raise InvalidSetting(name, "must not be negative")
        if name in _POSITIVE and value == timedelta(0):
            raise InvalidSetting(name, "must be longer than zero")


def _number_hint(name: str, value: Any) -> str:
    """How to give a duration that came as a plain number."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return ""
    alias = next((a for a, (field, _) in _ALIASES.items() if field == name), None)
    spelled = f" or {alias}={value!r}" if alias else ""
    return f" (a plain number has no unit: pass timedelta(...){spelled})"


def _check_address(name: str, value: str, *, display_name: bool) -> None:
    shown, address = parseaddr(value)
    local, _, domain = address.rpartition("@")
    if (
        _CONTROL.search(value)
        or not local
        or not domain
        or (shown and not display_name)
        or any(c.isspace() for c in address)
    ):
        what = "a mail address" + (' or "Name <address>"' if display_name else "")
        raise InvalidSetting(name, f"must be {what}, not {value!r}"[:160])
