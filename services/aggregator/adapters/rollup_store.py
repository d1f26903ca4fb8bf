"""latest_reports and province_rollups in PostgreSQL."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from decimal import Decimal
from typing import Any

import asyncpg

from services.aggregator.domain.latest import ON_TIME, ReportKey, is_on_time
from services.aggregator.domain.rollup import (
    Completeness,
    Rollup,
    Tally,
    TargetCount,
    TargetCounts,
    canonical,
    parse_numbers,
)
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
   OR ((latest_reports.received_at, latest_reports.stream_seq, latest_reports.submission_id)
       = (excluded.received_at, excluded.stream_seq, excluded.submission_id)
       AND latest_reports.timeliness <> 'on_time' AND excluded.timeliness = 'on_time')
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
    weights: Mapping[str, Any]
    targets: Mapping[str, list[int]]
    version: int = 0  # new on every write (migration 0008)

    def rollup(self) -> Rollup:
        tally = Tally(parse_numbers(self.sums), dict(self.counts), parse_numbers(self.weights))
        targets = {code: TargetCount(*pair) for code, pair in self.targets.items()}
        return Rollup(tally, self.completeness, targets)


RollupKey = tuple[str, str, str]  # report type, period, province
Change = tuple[StoredReport | None, StoredReport]  # a unit's report before, and after
# A province's rollup with the changes folded in, or None when a change took back a minimum or
# a maximum and only a full rollup of the province's reports can say what is left.
Fold = Callable[[RollupKey, StoredRollup, list[Change]], Rollup | None]
Refold = Callable[[RollupKey, list[StoredReport]], Rollup]

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


def _merged(stored: StoredReport | None, incoming: StoredReport) -> StoredReport:
    """A unit's report once ``incoming`` meets ``stored``: the newer one's figures, on time if
    either was (on time once, on time for good, whatever order they come in)."""
    if stored is None:
        return incoming
    newer = incoming if incoming.order > stored.order else stored
    if is_on_time(stored.timeliness) or is_on_time(incoming.timeliness):
        return replace(newer, timeliness=ON_TIME)
    return newer


def _rollup_row(row: asyncpg.Record) -> StoredRollup:
    return StoredRollup(
        row["province"],
        row["sums"],
        row["counts"],
        Completeness(row["expected"], row["submitted"], row["on_time"], row["late"]),
        row["weights"],
        row["targets"],
        row["version"],
    )


_ROLLUP_COLUMNS = (
    "province, sums, counts, expected, submitted, on_time, late, weights, targets, version"
)


def _targets_json(targets: TargetCounts) -> str:
    return to_json({code: [c.met, c.missed] for code, c in sorted(targets.items())})


def _tally_json(values: Mapping[str, Any]) -> str:
    return to_json(canonical(dict(sorted(values.items()))))


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

    async def apply(
        self, latest: Mapping[ReportKey, Verdict], fold: Fold, refold: Refold, now: datetime
    ) -> int:
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
                "INSERT INTO province_rollups (report_type, period, province, sums, counts,"
                " expected, submitted, on_time, late, updated_at)"
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
                old = before.get(key)
                new = _merged(old, _stored(verdict))
                if new == old:
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
            folded: dict[RollupKey, Rollup] = {}
            for key, key_changes in changes.items():
                rollup = fold(key, _rollup_row(rows[key]), key_changes)
                if rollup is None:
                    rollup = refold(key, await self._province_reports(connection, key))
                folded[key] = rollup
            await write_rollups(connection, folded, now)
        return len(forward)

    @staticmethod
    async def _province_reports(
        connection: asyncpg.pool.PoolConnectionProxy[Any], key: RollupKey
    ) -> list[StoredReport]:
        rows = await connection.fetch(
            f"SELECT {_REPORT_COLUMNS} FROM latest_reports"
            " WHERE province = $3 AND report_type = $1 AND period = $2 ORDER BY unit",
            *key,
        )
        return [_report(r) for r in rows]

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
        chosen = {key: _stored(verdict) for key, verdict in latest.items()}
        provinces = {key: verdict.province or "" for key, verdict in latest.items()}
        async with self._pool.acquire() as connection, connection.transaction():
            await connection.execute(
                "LOCK TABLE province_rollups, latest_reports IN EXCLUSIVE MODE"
            )
            for row in await connection.fetch(
                f"SELECT province, {_REPORT_COLUMNS} FROM latest_reports"
                " WHERE report_type = $1 AND period = $2",
                report_type,
                period,
            ):
                key = (report_type, period, row["unit"])
                chosen[key] = _merged(chosen.get(key), _report(row))
                provinces.setdefault(key, row["province"])
            reports = sorted(chosen.items())
            await connection.execute(
                "DELETE FROM latest_reports WHERE report_type = $1 AND period = $2",
                report_type,
                period,
            )
            await connection.execute(
                "DELETE FROM province_rollups WHERE report_type = $1 AND period = $2",
                report_type,
                period,
            )
            await connection.executemany(
                "INSERT INTO latest_reports (report_type, period, unit, province, submission_id,"
                ' received_at, stream_seq, timeliness, "values")'
                " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9::jsonb)",
                [
                    (
                        *key,
                        provinces[key],
                        r.submission_id,
                        r.received_at,
                        r.stream_seq,
                        r.timeliness,
                        dict(r.values),
                    )
                    for key, r in reports
                ],
            )
            by_province: dict[str, list[StoredReport]] = {}
            for key, report in reports:
                by_province.setdefault(provinces[key], []).append(report)
            rollups = {
                (report_type, period, province): refold((report_type, period, province), found)
                for province, found in sorted(by_province.items())
            }
            await connection.executemany(
                "INSERT INTO province_rollups (report_type, period, province, sums, counts,"
                " expected, submitted, on_time, late, updated_at)"
                " VALUES ($1, $2, $3, '{}', '{}', 0, 0, 0, 0, $4)",
                [(*key, now) for key in rollups],
            )
            await write_rollups(connection, rollups, now)
        return len(rollups)

    async def province_rollups_over(
        self, report_type: str, periods: list[str]
    ) -> dict[str, list[StoredRollup]]:
        """The province rows of several periods (the quarters of a year), by period."""
        rows = await self._pool.fetch(
            f"SELECT period, {_ROLLUP_COLUMNS} FROM province_rollups"
            " WHERE report_type = $1 AND period = ANY($2::text[])",
            report_type,
            periods,
        )
        found: dict[str, list[StoredRollup]] = {period: [] for period in periods}
        for row in rows:
            found[row["period"]].append(_rollup_row(row))
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
            f"SELECT period, {_REPORT_COLUMNS} FROM latest_reports"
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
            found[row["period"]].append(_report(row))
        return found

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


async def write_rollups(
    connection: asyncpg.pool.PoolConnectionProxy[Any] | asyncpg.Connection[Any],
    rollups: Mapping[RollupKey, Rollup],
    now: datetime,
) -> None:
    """Store province rollups whose rows exist and are locked by this transaction."""
    await connection.execute(
        "UPDATE province_rollups r SET sums = t.s::jsonb, counts = t.n::jsonb,"
        " expected = t.e, submitted = t.sub, on_time = t.ot, late = t.l, updated_at = $10,"
        " version = nextval('province_rollup_versions'),"
        " weights = t.w::jsonb, targets = t.tg::jsonb"
        " FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[],"
        " $6::int[], $7::int[], $8::int[], $9::int[], $11::text[], $12::text[])"
        " AS t(rt, p, pr, s, n, e, sub, ot, l, w, tg)"
        " WHERE (r.report_type, r.period, r.province) = (t.rt, t.p, t.pr)",
        [k[0] for k in rollups],
        [k[1] for k in rollups],
        [k[2] for k in rollups],
        [_tally_json(f.tally.sums) for f in rollups.values()],
        [to_json(dict(sorted(f.tally.counts.items()))) for f in rollups.values()],
        [f.completeness.expected for f in rollups.values()],
        [f.completeness.submitted for f in rollups.values()],
        [f.completeness.on_time for f in rollups.values()],
        [f.completeness.late for f in rollups.values()],
        now,
        [_tally_json(f.tally.weights) for f in rollups.values()],
        [_targets_json(f.targets) for f in rollups.values()],
    )
