"""Reading lists of units: those late or missing for a period, and those whose own figures miss
a derived indicator's target."""

from __future__ import annotations

from dataclasses import dataclass

from services.aggregator.domain.figures import indicator_values, published_number
from services.aggregator.usecases.ports import RollupStore
from services.aggregator.usecases.readings import (
    LateList,
    LateUnit,
    MissingTargetList,
    MissingUnit,
)
from services.aggregator.usecases.unit_rollups import UnitRollups, resolve
from shared.catalog import Catalog, Level
from shared.refusals import NotFound
from shared.registry import Registry


@dataclass
class UnitListReader:
    catalog: Catalog
    registry: Registry
    store: RollupStore

    def _check_province(self, province: str | None) -> None:
        known = self.registry.get(province) if province is not None else None
        if province is not None and (known is None or known.level != Level.PROVINCE):
            raise NotFound("unknown_province", f"no province has code {province!r}")

    async def missing_target(
        self, report_type_code: str, period_label: str, code: str, province: str | None
    ) -> MissingTargetList:
        """The units whose own figures miss a derived indicator's target, with their figure
        (for example the communes holding more than 40 % of their conferences in person)."""
        asked = resolve(self.catalog, report_type_code, period_label)
        report_type = asked.report_type
        derived = next((d for d in report_type.derived if d.code == code), None)
        if derived is None or derived.target is None:
            raise NotFound("unknown_target", f"{report_type.code} has no target named {code!r}")
        self._check_province(province)
        stored = await self.store.reports_over(report_type.code, asked.labels, province)
        units = UnitRollups(asked, self.registry)
        singles = units.singles(stored)
        missing = []
        for unit_code in sorted({report.unit for reports in stored.values() for report in reports}):
            rollup = units.unit_rollup(singles, unit_code)
            count = rollup.targets.get(code)
            if count is None or count.missed == 0:
                continue
            unit = self.registry.get(unit_code)
            figures = indicator_values(report_type, rollup.tally, one_unit=True)
            missing.append(
                MissingUnit(
                    unit_code,
                    unit.name if unit else None,
                    unit.province if unit else None,
                    published_number(derived.expression().evaluate(figures)),
                )
            )
        rule = f"{derived.target.operator} {derived.target.value}"
        return MissingTargetList(
            report_type.code, asked.period.label, code, rule, province, missing
        )

    async def late(
        self, report_type_code: str, period_label: str, province: str | None
    ) -> LateList:
        """Units that have not submitted, or submitted after their deadline."""
        asked = resolve(self.catalog, report_type_code, period_label)
        if asked.is_total:
            raise NotFound(
                "invalid_period", "late lists are per reporting period, not for period totals"
            )
        report_type, period = asked.report_type, asked.period
        day = period.cutoff_end
        self._check_province(province)
        provinces = [province] if province else [p.code for p in self.registry.provinces(day)]
        reports = {r.unit: r for r in await self.store.reports(report_type.code, period.label)}
        units = []
        for code in provinces:
            for unit in self.registry.expected_in_province(
                code, report_type.submitting_levels(), day
            ):
                report = reports.get(unit.code)
                if report is not None and report.timeliness == "on_time":
                    continue
                units.append(LateUnit(unit, report_type.deadline_for(unit.level, period), report))
        return LateList(report_type.code, period.label, province, units)
