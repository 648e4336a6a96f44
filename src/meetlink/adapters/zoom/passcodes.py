"""Meeting passcodes that satisfy the host account's passcode policy (pure, no I/O).

Zoom refuses a create whose ``password`` breaks the account's "minimum passcode
requirements" (FACTS.md §3.2, §3.3), and answers that refusal in XML. The requirements are
in the user's settings: ``GET /v2/users/me/settings`` ->
``schedule_meeting.meeting_password_requirement`` (Spec-2023b, operation ``userSettings``)::

    length                            minimum length (Zoom's maximum is 10)
    have_letter / have_number         at least one letter / digit
    have_upper_and_lower_characters   both cases
    have_special_character            at least one of Zoom's symbols
    only_allow_numeric                digits only
    consecutive_characters_length     n in 4..8: no run of n sequential characters
                                      ("abcd", "4321"); 0: no such rule

[`passcode_for`][meetlink.adapters.zoom.passcodes.passcode_for] makes a random passcode that meets
every rule it is given.
"""

from __future__ import annotations

import itertools
import secrets
from collections.abc import Mapping
from typing import Any

import attrs

__all__ = ["MAX_LENGTH", "PasscodePolicy", "passcode_for"]

MAX_LENGTH = 10  # FACTS.md §3.2: password maxLength 10
# Letters and digits without look-alikes (l/1, O/0) so people can type what they read.
_LETTERS = "abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ"
_LOWER = "abcdefghijkmnpqrstuvwxyz"
_UPPER = "ABCDEFGHJKLMNPQRSTUVWXYZ"
_DIGITS = "23456789"
_ALL_DIGITS = "0123456789"
_SYMBOLS = "@-_*"  # FACTS.md §3.2: the symbols Zoom allows by default
_ATTEMPTS = 1000


@attrs.frozen(kw_only=True)
class PasscodePolicy:
    """An account's meeting passcode requirements (all off: Zoom's defaults)."""

    length: int = 0
    have_letter: bool = False
    have_number: bool = False
    have_special_character: bool = False
    have_upper_and_lower_characters: bool = False
    only_allow_numeric: bool = False
    consecutive_characters_length: int = 0

    @classmethod
    def from_settings(cls, settings: Any) -> PasscodePolicy:
        """The policy in a user-settings answer; absent or odd fields count as off."""
        schedule = settings.get("schedule_meeting") if isinstance(settings, Mapping) else None
        if not isinstance(schedule, Mapping):
            return cls()
        found = schedule.get("meeting_password_requirement")
        if not isinstance(found, Mapping):
            return cls()

        def flag(name: str) -> bool:
            return found.get(name) is True

        def number(name: str) -> int:
            value = found.get(name)
            return value if isinstance(value, int) and not isinstance(value, bool) else 0

        return cls(
            length=max(0, min(number("length"), MAX_LENGTH)),
            have_letter=flag("have_letter"),
            have_number=flag("have_number"),
            have_special_character=flag("have_special_character"),
            have_upper_and_lower_characters=flag("have_upper_and_lower_characters"),
            only_allow_numeric=flag("only_allow_numeric"),
            consecutive_characters_length=max(0, number("consecutive_characters_length")),
        )

    def accepts(self, code: str) -> bool:
        """Whether ``code`` meets every rule of this policy."""
        if not 1 <= len(code) <= MAX_LENGTH or len(code) < self.length:
            return False
        if self.only_allow_numeric:
            return code.isdigit() and not self._has_run(code)
        checks = (
            not self.have_letter or any(c.isalpha() for c in code),
            not self.have_number or any(c.isdigit() for c in code),
            not self.have_special_character or any(c in _SYMBOLS for c in code),
            not self.have_upper_and_lower_characters
            or (any(c.islower() for c in code) and any(c.isupper() for c in code)),
        )
        return all(checks) and not self._has_run(code)

    def _has_run(self, code: str) -> bool:
        """A run of ``consecutive_characters_length`` characters rising or falling by one."""
        limit = self.consecutive_characters_length
        if limit < 2:
            return False
        for step in (1, -1):
            run = 1
            for before, after in itertools.pairwise(code):
                run = run + 1 if ord(after) - ord(before) == step else 1
                if run >= limit:
                    return True
        return False


def passcode_for(policy: PasscodePolicy) -> str:
    """A random 10-character passcode that ``policy`` accepts: digits only when the policy
    says so, else letters of both cases and digits (and a symbol when required)."""
    for _ in range(_ATTEMPTS):
        code = _draw(policy)
        if policy.accepts(code):
            return code
    raise ValueError(f"no passcode satisfies {policy!r}")  # unreachable for Zoom's rules


def _draw(policy: PasscodePolicy) -> str:
    if policy.only_allow_numeric:
        return "".join(secrets.choice(_ALL_DIGITS) for _ in range(MAX_LENGTH))
    # One of each class a policy can ask for, then random fill, then a shuffle.
    chars = [secrets.choice(_LOWER), secrets.choice(_UPPER), secrets.choice(_DIGITS)]
    if policy.have_special_character:
        chars.append(secrets.choice(_SYMBOLS))
    pool = _LETTERS + _DIGITS
    chars += [secrets.choice(pool) for _ in range(MAX_LENGTH - len(chars))]
    secrets.SystemRandom().shuffle(chars)
    return "".join(chars)
