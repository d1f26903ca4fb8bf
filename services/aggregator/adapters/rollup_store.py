"""The rollup store in PostgreSQL: latest_reports and province_rollups, written together.

Implements ``usecases.ports.RollupStore``; the SQL of each table is in ``latest_reports_sql``
and ``rollup_rows``.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

import asyncpg

from services.aggregator.adapters.latest_reports_sql import (
    REPORT_COLUMNS,
    current_reports,
    province_reports,
    replace_reports,
    report_of,
    upsert_latest,
)
from services.aggregator.adapters.rollup_rows import (
    ROLLUP_COLUMNS,
    add_empty_rows,
    lock_rows,
    rollup_of,
    write_rollups,
)
from services.aggregator.domain.latest import (
    Change,
    ReportKey,
    StoredReport,
    merged_report,
    moved_forward,
)
from services.aggregator.domain.rollup import Rollup
from services.aggregator.usecases.ports import Fold, Refold, RollupKey, StoredRollup
from shared.schemas import Verdict


class RollupStore:
    def __init__(self, pool: asyncpg.Pool[Any]) -> None:
        self._pool = pool

    async def submitted_counts(self, keys: list[tuple[str, str]]) -> dict[RollupKey, int]:
        """Units with an accepted report, per (report type, period, province), for ``keys``."""
        if not keys:
            return {}
        rows = await self._pool.fetch(
            "SELECT report_type, period, province, submitted FROM province_rollups"
            " WHERE (report_type, period) IN (SELECT * FROM unnest($1::text[], $2::text[]))",
            [k[0] for k in keys],
            [k[1] for k in keys],
        )
        return {(r["report_type"], r["period"], r["province"]): r["submitted"] for r in rows}

    async def apply(
        self, latest: Mapping[ReportKey, Verdict], fold: Fold, refold: Refold, now: datetime
    ) -> int:
        """Record newer reports and fold each change into its province's row, in one transaction.

        The province rows a batch touches are locked first, in sorted order, so concurrent
        aggregators serialise per province and cannot deadlock; every write to a province's
        reports happens under its row's lock, so the "before" read here is the truth. A report
        only replaces an older one (``domain.latest.merged``), so replaying verdicts changes
        nothing. Five round trips per batch, whatever its size.

        Returns how many reports moved forward.
        """
        provinces = {key: verdict.province or "" for key, verdict in latest.items()}
        touched = {(rt, period, province) for (rt, period, _), province in provinces.items()}
        async with self._pool.acquire() as connection, connection.transaction():
            await add_empty_rows(connection, sorted(touched), now)
            rows = await lock_rows(connection, touched)
            before = await current_reports(connection, sorted(latest))
            forward = moved_forward(before, {k: StoredReport.of(v) for k, v in latest.items()})
            if not forward:
                return 0
            await upsert_latest(
                connection, [(key, provinces[key], new) for key, (_, new) in forward.items()]
            )
            changes: dict[RollupKey, list[Change]] = {}
            for key, change in forward.items():
                changes.setdefault((key[0], key[1], provinces[key]), []).append(change)
            folded: dict[RollupKey, Rollup] = {}
            for key, key_changes in changes.items():
                rollup = fold(key, rows[key], key_changes)
                if rollup is None:
                    rollup = refold(key, await province_reports(connection, key))
                folded[key] = rollup
            await write_rollups(connection, folded, now)
        return len(forward)

    async def replace_period(
        self,
        report_type: str,
        period: str,
        latest: Mapping[ReportKey, Verdict],
        refold: Refold,
        now: datetime,
    ) -> int:
        """Replace a (report type, period)'s reports and rollups with ``latest`` and rollups
        made from it from scratch, in one transaction. A stored report newer than its source,
        or missing from it, is kept: the live path stored it after the source was read (a
        rebuild cannot tell a stray row from one, and keeps both).

        Live batches write under the same tables' row locks; the exclusive table locks here
        (reads go on) make a rebuild wait for them and them wait for it, so neither's writes
        are lost. ``latest`` was read before the lock, so a report the live path stored in
        between is newer than its source and is kept. Returns how many province rollups were
        written."""
        chosen = {key: StoredReport.of(verdict) for key, verdict in latest.items()}
        provinces = {key: verdict.province or "" for key, verdict in latest.items()}
        async with self._pool.acquire() as connection, connection.transaction():
            await connection.execute(
                "LOCK TABLE province_rollups, latest_reports IN EXCLUSIVE MODE"
            )
            for row in await connection.fetch(
                f"SELECT province, {REPORT_COLUMNS} FROM latest_reports"
                " WHERE report_type = $1 AND period = $2",
                report_type,
                period,
            ):
                key = (report_type, period, row["unit"])
                chosen[key] = merged_report(chosen.get(key), report_of(row))
                provinces.setdefault(key, row["province"])
            reports = sorted(chosen.items())
            await replace_reports(connection, report_type, period, reports, provinces)
            await connection.execute(
                "DELETE FROM province_rollups WHERE report_type = $1 AND period = $2",
                report_type,
                period,
            )
            by_province: dict[str, list[StoredReport]] = {}
            for key, report in reports:
                by_province.setdefault(provinces[key], []).append(report)
            rollups = {
                (report_type, period, province): refold((report_type, period, province), found)
                for province, found in sorted(by_province.items())
            }
            await add_empty_rows(connection, list(rollups), now)
            await write_rollups(connection, rollups, now)
        return len(rollups)

    async def province_rollups_over(
        self, report_type: str, periods: list[str]
    ) -> dict[str, list[StoredRollup]]:
        """The province rows of several periods (the quarters of a year), by period."""
        rows = await self._pool.fetch(
            f"SELECT period, {ROLLUP_COLUMNS} FROM province_rollups"
            " WHERE report_type = $1 AND period = ANY($2::text[])",
            report_type,
            periods,
        )
        found: dict[str, list[StoredRollup]] = {period: [] for period in periods}
        for row in rows:
            found[row["period"]].append(rollup_of(row))
        return found

    async def reports_over(
        self,
        report_type: str,
        periods: list[str],
        province: str | None = None,
        *,
        provinces: list[str] | None = None,
    ) -> dict[str, list[StoredReport]]:
        """Units' reports for several periods, by period; a province's (or some provinces')
        only, if given."""
        query = (
            f"SELECT period, {REPORT_COLUMNS} FROM latest_reports"
            " WHERE report_type = $1 AND period = ANY($2::text[])"
        )
        arguments: list[Any] = [report_type, periods]
        if province is not None:
            query += " AND province = $3"
            arguments.append(province)
        elif provinces is not None:
            query += " AND province = ANY($3::text[])"
            arguments.append(provinces)
        found: dict[str, list[StoredReport]] = {period: [] for period in periods}
        for row in await self._pool.fetch(query + " ORDER BY unit", *arguments):
            found[row["period"]].append(report_of(row))
        return found

    async def reports(self, report_type: str, period: str) -> list[StoredReport]:
        rows = await self._pool.fetch(
            f"SELECT {REPORT_COLUMNS} FROM latest_reports"
            " WHERE report_type = $1 AND period = $2 ORDER BY unit",
            report_type,
            period,
        )
        return [report_of(r) for r in rows]
