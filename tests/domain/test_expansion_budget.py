"""What one bounded expansion costs and how it ends (meetlink.domain.expansion): each
occurrence one step and each month entered MONTH_STEPS more, as the module's docstring
says; an expansion whose budget is spent is ``cut``, one dateutil cannot go on with holds
the error in ``failed`` (and is cut too), one whose rule ends is neither."""

from __future__ import annotations

import itertools
from datetime import datetime
from zoneinfo import ZoneInfo

from meetlink.domain.expansion import MONTH_STEPS, Expansion, expand
from meetlink.domain.series import rule_parts

MARCH_1 = datetime(2027, 3, 1, 9, 0, tzinfo=ZoneInfo("UTC"))


def _daily(rule: str = "FREQ=DAILY", budget: int = 20_000) -> Expansion:
    return expand(rule_parts(rule), MARCH_1, budget)


def _steps_after(count: int) -> int:
    expansion = _daily()
    assert len(list(itertools.islice(expansion, count))) == count
    return expansion.steps


def test_an_occurrence_costs_one_step_and_a_month_entered_month_steps_more() -> None:
    assert _steps_after(31) - _steps_after(3) == 28  # 4 to 31 March: one step each
    assert _steps_after(32) - _steps_after(31) == 1 + MONTH_STEPS  # 1 April: April entered


def test_an_expansion_whose_budget_is_spent_is_cut() -> None:
    expansion = _daily(budget=300)
    found = list(expansion)
    assert 0 < len(found) < 300
    assert expansion.cut is True and expansion.failed is None
    assert next(expansion, None) is None  # and stays ended


def test_an_expansion_whose_rule_ends_is_not_cut() -> None:
    expansion = _daily("FREQ=DAILY;COUNT=3")
    assert len(list(expansion)) == 3
    assert expansion.cut is False and expansion.failed is None


def test_an_expansion_dateutil_cannot_continue_holds_its_error() -> None:
    # From Monday 27 December 9999 the next Sunday is in year 10000.
    start = datetime(9999, 12, 27, 9, 0, tzinfo=ZoneInfo("UTC"))
    expansion = expand(rule_parts("FREQ=WEEKLY;BYDAY=SU"), start)
    assert list(expansion) == []
    assert expansion.cut is True
    assert isinstance(expansion.failed, ValueError)
    assert str(expansion.failed) == "year 10000 is out of range"
