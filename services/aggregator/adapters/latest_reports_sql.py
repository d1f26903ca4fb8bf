"""The latest_reports table: units' current reports, read and written in SQL.

The upsert states the merge rule of ``domain/latest.py`` (``merged``) in SQL, for rows two
writers race on (a unit whose province changed between two batches is locked under two
province rows). The store computes ``merged`` itself under its locks, so on the usual path the
statement only ever moves a row forward; a property test
(``tests/integration/contracts/test_merge_rule_sql.py``) checks that for any reports, in any
order, the row it keeps is the one ``merged`` chooses.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, TypeAlias

import asyncpg

from services.aggregator.domain.latest import ON_TIME, ReportKey, StoredReport
from shared.db import to_json

# Subscripted for the type checker only: asyncpg's classes are not generic at run time.
Connection: TypeAlias = "asyncpg.pool.PoolConnectionProxy[Any] | asyncpg.Connection[Any]"

_ORDER = ("received_at", "stream_seq", "submission_id")  # shared.report_order.report_order
_NEWER = (
    f"(latest_reports.{', latest_reports.'.join(_ORDER)}) < (excluded.{', excluded.'.join(_ORDER)})"
)
_TAKEN_FROM_THE_NEWER = ("province", "submission_id", "received_at", "stream_seq", '"values"')

UPSERT_LATEST = f"""
INSERT INTO latest_reports (report_type, period, unit, province, submission_id, received_at,
                            stream_seq, timeliness, "values")
SELECT rt, p, u, pr, id, ra, seq, tl, v::jsonb FROM unnest(
    $1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::timestamptz[],
    $7::bigint[], $8::text[], $9::text[]) AS t(rt, p, u, pr, id, ra, seq, tl, v)
ON CONFLICT (report_type, period, unit) DO UPDATE SET
    {
    ", ".join(
        f"{c} = CASE WHEN {_NEWER} THEN excluded.{c} ELSE latest_reports.{c} END"
        for c in _TAKEN_FROM_THE_NEWER
    )
},
    timeliness = CASE
        WHEN latest_reports.timeliness = '{ON_TIME}' OR excluded.timeliness = '{ON_TIME}'
            THEN '{ON_TIME}'
        WHEN {_NEWER} THEN excluded.timeliness
        ELSE latest_reports.timeliness END
WHERE {_NEWER}
   OR (latest_reports.timeliness <> '{ON_TIME}' AND excluded.timeliness = '{ON_TIME}')
"""

REPORT_COLUMNS = 'unit, submission_id, received_at, timeliness, "values", stream_seq'


def report_of(row: asyncpg.Record) -> StoredReport:
    return StoredReport(
        row["unit"],
        row["submission_id"],
        row["received_at"],
        row["timeliness"],
        row["values"],
        row["stream_seq"],
    )


async def upsert_latest(
    connection: Connection, reports: Sequence[tuple[ReportKey, str, StoredReport]]
) -> None:
    """Write (key, province, report) rows, each only where ``merged`` says it moves forward."""
    await connection.execute(
        UPSERT_LATEST,
        [k[0] for k, _, _ in reports],
        [k[1] for k, _, _ in reports],
        [k[2] for k, _, _ in reports],
        [p for _, p, _ in reports],
        [r.submission_id for _, _, r in reports],
        [r.received_at for _, _, r in reports],
        [r.stream_seq for _, _, r in reports],
        [r.timeliness for _, _, r in reports],
        [to_json(r.values) for _, _, r in reports],
    )


async def current_reports(
    connection: Connection, keys: Sequence[ReportKey]
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
            f"SELECT {REPORT_COLUMNS} FROM latest_reports"
            " WHERE report_type = $1 AND period = $2 AND unit = ANY($3::text[])",
            report_type,
            period,
            wanted,
        ):
            found[(report_type, period, row["unit"])] = report_of(row)
    return found


async def province_reports(connection: Connection, key: tuple[str, str, str]) -> list[StoredReport]:
    """A (report type, period, province)'s reports, by unit code."""
    rows = await connection.fetch(
        f"SELECT {REPORT_COLUMNS} FROM latest_reports"
        " WHERE province = $3 AND report_type = $1 AND period = $2 ORDER BY unit",
        *key,
    )
    return [report_of(r) for r in rows]


async def replace_reports(
    connection: Connection,
    report_type: str,
    period: str,
    reports: Sequence[tuple[ReportKey, StoredReport]],
    provinces: Mapping[ReportKey, str],
) -> None:
    """Delete a period's reports and write ``reports`` instead (under the rebuild's lock)."""
    await connection.execute(
        "DELETE FROM latest_reports WHERE report_type = $1 AND period = $2", report_type, period
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
