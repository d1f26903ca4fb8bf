"""The province_rollups table: one row per (report type, period, province), read and written."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from datetime import datetime
from typing import Any

import asyncpg

from services.aggregator.adapters.latest_reports_sql import Connection
from services.aggregator.domain.rollup import Completeness, Rollup, canonical
from services.aggregator.domain.targets import TargetCounts
from services.aggregator.usecases.ports import RollupKey, StoredRollup
from shared.db import to_json

ROLLUP_COLUMNS = (
    "province, sums, counts, expected, submitted, on_time, late, weights, targets, version"
)


def rollup_of(row: asyncpg.Record) -> StoredRollup:
    return StoredRollup(
        row["province"],
        row["sums"],
        row["counts"],
        Completeness(row["expected"], row["submitted"], row["on_time"], row["late"]),
        row["weights"],
        row["targets"],
        row["version"],
    )


def _targets_json(targets: TargetCounts) -> str:
    return to_json({code: [c.met, c.missed] for code, c in sorted(targets.items())})


def _tally_json(values: Mapping[str, Any]) -> str:
    return to_json(canonical(dict(sorted(values.items()))))


async def add_empty_rows(
    connection: Connection, keys: Collection[RollupKey], now: datetime
) -> None:
    """Rows for ``keys`` that have none yet, so that they can be locked."""
    columns = [list(c) for c in zip(*keys, strict=True)] if keys else [[], [], []]
    await connection.execute(
        "INSERT INTO province_rollups (report_type, period, province, sums, counts,"
        " expected, submitted, on_time, late, updated_at)"
        " SELECT rt, p, pr, '{}', '{}', 0, 0, 0, 0, $4"
        " FROM unnest($1::text[], $2::text[], $3::text[]) AS t(rt, p, pr)"
        " ON CONFLICT DO NOTHING",
        *columns,
        now,
    )


async def lock_rows(
    connection: Connection, keys: Collection[RollupKey]
) -> dict[RollupKey, StoredRollup]:
    """Lock the rows of ``keys`` in sorted order (concurrent batches cannot deadlock)."""
    columns = [list(c) for c in zip(*sorted(keys), strict=True)]
    locked = await connection.fetch(
        "SELECT r.* FROM province_rollups r"
        " JOIN unnest($1::text[], $2::text[], $3::text[]) AS t(rt, p, pr)"
        " ON (r.report_type, r.period, r.province) = (t.rt, t.p, t.pr)"
        " ORDER BY r.report_type, r.period, r.province FOR UPDATE OF r",
        *columns,
    )
    return {(r["report_type"], r["period"], r["province"]): rollup_of(r) for r in locked}


async def write_rollups(
    connection: Connection, rollups: Mapping[RollupKey, Rollup], now: datetime
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
