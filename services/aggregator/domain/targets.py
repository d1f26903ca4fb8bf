"""Targets: which of them a unit's own figures meet, and how many units of a level meet, miss
or cannot be judged yet. Pure."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import NamedTuple

from services.aggregator.domain.figures import indicator_values
from services.aggregator.domain.tally import Number, Rules, Tally
from shared.catalog import ReportType


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


class TargetJudgement(NamedTuple):
    """Of ``units``, how many meet a derived indicator's target on their own figures, how many
    miss it, and how many cannot be judged yet (no report, or no figure to judge). A named
    tuple: a read makes one per unit and target (640 for a province), at a third of the cost
    of a frozen dataclass."""

    target: str  # ">= 15"
    met: int
    missed: int
    unjudged: int


def judgements(
    report_type: ReportType, counts: TargetCounts, units: int
) -> dict[str, TargetJudgement]:
    """Per derived indicator with a target, its judgement over ``units`` units."""
    result = {}
    for item in report_type.derived:
        if item.target is None:
            continue
        count = counts.get(item.code)
        met, missed = (count.met, count.missed) if count else (0, 0)
        result[item.code] = TargetJudgement(
            f"{item.target.operator} {item.target.value}",
            met,
            missed,
            max(units - met - missed, 0),
        )
    return result
