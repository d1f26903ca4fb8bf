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
    stream_seq: int = 0

    @property
    def order(self) -> tuple[datetime, int, str]:
        """Later is newer: the same order as ``newest_first_key`` of a verdict."""
        return (self.received_at, self.stream_seq, self.submission_id)


@dataclass(frozen=True)
class StoredRollup:
    province: str
    sums: Mapping[str, Any]
    counts: Mapping[str, int]
    completeness: Completeness


RollupKey = tuple[str, str, str]  # report type, period, province
Change = tuple[StoredReport | None, StoredReport]  # a unit's report before, and after
Fold = Callable[[RollupKey, StoredRollup, list[Change]], Rollup]

_REPORT_COLUMNS = 'unit, submission_id, received_at, timeliness, "values", stream_seq'


def _report(row: asyncpg.Record) -> StoredReport:
    return StoredReport(
        row["unit"],
        row["submission_id"],
        row["received_at"],
        row["timeliness"],
        row["values"],
        row["stream_seq"],
    )


def _stored(verdict: Verdict) -> StoredReport:
    return StoredReport(
        verdict.unit,
        verdict.submission_id,
        verdict.received_at,
        verdict.timeliness or "on_time",
        verdict.model_dump(mode="json")["values"],
        verdict.stream_seq,
    )


def _rollup_row(row: asyncpg.Record) -> StoredRollup:
    return StoredRollup(
        row["province"],
        row["sums"],
        row["counts"],
        Completeness(row["expected"], row["submitted"], row["on_time"], row["late"]),
    )


class RollupStore:
    def __init__(self, pool: asyncpg.Pool[Any]) -> None:
        self._pool = pool

    async def apply(self, latest: Mapping[ReportKey, Verdict], fold: Fold, now: datetime) -> int:
        """Record newer reports and fold each change into its province's row, in one transaction.

        The province rows a batch touches are locked first, in sorted order, so concurrent
        aggregators serialise per province and cannot deadlock; every write to a province's
        reports happens under its row's lock, so the "before" read here is the truth. A report
        only replaces an older one (receipt time, then stream sequence), so replaying verdicts
        changes nothing. Five round trips per batch, whatever its size.

        Returns how many reports moved forward.
        """
        ordered = sorted(latest.items())
        touched = sorted({(rt, period, v.province or "") for (rt, period, _), v in ordered})
        columns = [list(c) for c in zip(*touched, strict=True)]
        async with self._pool.acquire() as connection, connection.transaction():
            await connection.execute(
                "INSERT INTO province_rollups"
                " SELECT rt, p, pr, '{}', '{}', 0, 0, 0, 0, $4"
                " FROM unnest($1::text[], $2::text[], $3::text[]) AS t(rt, p, pr)"
                " ON CONFLICT DO NOTHING",
                *columns,
                now,
            )
            locked = await connection.fetch(
                "SELECT r.* FROM province_rollups r"
                " JOIN unnest($1::text[], $2::text[], $3::text[]) AS t(rt, p, pr)"
                " ON (r.report_type, r.period, r.province) = (t.rt, t.p, t.pr)"
                " ORDER BY r.report_type, r.period, r.province FOR UPDATE OF r",
                *columns,
            )
            keys = [list(c) for c in zip(*(k for k, _ in ordered), strict=True)]
            before = {
                (r["report_type"], r["period"], r["unit"]): _report(r)
                for r in await connection.fetch(
                    f"SELECT report_type, period, {_REPORT_COLUMNS} FROM latest_reports l"
                    " JOIN unnest($1::text[], $2::text[], $3::text[]) AS t(rt, p, u)"
                    " ON (l.report_type, l.period, l.unit) = (t.rt, t.p, t.u)",
                    *keys,
                )
            }
            changes: dict[RollupKey, list[Change]] = {}
            forward: list[tuple[ReportKey, Verdict]] = []
            for key, verdict in ordered:
                new, old = _stored(verdict), before.get(key)
                if old is not None and old.order >= new.order:
                    continue
                forward.append((key, verdict))
                changes.setdefault((key[0], key[1], verdict.province or ""), []).append((old, new))
            if not forward:
                return 0
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
                    for (rt, period, unit), v in forward
                ],
            )
            rows = {(r["report_type"], r["period"], r["province"]): r for r in locked}
            updates = []
            for key, province_changes in changes.items():
                rollup = fold(key, _rollup_row(rows[key]), province_changes)
                c = rollup.completeness
                updates.append(
                    (
                        *key,
                        rollup.tally.sums,
                        rollup.tally.counts,
                        c.expected,
                        c.submitted,
                        c.on_time,
                        c.late,
                        now,
                    )
                )
            await connection.executemany(
                "UPDATE province_rollups SET sums = $4, counts = $5, expected = $6, submitted = $7,"
                " on_time = $8, late = $9, updated_at = $10"
                " WHERE report_type = $1 AND period = $2 AND province = $3",
                updates,
            )
        return len(forward)

    async def province_rollups(self, report_type: str, period: str) -> list[StoredRollup]:
        rows = await self._pool.fetch(
            "SELECT province, sums, counts, expected, submitted, on_time, late FROM province_rollups"
            " WHERE report_type = $1 AND period = $2",
            report_type,
            period,
        )
        return [_rollup_row(r) for r in rows]

    async def reports_in_province(
        self, report_type: str, period: str, province: str
    ) -> list[StoredReport]:
        rows = await self._pool.fetch(
            f"SELECT {_REPORT_COLUMNS} FROM latest_reports"
            " WHERE report_type = $1 AND period = $2 AND province = $3 ORDER BY unit",
            report_type,
            period,
            province,
        )
        return [_report(r) for r in rows]

    async def reports(self, report_type: str, period: str) -> list[StoredReport]:
        rows = await self._pool.fetch(
            f"SELECT {_REPORT_COLUMNS} FROM latest_reports"
            " WHERE report_type = $1 AND period = $2 ORDER BY unit",
            report_type,
            period,
        )
        return [_report(r) for r in rows]


def tally_of(stored: StoredRollup, parse: Callable[[Mapping[str, Any]], dict[str, Any]]) -> Tally:
    return Tally(sums=parse(stored.sums), counts=dict(stored.counts))
