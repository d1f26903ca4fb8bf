"""In-memory fakes of the aggregator's stores, for fast use-case tests.

Each keeps the promises of its protocol in ``services/aggregator/usecases/ports.py``; the
contract tests (``tests/integration/contracts/test_aggregator_stores.py``) run the same cases
against these fakes and against PostgreSQL. Reports move forward by the domain's merge rule
(``domain.latest.moved_forward``), as the PostgreSQL store's do; rollups are kept in their
stored form (decimals as canonical strings), so that ``StoredRollup.rollup()`` reads them back
as it reads PostgreSQL's rows.
"""

from __future__ import annotations

import itertools
from collections.abc import Collection, Mapping
from datetime import datetime

from services.aggregator.domain.latest import (
    Change,
    ReportKey,
    StoredReport,
    merged_report,
    moved_forward,
)
from services.aggregator.domain.rollup import Completeness, Rollup, canonical
from services.aggregator.exports.model import Approval, Approvals
from services.aggregator.usecases.ports import Fold, Refold, RollupKey, StoredRollup
from shared.schemas import Verdict


class InMemoryRollupStore:
    """``RollupStore``: units' current reports and province rows, in dictionaries."""

    def __init__(self) -> None:
        self.current: dict[ReportKey, tuple[str, StoredReport]] = {}  # with its province
        self.rows: dict[RollupKey, StoredRollup] = {}
        self._versions = itertools.count(1)

    def _stored(self, key: RollupKey, rollup: Rollup) -> StoredRollup:
        return StoredRollup(
            key[2],
            canonical(rollup.tally.sums),
            dict(rollup.tally.counts),
            rollup.completeness,
            canonical(rollup.tally.weights),
            {code: [c.met, c.missed] for code, c in rollup.targets.items()},
            next(self._versions),
        )

    def _province_reports(
        self, key: RollupKey, reports: Mapping[ReportKey, tuple[str, StoredReport]]
    ) -> list[StoredReport]:
        return [
            report
            for (rt, period, _), (province, report) in sorted(reports.items())
            if (rt, period, province) == key
        ]

    async def apply(
        self, latest: Mapping[ReportKey, Verdict], fold: Fold, refold: Refold, now: datetime
    ) -> int:
        provinces = {key: verdict.province or "" for key, verdict in latest.items()}
        # Rows for the touched provinces, empty until folded into, as PostgreSQL's are.
        for rt, period, province in {(k[0], k[1], p) for k, p in provinces.items()}:
            if (rt, period, province) not in self.rows:
                self.rows[(rt, period, province)] = StoredRollup(
                    province, {}, {}, Completeness(), {}, {}, next(self._versions)
                )
        before = {key: self.current[key][1] for key in latest if key in self.current}
        forward = moved_forward(before, {k: StoredReport.of(v) for k, v in latest.items()})
        if not forward:
            return 0
        # All or nothing, as in one transaction: work on copies, keep them at the end.
        reports = dict(self.current)
        changes: dict[RollupKey, list[Change]] = {}
        for key, change in forward.items():
            reports[key] = (provinces[key], change[1])
            changes.setdefault((key[0], key[1], provinces[key]), []).append(change)
        folded = {}
        for key, key_changes in changes.items():
            rollup = fold(key, self.rows[key], key_changes)
            if rollup is None:
                rollup = refold(key, self._province_reports(key, reports))
            folded[key] = rollup
        self.current = reports
        for key, rollup in folded.items():
            self.rows[key] = self._stored(key, rollup)
        return len(forward)

    async def replace_period(
        self,
        report_type: str,
        period: str,
        latest: Mapping[ReportKey, Verdict],
        refold: Refold,
        now: datetime,
    ) -> int:
        chosen = {key: StoredReport.of(verdict) for key, verdict in latest.items()}
        provinces = {key: verdict.province or "" for key, verdict in latest.items()}
        for key, (province, report) in self.current.items():
            if key[:2] == (report_type, period):
                chosen[key] = merged_report(chosen.get(key), report)
                provinces.setdefault(key, province)
        reports = {k: v for k, v in self.current.items() if k[:2] != (report_type, period)}
        reports.update({key: (provinces[key], report) for key, report in chosen.items()})
        wanted = {(report_type, period, provinces[key]) for key in chosen}
        rollups = {key: refold(key, self._province_reports(key, reports)) for key in sorted(wanted)}
        self.current = reports
        self.rows = {k: v for k, v in self.rows.items() if k[:2] != (report_type, period)}
        for key, rollup in rollups.items():
            self.rows[key] = self._stored(key, rollup)
        return len(rollups)

    async def submitted_counts(self, keys: list[tuple[str, str]]) -> dict[RollupKey, int]:
        wanted = set(keys)
        return {k: row.completeness.submitted for k, row in self.rows.items() if k[:2] in wanted}

    async def province_rollups_over(
        self, report_type: str, periods: list[str]
    ) -> dict[str, list[StoredRollup]]:
        found: dict[str, list[StoredRollup]] = {period: [] for period in periods}
        for (rt, period, _), row in sorted(self.rows.items()):
            if rt == report_type and period in found:
                found[period].append(row)
        return found

    async def reports_over(
        self,
        report_type: str,
        periods: list[str],
        province: str | None = None,
        *,
        provinces: list[str] | None = None,
    ) -> dict[str, list[StoredReport]]:
        wanted = {province} if province is not None else set(provinces or ())
        found: dict[str, list[StoredReport]] = {period: [] for period in periods}
        for (rt, period, _), (in_province, report) in sorted(self.current.items()):
            if rt != report_type or period not in found:
                continue
            if (province is not None or provinces is not None) and in_province not in wanted:
                continue
            found[period].append(report)
        return found

    async def reports(self, report_type: str, period: str) -> list[StoredReport]:
        return (await self.reports_over(report_type, [period]))[period]


class InMemoryApprovalStatus:
    """``ApprovalStatus``: the approvals on record, as the validator's approvals would say."""

    def __init__(self) -> None:
        self.records: dict[tuple[str, str, str], Approval] = {}  # report type, period, unit

    def record(self, report_type: str, period: str, unit: str, approval: Approval) -> None:
        self.records[(report_type, period, unit)] = approval

    async def approvals(
        self, report_type: str, periods: Collection[str], units: Collection[str]
    ) -> Approvals:
        return {
            (period, unit): approval
            for (rt, period, unit), approval in self.records.items()
            if rt == report_type and period in periods and unit in units
        }
