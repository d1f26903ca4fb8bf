"""The aggregator's write side: accepted verdicts in, province rollups recomputed."""

from __future__ import annotations

from collections.abc import Sequence

from services.aggregator.adapters.rollup_store import RollupStore, StoredReport
from services.aggregator.domain.latest import latest_per_report
from services.aggregator.domain.rollup import Rollup, UnitReport, parse_values, roll_up
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
            await self.store.apply(latest, self._recompute, self.clock.now())
        for verdict in latest.values():
            log.info(
                "rolled up",
                submission_id=verdict.submission_id,
                unit=verdict.unit,
                report_type=verdict.report_type,
                period=verdict.period,
                province=verdict.province,
            )

    def _recompute(
        self, report_type_code: str, period: str, province: str, reports: list[StoredReport]
    ) -> Rollup:
        report_type = self.catalog.report_types[report_type_code]
        expected = self.registry.expected_in_province(
            province, report_type.submitting_levels(), Period.parse(period).cutoff_end
        )
        return roll_up(
            (
                UnitReport(r.unit, r.timeliness, parse_values(report_type, r.values))
                for r in reports
            ),
            expected=len(expected),
        )
