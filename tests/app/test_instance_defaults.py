"""An event's time zone and a participant's locale default to settings a host sets once for
its instance (``default_timezone``, ``default_locale``); the instance's own defaults stay the
contract's, Asia/Tokyo and ja, and what a host gives explicitly is kept (the rule itself,
``Event.with_defaults``: tests/domain/test_event_defaults.py)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from meetlink import Event, InvalidSetting, Participant
from meetlink.testing import Sandbox

START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def _event(event_id: str, **fields: object) -> Event:
    return Event(
        id=event_id,
        tenant_id="acme",
        owner_id="alice",
        title="Weekly sync",
        start=START,
        end=START + timedelta(hours=1),
        **fields,  # type: ignore[arg-type]
    )


def test_the_instance_defaults_apply_when_the_event_is_saved() -> None:
    with Sandbox(now=START - timedelta(days=1), default_timezone="Europe/Berlin",
                 default_locale="en") as sb:  # fmt: skip
        sb.meetlink.start_trial("acme")
        sb.link_user("acme", "alice")
        left_out = _event(
            "e1", web_meeting="zoom", participants=(Participant(email="bob@example.com"),)
        )
        sb.meetlink.save_event(left_out)
        stored = sb.meetlink.event("e1", tenant_id="acme")
        assert stored is not None and stored.timezone == "Europe/Berlin"
        assert stored.participants[0].locale == "en"
        [meeting] = sb.zoom.meetings()
        assert meeting["timezone"] == "Europe/Berlin"  # what the provider was sent
        sb.meetlink.run_pending()
        [invitation] = sb.outbox
        assert str(invitation["Subject"]).startswith("Invitation: Weekly sync")  # English

        sb.meetlink.save_event(_event("e2", timezone="Asia/Tokyo"))
        kept = sb.meetlink.event("e2", tenant_id="acme")
        assert kept is not None and kept.timezone == "Asia/Tokyo"  # given: kept


def test_without_settings_the_seeds_market_applies() -> None:
    with Sandbox(now=START - timedelta(days=1)) as sb:
        sb.meetlink.save_event(_event("e1", participants=(Participant(email="b@example.com"),)))
        stored = sb.meetlink.event("e1", tenant_id="acme")
        assert stored is not None and stored.timezone == "Asia/Tokyo"
        assert stored.participants[0].locale == "ja"


@pytest.mark.parametrize(
    ("name", "value"),
    [("default_timezone", "Mars/Olympus"), ("default_timezone", "localtime"),
     ("default_locale", "fr"), ("default_locale", None)],
)  # fmt: skip
def test_a_wrong_instance_default_is_refused_naming_it(name: str, value: Any) -> None:
    with pytest.raises(InvalidSetting) as caught:
        Sandbox(**{name: value})
    assert caught.value.setting == name
