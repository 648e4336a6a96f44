"""Arbitrary RRULE strings (BYxxx parts, COUNT, UNTIL, INTERVAL, time zones): each is refused
with ``InvalidEvent`` naming ``recurrence`` where the facade checks an event, or every
expansion of it stays within the step budget. The work is counted in dateutil's own steps
(:mod:`tests.security.dateutil_work`), never timed."""

from __future__ import annotations

import itertools
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from meetlink import Event, InvalidEvent
from meetlink.adapters.zoom.recurrence import ZOOM_RECURRENCE
from meetlink.app.validation import event as checked_event
from meetlink.domain.expansion import HORIZON
from meetlink.domain.series import Series
from meetlink.errors import InvalidInput
from tests.security.dateutil_work import Work, dateutil_work

ZONES = [
    "UTC",
    "Asia/Tokyo",
    "Europe/Berlin",
    "America/New_York",
    "Australia/Lord_Howe",  # a 30-minute daylight-saving shift
    "Pacific/Kiritimati",  # UTC+14
    "Pacific/Pago_Pago",  # UTC-11
    "Asia/Kathmandu",  # UTC+5:45
]
DAYS = ["MO", "TU", "WE", "TH", "FR", "SA", "SU"]
FREQS = ["YEARLY", "MONTHLY", "WEEKLY", "DAILY", "HOURLY", "MINUTELY", "SECONDLY"]


def _numbers(low: int, high: int, slack: int = 1) -> st.SearchStrategy[str]:
    """Mostly values in ``low..high``, sometimes just outside."""
    value = st.one_of(st.integers(low, high), st.integers(low - slack, high + slack))
    return st.lists(value, min_size=1, max_size=4).map(lambda xs: ",".join(str(x) for x in xs))


def _weekdays() -> st.SearchStrategy[str]:
    ordinal = st.one_of(st.just(""), st.integers(-5, 5).map(str), st.integers(-55, 55).map(str))
    one = st.tuples(ordinal, st.sampled_from(DAYS))
    return st.lists(one, min_size=1, max_size=3).map(lambda ds: ",".join(n + d for n, d in ds))


def _until() -> st.SearchStrategy[str]:
    moment = st.datetimes(datetime(1890, 1, 1), datetime(9999, 12, 31, 23, 59, 59))
    return st.one_of(
        moment.map(lambda m: m.strftime("%Y%m%dT%H%M%SZ")),
        moment.map(lambda m: m.strftime("%Y%m%dT%H%M%S")),
        st.dates(date(1890, 1, 1), date(9999, 12, 31)).map(lambda d: d.strftime("%Y%m%d")),
    )


PARTS = {
    "INTERVAL": st.one_of(st.integers(1, 12), st.integers(-2, 3000)).map(str),
    "COUNT": st.one_of(st.integers(1, 100), st.integers(-1, 10**7)).map(str),
    "UNTIL": _until(),
    "BYMONTH": _numbers(1, 12),
    "BYMONTHDAY": _numbers(-31, 31),
    "BYYEARDAY": _numbers(-366, 366),
    "BYWEEKNO": _numbers(-53, 53),
    "BYDAY": _weekdays(),
    "BYHOUR": _numbers(0, 23),
    "BYMINUTE": _numbers(0, 59),
    "BYSECOND": _numbers(0, 59, slack=2),
    "BYSETPOS": _numbers(-366, 366),
    "WKST": st.sampled_from(DAYS),
}


@st.composite
def rules(draw: st.DrawFn) -> str:
    freq = draw(st.sampled_from(FREQS))
    names = draw(st.lists(st.sampled_from(sorted(PARTS)), max_size=5, unique=True))
    parts = [f"FREQ={freq}", *(f"{name}={draw(PARTS[name])}" for name in names)]
    return ";".join(parts)


starts = st.datetimes(datetime(1900, 1, 2), datetime(8999, 12, 30)).map(
    lambda m: m.replace(second=0, microsecond=0)
)


def _within_budget(work: Work, expansions: int) -> None:
    assert work.expansions() <= expansions, work
    work.reset()


@settings(max_examples=400, suppress_health_check=[HealthCheck.too_slow])
@given(rule=rules(), zone=st.sampled_from(ZONES), start=starts, since_days=st.integers(0, 4000))
def test_an_arbitrary_rule_is_refused_or_expands_within_the_budget(
    rule: str, zone: str, start: datetime, since_days: int
) -> None:
    tz = ZoneInfo(zone)
    local = start.replace(tzinfo=tz)
    with dateutil_work() as work:
        try:
            ev = Event("e", "t", "o", "x", local, local + timedelta(hours=1), timezone=zone,
                          recurrence=rule)  # fmt: skip
            checked_event("event", ev)
        except InvalidEvent as exc:
            assert exc.field in ("recurrence", "start", "end"), exc
            event(f"refused ({exc.field})")
            _within_budget(work, 1)
            return
        except InvalidInput as exc:  # pragma: no cover - the facade names the event field
            raise AssertionError(f"not an InvalidEvent: {exc!r}") from exc
        _within_budget(work, 1)
        event("accepted")

        series = Series.of_event(ev)
        first = series.ruled_starts(1)
        assert first, "an accepted rule gives an occurrence"
        assert first[0].astimezone(UTC) - local.astimezone(UTC) <= HORIZON
        _within_budget(work, 1)
        list(itertools.islice(series.occurrences(), 200))
        _within_budget(work, 2)
        since = local.astimezone(UTC) + timedelta(days=since_days)
        list(itertools.islice(series.occurrences(since=since), 5))
        _within_budget(work, 2)
        series.count()
        _within_budget(work, 1)
        series.last()
        _within_budget(work, 3)
        series.fits(ZOOM_RECURRENCE)
        _within_budget(work, 2)
