"""latest_reports and province_rollups in PostgreSQL."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

import asyncpg

from services.aggregator.domain.latest import ReportKey
from services.aggregator.domain.rollup import Completeness, Rollup, Tally
from shared.db import to_json
from shared.schemas import Verdict

_UPSERT_LATEST = """
INSERT INTO latest_reports (report_type, period, unit, province, submission_id, received_at,
                            stream_seq, timeliness, "values")
SELECT rt, p, u, pr, id, ra, seq, tl, v::jsonb FROM unnest(
    $1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::timestamptz[],
    $7::bigint[], $8::text[], $9::text[]) AS t(rt, p, u, pr, id, ra, seq, tl, v)
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
        {k: str(v) if isinstance(v, Decimal) else v for k, v in (verdict.values or {}).items()},
        verdict.stream_seq,
    )


def _rollup_row(row: asyncpg.Record) -> StoredRollup:
    return StoredRollup(
        row["province"],
        row["sums"],
        row["counts"],
        Completeness(row["expected"], row["submitted"], row["on_time"], row["late"]),
    )


async def _current_reports(
    connection: asyncpg.pool.PoolConnectionProxy[Any], keys: list[ReportKey]
) -> dict[ReportKey, StoredReport]:
    """The reports on record for ``keys``, one primary-key lookup per (report type, period).

    ``unit = ANY(...)`` with the type and period fixed keeps the planner on the primary key;
    a join on all three columns let it pick the by-province index and filter a whole
    province's rows for each key.
    """
    units: dict[tuple[str, str], list[str]] = {}
    for report_type, period, unit in keys:
        units.setdefault((report_type, period), []).append(unit)
    found: dict[ReportKey, StoredReport] = {}
    for (report_type, period), wanted in units.items():
        for row in await connection.fetch(
            f"SELECT {_REPORT_COLUMNS} FROM latest_reports"
            " WHERE report_type = $1 AND period = $2 AND unit = ANY($3::text[])",
            report_type,
            period,
            wanted,
        ):
            found[(report_type, period, row["unit"])] = _report(row)
    return found


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
            before = await _current_reports(connection, [key for key, _ in ordered])
            changes: dict[RollupKey, list[Change]] = {}
            forward: list[tuple[ReportKey, str, StoredReport]] = []
            for key, verdict in ordered:
                new, old = _stored(verdict), before.get(key)
                if old is not None and old.order >= new.order:
                    continue
                province = verdict.province or ""
                forward.append((key, province, new))
                changes.setdefault((key[0], key[1], province), []).append((old, new))
            if not forward:
                return 0
            await connection.execute(
                _UPSERT_LATEST,
                [k[0] for k, _, _ in forward],
                [k[1] for k, _, _ in forward],
                [k[2] for k, _, _ in forward],
                [p for _, p, _ in forward],
                [r.submission_id for _, _, r in forward],
                [r.received_at for _, _, r in forward],
                [r.stream_seq for _, _, r in forward],
                [r.timeliness for _, _, r in forward],
                [to_json(r.values) for _, _, r in forward],
            )
            rows = {(r["report_type"], r["period"], r["province"]): r for r in locked}
            folded = {key: fold(key, _rollup_row(rows[key]), c) for key, c in changes.items()}
            await connection.execute(
                "UPDATE province_rollups r SET sums = t.s::jsonb, counts = t.n::jsonb,"
                " expected = t.e, submitted = t.sub, on_time = t.ot, late = t.l, updated_at = $10"
                " FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[],"
                " $6::int[], $7::int[], $8::int[], $9::int[]) AS t(rt, p, pr, s, n, e, sub, ot, l)"
                " WHERE (r.report_type, r.period, r.province) = (t.rt, t.p, t.pr)",
                [k[0] for k in folded],
                [k[1] for k in folded],
                [k[2] for k in folded],
                [to_json(f.tally.sums) for f in folded.values()],
                [to_json(f.tally.counts) for f in folded.values()],
                [f.completeness.expected for f in folded.values()],
                [f.completeness.submitted for f in folded.values()],
                [f.completeness.on_time for f in folded.values()],
                [f.completeness.late for f in folded.values()],
                now,
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
