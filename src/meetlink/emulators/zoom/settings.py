"""User settings in the emulator: ``GET /v2/users/me/settings`` and the account passcode
policy that create and update enforce (FACTS.md §3.2, §3.3; Spec-2023b ``userSettings``).

A passcode that breaks the policy is refused the way Zoom refuses it: HTTP 400 with an XML
body (code 300 "Validation Failed.", the broken rules listed), not JSON.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from xml.sax.saxutils import escape

from .state import Reply, ZoomState, ZoomUser

__all__ = ["POLICY_FIELDS", "broken_rules", "passcode_refusal", "policy_of", "settings_json"]

#: ``meeting_password_requirement`` with every rule off (Zoom's field names and types).
POLICY_FIELDS: Mapping[str, Any] = {
    "length": 0,
    "have_letter": False,
    "have_number": False,
    "have_special_character": False,
    "have_upper_and_lower_characters": False,
    "only_allow_numeric": False,
    "consecutive_characters_length": 0,
    "weak_enhance_detection": False,
}
_SPECIAL = set("@-_*!")


def policy_of(state: ZoomState, user: ZoomUser) -> dict[str, Any]:
    """The account's passcode policy, every field present."""
    return {**POLICY_FIELDS, **state.passcode_policies.get(user.account_id, {})}


def settings_json(state: ZoomState, user: ZoomUser) -> dict[str, Any]:
    """The user-settings answer (the parts a meeting app reads)."""
    policy = policy_of(state, user)
    required = any(policy[k] for k in POLICY_FIELDS if k != "weak_enhance_detection")
    return {
        "schedule_meeting": {
            "audio_type": "voip",
            "host_video": False,
            "participants_video": False,
            "join_before_host": False,
            "embed_password_in_join_link": True,
            "force_pmi_jbh_password": False,
            "require_password_for_scheduling_new_meetings": required or user.plan == "basic",
            "require_password_for_scheduled_meetings": False,
            "require_password_for_instant_meetings": True,
            "require_password_for_pmi_meetings": "none",
            "pstn_password_protected": False,
            "personal_meeting": True,
            "use_pmi_for_scheduled_meetings": False,
            "use_pmi_for_instant_meetings": False,
            "meeting_password_requirement": policy,
        },
        "in_meeting": {"waiting_room": False, "chat": True},
        "email_notification": {"jbh_reminder": True, "cancel_meeting_reminder": True},
        "feature": {"meeting_capacity": 100},
    }


def broken_rules(policy: Mapping[str, Any], code: str) -> list[str]:
    """The policy rules ``code`` breaks, in Zoom's wording."""
    broken = []
    if policy["length"] and len(code) < policy["length"]:
        broken.append(f"Passcode must have at least {policy['length']} characters.")
    if policy["only_allow_numeric"] and not code.isdigit():
        broken.append("Passcode can only contain numbers.")
    if policy["have_letter"] and not any(c.isalpha() for c in code):
        broken.append("Passcode must contain at least 1 letter (such as a,b,c...).")
    if policy["have_number"] and not any(c.isdigit() for c in code):
        broken.append("Passcode must contain at least 1 number (such as 1,2,3...).")
    if policy["have_special_character"] and not _SPECIAL.intersection(code):
        broken.append("Passcode must have at least 1 special character (@,-,_,*,!).")
    if policy["have_upper_and_lower_characters"] and (code.lower() == code or code.upper() == code):
        broken.append("Passcode must include both uppercase and lowercase characters.")
    limit = policy["consecutive_characters_length"]
    if limit and _longest_sequence(code) >= limit:
        broken.append(f"Passcode cannot contain {limit} or more consecutive characters.")
    return broken


def _longest_sequence(code: str) -> int:
    """The longest stretch like "abcd" or "9876" (each character one code point apart)."""
    longest = 1 if code else 0
    for direction in (1, -1):
        start = 0
        for i in range(1, len(code) + 1):
            if i == len(code) or ord(code[i]) - ord(code[i - 1]) != direction:
                longest = max(longest, i - start)
                start = i
    return longest


def passcode_refusal(state: ZoomState, user: ZoomUser, code: object) -> Reply | None:
    """Zoom's XML refusal of a passcode that breaks the account's policy, or None."""
    if not isinstance(code, str) or not code:
        return None
    broken = broken_rules(policy_of(state, user), code)
    if not broken:
        return None
    text = (
        "Password provided does not match the password requirement settings set for this "
        f"account. The password must follow these rules: [{', '.join(broken)}]."
    )
    return Reply.xml(
        400,
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?><result><code>300</code>'
        "<message>Validation Failed.</message><errors><field>password</field>"
        f"<message>{escape(text)}</message></errors></result>",
    )
