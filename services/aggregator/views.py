"""The aggregator's read side: rollups, completeness and late lists as the API returns them."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from services.aggregator.adapters.rollup_store import RollupStore, StoredReport, tally_of
from services.aggregator.domain.rollup import (
    Completeness,
    Rollup,
    Tally,
    UnitReport,
    combine,
    derived_values,
    indicator_values,
    parse_values,
    roll_up,
)
from shared.catalog import Catalog, Level, ReportType
from shared.periods import Period
from shared.registry import CENTRAL_CODE, Registry, Unit


class NotFound(LookupError):
    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason
        self.message = message


@dataclass
class RollupViews:
    catalog: Catalog
    registry: Registry
    store: RollupStore

    def _resolve(self, report_type_code: str, period_label: str) -> tuple[ReportType, Period]:
        report_type = self.catalog.get(report_type_code)
        if report_type is None:
            raise NotFound("unknown_report_type", f"no report type {report_type_code!r}")
        try:
            return report_type, report_type.period_of(period_label)
        except ValueError as error:
            raise NotFound("invalid_period", str(error)) from error

    def _body(
        self, report_type: ReportType, period: Period, unit: Unit, rollup: Rollup
    ) -> dict[str, Any]:
        values = indicator_values(report_type, rollup.tally)
        derived = derived_values(report_type, values)
        for entry in derived.values():
            entry["value"] = json_number(entry["value"])
        c = rollup.completeness
        return {
            "report_type": report_type.code,
            "period": period.label,
            "unit": unit.code,
            "name": unit.name,
            "level": unit.level.value,
            "values": {code: json_number(v) for code, v in values.items()},
            "derived": derived,
            "completeness": {
                "expected": c.expected,
                "submitted": c.submitted,
                "on_time": c.on_time,
                "late": c.late,
                "missing": c.missing,
                "rate_pct": c.rate_pct,
            },
        }

    async def national(self, report_type_code: str, period_label: str) -> dict[str, Any]:
        report_type, period = self._resolve(report_type_code, period_label)
        stored = {
            r.province: r for r in await self.store.province_rollups(report_type.code, period.label)
        }
        day = period.cutoff_end
        children = []
        for province in self.registry.provinces(day):
            if province.code in stored:
                row = stored[province.code]
                rollup = Rollup(
                    tally_of(row, lambda s: parse_values(report_type, s)), row.completeness
                )
            else:
                expected = self.registry.expected_in_province(
                    province.code, report_type.submitting_levels(), day
                )
                rollup = Rollup(Tally(), Completeness(expected=len(expected)))
            children.append((province, rollup))
        central = self.registry.get(CENTRAL_CODE)
        assert central is not None
        body = self._body(report_type, period, central, combine(r for _, r in children))
        body["children"] = [self._body(report_type, period, p, r) for p, r in children]
        return body

    async def summaries(
        self, report_type_code: str, period_label: str, provinces: Collection[str]
    ) -> dict[str, dict[str, Any]]:
        """The rollups of ``provinces`` and of the nation (``VN``), without children, from the
        34 province rows alone: what the live feed publishes after a batch, at a cost that does
        not grow with the number of communes."""
        national = await self.national(report_type_code, period_label)
        children = national.pop("children")
        wanted = {child["unit"]: child for child in children if child["unit"] in provinces}
        return {**wanted, national["unit"]: national}

    async def for_unit(
        self, report_type_code: str, period_label: str, unit_code: str
    ) -> dict[str, Any]:
        report_type, period = self._resolve(report_type_code, period_label)
        unit = self.registry.get(unit_code)
        if unit is None:
            raise NotFound("unknown_unit", f"no unit has code {unit_code!r}")
        if unit.level == Level.CENTRAL:
            return await self.national(report_type_code, period_label)
        day = period.cutoff_end
        province = unit.province
        assert province is not None
        reports = {
            r.unit: r
            for r in await self.store.reports_in_province(report_type.code, period.label, province)
        }
        if unit.level == Level.COMMUNE:
            return self._body(
                report_type, period, unit, self._single(report_type, reports.get(unit.code))
            )
        expected = self.registry.expected_in_province(
            province, report_type.submitting_levels(), day
        )
        rollup = roll_up(
            (
                UnitReport(r.unit, r.timeliness, parse_values(report_type, r.values))
                for r in reports.values()
            ),
            expected=len(expected),
        )
        body = self._body(report_type, period, unit, rollup)
        if Level.PROVINCE in report_type.submitting_levels():
            body["own"] = self._body(
                report_type, period, unit, self._single(report_type, reports.get(unit.code))
            )
        body["children"] = [
            self._body(
                report_type, period, child, self._single(report_type, reports.get(child.code))
            )
            for child in self.registry.children(unit.code, day)
        ]
        return body

    def _single(self, report_type: ReportType, report: StoredReport | None) -> Rollup:
        if report is None:
            return roll_up([], expected=1)
        return roll_up(
            [UnitReport(report.unit, report.timeliness, parse_values(report_type, report.values))],
            expected=1,
        )

    async def late(
        self, report_type_code: str, period_label: str, province: str | None
    ) -> dict[str, Any]:
        """Units that have not submitted, or submitted after their deadline."""
        report_type, period = self._resolve(report_type_code, period_label)
        day = period.cutoff_end
        known = self.registry.get(province) if province is not None else None
        if province is not None and (known is None or known.level != Level.PROVINCE):
            raise NotFound("unknown_province", f"no province has code {province!r}")
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
                deadline = report_type.deadline_for(unit.level, period)
                units.append(_late_entry(unit, deadline, report))
        return {
            "report_type": report_type.code,
            "period": period.label,
            "province": province,
            "count": len(units),
            "units": units,
        }


def json_number(value: Decimal | int | None) -> float | int | None:
    """Numbers as JSON numbers: integers stay exact, decimals to 4 places."""
    if value is None or isinstance(value, int):
        return value
    if value == value.to_integral_value():
        return int(value)
    return float(round(value, 4))


def _late_entry(
    unit: Unit, deadline: datetime | None, report: StoredReport | None
) -> dict[str, Any]:
    return {
        "unit": unit.code,
        "name": unit.name,
        "level": unit.level.value,
        "province": unit.province,
        "deadline": deadline,
        "status": "late" if report is not None else "missing",
        "received_at": report.received_at if report is not None else None,
    }
