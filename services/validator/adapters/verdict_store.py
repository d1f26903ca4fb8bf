"""The submissions table: the validator's verdicts, which double as its tracking records."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any

import asyncpg

from shared.schemas import IndicatorValue, Verdict

Key = tuple[str, str, str]  # unit, report type, period


class VerdictStore:
    def __init__(self, pool: asyncpg.Pool[Any]) -> None:
        self._pool = pool

    async def record(
        self, verdicts: Sequence[Verdict], documents: Mapping[str, str], validated_at: datetime
    ) -> dict[str, Verdict]:
        """Store new verdicts; a submission id already judged keeps its first verdict.

        One statement for the batch. Returns the verdict now on record for every id given:
        the one just stored, or for an id judged before, the stored one (read back only then).
        """
        fresh = {v.submission_id: v for v in verdicts}  # ids are distinct: the service sees to it
        rows = list(fresh.values())
        async with self._pool.acquire() as connection, connection.transaction():
            inserted = await connection.fetch(
                "INSERT INTO submissions (submission_id, report_type, period, unit, province,"
                " status, timeliness, received_at, validated_at, stream_seq, verdict)"
                " SELECT id, rt, p, u, pr, st, tl, ra, $9, seq, doc::jsonb FROM unnest("
                "$1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[],"
                " $7::text[], $8::timestamptz[], $10::bigint[], $11::text[])"
                " AS t(id, rt, p, u, pr, st, tl, ra, seq, doc)"
                " ON CONFLICT (submission_id) DO NOTHING RETURNING submission_id",
                [v.submission_id for v in rows],
                [v.report_type for v in rows],
                [v.period for v in rows],
                [v.unit for v in rows],
                [v.province for v in rows],
                [v.status for v in rows],
                [v.timeliness for v in rows],
                [v.received_at for v in rows],
                validated_at,
                [v.stream_seq for v in rows],
                [documents[v.submission_id] for v in rows],
            )
            stored = {r["submission_id"] for r in inserted}
            earlier = [i for i in fresh if i not in stored]
            if earlier:
                for row in await connection.fetch(
                    "SELECT submission_id, verdict FROM submissions"
                    " WHERE submission_id = ANY($1::text[])",
                    earlier,
                ):
                    fresh[row["submission_id"]] = Verdict.model_validate(row["verdict"])
        return fresh

    async def history(self, keys: Collection[Key]) -> dict[Key, dict[str, IndicatorValue]]:
        """The values of the latest accepted report for each (unit, report type, period)."""
        if not keys:
            return {}
        ordered = list(keys)
        rows = await self._pool.fetch(
            "SELECT DISTINCT ON (s.unit, s.report_type, s.period)"
            " s.unit, s.report_type, s.period, s.verdict -> 'values' AS values"
            " FROM submissions s JOIN unnest($1::text[], $2::text[], $3::text[])"
            "   AS k(unit, report_type, period)"
            " ON s.report_type = k.report_type AND s.period = k.period AND s.unit = k.unit"
            " WHERE s.status = 'accepted'"
            " ORDER BY s.unit, s.report_type, s.period, s.received_at DESC, s.stream_seq DESC",
            [k[0] for k in ordered],
            [k[1] for k in ordered],
            [k[2] for k in ordered],
        )
        return {
            (r["unit"], r["report_type"], r["period"]): _numbers(r["values"] or {}) for r in rows
        }

    async def lock_exceptions(self, keys: Collection[Key], now: datetime) -> set[Key]:
        """Which of ``keys`` a province has reopened, and not yet expired."""
        if not keys:
            return set()
        ordered = list(keys)
        rows = await self._pool.fetch(
            "SELECT e.unit, e.report_type, e.period FROM lock_exceptions e"
            " JOIN unnest($1::text[], $2::text[], $3::text[]) AS k(unit, report_type, period)"
            " USING (unit, report_type, period)"
            " WHERE e.expires_at IS NULL OR e.expires_at > $4",
            [k[0] for k in ordered],
            [k[1] for k in ordered],
            [k[2] for k in ordered],
            now,
        )
        return {(r["unit"], r["report_type"], r["period"]) for r in rows}


def _numbers(values: Mapping[str, Any]) -> dict[str, IndicatorValue]:
    # Decimals travel as strings in a verdict, to stay exact.
    return {
        code: value if isinstance(value, int) else Decimal(str(value))
        for code, value in values.items()
        if value is not None and not isinstance(value, bool)
    }
