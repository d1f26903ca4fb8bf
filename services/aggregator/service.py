"""The aggregator's write side: accepted verdicts in, province rollups recomputed."""

from __future__ import annotations

import functools
from collections.abc import Sequence

from services.aggregator.adapters.rollup_store import (
    Change,
    RollupKey,
    RollupStore,
    StoredReport,
    StoredRollup,
    tally_of,
)
from services.aggregator.domain.latest import latest_per_report
from services.aggregator.domain.rollup import Rollup, UnitReport, parse_values, replace_report
from shared.catalog import Catalog
from shared.clock import Clock
from shared.logging import get_logger
from shared.periods import Period
from shared.registry import Registry
from shared.schemas import Verdict

log = get_logger(__name__)


class AggregationService:
    def __init__(
        self, *, catalog: Catalog, registry: Registry, clock: Clock, store: RollupStore
    ) -> None:
        self.catalog = catalog
        self.registry = registry
        self.clock = clock
        self.store = store

    async def apply(self, verdicts: Sequence[Verdict]) -> None:
        latest = latest_per_report(v for v in verdicts if self.catalog.get(v.report_type))
        if latest:
            await self.store.apply(latest, self._fold, self.clock.now())
        log.info("batch rolled up", size=len(verdicts), reports=len(latest))
        for verdict in latest.values():
            log.debug(
                "rolled up",
                submission_id=verdict.submission_id,
                unit=verdict.unit,
                report_type=verdict.report_type,
                period=verdict.period,
                province=verdict.province,
            )

    def _fold(self, key: RollupKey, stored: StoredRollup, changes: list[Change]) -> Rollup:
        report_type_code, period, province = key
        report_type = self.catalog.report_types[report_type_code]
        expected = self._expected(report_type_code, period, province)

        def unit_report(report: StoredReport) -> UnitReport:
            return UnitReport(
                report.unit, report.timeliness, parse_values(report_type, report.values)
            )

        rollup = Rollup(
            tally_of(stored, lambda s: parse_values(report_type, s)), stored.completeness
        )
        for old, new in changes:
            rollup = replace_report(
                rollup, None if old is None else unit_report(old), unit_report(new), expected
            )
        return rollup

    @functools.lru_cache(maxsize=4096)  # noqa: B019 -- the service lives as long as its registry
    def _expected(self, report_type_code: str, period: str, province: str) -> int:
        report_type = self.catalog.report_types[report_type_code]
        return len(
            self.registry.expected_in_province(
                province, report_type.submitting_levels(), Period.parse(period).cutoff_end
            )
        )
