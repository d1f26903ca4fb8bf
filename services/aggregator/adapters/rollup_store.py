"""latest_reports and province_rollups in PostgreSQL."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import asyncpg

from services.aggregator.domain.latest import ReportKey
from services.aggregator.domain.rollup import Completeness, Rollup, Tally
from shared.schemas import Verdict

_UPSERT_LATEST = """
INSERT INTO latest_reports (report_type, period, unit, province, submission_id, received_at,
                            stream_seq, timeliness, "values")
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
ON CONFLICT (report_type, period, unit) DO UPDATE SET
    province = excluded.province, submission_id = excluded.submission_id,
    received_at = excluded.received_at, stream_seq = excluded.stream_seq,
    timeliness = excluded.timeliness, "values" = excluded."values"
WHERE (latest_reports.received_at, latest_reports.stream_seq, latest_reports.submission_id)
    < (excluded.received_at, excluded.stream_seq, excluded.submission_id)
"""


@dataclass(frozen=True)
class StoredReport:
    unit: str
    submission_id: str
    received_at: datetime
    timeliness: str
    values: Mapping[str, Any]


@dataclass(frozen=True)
class StoredRollup:
    province: str
    sums: Mapping[str, Any]
    counts: Mapping[str, int]
    completeness: Completeness


Recompute = Callable[[str, str, str, list[StoredReport]], Rollup]


def _report(row: asyncpg.Record) -> StoredReport:
    return StoredReport(
        row["unit"], row["submission_id"], row["received_at"], row["timeliness"], row["values"]
    )


class RollupStore:
    def __init__(self, pool: asyncpg.Pool[Any]) -> None:
        self._pool = pool

    async def apply(
        self, latest: Mapping[ReportKey, Verdict], recompute: Recompute, now: datetime
    ) -> None:
        """Record newer reports and recompute each province they touch, in one transaction.

        Each province row is locked before it is recomputed, and recomputed after this
        transaction's own writes, so concurrent aggregators serialise per province and the last
        to commit sees every report. Keys are taken in sorted order so two batches cannot
        deadlock. Replaying the same verdicts changes nothing: the upsert only moves forward.
        """
        ordered = sorted(latest.items())
        async with self._pool.acquire() as connection, connection.transaction():
            await connection.executemany(
                _UPSERT_LATEST,
                [
                    (
                        rt,
                        period,
                        unit,
                        v.province,
                        v.submission_id,
                        v.received_at,
                        v.stream_seq,
                        v.timeliness,
                        v.model_dump(mode="json")["values"],
                    )
                    for (rt, period, unit), v in ordered
                ],
            )
            touched = sorted({(rt, period, v.province or "") for (rt, period, _), v in ordered})
            for report_type, period, province in touched:
                await connection.execute(
                    "INSERT INTO province_rollups VALUES ($1, $2, $3, '{}', '{}', 0, 0, 0, 0, $4)"
                    " ON CONFLICT DO NOTHING",
                    report_type,
                    period,
                    province,
                    now,
                )
                await connection.execute(
                    "SELECT 1 FROM province_rollups WHERE report_type = $1 AND period = $2"
                    " AND province = $3 FOR UPDATE",
                    report_type,
                    period,
                    province,
                )
                rows = await connection.fetch(
                    'SELECT unit, submission_id, received_at, timeliness, "values" FROM latest_reports'
                    " WHERE report_type = $1 AND period = $2 AND province = $3",
                    report_type,
                    period,
                    province,
                )
                rollup = recompute(report_type, period, province, [_report(r) for r in rows])
                c = rollup.completeness
                await connection.execute(
                    "UPDATE province_rollups SET sums = $4, counts = $5, expected = $6, submitted = $7,"
                    " on_time = $8, late = $9, updated_at = $10"
                    " WHERE report_type = $1 AND period = $2 AND province = $3",
                    report_type,
                    period,
                    province,
                    rollup.tally.sums,
                    rollup.tally.counts,
                    c.expected,
                    c.submitted,
                    c.on_time,
                    c.late,
                    now,
                )

    async def province_rollups(self, report_type: str, period: str) -> list[StoredRollup]:
        rows = await self._pool.fetch(
            "SELECT province, sums, counts, expected, submitted, on_time, late FROM province_rollups"
            " WHERE report_type = $1 AND period = $2",
            report_type,
            period,
        )
        return [
            StoredRollup(
                r["province"],
                r["sums"],
                r["counts"],
                Completeness(r["expected"], r["submitted"], r["on_time"], r["late"]),
            )
            for r in rows
        ]

    async def reports_in_province(
        self, report_type: str, period: str, province: str
    ) -> list[StoredReport]:
        rows = await self._pool.fetch(
            'SELECT unit, submission_id, received_at, timeliness, "values" FROM latest_reports'
            " WHERE report_type = $1 AND period = $2 AND province = $3 ORDER BY unit",
            report_type,
            period,
            province,
        )
        return [_report(r) for r in rows]

    async def reports(self, report_type: str, period: str) -> list[StoredReport]:
        rows = await self._pool.fetch(
            'SELECT unit, submission_id, received_at, timeliness, "values" FROM latest_reports'
            " WHERE report_type = $1 AND period = $2 ORDER BY unit",
            report_type,
            period,
        )
        return [_report(r) for r in rows]


def tally_of(stored: StoredRollup, parse: Callable[[Mapping[str, Any]], dict[str, Any]]) -> Tally:
    return Tally(sums=parse(stored.sums), counts=dict(stored.counts))
