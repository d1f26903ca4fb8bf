"""The aggregator's write side: accepted verdicts in, province rollups recomputed."""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Awaitable, Callable, Collection, Sequence

from services.aggregator.domain.completeness import NATION, CompletenessFigure, DeadlineFigure
from services.aggregator.domain.latest import Change, StoredReport, latest_per_report
from services.aggregator.domain.partitions import split_by_province
from services.aggregator.domain.rollup import Rollup, replace_report, roll_up, unit_report
from services.aggregator.domain.tally import CannotTakeBack
from services.aggregator.usecases.ports import RollupKey, RollupStore, StoredRollup
from shared.catalog import Catalog
from shared.clock import Clock
from shared.logging import get_logger
from shared.periods import Period
from shared.registry import Registry
from shared.schemas import Verdict

log = get_logger(__name__)

# Called after a batch commits, with the (report type, period, province) rollups it touched:
# the live feed publishes their new state. Touched, not changed: a batch redelivered after a
# crash between the commit and the feed changes nothing but must still reach the feed.
OnChange = Callable[[Collection[RollupKey]], Awaitable[None]]


async def _nothing(_: Collection[RollupKey]) -> None:
    return None


class AggregationService:
    def __init__(
        self,
        *,
        catalog: Catalog,
        registry: Registry,
        clock: Clock,
        store: RollupStore,
        on_change: OnChange = _nothing,
        partitions: int = 1,
    ) -> None:
        self.partitions = partitions
        self.catalog = catalog
        self.registry = registry
        self.clock = clock
        self.store = store
        self.on_change = on_change

    async def apply(self, verdicts: Sequence[Verdict]) -> None:
        latest = latest_per_report(v for v in verdicts if self.catalog.get(v.report_type))
        if latest:
            now = self.clock.now()
            provinces = {key: verdict.province or "" for key, verdict in latest.items()}
            parts = split_by_province(latest, provinces, self.partitions)
            outcomes = await asyncio.gather(
                *(self.store.apply(part, self._fold, self.refold, now) for part in parts),
                return_exceptions=True,
            )
            # Every partition has finished before the batch is settled: the ones that committed
            # change nothing when the batch comes again.
            for outcome in outcomes:
                if isinstance(outcome, BaseException):
                    raise outcome
            await self.on_change(sorted({(k[0], k[1], p) for k, p in provinces.items()}))
        log.info("batch rolled up", size=len(verdicts), reports=len(latest))

    def open_periods(self) -> list[tuple[str, Period]]:
        """(report type, period) whose deadlines are live: the current period and the one before."""
        today = self.clock.now().date()
        result = []
        for report_type in self.catalog:
            current = Period.containing(today, report_type.periodicity)
            result += [(report_type.code, current.shifted(-1)), (report_type.code, current)]
        return result

    async def completeness(self) -> tuple[list[CompletenessFigure], list[DeadlineFigure]]:
        """Expected and submitted units of every province and the nation, and each level's
        deadline, for the open periods. A province nobody in has reported yet counts too: it
        is the one an operator most needs to see."""
        keys = self.open_periods()
        submitted = await self.store.submitted_counts([(rt, p.label) for rt, p in keys])
        figures: list[CompletenessFigure] = []
        deadlines: list[DeadlineFigure] = []
        for code, period in keys:
            expected_total = submitted_total = 0
            for province in self.registry.provinces(period.cutoff_end):
                expected = self._expected(code, period.label, province.code)
                count = submitted.get((code, period.label, province.code), 0)
                figures.append(
                    CompletenessFigure(code, period.label, province.code, expected, count)
                )
                expected_total += expected
                submitted_total += count
            figures.append(
                CompletenessFigure(code, period.label, NATION, expected_total, submitted_total)
            )
            for rule in self.catalog.report_types[code].levels:
                deadlines.append(
                    DeadlineFigure(code, period.label, rule.level, rule.deadline.for_period(period))
                )
        return figures, deadlines

    def _fold(self, key: RollupKey, stored: StoredRollup, changes: list[Change]) -> Rollup | None:
        report_type_code, period, province = key
        report_type = self.catalog.report_types[report_type_code]
        expected = self._expected(report_type_code, period, province)
        rollup = stored.rollup()
        try:
            for old, new in changes:
                rollup = replace_report(
                    rollup,
                    None if old is None else unit_report(report_type, old),
                    unit_report(report_type, new),
                    expected,
                    report_type,
                )
        except CannotTakeBack:
            return None
        return rollup

    def refold(self, key: RollupKey, reports: list[StoredReport]) -> Rollup:
        """A province's rollup from all its units' reports: after a minimum or maximum was
        taken back, and for a rebuild."""
        report_type_code, period, province = key
        report_type = self.catalog.report_types[report_type_code]
        return roll_up(
            (unit_report(report_type, r) for r in reports),
            self._expected(report_type_code, period, province),
            report_type,
        )

    @functools.lru_cache(maxsize=4096)  # noqa: B019 -- the service lives as long as its registry
    def _expected(self, report_type_code: str, period: str, province: str) -> int:
        report_type = self.catalog.report_types[report_type_code]
        return len(
            self.registry.expected_in_province(
                province, report_type.submitting_levels(), Period.parse(period).cutoff_end
            )
        )
