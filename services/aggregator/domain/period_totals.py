"""Period totals: a longer period (a year of a quarterly report) from the rollups of its
periods, the units its targets are judged over, and the same total a year earlier. Pure.

A period label longer than the report type's own (``2026`` for a quarterly report, ``2026-Q1``
for a monthly one) asks for a period total. Flows (sums, means, extremes, counts) add up over
the periods; a stock (``last``) is each unit's own latest figure, so a level's total is the
combination of its units' own totals, never the last period's level figure.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal

from services.aggregator.domain.figures import Published
from services.aggregator.domain.rollup import Rollup, combine
from services.aggregator.domain.tally import Rules
from services.aggregator.domain.targets import targets_met
from shared.catalog import Level, ReportType
from shared.catalog.model import Aggregation
from shared.periods import Period, Periodicity
from shared.registry import Registry, Unit


@dataclass(frozen=True)
class AskedPeriod:
    """A report type and the period asked for, made of ``parts`` (one: the period itself)."""

    report_type: ReportType
    period: Period
    parts: list[Period]

    @staticmethod
    def of(report_type: ReportType, period: Period) -> AskedPeriod:
        """Raises InvalidPeriod if ``period`` is not made of the report type's periods."""
        return AskedPeriod(report_type, period, period.split(report_type.periodicity))

    @property
    def is_total(self) -> bool:
        return len(self.parts) > 1 or self.parts[0] != self.period

    @property
    def is_year(self) -> bool:
        return self.is_total and self.period.periodicity == Periodicity.YEARLY

    @property
    def labels(self) -> list[str]:
        return [part.label for part in self.parts]

    def year_before(self) -> AskedPeriod:
        return AskedPeriod.of(self.report_type, self.period.shifted(-1))


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


def over_parts(asked: AskedPeriod, parts: list[Rollup]) -> Rollup:
    """The rollups of the asked period's parts as the asked period."""
    return across_periods(asked.report_type, parts) if asked.is_total else parts[0]


def has_stock(report_type: ReportType) -> bool:
    """A ``last`` indicator: a level's total is its units' own latest figures, which the
    stored province rows cannot give."""
    return any(i.aggregation == Aggregation.LAST for i in report_type.indicators)


def units_judged(asked: AskedPeriod, unit: Unit, rollup: Rollup, registry: Registry) -> int:
    """How many units a level's target counts are out of. A period's completeness counts
    units; a total's counts unit-periods, while its targets judge each unit once."""
    if not asked.is_total:
        return rollup.completeness.expected
    day, levels = asked.period.cutoff_end, asked.report_type.submitting_levels()
    if unit.level == Level.COMMUNE:
        return 1
    provinces = (
        [unit.code] if unit.level == Level.PROVINCE else [p.code for p in registry.provinces(day)]
    )
    return sum(len(registry.expected_in_province(p, levels, day)) for p in provinces)


def change_pct(
    now: Mapping[str, Published], before: Mapping[str, Published]
) -> dict[str, float | None]:
    """Each figure's change against the same total a year earlier, in per cent to 2 places
    (the 15 % yearly cut in documents is a yearly figure set against the previous year's);
    None where either is missing or the year before is zero."""
    change: dict[str, float | None] = {}
    for code, then in before.items():
        current = now.get(code)
        change[code] = (
            None
            if then is None or current is None or then == 0
            else round(
                float(100 * (Decimal(str(current)) - Decimal(str(then))) / Decimal(str(then))), 2
            )
        )
    return change
