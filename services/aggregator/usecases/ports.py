"""What the aggregator's use cases need from storage, as protocols.

``adapters/rollup_store.py`` and ``adapters/approval_status.py`` are the PostgreSQL
implementations; ``tests/fakes/aggregator.py`` holds in-memory ones, and
``tests/integration/contracts/`` runs one set of contract tests against both. Where a rebuild
reads accepted verdicts from (``adapters/accepted_sources.py``) is no store: any
``AsyncIterable[Verdict]`` will do.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from services.aggregator.domain.figures import parse_numbers
from services.aggregator.domain.latest import Change, ReportKey, StoredReport
from services.aggregator.domain.rollup import Completeness, Rollup
from services.aggregator.domain.tally import Tally
from services.aggregator.domain.targets import TargetCount
from services.aggregator.exports.model import Approvals
from shared.schemas import Verdict

RollupKey = tuple[str, str, str]  # report type, period, province
# A province's rollup with the changes folded in, or None when a change took back a minimum or
# a maximum and only a full rollup of the province's reports can say what is left.
Fold = Callable[[RollupKey, "StoredRollup", list[Change]], Rollup | None]
Refold = Callable[[RollupKey, list[StoredReport]], Rollup]


@dataclass(frozen=True)
class StoredRollup:
    """A province's row: its tally as stored (decimals as strings), and its version."""

    province: str
    sums: Mapping[str, Any]
    counts: Mapping[str, int]
    completeness: Completeness
    weights: Mapping[str, Any]
    targets: Mapping[str, list[int]]
    version: int = 0  # new and higher on every write (migration 0008)

    def rollup(self) -> Rollup:
        tally = Tally(parse_numbers(self.sums), dict(self.counts), parse_numbers(self.weights))
        targets = {code: TargetCount(*pair) for code, pair in self.targets.items()}
        return Rollup(tally, self.completeness, targets)


class RollupStore(Protocol):
    """Units' current reports and provinces' rollups, per (report type, period)."""

    async def apply(
        self, latest: Mapping[ReportKey, Verdict], fold: Fold, refold: Refold, now: datetime
    ) -> int:
        """Record the reports ``latest`` moves forward (``domain.latest.merged``) and fold
        each change into its province's row, atomically; returns how many moved forward.
        Applying the same reports again changes nothing."""
        ...

    async def replace_period(
        self,
        report_type: str,
        period: str,
        latest: Mapping[ReportKey, Verdict],
        refold: Refold,
        now: datetime,
    ) -> int:
        """Replace a period's reports with ``latest`` merged with those on record, and its
        province rollups with ones refolded from them; returns how many rollups were written."""
        ...

    async def submitted_counts(self, keys: list[tuple[str, str]]) -> dict[RollupKey, int]:
        """Units with an accepted report, per (report type, period, province) of ``keys``."""
        ...

    async def province_rollups_over(
        self, report_type: str, periods: list[str]
    ) -> dict[str, list[StoredRollup]]:
        """The province rows of several periods, by period (every period a key)."""
        ...

    async def reports_over(
        self,
        report_type: str,
        periods: list[str],
        province: str | None = None,
        *,
        provinces: list[str] | None = None,
    ) -> dict[str, list[StoredReport]]:
        """Units' reports of several periods by period (every period a key), by unit code;
        a province's (or some provinces') only, if given."""
        ...

    async def reports(self, report_type: str, period: str) -> list[StoredReport]:
        """Every unit's report of a period, by unit code."""
        ...


TotalKey = tuple[str, tuple[str, ...], str]  # report type, the parts, province
Versions = tuple[int, ...]  # the province row's version in each part (0: no row)


class TotalsCache(Protocol):
    """Province period totals, each good while its rows keep the versions it was made from."""

    def get(self, key: TotalKey, versions: Versions) -> Rollup | None: ...
    def make_room(self) -> None: ...
    def put(self, key: TotalKey, versions: Versions, total: Rollup) -> None: ...


class ApprovalStatus(Protocol):
    async def approvals(
        self, report_type: str, periods: Collection[str], units: Collection[str]
    ) -> Approvals:
        """Every approval on record for ``units`` in ``periods``."""
        ...
