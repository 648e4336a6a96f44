"""Settings are checked by type when a MeetLink is made; the sender and reply-to of
participant mail are settings; a participant without a name still gets a greeting."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import attrs
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from meetlink import (
    ConfigurationError,
    InvalidInput,
    InvalidSetting,
    MeetLink,
    Participant,
    Settings,
)
from meetlink.adapters.mail import RecordingMailer
from meetlink.adapters.memory.storage import InMemoryStorage
from meetlink.domain.retry import RetryPolicy
from meetlink.ports.provider import Capabilities
from tests.app.conftest import World, make_world

BAD_SETTINGS = [
    ("reminder_lead", "10"),
    ("reminder_lead", timedelta(minutes=-5)),
    ("reminder_lead", -5),  # a plain number is no duration
    ("reminder_lead", 600),  # ten hours or ten minutes? neither: refused
    ("reminder_lead", None),
    ("trial_length", "14"),
    ("trial_length", timedelta(0)),
    ("trial_length", -1),
    ("trial_length", 14),  # a plain number is no duration (trial_days=14 is)
    ("trial_days", "14"),
    ("reminder_lead_minutes", True),
    ("sync_inline", "no"),
    ("sync_inline", 0),
    ("claim_batch", True),
    ("claim_batch", 0),
    ("claim_batch", 1.5),
    ("job_lease", 300),
    ("job_lease", timedelta(0)),
    ("link_state_ttl", timedelta(seconds=-1)),
    ("retry", {"first": 1}),
    ("policy", "seed"),
    ("organizer_email", "not an address"),
    ("organizer_email", "Cal <cal@example.com>"),
    ("organizer_name", "Cal\r\nBcc: x@evil.example"),
    ("mail_from", "nobody"),
    ("mail_from", "cal@example.com\nBcc: x@evil.example"),
    ("mail_from", 42),
    ("reply_to", "two words@example.com"),
]


@pytest.mark.parametrize(("name", "value"), BAD_SETTINGS)
def test_a_wrong_setting_is_refused_at_construction_naming_it(name: str, value: Any) -> None:
    with pytest.raises(InvalidSetting) as caught:
        make_world(**{name: value})
    assert name in str(caught.value)
    assert caught.value.setting == name
    # One error, both ways a host may look for it.
    assert isinstance(caught.value, InvalidInput)
    assert isinstance(caught.value, ConfigurationError)


@pytest.mark.parametrize(
    ("alias", "value", "setting"),
    [("trial_days", -1, "trial_length"), ("reminder_lead_minutes", -5, "reminder_lead")],
)
def test_a_negative_number_for_an_alias_is_refused_naming_the_duration_it_sets(
    alias: str, value: int, setting: str
) -> None:
    settings: dict[str, Any] = {alias: value}
    with pytest.raises(InvalidSetting) as caught:
        make_world(**settings)
    assert caught.value.setting == setting


def test_settings_objects_are_checked_too() -> None:
    with pytest.raises(InvalidSetting, match="sync_inline"):
        Settings(sync_inline="no")  # type: ignore[arg-type]
    with pytest.raises(InvalidSetting, match="settings"):
        make_world(settings={"sync_inline": False})


def test_good_settings_pass_and_the_aliases_name_their_unit() -> None:
    w = make_world(
        reminder_lead=timedelta(minutes=15),
        trial_days=30,
        sync_inline=False,
        claim_batch=4,
        retry=RetryPolicy(first=timedelta(seconds=10)),
        reminder_lead_minutes=0,
        mail_from="Example Calendar <calendar@example.com>",
        reply_to="help@example.com",
    )
    settings = w.meetlink.settings
    assert settings.reminder_lead == timedelta(0)  # the alias is applied last
    assert settings.trial_length == timedelta(days=30)
    assert settings.sender == "Example Calendar <calendar@example.com>"
    assert make_world().meetlink.settings.sender == "meetlink <no-reply@meetlink.invalid>"


DURATIONS = ["trial_length", "reminder_lead", "link_state_ttl", "job_lease", "token_keepalive"]
VALUES = st.one_of(
    st.integers(-3, 10**6),
    st.floats(allow_nan=True, allow_infinity=True),
    st.timedeltas(min_value=timedelta(days=-2), max_value=timedelta(days=400)),
    st.none(),
    st.booleans(),
    st.text(max_size=5),
)


def _outcome(make: Any, name: str, value: Any) -> tuple[str, Any]:
    try:
        return "ok", getattr(make(**{name: value}), name)
    except InvalidSetting as exc:
        return "refused", exc.setting


@settings(max_examples=300)
@given(name=st.sampled_from(DURATIONS), value=VALUES)
def test_meetlink_and_settings_take_the_same_values(name: str, value: Any) -> None:
    """One rule on both paths: MeetLink(**options) (and Sandbox) and Settings(...) accept the
    same values and make the same settings; a plain number is refused on both."""
    direct = _outcome(Settings, name, value)
    through = _outcome(lambda **kw: make_world(**kw).meetlink.settings, name, value)
    assert direct == through
    if isinstance(value, int | float) and not isinstance(value, bool):
        assert direct == ("refused", name)


def test_a_number_for_a_duration_says_how_to_give_one() -> None:
    with pytest.raises(InvalidSetting) as caught:
        make_world(reminder_lead=600)
    assert "timedelta" in str(caught.value) and "reminder_lead_minutes" in str(caught.value)
    with pytest.raises(InvalidSetting) as caught:
        Settings(trial_length=14)  # type: ignore[arg-type]
    assert "trial_days" in str(caught.value)


def _mails(linked: World, participants: tuple[Participant, ...]) -> list[Any]:
    linked.meetlink.save_event(linked.event(participants=participants))
    return linked.deliver()


def test_mail_from_and_reply_to_are_the_headers_of_participant_mail() -> None:
    w = make_world(mail_from="Example Calendar <calendar@example.com>", reply_to="help@example.com")
    w.meetlink.start_trial("t1")
    w.link("alice", w.zoom.add_account("alice@corp.example"))
    (mail,) = _mails(w, (Participant("bob@example.com", "Bob"),))
    assert mail["From"] == "Example Calendar <calendar@example.com>"
    assert mail["Reply-To"] == "help@example.com"


def test_without_mail_from_the_sender_is_the_organizer() -> None:
    w = make_world(organizer_email="calendar@example.com", organizer_name="Example Calendar")
    w.meetlink.start_trial("t1")
    w.link("alice", w.zoom.add_account("alice@corp.example"))
    (mail,) = _mails(w, (Participant("bob@example.com"),))
    assert mail["From"] == "Example Calendar <calendar@example.com>"
    assert mail["Reply-To"] is None


@pytest.mark.parametrize(("locale", "greeting"), [("en", "Hello,"), ("ja", "ご参加者様")])
def test_a_participant_without_a_name_is_greeted_all_the_same(
    linked: World, locale: str, greeting: str
) -> None:
    named = Participant("carol@example.com", "Carol", locale=locale)
    nameless = Participant("bob@example.com", locale=locale)
    mails = {m["To"]: m for m in _mails(linked, (nameless, named))}
    text = mails["bob@example.com"].get_body(("plain",)).get_content()
    html = mails["bob@example.com"].get_body(("html",)).get_content()
    assert text.splitlines()[0] == greeting
    assert f"<p>{greeting}</p>" in html
    assert not text.startswith(",") and "<p>,</p>" not in html
    carol = mails["Carol <carol@example.com>"].get_body(("plain",)).get_content()
    assert carol.splitlines()[0] == ("Carol," if locale == "en" else "Carol 様")


def test_an_alias_out_of_timedeltas_range_is_refused_naming_the_alias() -> None:
    with pytest.raises(InvalidSetting) as caught:
        make_world(trial_days=10**10)
    assert caught.value.setting == "trial_days"
    assert str(caught.value) == "setting trial_days: 10000000000 days is out of range"


def test_purge_keeps_logs_at_most_a_hundred_years() -> None:
    with pytest.raises(InvalidInput) as caught:
        make_world().meetlink.purge(keep=timedelta(days=365 * 101))
    assert str(caught.value) == "keep: at most 100 years"


def test_a_wrong_value_is_named_by_its_type_and_its_first_80_characters() -> None:
    with pytest.raises(InvalidSetting) as caught:
        make_world(trial_days="14")
    assert str(caught.value) == "setting trial_days: must be a number of days, not str '14'"
    long = "x" * 100
    with pytest.raises(InvalidSetting) as caught:
        make_world(trial_days=long)
    assert str(caught.value) == (
        "setting trial_days: must be a number of days, not " + f"str {long!r}"[:80]
    )
    ml = make_world().meetlink
    with pytest.raises(InvalidInput) as refused:
        ml.run_pending(max_jobs="3")  # type: ignore[arg-type]
    assert str(refused.value) == "max_jobs: must be a whole number or None, not str"
    with pytest.raises(InvalidInput) as refused:
        ml.set_policy("t1", "roadmap")  # type: ignore[arg-type]
    assert str(refused.value) == ("policy: must be a meetlink.IssuancePolicy or None, not str")


def test_an_unknown_setting_is_named_with_the_known_ones() -> None:
    with pytest.raises(ConfigurationError) as caught:
        make_world(trial_lenght=timedelta(days=1))
    known = ", ".join(sorted(f.name for f in attrs.fields(Settings)))
    assert str(caught.value) == f"unknown setting(s): trial_lenght; known: {known}"


def test_a_provider_is_refused_naming_every_method_it_lacks() -> None:
    class Half:
        """Meets some of the meeting methods and none its capabilities promise."""

        key = "half"
        capabilities = Capabilities(display_name="Half", host_start_url=True)

        def create_meeting(self) -> None: ...

    with pytest.raises(ConfigurationError) as caught:
        MeetLink(storage=InMemoryStorage(), providers=[Half()], mailer=RecordingMailer())  # type: ignore[list-item]
    message = str(caught.value)
    assert message.startswith("provider 'half' lacks update_meeting, get_meeting, ")
    assert "authorization_url (needs_link=True)" in message
    assert "start_url (host_start_url=True)" in message
