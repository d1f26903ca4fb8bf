"""A tally: per indicator, what its aggregation type needs to be combined again. Pure.

A tally keeps a running sum (sum, mean, last), the sum of value × weight and of the weights
(weighted mean), the extremum (min, max), and always how many units reported it. That is enough
for every level: a province's tally merges into the nation's, a quarter's into the year's, and
an indicator nobody reported stays missing (None) instead of becoming zero.

Taking a report back out is exact for everything but an extremum: when the unit that held the
minimum corrects its value, the new minimum is unknown without the other units' values, and the
caller rolls the province up again from its reports.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from shared.catalog import ReportType
from shared.catalog.model import Aggregation
from shared.schemas import IndicatorValue

Number = IndicatorValue


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
