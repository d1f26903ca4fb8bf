"""Replacing one unit's report in a rollup equals rolling everything up again."""

from __future__ import annotations

import random
from decimal import Decimal

import pytest

from services.aggregator.domain.rollup import (
    Completeness,
    Rollup,
    UnitReport,
    replace_report,
    roll_up,
)
from services.aggregator.domain.tally import Tally
from shared.schemas import IndicatorValue

EMPTY = Rollup(Tally(), Completeness(expected=5))


def report(unit: str, timeliness: str = "on_time", **values: IndicatorValue) -> UnitReport:
    return UnitReport(unit, timeliness, values)


def test_a_first_report_is_added_and_counted_as_submitted() -> None:
    result = replace_report(EMPTY, None, report("00001", docs=3, pct=Decimal("90.5")), 5)

    assert result.tally.sums == {"docs": 3, "pct": Decimal("90.5")}
    assert result.tally.counts == {"docs": 1, "pct": 1}
    assert result.completeness == Completeness(5, 1, 1, 0)


def test_a_correction_replaces_the_old_values_without_counting_the_unit_twice() -> None:
    first = report("00001", docs=3)
    once = replace_report(EMPTY, None, first, 5)

    corrected = replace_report(once, first, report("00001", "late", docs=10), 5)

    assert corrected.tally.sums == {"docs": 10}
    assert corrected.tally.counts == {"docs": 1}
    assert corrected.completeness == Completeness(5, 1, 0, 1)


def test_an_indicator_left_without_reporters_is_missing_not_zero() -> None:
    first = report("00001", docs=3, pct=Decimal("80"))
    once = replace_report(EMPTY, None, first, 5)

    corrected = replace_report(once, first, report("00001", docs=4), 5)

    assert "pct" not in corrected.tally.sums
    assert "pct" not in corrected.tally.counts


def test_replacing_leaves_the_input_rollup_unchanged() -> None:
    first = report("00001", docs=3)
    once = replace_report(EMPTY, None, first, 5)

    replace_report(once, first, report("00001", docs=9), 5)

    assert once.tally.sums == {"docs": 3}


def test_expected_follows_the_registry_figure_given() -> None:
    assert replace_report(EMPTY, None, report("00001", docs=1), 7).completeness.expected == 7


@pytest.mark.parametrize("seed", range(20))
def test_any_sequence_of_reports_and_corrections_equals_a_full_rollup(seed: int) -> None:
    rng = random.Random(seed)
    units = [f"{n:05d}" for n in range(1, 9)]
    current: dict[str, UnitReport] = {}
    rollup = Rollup(Tally(), Completeness(expected=len(units)))
    for _ in range(60):
        unit = rng.choice(units)
        values: dict[str, IndicatorValue] = {}
        if rng.random() < 0.8:
            values["docs"] = rng.randint(0, 500)
        if rng.random() < 0.7:
            values["pct"] = Decimal(rng.randint(0, 10000)) / 100
        new = report(unit, rng.choice(["on_time", "late"]), **values)
        rollup = replace_report(rollup, current.get(unit), new, len(units))
        current[unit] = new

    full = roll_up(current.values(), expected=len(units))

    assert rollup.completeness == full.completeness
    assert rollup.tally.counts == full.tally.counts
    assert rollup.tally.sums == full.tally.sums
