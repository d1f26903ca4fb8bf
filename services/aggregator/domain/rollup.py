"""Rollup arithmetic: from unit reports to province and national figures. Pure.

A rollup keeps, per indicator, the sum of the values reported and how many units reported it.
That is enough for every level: sums add up, means are sum / count at any level, and an
indicator nobody reported stays missing (None) instead of becoming zero.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
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


@dataclass
class Tally:
    sums: dict[str, Number] = field(default_factory=dict)
    counts: dict[str, int] = field(default_factory=dict)

    def add(self, values: Mapping[str, Number]) -> None:
        for code, value in values.items():
            self.sums[code] = self.sums.get(code, 0) + value
            self.counts[code] = self.counts.get(code, 0) + 1

    def remove(self, values: Mapping[str, Number]) -> None:
        """Take back a report added earlier; an indicator left with no reporter disappears."""
        for code, value in values.items():
            count = self.counts.get(code, 0) - 1
            if count <= 0:
                self.sums.pop(code, None)
                self.counts.pop(code, None)
            else:
                self.sums[code] = self.sums[code] - value
                self.counts[code] = count

    def copy(self) -> Tally:
        return Tally(dict(self.sums), dict(self.counts))

    def merge(self, other: Tally) -> None:
        for code, value in other.sums.items():
            self.sums[code] = self.sums.get(code, 0) + value
            self.counts[code] = self.counts.get(code, 0) + other.counts.get(code, 0)


@dataclass
class Rollup:
    tally: Tally
    completeness: Completeness


def roll_up(reports: Iterable[UnitReport], expected: int) -> Rollup:
    tally = Tally()
    on_time = late = submitted = 0
    for report in reports:
        tally.add(report.values)
        submitted += 1
        on_time += report.timeliness == "on_time"
        late += report.timeliness == "late"
    return Rollup(tally, Completeness(expected, submitted, on_time, late))


def replace_report(
    rollup: Rollup, old: UnitReport | None, new: UnitReport, expected: int
) -> Rollup:
    """``rollup`` with a unit's report ``old`` (None: it had none) replaced by ``new``.

    Equal to rolling up every unit again, at a cost that does not grow with the number of
    units: a deadline-day burst costs the same per report in a province of 100 communes or 1,000.
    """
    tally = rollup.tally.copy()
    c = rollup.completeness
    submitted, on_time, late = c.submitted, c.on_time, c.late
    if old is not None:
        tally.remove(old.values)
        on_time -= old.timeliness == "on_time"
        late -= old.timeliness == "late"
    else:
        submitted += 1
    tally.add(new.values)
    on_time += new.timeliness == "on_time"
    late += new.timeliness == "late"
    return Rollup(tally, Completeness(expected, submitted, on_time, late))


def combine(rollups: Iterable[Rollup]) -> Rollup:
    tally = Tally()
    completeness = Completeness()
    for rollup in rollups:
        tally.merge(rollup.tally)
        completeness += rollup.completeness
    return Rollup(tally, completeness)


def indicator_values(report_type: ReportType, tally: Tally) -> dict[str, Number | None]:
    values: dict[str, Number | None] = {}
    for indicator in report_type.indicators:
        count = tally.counts.get(indicator.code, 0)
        if count == 0:
            values[indicator.code] = None
        elif indicator.aggregation == Aggregation.MEAN:
            values[indicator.code] = Decimal(tally.sums[indicator.code]) / count
        else:
            values[indicator.code] = tally.sums[indicator.code]
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
