"""Every aggregation type of the catalog, across units and across periods; missing is never 0."""

from __future__ import annotations

import random
from collections.abc import Callable
from decimal import Decimal

import pytest

from services.aggregator.domain.figures import indicator_values
from services.aggregator.domain.period_totals import across_periods
from services.aggregator.domain.rollup import (
    Rollup,
    UnitReport,
    combine,
    replace_report,
    roll_up,
)
from services.aggregator.domain.tally import CannotTakeBack
from services.aggregator.domain.targets import TargetCount
from shared.catalog import ReportType
from shared.schemas import IndicatorValue

REPORT_TYPE = ReportType.model_validate(
    {
        "code": "every-type",
        "title": {"vi": "Mọi kiểu tổng hợp", "en": "Every aggregation type"},
        "periodicity": "monthly",
        "levels": [{"level": "commune", "deadline": {"day_of_last_month": 20}}],
        "indicators": [
            {"code": c, "type": t, "unit": "x", "aggregation": a, "title": {"vi": c, "en": c}}
            | ({"weight": "received"} if a == "weighted_mean" else {})
            for c, t, a in [
                ("received", "integer", "sum"),
                ("on_time", "integer", "sum"),
                ("satisfaction", "decimal", "weighted_mean"),
                ("plain_mean", "decimal", "mean"),
                ("bandwidth", "decimal", "min"),
                ("longest", "decimal", "max"),
                ("staff", "integer", "last"),
                ("outage", "decimal", "count"),
            ]
        ],
        "derived": [
            {
                "code": "on_time_pct",
                "formula": "100 * on_time / received",
                "title": {"vi": "Đúng hạn", "en": "On time"},
                "target": {"operator": ">=", "value": 95},
            }
        ],
    }
)


def report(unit: str, **values: IndicatorValue) -> UnitReport:
    return UnitReport(unit, "on_time", values)


def figures(*reports: UnitReport) -> dict[str, IndicatorValue | None]:
    return indicator_values(REPORT_TYPE, roll_up(reports, len(reports), REPORT_TYPE).tally)


def test_a_weighted_mean_weighs_each_unit_by_its_weight_indicator() -> None:
    values = figures(
        report("1", received=300, satisfaction=Decimal(90)),
        report("2", received=100, satisfaction=Decimal(50)),
    )
    assert values["satisfaction"] == Decimal(80)  # (300×90 + 100×50) / 400


def test_a_unit_without_the_weight_is_left_out_of_the_weighted_mean() -> None:
    values = figures(
        report("1", received=100, satisfaction=Decimal(90)),
        report("2", satisfaction=Decimal(10)),
    )
    assert values["satisfaction"] == Decimal(90)


def test_a_weighted_mean_over_zero_weight_is_unknown() -> None:
    assert figures(report("1", received=0, satisfaction=Decimal(90)))["satisfaction"] is None


def test_min_max_last_count_and_mean_across_units() -> None:
    values = figures(
        report("1", bandwidth=Decimal("8.5"), longest=Decimal(12), staff=40, outage=Decimal(3)),
        report("2", bandwidth=Decimal(100), longest=Decimal(30), staff=25, plain_mean=Decimal(4)),
        report("3", bandwidth=Decimal(20), staff=35, outage=Decimal(0), plain_mean=Decimal(6)),
    )
    assert values["bandwidth"] == Decimal("8.5")
    assert values["longest"] == Decimal(30)
    assert values["staff"] == 100  # a stock adds up across units
    assert values["outage"] == 2  # units that reported one, zero included
    assert values["plain_mean"] == Decimal(5)


def test_missing_is_none_for_every_type_while_zero_stays_zero() -> None:
    values = figures(report("1", received=0, on_time=0, bandwidth=Decimal(0)))
    assert values["received"] == 0
    assert values["bandwidth"] == Decimal(0)
    for code in ("satisfaction", "plain_mean", "longest", "staff", "outage"):
        assert values[code] is None, code


def test_the_nation_combines_provinces_by_each_type() -> None:
    north = roll_up(
        [report("1", received=100, satisfaction=Decimal(70), bandwidth=Decimal(5), staff=10)],
        1,
        REPORT_TYPE,
    )
    south = roll_up(
        [report("2", received=300, satisfaction=Decimal(90), bandwidth=Decimal(2), staff=20)],
        1,
        REPORT_TYPE,
    )
    values = indicator_values(REPORT_TYPE, combine([north, south], REPORT_TYPE).tally)
    assert values["satisfaction"] == Decimal(85)
    assert values["bandwidth"] == Decimal(2)
    assert values["staff"] == 30
    assert values["received"] == 400


def test_a_period_total_sums_flows_and_takes_the_last_stock() -> None:
    months = [
        roll_up([report("1", received=10, staff=40, longest=Decimal(3))], 1, REPORT_TYPE),
        roll_up([report("1", received=20, staff=42, longest=Decimal(9))], 1, REPORT_TYPE),
        roll_up([report("1", received=30, longest=Decimal(4))], 1, REPORT_TYPE),
    ]
    total = across_periods(REPORT_TYPE, months)
    values = indicator_values(REPORT_TYPE, total.tally)
    assert values["received"] == 60
    assert values["staff"] == 42  # the latest month that has the figure
    assert values["longest"] == Decimal(9)
    assert total.completeness.expected == 3
    assert total.completeness.submitted == 3


def test_a_correction_of_the_minimum_cannot_be_taken_back_incrementally() -> None:
    first = report("1", bandwidth=Decimal(2))
    rollup = roll_up([first, report("2", bandwidth=Decimal(50))], 2, REPORT_TYPE)
    with pytest.raises(CannotTakeBack):
        replace_report(rollup, first, report("1", bandwidth=Decimal(80)), 2, REPORT_TYPE)


def test_targets_count_the_units_that_meet_and_miss_them() -> None:
    rollup = roll_up(
        [
            report("1", received=100, on_time=99),
            report("2", received=100, on_time=90),
            report("3", received=0, on_time=0),  # no figure to judge: a zero divisor
        ],
        4,
        REPORT_TYPE,
    )
    assert rollup.targets == {"on_time_pct": TargetCount(met=1, missed=1)}


def _random_values(rng: random.Random) -> dict[str, IndicatorValue]:
    makers: dict[str, Callable[[], IndicatorValue]] = {
        "received": lambda: rng.randint(0, 50),
        "on_time": lambda: rng.randint(0, 50),
        "satisfaction": lambda: Decimal(rng.randint(0, 10000)) / 100,
        "plain_mean": lambda: Decimal(rng.randint(0, 999)) / 10,
        "bandwidth": lambda: Decimal(rng.randint(1, 9)),
        "longest": lambda: Decimal(rng.randint(1, 9)),
        "staff": lambda: rng.randint(0, 9),
        "outage": lambda: Decimal(rng.randint(0, 9)),
    }
    return {code: make() for code, make in makers.items() if rng.random() < 0.75}


@pytest.mark.parametrize("seed", range(25))
def test_corrections_folded_one_by_one_equal_a_full_rollup(seed: int) -> None:
    rng = random.Random(seed)
    units = [f"{n:05d}" for n in range(1, 7)]
    current: dict[str, UnitReport] = {}
    rollup = Rollup(roll_up([], 6).tally, roll_up([], 6).completeness)
    for _ in range(80):
        unit = rng.choice(units)
        new = UnitReport(unit, rng.choice(["on_time", "late"]), _random_values(rng))
        try:
            rollup = replace_report(rollup, current.get(unit), new, 6, REPORT_TYPE)
            current[unit] = new
        except CannotTakeBack:
            current[unit] = new
            rollup = roll_up(current.values(), 6, REPORT_TYPE)

    full = roll_up(current.values(), 6, REPORT_TYPE)
    assert rollup.completeness == full.completeness
    assert rollup.targets == full.targets
    assert indicator_values(REPORT_TYPE, rollup.tally) == indicator_values(REPORT_TYPE, full.tally)
    assert rollup.tally.counts == full.tally.counts


def test_stored_decimals_have_one_spelling() -> None:
    from services.aggregator.domain.rollup import canonical

    assert canonical({"a": Decimal("2.50"), "b": Decimal("2.5"), "c": 7, "d": Decimal("1E+2")}) == {
        "a": "2.5",
        "b": "2.5",
        "c": 7,
        "d": "100",
    }
    assert canonical({"z": Decimal("-0.00")}) == {"z": "0"}
