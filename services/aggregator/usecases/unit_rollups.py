"""Units' own rollups for a read: each unit's report (or, for a period total, its periods)
rolled up on its own, and a level's total made of them."""

from __future__ import annotations

from collections.abc import Mapping

from services.aggregator.domain.latest import StoredReport
from services.aggregator.domain.period_totals import AskedPeriod, unit_total
from services.aggregator.domain.rollup import Completeness, Rollup, combine, roll_up, unit_report
from services.aggregator.usecases.readings import UnitFigures, unit_figures
from shared.catalog import Catalog
from shared.periods import InvalidPeriod, Period
from shared.refusals import NotFound
from shared.registry import Registry, Unit

# Per part of the asked period, each unit that reported with the rollup of its own report.
Singles = list[dict[str, Rollup]]


def resolve(catalog: Catalog, report_type_code: str, period_label: str) -> AskedPeriod:
    """The report type and period asked for, or NotFound."""
    report_type = catalog.get(report_type_code)
    if report_type is None:
        raise NotFound("unknown_report_type", f"no report type {report_type_code!r}")
    try:
        return AskedPeriod.of(report_type, Period.parse(period_label))
    except InvalidPeriod as error:
        raise NotFound(
            "invalid_period",
            f"{error}; {report_type.code} is {report_type.periodicity}: ask for one of its"
            " periods or a longer one made of them",
        ) from error


class UnitRollups:
    def __init__(self, asked: AskedPeriod, registry: Registry) -> None:
        self.asked = asked
        self.registry = registry

    def singles(self, stored: Mapping[str, list[StoredReport]]) -> Singles:
        """``stored``: the reports by period label. A total judges each unit once, on its
        combined figures, so its parts' reports are not judged."""
        asked = self.asked
        judge = not asked.is_total
        return [
            {
                r.unit: roll_up(
                    [unit_report(asked.report_type, r)], 1, asked.report_type, judge=judge
                )
                for r in stored[label]
            }
            for label in asked.labels
        ]

    def unit_rollup(self, singles: Singles, unit: str) -> Rollup:
        """One unit's own rollup: of its report, or for a total, of its periods (``unit_total``)."""
        parts = [reported.get(unit) or roll_up([], 1) for reported in singles]
        return unit_total(self.asked.report_type, parts) if self.asked.is_total else parts[0]

    def figures(self, singles: Singles, unit: Unit) -> UnitFigures:
        """A unit's own figures, its targets judged on them alone."""
        return unit_figures(
            self.asked, unit, self.unit_rollup(singles, unit.code), 1, one_unit=True
        )

    def by_province(self, stored: Mapping[str, list[StoredReport]]) -> dict[str, Singles]:
        """``singles``, per province."""
        found: dict[str, Singles] = {}
        for index, reported in enumerate(self.singles(stored)):
            for code, rollup in reported.items():
                unit = self.registry.get(code)
                in_province = (unit.province if unit else None) or code
                found.setdefault(in_province, [{} for _ in self.asked.parts])[index][code] = rollup
        return found

    def level_total(self, singles: Singles, completeness: Completeness) -> Rollup:
        """A level's period total: each unit's own total (``unit_total``), combined."""
        codes = sorted({code for reported in singles for code in reported})
        units = combine((self.unit_rollup(singles, code) for code in codes), self.asked.report_type)
        return Rollup(units.tally, completeness, units.targets)
