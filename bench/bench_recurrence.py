"""Worst-case CPU time of one recurrence expansion over adversarial rules.

For each rule: the facade's check (``check_recurrence``: accepted or refused), then one whole
expansion drained to its end or to its step budget (what a reminder pass, the Teams span or
Zoom's series end costs at most per expansion, also for a rule stored before the check
existed), with the steps it spent. Then a seeded random search over generated rules (BY
parts, COUNT, UNTIL, INTERVAL, zones) reports the slowest. CPU seconds of this process
(``time.process_time``), best of ``--repeat`` runs, so a busy machine disturbs them less.

``--before`` also times plain dateutil on the issue's rules (what meetlink did before the
bound: expansion to the first occurrence, i.e. towards year 9999 for a rule that has none).

    .venv/bin/python bench/bench_recurrence.py [--random 20000] [--repeat 3] [--before]
"""

from __future__ import annotations

import argparse
import random
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import TypeVar
from zoneinfo import ZoneInfo

from dateutil.rrule import rrulestr

from meetlink import Event, InvalidEvent
from meetlink.domain.expansion import STEP_BUDGET, expand
from meetlink.domain.series import check_recurrence, rule_parts

T = TypeVar("T")
BERLIN = ZoneInfo("Europe/Berlin")
MONDAY = datetime(2027, 1, 4, 9, 0, tzinfo=BERLIN)
TUESDAY = datetime(2027, 1, 5, 9, 0, tzinfo=BERLIN)

ADVERSARIAL: list[tuple[str, datetime]] = [
    ("FREQ=DAILY;BYMONTH=2;BYMONTHDAY=30", MONDAY),
    ("FREQ=HOURLY;BYMONTH=2;BYMONTHDAY=30", MONDAY),
    ("FREQ=HOURLY;BYMONTH=2;BYMONTHDAY=30;COUNT=5", MONDAY),
    ("FREQ=DAILY;INTERVAL=7;BYDAY=MO", TUESDAY),
    ("FREQ=HOURLY;INTERVAL=168;BYDAY=MO", TUESDAY),
    ("FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=30", MONDAY),
    ("FREQ=WEEKLY;BYMONTH=2;BYMONTHDAY=30", MONDAY),
    ("FREQ=MONTHLY;BYDAY=1MO;BYMONTHDAY=15", MONDAY),
    ("FREQ=YEARLY;BYWEEKNO=1;BYMONTH=6", MONDAY),
    ("FREQ=HOURLY;BYSETPOS=2", MONDAY),
    ("FREQ=DAILY;BYSETPOS=2", MONDAY),
    ("FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=29;BYDAY=MO", MONDAY),
    ("FREQ=YEARLY;BYYEARDAY=366;BYDAY=SU", MONDAY),
    ("FREQ=DAILY;BYHOUR=" + ",".join(str(h) for h in range(24)), MONDAY),
    ("FREQ=HOURLY", MONDAY),
    ("FREQ=HOURLY;BYDAY=MO;BYHOUR=0", MONDAY),
    ("FREQ=DAILY", MONDAY),
    ("FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR,SA,SU;BYHOUR=" + ",".join(map(str, range(24))), MONDAY),
    ("FREQ=DAILY;INTERVAL=1000;BYMONTH=2;BYMONTHDAY=29", MONDAY),
    ("FREQ=YEARLY;INTERVAL=1;BYSETPOS=366;BYMONTHDAY=31", MONDAY),
]

FREQS = ["YEARLY", "MONTHLY", "WEEKLY", "DAILY", "HOURLY"]
DAYS = ["MO", "TU", "WE", "TH", "FR", "SA", "SU"]
ZONES = ["UTC", "Asia/Tokyo", "Europe/Berlin", "America/New_York", "Australia/Lord_Howe"]


def _cpu(work: Callable[..., T], *args: object, repeat: int = 1) -> tuple[float, T]:
    """The best CPU time of ``repeat`` calls of ``work(*args)``, and its result."""
    best = float("inf")
    for _ in range(repeat):
        started = time.process_time()
        result = work(*args)
        best = min(best, time.process_time() - started)
    return best, result


def _event(rule: str, start: datetime) -> Event:
    return Event("e", "t", "o", "x", start, start + timedelta(minutes=30),
                 timezone=str(start.tzinfo), recurrence=rule)  # fmt: skip


def _check(rule: str, start: datetime) -> str:
    try:
        check_recurrence(_event(rule, start))
    except InvalidEvent as exc:
        return f"refused: {str(exc)[:60]}"
    return "accepted"


def _drain(rule: str, start: datetime) -> tuple[int, int, bool]:
    try:
        expansion = expand(rule_parts(rule), start)
    except InvalidEvent:
        return 0, 0, False
    given = sum(1 for _ in expansion)
    return given, expansion.steps, expansion.cut


def _first_plain(rule: str, start: datetime) -> object:
    return next(iter(rrulestr(rule, dtstart=start)), None)


def _random_rule(rng: random.Random) -> str:
    parts = [f"FREQ={rng.choice(FREQS)}"]
    options: dict[str, Callable[[], str]] = {
        "INTERVAL": lambda: str(rng.choice([1, 2, 3, 7, 12, 168, 1000])),
        "COUNT": lambda: str(rng.choice([1, 5, 60, 5000, 10**6])),
        "UNTIL": lambda: f"{rng.randint(2027, 9999):04d}0101T000000Z",
        "BYMONTH": lambda: ",".join(str(rng.randint(1, 12)) for _ in range(rng.randint(1, 3))),
        "BYMONTHDAY": lambda: ",".join(
            str(rng.choice([1, 15, 28, 29, 30, 31, -1, -31])) for _ in range(rng.randint(1, 3))
        ),
        "BYYEARDAY": lambda: str(rng.choice([1, 60, 365, 366, -1, -366])),
        "BYWEEKNO": lambda: str(rng.choice([1, 20, 52, 53, -1, -53])),
        "BYDAY": lambda: ",".join(
            rng.choice(["", "1", "-1", "2", "5", "53", "-53"]) + rng.choice(DAYS)
            for _ in range(rng.randint(1, 3))
        ),
        "BYHOUR": lambda: ",".join(str(rng.randint(0, 23)) for _ in range(rng.randint(1, 3))),
        "BYSETPOS": lambda: str(rng.choice([1, 2, 3, -1, 366, -366])),
        "WKST": lambda: rng.choice(DAYS),
    }
    for name in rng.sample(sorted(options), rng.randint(0, 4)):
        parts.append(f"{name}={options[name]()}")
    return ";".join(parts)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--random", type=int, default=20_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--before", action="store_true")
    args = parser.parse_args()

    print(f"step budget {STEP_BUDGET:,} per expansion")
    print("| rule | check | check CPU | occurrences / steps (cut) | expansion CPU |")
    print("|---|---|---|---|---|")
    worst = (0.0, "")
    for rule, start in ADVERSARIAL:
        check_cpu, verdict = _cpu(_check, rule, start, repeat=args.repeat)
        drain_cpu, (given, steps, cut) = _cpu(_drain, rule, start, repeat=args.repeat)
        worst = max(worst, (max(check_cpu, drain_cpu), rule))
        print(
            f"| `{rule}` (from {start:%a}) | {verdict} | {check_cpu * 1000:.1f} ms "
            f"| {given:,} / {steps:,}{' (cut)' if cut else ''} | {drain_cpu * 1000:.1f} ms |"
        )
    print(f"worst adversarial: {worst[0] * 1000:.1f} ms CPU ({worst[1]})")

    rng = random.Random(21)
    slowest: list[tuple[float, str, str]] = []
    for _ in range(args.random):
        rule = _random_rule(rng)
        zone = ZoneInfo(rng.choice(ZONES))
        start = datetime(rng.randint(1900, 8990), rng.randint(1, 12), rng.randint(1, 28),
                         rng.randint(0, 23), tzinfo=zone)  # fmt: skip
        started = time.process_time()
        verdict = _check(rule, start)
        _drain(rule, start)
        slowest.append((time.process_time() - started, rule, f"{start:%Y-%m-%d %H:%M} {zone}"))
        slowest = sorted(slowest, reverse=True)[:5]
    print(f"random search over {args.random:,} rules (check + one drained expansion), slowest:")
    for cpu, rule, start_text in slowest:
        print(f"  {cpu * 1000:.1f} ms CPU  {rule}  from {start_text}")

    if args.before:
        print("before the bound (plain dateutil, first occurrence):")
        for rule, start in ADVERSARIAL[:5]:
            cpu, _ = _cpu(_first_plain, rule, start)
            print(f"  {cpu:.1f} s CPU  {rule} (from {start:%a})")


if __name__ == "__main__":
    main()
