"""Reading rollups: the nation with its provinces, a province with its communes, a commune's
report, and the summaries the live feed publishes; for a reporting period or a period total.

A reporting period is read from the stored province rows (the nation) or its units' reports (a
province). A period total combines its parts (``domain/period_totals.py``); a level's total is
its units' own totals combined, which ``TotalsCache`` keeps per province while its rows do not
change.
"""

from __future__ import annotations

import asyncio
from collections.abc import Collection
from dataclasses import dataclass

from services.aggregator.domain.figures import Published, published_values
from services.aggregator.domain.period_totals import (
    AskedPeriod,
    change_pct,
    has_stock,
    over_parts,
    units_judged,
)
from services.aggregator.domain.rollup import Completeness, Rollup, combine
from services.aggregator.domain.tally import Tally
from services.aggregator.usecases.ports import RollupStore, StoredRollup, TotalsCache
from services.aggregator.usecases.readings import (
    RollupReading,
    UnitFigures,
    YearBefore,
    unit_figures,
)
from services.aggregator.usecases.unit_rollups import UnitRollups, resolve
from shared.catalog import Catalog, Level
from shared.refusals import NotFound
from shared.registry import CENTRAL_CODE, Registry, Unit


@dataclass
class RollupReader:
    catalog: Catalog
    registry: Registry
    store: RollupStore
    totals: TotalsCache

    def resolve(self, report_type_code: str, period_label: str) -> AskedPeriod:
        return resolve(self.catalog, report_type_code, period_label)

    def _figures(self, asked: AskedPeriod, unit: Unit, rollup: Rollup) -> UnitFigures:
        judged = units_judged(asked, unit, rollup, self.registry)
        return unit_figures(asked, unit, rollup, judged, one_unit=False)

    def _empty(self, asked: AskedPeriod, part: int, province: str) -> Rollup:
        expected = self.registry.expected_in_province(
            province, asked.report_type.submitting_levels(), asked.parts[part].cutoff_end
        )
        return Rollup(Tally(), Completeness(expected=len(expected)))

    async def _province_rows(self, asked: AskedPeriod) -> list[dict[str, StoredRollup]]:
        """Per part, the stored province rows by province."""
        stored = await self.store.province_rollups_over(asked.report_type.code, asked.labels)
        return [{row.province: row for row in stored[label]} for label in asked.labels]

    async def _province_rollups(
        self,
        asked: AskedPeriod,
        *,
        targets: bool = True,
        rows: list[dict[str, StoredRollup]] | None = None,
    ) -> list[tuple[Unit, Rollup]]:
        """Each province of the period's registry with its rollup: its stored row, or for a
        period total, its units' own totals combined (completeness from the stored rows).
        Without ``targets`` (values only) and with no ``last`` indicator, a total needs only
        the stored rows."""
        rows = rows if rows is not None else await self._province_rows(asked)
        by_units = asked.is_total and (targets or has_stock(asked.report_type))
        provinces = self.registry.provinces(asked.period.cutoff_end)
        totals = await self._unit_totals(asked, provinces, rows) if by_units else {}
        result = []
        for province in provinces:
            parts = [
                found.rollup()
                if (found := in_part.get(province.code))
                else self._empty(asked, index, province.code)
                for index, in_part in enumerate(rows)
            ]
            rollup = over_parts(asked, parts)
            if by_units:
                units = totals[province.code]
                rollup = Rollup(units.tally, rollup.completeness, units.targets)
            result.append((province, rollup))
        return result

    async def _unit_totals(
        self, asked: AskedPeriod, provinces: list[Unit], rows: list[dict[str, StoredRollup]]
    ) -> dict[str, Rollup]:
        """Each province's units' own totals, combined: from the cache while none of the
        province's rows has been written since, else from its units' reports."""
        code, labels = asked.report_type.code, tuple(asked.labels)
        fresh: dict[str, Rollup] = {}
        stale: dict[str, tuple[int, ...]] = {}
        for province in provinces:
            versions = tuple(
                found.version if (found := in_part.get(province.code)) else 0 for in_part in rows
            )
            cached = self.totals.get((code, labels, province.code), versions)
            if cached is not None:
                fresh[province.code] = cached
            else:
                stale[province.code] = versions
        if not stale:
            return fresh
        self.totals.make_room()
        reports = await self.store.reports_over(code, asked.labels, provinces=list(stale))
        units = UnitRollups(asked, self.registry)

        def compute() -> dict[str, Rollup]:
            by_province = units.by_province(reports)
            return {
                province: units.level_total(
                    by_province.get(province, [{} for _ in asked.parts]), Completeness()
                )
                for province in stale
            }

        # Off the event loop: a cold national year is a second of CPU, and the consumer, the
        # feed and the health checks of this process must not wait for it.
        computed = await asyncio.to_thread(compute)
        for province_code, total in computed.items():
            self.totals.put((code, labels, province_code), stale[province_code], total)
        return {**fresh, **computed}

    def _central(self) -> Unit:
        central = self.registry.get(CENTRAL_CODE)
        assert central is not None
        return central

    async def national(self, report_type_code: str, period_label: str) -> RollupReading:
        asked = self.resolve(report_type_code, period_label)
        children = await self._province_rollups(asked)
        nation = combine((r for _, r in children), asked.report_type)
        head = self._figures(asked, self._central(), nation)
        compared = None
        if asked.is_year:
            previous = asked.year_before()
            provinces_before = await self._province_rollups(previous, targets=False)
            before = combine((r for _, r in provinces_before), asked.report_type)
            values = published_values(asked.report_type, before.tally)
            compared = _year_before(previous, head, values)
        return RollupReading(
            head, children=[self._figures(asked, p, r) for p, r in children], compared_with=compared
        )

    async def summaries(
        self, report_type_code: str, period_label: str, provinces: Collection[str]
    ) -> dict[str, tuple[UnitFigures, int]]:
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
            p.code: (self._figures(asked, p, r), versions.get(p.code, 0))
            for p, r in children
            if p.code in provinces
        }
        national = combine((r for _, r in children), asked.report_type)
        found[CENTRAL_CODE] = (
            self._figures(asked, self._central(), national),
            sum(versions.values()),
        )
        return found

    async def for_unit(
        self, report_type_code: str, period_label: str, unit_code: str
    ) -> RollupReading:
        asked = self.resolve(report_type_code, period_label)
        unit = self.registry.get(unit_code)
        if unit is None:
            raise NotFound("unknown_unit", f"no unit has code {unit_code!r}")
        if unit.level == Level.CENTRAL:
            return await self.national(report_type_code, period_label)
        reading = await self._of_unit(asked, unit)
        if asked.is_year:
            previous = asked.year_before()
            before = (await self._of_unit(previous, unit)).figures.values
            compared = _year_before(previous, reading.figures, before)
            reading = RollupReading(reading.figures, reading.own, reading.children, compared)
        return reading

    async def _of_unit(self, asked: AskedPeriod, unit: Unit) -> RollupReading:
        """A province's or a commune's rollup, with its children (a province's communes)."""
        province = unit.province
        assert province is not None
        stored = await self.store.reports_over(asked.report_type.code, asked.labels, province)
        units = UnitRollups(asked, self.registry)
        singles = units.singles(stored)
        if unit.level == Level.COMMUNE:
            return RollupReading(units.figures(singles, unit))
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
        rollup = over_parts(asked, parts)
        if asked.is_total:
            rollup = units.level_total(singles, rollup.completeness)
        own = None
        if Level.PROVINCE in report_type.submitting_levels():
            own = units.figures(singles, unit)
        children = [
            units.figures(singles, child)
            for child in self.registry.children(unit.code, asked.period.cutoff_end)
        ]
        return RollupReading(self._figures(asked, unit, rollup), own, children)


def _year_before(
    previous: AskedPeriod, now: UnitFigures, before: dict[str, Published]
) -> YearBefore:
    return YearBefore(previous.period.label, dict(before), change_pct(now.values, before))
