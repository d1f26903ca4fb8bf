"""Each unit's standing on one report (type and period) within a unit, in one read: the use case
behind /v1/report-status/{report_type}/{period}/{unit}, and the port it reads through.

A province page shows every commune's standing (on time, late, rejected with the reason,
corrected) without asking the audit once per commune. Only units with a submission are
listed; the expected ones are the aggregator's (its rollup), and the page merges the two.
The rules are domain/report_status.py's.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from typing import Protocol

from services.validator.domain.report_status import Submitted, UnitStatus, statuses
from shared.catalog import Catalog, Level
from shared.identity import Caller, require_reach
from shared.periods import InvalidPeriod, Period
from shared.refusals import NotFound
from shared.registry import Registry, Unit


class ReportStatusRows(Protocol):
    """The ``submissions`` table, read for one report (type, period) at a time."""

    async def of_provinces(
        self, report_type: str, period: str, provinces: Collection[str]
    ) -> list[Submitted]:
        """Every submission for the report by a unit of these provinces (a province itself
        included), whatever its verdict."""
        ...

    async def of_unit(self, report_type: str, period: str, unit: str) -> list[Submitted]:
        """Every submission for the report by ``unit``, whatever its verdict."""
        ...


@dataclass(frozen=True)
class StatusReport:
    report_type: str
    period: str
    unit: Unit
    units: list[UnitStatus]  # by unit code; only units with a submission


class ReportStatuses:
    def __init__(self, store: ReportStatusRows, registry: Registry, catalog: Catalog) -> None:
        self.store = store
        self.registry = registry
        self.catalog = catalog

    async def within(self, caller: Caller, report_type: str, label: str, code: str) -> StatusReport:
        """The standing of ``code`` and of the units under it that have a submission: a
        province and its communes, a commune itself, ``VN`` every unit of every province."""
        period = self._period(report_type, label)
        unit = self.registry.get(code)
        if unit is None:
            raise NotFound("unknown_unit", f"no unit has code {code[:16]!r}")
        require_reach(caller, unit)
        if unit.level == Level.CENTRAL:
            provinces = [p.code for p in self.registry.provinces(period.cutoff_end)]
            rows = await self.store.of_provinces(report_type, period.label, provinces)
        elif unit.level == Level.PROVINCE:
            rows = await self.store.of_provinces(report_type, period.label, [unit.code])
        else:
            rows = await self.store.of_unit(report_type, period.label, unit.code)
        return StatusReport(report_type, period.label, unit, statuses(rows))

    def _period(self, report_type: str, label: str) -> Period:
        found = self.catalog.get(report_type)
        if found is None:
            raise NotFound("unknown_report_type", f"no report type {report_type[:64]!r}")
        try:
            return found.period_of(label)
        except (InvalidPeriod, ValueError) as error:
            raise NotFound("invalid_period", str(error)) from error
