"""The aggregator's read side: rollups, period totals, completeness, targets and late lists as
the API returns them.

A period label longer than the report type's own (``2026`` for a quarterly report, ``2026-Q1``
for a monthly one) asks for a period total: the stored rollups of its periods, combined by
``across_periods``, through the same routes and in the same shape.
"""

from __future__ import annotations

import asyncio
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from services.aggregator.adapters.feed_publisher import Versioned
from services.aggregator.adapters.rollup_store import RollupStore, StoredReport, StoredRollup
from services.aggregator.domain.rollup import (
    Completeness,
    Rollup,
    Tally,
    UnitReport,
    across_periods,
    combine,
    derived_values,
    indicator_values,
    parse_values,
    roll_up,
    unit_total,
)
from shared.catalog import Catalog, Level, ReportType
from shared.catalog.model import Aggregation
from shared.periods import InvalidPeriod, Period, Periodicity
from shared.registry import CENTRAL_CODE, Registry, Unit


class NotFound(LookupError):
    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason
        self.message = message


@dataclass(frozen=True)
class Asked:
    """A report type and the period asked for, made of ``parts`` (one: the period itself)."""

    report_type: ReportType
    period: Period
    parts: list[Period]

    @property
    def is_total(self) -> bool:
        return len(self.parts) > 1 or self.parts[0] != self.period

    @property
    def labels(self) -> list[str]:
        return [part.label for part in self.parts]


# Province totals kept at most (34 per total asked for: a few years, halves and quarters).
TOTALS_CACHED = 4096
TotalKey = tuple[str, tuple[str, ...], str]  # report type, the parts, province


@dataclass
class RollupViews:
    catalog: Catalog
    registry: Registry
    store: RollupStore
    _totals: dict[TotalKey, tuple[tuple[int, ...], Rollup]] = field(
        default_factory=dict, repr=False
    )

    def resolve(self, report_type_code: str, period_label: str) -> Asked:
        report_type = self.catalog.get(report_type_code)
        if report_type is None:
            raise NotFound("unknown_report_type", f"no report type {report_type_code!r}")
        try:
            period = Period.parse(period_label)
            return Asked(report_type, period, period.split(report_type.periodicity))
        except InvalidPeriod as error:
            raise NotFound(
                "invalid_period",
                f"{error}; {report_type.code} is {report_type.periodicity}: ask for one of its"
                " periods or a longer one made of them",
            ) from error

    def _body(
        self, asked: Asked, unit: Unit, rollup: Rollup, *, one_unit: bool = False
    ) -> dict[str, Any]:
        """``one_unit``: the rollup is the unit's own report (or its periods), not a level's."""
        report_type = asked.report_type
        values = indicator_values(report_type, rollup.tally, one_unit=one_unit)
        derived = derived_values(report_type, values)
        for entry in derived.values():
            entry["value"] = json_number(entry["value"])
        c = rollup.completeness
        body: dict[str, Any] = {
            "report_type": report_type.code,
            "period": asked.period.label,
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
            "targets": _targets(
                report_type, rollup, 1 if one_unit else self._units_judged(asked, unit, rollup)
            ),
        }
        if asked.is_total:
            body["periods"] = asked.labels
        return body

    def _units_judged(self, asked: Asked, unit: Unit, rollup: Rollup) -> int:
        """How many units a body's target counts are out of. A period's completeness counts
        units; a total's counts unit-periods, while its targets judge each unit once."""
        if not asked.is_total:
            return rollup.completeness.expected
        day, levels = asked.period.cutoff_end, asked.report_type.submitting_levels()
        if unit.level == Level.COMMUNE:
            return 1
        provinces = (
            [unit.code]
            if unit.level == Level.PROVINCE
            else [p.code for p in self.registry.provinces(day)]
        )
        return sum(len(self.registry.expected_in_province(p, levels, day)) for p in provinces)

    def _empty(self, asked: Asked, period: Period, province: str) -> Rollup:
        expected = self.registry.expected_in_province(
            province, asked.report_type.submitting_levels(), period.cutoff_end
        )
        return Rollup(Tally(), Completeness(expected=len(expected)))

    async def _province_rows(self, asked: Asked) -> list[dict[str, StoredRollup]]:
        """Per part, the stored province rows by province."""
        stored = await self.store.province_rollups_over(asked.report_type.code, asked.labels)
        return [{row.province: row for row in stored[label]} for label in asked.labels]

    async def _province_rollups(
        self,
        asked: Asked,
        *,
        targets: bool = True,
        rows: list[dict[str, StoredRollup]] | None = None,
    ) -> list[tuple[Unit, Rollup]]:
        """Each province of the period's registry with its rollup: its stored row, or for a
        period total, its units' own totals combined (completeness from the stored rows).
        Without ``targets`` (values only) and with no ``last`` indicator, a total needs only
        the stored rows."""
        rows = rows if rows is not None else await self._province_rows(asked)
        by_units = asked.is_total and (targets or _has_stock(asked.report_type))
        provinces = self.registry.provinces(asked.period.cutoff_end)
        totals = await self._unit_totals(asked, provinces, rows) if by_units else {}
        result = []
        for province in provinces:
            parts = [
                found.rollup()
                if (found := in_part.get(province.code))
                else self._empty(asked, period, province.code)
                for in_part, period in zip(rows, asked.parts, strict=True)
            ]
            rollup = self._over_parts(asked, parts)
            if by_units:
                units = totals[province.code]
                rollup = Rollup(units.tally, rollup.completeness, units.targets)
            result.append((province, rollup))
        return result

    async def _unit_totals(
        self, asked: Asked, provinces: list[Unit], rows: list[dict[str, StoredRollup]]
    ) -> dict[str, Rollup]:
        """Each province's units' own totals, combined: from the cache while none of the
        province's rows has been written since (their versions are the same), else from its
        units' reports. A year of a quarterly report is about 13,400 reports to read."""
        code = asked.report_type.code
        fresh: dict[str, Rollup] = {}
        stale: dict[str, tuple[int, ...]] = {}
        for province in provinces:
            versions = tuple(
                found.version if (found := in_part.get(province.code)) else 0 for in_part in rows
            )
            cached = self._totals.get((code, tuple(asked.labels), province.code))
            if cached is not None and cached[0] == versions:
                fresh[province.code] = cached[1]
            else:
                stale[province.code] = versions
        if not stale:
            return fresh
        if len(self._totals) > TOTALS_CACHED:
            self._totals.clear()
        reports = await self.store.reports_over(code, asked.labels, provinces=list(stale))

        def compute() -> dict[str, Rollup]:
            units = self._units_by_province(asked, reports)
            return {
                province: self._total_of_units(
                    asked, units.get(province, [{} for _ in asked.parts]), Completeness()
                )
                for province in stale
            }

        # Off the event loop: a cold national year is a second of CPU, and the consumer, the
        # feed and the health checks of this process must not wait for it.
        computed = await asyncio.to_thread(compute)
        for province_code, total in computed.items():
            self._totals[(code, tuple(asked.labels), province_code)] = (stale[province_code], total)
        return {**fresh, **computed}

    def _units_by_province(
        self, asked: Asked, reports: dict[str, list[StoredReport]]
    ) -> dict[str, list[dict[str, Rollup]]]:
        """Per province, per part, each of its units that reported with its own rollup."""
        by_part = [{r.unit: r for r in reports[label]} for label in asked.labels]
        found: dict[str, list[dict[str, Rollup]]] = {}
        for index, reported in enumerate(self._singles(asked, by_part)):
            for code, rollup in reported.items():
                unit = self.registry.get(code)
                in_province = (unit.province if unit else None) or code
                found.setdefault(in_province, [{} for _ in asked.parts])[index][code] = rollup
        return found

    def _total_of_units(
        self, asked: Asked, singles: list[dict[str, Rollup]], completeness: Completeness
    ) -> Rollup:
        """A level's period total: each unit's own total (``unit_total``), combined."""
        codes = sorted({code for reported in singles for code in reported})
        units = combine(
            (self._unit_rollup(asked, singles, code) for code in codes), asked.report_type
        )
        return Rollup(units.tally, completeness, units.targets)

    def _over_parts(self, asked: Asked, parts: list[Rollup]) -> Rollup:
        return across_periods(asked.report_type, parts) if asked.is_total else parts[0]

    async def national(self, report_type_code: str, period_label: str) -> dict[str, Any]:
        asked = self.resolve(report_type_code, period_label)
        children = await self._province_rollups(asked)
        central = self.registry.get(CENTRAL_CODE)
        assert central is not None
        body = self._body(asked, central, combine((r for _, r in children), asked.report_type))
        body["children"] = [self._body(asked, p, r) for p, r in children]
        if _is_year(asked):
            previous = _year_before(asked)
            provinces_before = await self._province_rollups(previous, targets=False)
            rollup = combine((r for _, r in provinces_before), asked.report_type)
            values = indicator_values(asked.report_type, rollup.tally)
            before = {code: json_number(value) for code, value in values.items()}
            body["compared_with"] = _compared(previous, body, before)
        return body

    async def summaries(
        self, report_type_code: str, period_label: str, provinces: Collection[str]
    ) -> dict[str, Versioned]:
        """The rollups of ``provinces`` and of the nation (``VN``), without children, from the
        34 province rows alone: what the live feed publishes after a batch, at a cost that does
        not grow with the number of communes. Each comes with its version: the province row's
        (a new number on every write), and for the nation the sum of the 34, so a later read
        always has a higher one."""
        asked = self.resolve(report_type_code, period_label)
        rows = await self._province_rows(asked)
        children = await self._province_rollups(asked, rows=rows)
        versions = {province: row.version for province, row in rows[0].items()}
        found = {
            p.code: Versioned(self._body(asked, p, r), versions.get(p.code, 0))
            for p, r in children
            if p.code in provinces
        }
        central = self.registry.get(CENTRAL_CODE)
        assert central is not None
        national = combine((r for _, r in children), asked.report_type)
        found[central.code] = Versioned(
            self._body(asked, central, national), sum(versions.values())
        )
        return found

    async def for_unit(
        self, report_type_code: str, period_label: str, unit_code: str
    ) -> dict[str, Any]:
        asked = self.resolve(report_type_code, period_label)
        unit = self.registry.get(unit_code)
        if unit is None:
            raise NotFound("unknown_unit", f"no unit has code {unit_code!r}")
        if unit.level == Level.CENTRAL:
            return await self.national(report_type_code, period_label)
        body = await self._of_unit(asked, unit)
        if _is_year(asked):
            previous = _year_before(asked)
            before = (await self._of_unit(previous, unit))["values"]
            body["compared_with"] = _compared(previous, body, before)
        return body

    async def _of_unit(self, asked: Asked, unit: Unit) -> dict[str, Any]:
        """A province's or a commune's rollup, with its children (a province's communes)."""
        province = unit.province
        assert province is not None
        stored = await self.store.reports_over(asked.report_type.code, asked.labels, province)
        by_part = [{r.unit: r for r in stored[label]} for label in asked.labels]
        singles = self._singles(asked, by_part)
        if unit.level == Level.COMMUNE:
            return self._body(
                asked, unit, self._unit_rollup(asked, singles, unit.code), one_unit=True
            )
        report_type = asked.report_type
        parts = []
        for part, reported in zip(asked.parts, singles, strict=True):
            expected = self.registry.expected_in_province(
                province, report_type.submitting_levels(), part.cutoff_end
            )
            # The units' own rollups, combined: each report is judged against the targets once.
            total = combine(reported.values(), report_type)
            c = total.completeness
            parts.append(
                Rollup(
                    total.tally,
                    Completeness(len(expected), c.submitted, c.on_time, c.late),
                    total.targets,
                )
            )
        rollup = self._over_parts(asked, parts)
        if asked.is_total:
            rollup = self._total_of_units(asked, singles, rollup.completeness)
        body = self._body(asked, unit, rollup)
        if Level.PROVINCE in report_type.submitting_levels():
            body["own"] = self._body(
                asked, unit, self._unit_rollup(asked, singles, unit.code), one_unit=True
            )
        body["children"] = [
            self._body(asked, child, self._unit_rollup(asked, singles, child.code), one_unit=True)
            for child in self.registry.children(unit.code, asked.period.cutoff_end)
        ]
        return body

    def _singles(
        self, asked: Asked, by_part: list[dict[str, StoredReport]]
    ) -> list[dict[str, Rollup]]:
        """Per part, each unit that reported with the rollup of its own report."""
        judge = not asked.is_total  # a total judges each unit once, on its combined figures
        return [
            {
                code: roll_up(
                    [_unit_report(asked.report_type, r)], 1, asked.report_type, judge=judge
                )
                for code, r in reports.items()
            }
            for reports in by_part
        ]

    def _unit_rollup(self, asked: Asked, singles: list[dict[str, Rollup]], unit: str) -> Rollup:
        """One unit's own rollup: of its report, or for a total, of its periods (``unit_total``)."""
        parts = [reported.get(unit) or roll_up([], 1) for reported in singles]
        return unit_total(asked.report_type, parts) if asked.is_total else parts[0]

    async def missing_target(
        self, report_type_code: str, period_label: str, code: str, province: str | None
    ) -> dict[str, Any]:
        """The units whose own figures miss a derived indicator's target, with their figure
        (for example the communes holding more than 40 % of their conferences in person)."""
        asked = self.resolve(report_type_code, period_label)
        report_type = asked.report_type
        derived = next((d for d in report_type.derived if d.code == code), None)
        if derived is None or derived.target is None:
            raise NotFound("unknown_target", f"{report_type.code} has no target named {code!r}")
        if province is not None and not self._is_province(province):
            raise NotFound("unknown_province", f"no province has code {province!r}")
        stored = await self.store.reports_over(report_type.code, asked.labels, province)
        by_part = [{r.unit: r for r in stored[label]} for label in asked.labels]
        singles = self._singles(asked, by_part)
        units = sorted({unit for reports in by_part for unit in reports})
        missing = []
        for unit_code in units:
            rollup = self._unit_rollup(asked, singles, unit_code)
            count = rollup.targets.get(code)
            if count is None or count.missed == 0:
                continue
            unit = self.registry.get(unit_code)
            figures = indicator_values(report_type, rollup.tally, one_unit=True)
            missing.append(
                {
                    "unit": unit_code,
                    "name": unit.name if unit else None,
                    "province": unit.province if unit else None,
                    "value": json_number(derived.expression().evaluate(figures)),
                }
            )
        return {
            "report_type": report_type.code,
            "period": asked.period.label,
            "target": {"code": code, "rule": f"{derived.target.operator} {derived.target.value}"},
            "province": province,
            "count": len(missing),
            "units": missing,
        }

    def _is_province(self, code: str) -> bool:
        known = self.registry.get(code)
        return known is not None and known.level == Level.PROVINCE

    async def late(
        self, report_type_code: str, period_label: str, province: str | None
    ) -> dict[str, Any]:
        """Units that have not submitted, or submitted after their deadline."""
        asked = self.resolve(report_type_code, period_label)
        if asked.is_total:
            raise NotFound(
                "invalid_period", "late lists are per reporting period, not for period totals"
            )
        report_type, period = asked.report_type, asked.period
        day = period.cutoff_end
        if province is not None and not self._is_province(province):
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


def _is_year(asked: Asked) -> bool:
    return asked.is_total and asked.period.periodicity == Periodicity.YEARLY


def _year_before(asked: Asked) -> Asked:
    year = asked.period.shifted(-1)
    return Asked(asked.report_type, year, year.split(asked.report_type.periodicity))


def _compared(
    previous: Asked, body: dict[str, Any], before: Mapping[str, float | int | None]
) -> dict[str, Any]:
    """The same total a year earlier, and each indicator's change against it: the 15 % yearly
    cut in documents is a yearly figure set against the previous year's, at every level."""
    change: dict[str, float | None] = {}
    for code, then in before.items():
        now = body["values"].get(code)
        change[code] = (
            None
            if then is None or now is None or then == 0
            else round(
                float(100 * (Decimal(str(now)) - Decimal(str(then))) / Decimal(str(then))), 2
            )
        )
    return {"period": previous.period.label, "values": dict(before), "change_pct": change}


def _has_stock(report_type: ReportType) -> bool:
    """A ``last`` indicator: a level's total is its units' own latest figures, which the
    stored province rows cannot give."""
    return any(i.aggregation == Aggregation.LAST for i in report_type.indicators)


def _unit_report(report_type: ReportType, report: StoredReport) -> UnitReport:
    return UnitReport(report.unit, report.timeliness, parse_values(report_type, report.values))


def _targets(report_type: ReportType, rollup: Rollup, units: int) -> dict[str, dict[str, Any]]:
    """Per derived indicator with a target: how many of ``units`` meet it on their own figures,
    how many miss it, and how many cannot be judged yet (no report, or no figure to judge)."""
    result = {}
    for item in report_type.derived:
        if item.target is None:
            continue
        count = rollup.targets.get(item.code)
        met, missed = (count.met, count.missed) if count else (0, 0)
        result[item.code] = {
            "target": f"{item.target.operator} {item.target.value}",
            "units_met": met,
            "units_missed": missed,
            "units_unjudged": max(units - met - missed, 0),
        }
    return result


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
