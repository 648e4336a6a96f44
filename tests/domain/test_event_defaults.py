"""An event's time zone and a participant's locale left out read as the contract's defaults
(Asia/Tokyo, ja) until ``Event.with_defaults`` puts the instance's in their place; what the
host gave, even a value equal to a default, stays (told apart by identity)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from meetlink.domain.event import DEFAULT_LOCALE, DEFAULT_TIMEZONE, Event, Participant

START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
BOB = Participant(email="bob@example.com")  # no locale given
CHO = Participant(email="cho@example.com", locale="ja")  # "ja" given


def _event(**fields: object) -> Event:
    return Event(
        id="e1",
        tenant_id="acme",
        owner_id="alice",
        title="Weekly sync",
        start=START,
        end=START + timedelta(hours=1),
        **fields,  # type: ignore[arg-type]
    )


def test_an_event_alone_reads_the_contracts_defaults() -> None:
    event = _event(participants=(BOB,))
    assert event.timezone == "Asia/Tokyo" and event.timezone is DEFAULT_TIMEZONE
    assert event.participants[0].locale == "ja" and event.participants[0].locale is DEFAULT_LOCALE
    assert _event(timezone="Asia/Tokyo").timezone is not DEFAULT_TIMEZONE  # given


def test_with_defaults_fills_only_what_was_left_out() -> None:
    filled = _event(participants=(BOB, CHO)).with_defaults(timezone="Europe/Berlin", locale="en")
    assert filled.timezone == "Europe/Berlin"
    assert filled.participants == (
        Participant(email="bob@example.com", locale="en"),
        Participant(email="cho@example.com", locale="ja"),  # "ja" was given
    )


def test_a_given_time_zone_stays_while_left_out_locales_are_filled() -> None:
    filled = _event(timezone="Asia/Tokyo", participants=(CHO, BOB)).with_defaults(
        timezone="Europe/Berlin", locale="en"
    )
    assert filled.timezone == "Asia/Tokyo"
    assert [p.locale for p in filled.participants] == ["ja", "en"]


def test_a_left_out_time_zone_is_filled_when_every_locale_was_given() -> None:
    filled = _event(participants=(CHO,)).with_defaults(timezone="Europe/Berlin", locale="en")
    assert filled.timezone == "Europe/Berlin"
    assert filled.participants == (CHO,)


def test_an_event_that_gave_everything_is_returned_as_it_is() -> None:
    given = _event(timezone="Asia/Tokyo", participants=(CHO,))
    assert given.with_defaults(timezone="Europe/Berlin", locale="en") is given
    assert (
        _event(timezone="UTC").with_defaults(timezone="Europe/Berlin", locale="en").timezone
        == "UTC"
    )


def test_filled_values_count_as_given_afterwards() -> None:
    once = _event(participants=(BOB,)).with_defaults(timezone="Europe/Berlin", locale="en")
    twice = once.with_defaults(timezone="America/New_York", locale="ja")
    assert (twice.timezone, twice.participants[0].locale) == ("Europe/Berlin", "en")
