"""Generated passcodes meet any account passcode policy Zoom can express (Hypothesis), as
the adapter reads it (``PasscodePolicy``) and as the emulator enforces it (its own check)."""

from __future__ import annotations

from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from meetlink.adapters.zoom.passcodes import MAX_LENGTH, PasscodePolicy, passcode_for
from meetlink.emulators.zoom.settings import POLICY_FIELDS, broken_rules

#: Every rule Zoom's settings schema allows (``consecutive_characters_length``: 0, 4..8).
POLICIES = st.fixed_dictionaries(
    {
        "length": st.integers(min_value=0, max_value=MAX_LENGTH),
        "have_letter": st.booleans(),
        "have_number": st.booleans(),
        "have_special_character": st.booleans(),
        "have_upper_and_lower_characters": st.booleans(),
        "only_allow_numeric": st.booleans(),
        "consecutive_characters_length": st.sampled_from([0, 4, 5, 6, 7, 8]),
        "weak_enhance_detection": st.booleans(),
    }
)
ZOOM_CHARSET = set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789@-_*!")


@given(POLICIES)
def test_passcode_meets_every_policy(rules: dict[str, Any]) -> None:
    policy = PasscodePolicy.from_settings(
        {"schedule_meeting": {"meeting_password_requirement": rules}}
    )
    code = passcode_for(policy)
    assert policy.accepts(code)
    assert set(code) <= ZOOM_CHARSET and len(code) == MAX_LENGTH
    if rules["only_allow_numeric"]:
        assert code.isdigit()
    else:  # numeric-only contradicts the letter rules; Zoom's page lets one win
        assert broken_rules({**POLICY_FIELDS, **rules}, code) == []


def test_policy_reads_odd_settings_as_off() -> None:
    assert PasscodePolicy.from_settings(None) == PasscodePolicy()
    assert PasscodePolicy.from_settings({"schedule_meeting": "x"}) == PasscodePolicy()
    odd = {"length": "8", "have_letter": 1, "consecutive_characters_length": True}
    settings = {"schedule_meeting": {"meeting_password_requirement": odd}}
    assert PasscodePolicy.from_settings(settings) == PasscodePolicy()


def test_sequential_runs_are_caught() -> None:
    policy = PasscodePolicy(consecutive_characters_length=4)
    assert not policy.accepts("xx1234yy")
    assert not policy.accepts("zyxwq")
    assert policy.accepts("x123y987z")
