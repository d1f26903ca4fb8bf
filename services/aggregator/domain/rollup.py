"""Rollup arithmetic: from unit reports to province and national figures, and from periods to
longer periods. Pure.

A tally keeps, per indicator, what its aggregation type needs and no more: a running sum (sum,
mean, last), the sum of value × weight and of the weights (weighted mean), the extremum (min,
max), and always how many units reported it. That is enough for every level: a province's tally
merges into the nation's, a quarter's into the year's, and an indicator nobody reported stays
missing (None) instead of becoming zero.

Taking a report back out is exact for everything but an extremum: when the unit that held the
minimum corrects its value, the new minimum is unknown without the other units' values, and the
caller rolls the province up again from its reports.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from shared.catalog import IndicatorType, ReportType
from shared.catalog.model import Aggregation
from shared.schemas import IndicatorValue

Number = IndicatorValue


@dataclass(frozen=True)
class Completeness:
    expected: int = 0
    submitted: int = 0
    on_time: int = 0
    late: int = 0

    def __add__(self, other: Completeness) -> Completeness:
        return Completeness(
            self.expected + other.expected,
            self.submitted + other.submitted,
            self.on_time + other.on_time,
            self.late + other.late,
        )

    @property
    def missing(self) -> int:
        return max(self.expected - self.submitted, 0)

    @property
    def rate_pct(self) -> float | None:
        return None if self.expected == 0 else round(100 * self.submitted / self.expected, 2)


@dataclass(frozen=True)
class UnitReport:
    unit: str
    timeliness: str
    values: Mapping[str, Number]


@dataclass(frozen=True)
class Rules:
    """How each indicator of a report type combines, read once from the catalog."""

    aggregation: Mapping[str, Aggregation]
    weight: Mapping[str, str]

    @staticmethod
    def of(report_type: ReportType) -> Rules:
        # By identity: hashing a frozen pydantic model walks all of it, and this is called
        # for every report (it was most of a year total's time).
        cached = _RULES.get(id(report_type))
        if cached is None or cached[0] is not report_type:
            rules = Rules(
                {i.code: i.aggregation for i in report_type.indicators},
                {i.code: i.weight for i in report_type.indicators if i.weight is not None},
            )
            if len(_RULES) >= 64:  # catalogs loaded again and again (tests): start afresh
                _RULES.clear()
            cached = _RULES[id(report_type)] = (report_type, rules)
        return cached[1]

    def of_code(self, code: str) -> Aggregation:
        return self.aggregation.get(code, Aggregation.SUM)


# The report type is kept with its rules, so its id cannot be reused by another object.
_RULES: dict[int, tuple[ReportType, Rules]] = {}


# Rules with no catalog behind them: every indicator summed.
SUMMED = Rules({}, {})


class CannotTakeBack(Exception):
    """The report held an extremum: the tally must be rebuilt from every unit's report."""


@dataclass
class Tally:
    sums: dict[str, Number] = field(default_factory=dict)
    counts: dict[str, int] = field(default_factory=dict)
    weights: dict[str, Number] = field(default_factory=dict)

    def add(self, values: Mapping[str, Number], rules: Rules = SUMMED) -> None:
        for code, value in values.items():
            kind = rules.of_code(code)
            if kind == Aggregation.WEIGHTED_MEAN:
                weight = values.get(rules.weight[code])
                if weight is None:
                    continue
                self.sums[code] = self.sums.get(code, 0) + value * weight
                self.weights[code] = self.weights.get(code, 0) + weight
            elif kind in _EXTREMUM and code in self.sums:
                self.sums[code] = _EXTREMUM[kind](self.sums[code], value)
            else:
                self.sums[code] = self.sums.get(code, 0) + value
            self.counts[code] = self.counts.get(code, 0) + 1

    def remove(self, values: Mapping[str, Number], rules: Rules = SUMMED) -> None:
        """Take back a report added earlier; an indicator left with no reporter disappears.

        Raises CannotTakeBack, leaving the tally half changed, if the report held a minimum or
        a maximum that others share or exceed: work on a copy."""
        for code, value in values.items():
            kind = rules.of_code(code)
            weight = values.get(rules.weight.get(code, ""))
            if kind == Aggregation.WEIGHTED_MEAN and weight is None:
                continue
            count = self.counts.get(code, 0) - 1
            if count <= 0:
                for column in (self.sums, self.counts, self.weights):
                    column.pop(code, None)
                continue
            self.counts[code] = count
            if kind in _EXTREMUM:
                if value == self.sums[code]:
                    raise CannotTakeBack(code)
            elif kind == Aggregation.WEIGHTED_MEAN:
                assert weight is not None
                self.sums[code] = self.sums[code] - value * weight
                self.weights[code] = self.weights[code] - weight
            else:
                self.sums[code] = self.sums[code] - value

    def copy(self) -> Tally:
        return Tally(dict(self.sums), dict(self.counts), dict(self.weights))

    def merge(self, other: Tally, rules: Rules = SUMMED) -> None:
        """Add ``other`` (another unit, province or period) into this tally."""
        for code, value in other.sums.items():
            kind = rules.of_code(code)
            if kind in _EXTREMUM and code in self.sums:
                self.sums[code] = _EXTREMUM[kind](self.sums[code], value)
            else:
                self.sums[code] = self.sums.get(code, 0) + value
            self.counts[code] = self.counts.get(code, 0) + other.counts.get(code, 0)
        for code, weight in other.weights.items():
            self.weights[code] = self.weights.get(code, 0) + weight


_EXTREMUM = {Aggregation.MIN: min, Aggregation.MAX: max}


@dataclass(frozen=True)
class TargetCount:
    """Units whose own figures meet a derived indicator's target, and units that miss it; a
    unit whose figure cannot be computed (missing data, a zero divisor) is in neither."""

    met: int = 0
    missed: int = 0

    def __add__(self, other: TargetCount) -> TargetCount:
        return TargetCount(self.met + other.met, self.missed + other.missed)

    def __sub__(self, other: TargetCount) -> TargetCount:
        return TargetCount(self.met - other.met, self.missed - other.missed)


TargetCounts = Mapping[str, TargetCount]


def add_counts(left: TargetCounts, right: TargetCounts, sign: int = 1) -> dict[str, TargetCount]:
    result = dict(left)
    for code, count in right.items():
        base = result.get(code, TargetCount())
        result[code] = base + count if sign > 0 else base - count
    return {code: count for code, count in result.items() if count != TargetCount()}


def targets_of(report_type: ReportType, values: Mapping[str, Number]) -> dict[str, TargetCount]:
    """Which targets one unit's report meets (1 in ``met``) or misses (1 in ``missed``)."""
    tally = Tally()
    tally.add(values, Rules.of(report_type))
    return targets_met(report_type, tally)


def targets_met(report_type: ReportType, tally: Tally) -> dict[str, TargetCount]:
    """Which targets one unit's figures meet or miss: of one report, or of its periods combined
    (a year's cut in documents is judged on the year's figures, not quarter by quarter)."""
    figures = indicator_values(report_type, tally, one_unit=True)
    counts: dict[str, TargetCount] = {}
    for item in report_type.derived:
        if item.target is None:
            continue
        value = item.expression().evaluate(figures)
        if value is not None:
            met = item.target.is_met(value)
            counts[item.code] = TargetCount(int(met), int(not met))
    return counts


@dataclass
class Rollup:
    tally: Tally
    completeness: Completeness
    targets: TargetCounts = field(default_factory=dict)


def roll_up(
    reports: Iterable[UnitReport],
    expected: int,
    report_type: ReportType | None = None,
    *,
    judge: bool = True,
) -> Rollup:
    """``judge``: count the targets each report meets (a period total judges units on their
    combined figures instead, so it skips this)."""
    rules = SUMMED if report_type is None else Rules.of(report_type)
    tally = Tally()
    targets: dict[str, TargetCount] = {}
    on_time = late = submitted = 0
    for report in reports:
        tally.add(report.values, rules)
        if report_type is not None and judge:
            targets = add_counts(targets, targets_of(report_type, report.values))
        submitted += 1
        on_time += report.timeliness == "on_time"
        late += report.timeliness == "late"
    return Rollup(tally, Completeness(expected, submitted, on_time, late), targets)


def replace_report(
    rollup: Rollup,
    old: UnitReport | None,
    new: UnitReport,
    expected: int,
    report_type: ReportType | None = None,
) -> Rollup:
    """``rollup`` with a unit's report ``old`` (None: it had none) replaced by ``new``.

    Equal to rolling up every unit again, at a cost that does not grow with the number of
    units: a deadline-day burst costs the same per report in a province of 100 communes or
    1,000. Raises CannotTakeBack when ``old`` held a minimum or maximum.
    """
    rules = SUMMED if report_type is None else Rules.of(report_type)
    tally = rollup.tally.copy()
    targets = dict(rollup.targets)
    c = rollup.completeness
    submitted, on_time, late = c.submitted, c.on_time, c.late
    if old is not None:
        tally.remove(old.values, rules)
        on_time -= old.timeliness == "on_time"
        late -= old.timeliness == "late"
        if report_type is not None:
            targets = add_counts(targets, targets_of(report_type, old.values), -1)
    else:
        submitted += 1
    tally.add(new.values, rules)
    if report_type is not None:
        targets = add_counts(targets, targets_of(report_type, new.values))
    on_time += new.timeliness == "on_time"
    late += new.timeliness == "late"
    return Rollup(tally, Completeness(expected, submitted, on_time, late), targets)


def combine(rollups: Iterable[Rollup], report_type: ReportType | None = None) -> Rollup:
    """Units or provinces side by side (the same period): the rollup of the level above."""
    rules = SUMMED if report_type is None else Rules.of(report_type)
    tally = Tally()
    completeness = Completeness()
    targets: dict[str, TargetCount] = {}
    for rollup in rollups:
        tally.merge(rollup.tally, rules)
        completeness += rollup.completeness
        targets = add_counts(targets, rollup.targets)
    return Rollup(tally, completeness, targets)


def unit_total(report_type: ReportType, periods: Sequence[Rollup]) -> Rollup:
    """One unit's rollups of consecutive periods as one longer period, its targets judged on
    the combined figures. A level's period total is the combination of its units' totals, so a
    stock (``last``) is each unit's own latest figure, however many units a late month lacks."""
    total = across_periods(report_type, periods)
    return Rollup(total.tally, total.completeness, targets_met(report_type, total.tally))


def across_periods(report_type: ReportType, rollups: Sequence[Rollup]) -> Rollup:
    """Consecutive periods of one unit or level, oldest first, as one longer period: a year from
    its quarters. Sums add up, means average over every unit-period reported, extremes are the
    extremes of the periods, ``last`` takes the latest period with data, ``count`` adds up the
    unit-periods reported. Completeness and target counts add up, so they count unit-periods.
    """
    rules = Rules.of(report_type)
    total = combine(rollups, report_type)
    for code, kind in rules.aggregation.items():
        if kind != Aggregation.LAST:
            continue
        for column in (total.tally.sums, total.tally.counts, total.tally.weights):
            column.pop(code, None)
        for rollup in reversed(rollups):
            if rollup.tally.counts.get(code, 0) > 0:
                total.tally.sums[code] = rollup.tally.sums[code]
                total.tally.counts[code] = rollup.tally.counts[code]
                break
    return total


def indicator_values(
    report_type: ReportType, tally: Tally, *, one_unit: bool = False
) -> dict[str, Number | None]:
    """Each indicator's figure from a tally. ``one_unit``: the tally is one unit's own (a report,
    or its periods), so a ``count`` indicator, which counts reporting units at a level above,
    shows what the unit reported."""
    values: dict[str, Number | None] = {}
    for indicator in report_type.indicators:
        code = indicator.code
        count = tally.counts.get(code, 0)
        kind = indicator.aggregation
        if count == 0:
            values[code] = None
        elif kind == Aggregation.MEAN:
            values[code] = Decimal(tally.sums[code]) / count
        elif kind == Aggregation.WEIGHTED_MEAN:
            weight = tally.weights.get(code, 0)
            values[code] = None if weight == 0 else Decimal(tally.sums[code]) / Decimal(weight)
        elif kind == Aggregation.COUNT and not one_unit:
            values[code] = count
        else:
            values[code] = tally.sums[code]
    return values


def derived_values(
    report_type: ReportType, values: Mapping[str, Number | None]
) -> dict[str, dict[str, Any]]:
    """Each derived indicator with its target and whether the target is met (None: no data)."""
    derived: dict[str, dict[str, Any]] = {}
    for item in report_type.derived:
        value = item.expression().evaluate(values)
        entry: dict[str, Any] = {"value": value}
        if item.target is not None:
            entry["target"] = f"{item.target.operator} {item.target.value}"
            entry["met"] = None if value is None else item.target.is_met(value)
        derived[item.code] = entry
    return derived


def parse_values(report_type: ReportType, stored: Mapping[str, Any]) -> dict[str, Number]:
    """Values as stored in JSON (decimals as strings) back to numbers, by indicator type."""
    types = {i.code: i.type for i in report_type.indicators}
    return {
        code: int(raw) if types.get(code) == IndicatorType.INTEGER else Decimal(str(raw))
        for code, raw in stored.items()
        if code in types
    }


def parse_numbers(stored: Mapping[str, Any]) -> dict[str, Number]:
    """Stored figures whose type is not the indicator's (sums of value × weight, weights)."""
    return {
        code: raw if isinstance(raw, int) else Decimal(str(raw)) for code, raw in stored.items()
    }


def canonical(values: Mapping[str, Number]) -> dict[str, Number | str]:
    """Numbers in one spelling per value, so a rollup kept up report by report and one rebuilt
    from scratch store the same bytes: Decimal('2.50') and Decimal('2.5') are both "2.5"."""
    return {code: _plain(v) if isinstance(v, Decimal) else v for code, v in values.items()}


def _plain(value: Decimal) -> str:
    text = f"{value:f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text in ("", "-0") else text
