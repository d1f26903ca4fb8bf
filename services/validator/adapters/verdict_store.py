"""The submissions table: the validator's verdicts, which double as its tracking records."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

import asyncpg

from shared.schemas import Verdict


class VerdictStore:
    def __init__(self, pool: asyncpg.Pool[Any]) -> None:
        self._pool = pool

    async def record(
        self, verdicts: Sequence[Verdict], validated_at: datetime
    ) -> dict[str, Verdict]:
        """Store new verdicts; a submission id already judged keeps its first verdict.

        Returns the verdict now on record for every id given.
        """
        async with self._pool.acquire() as connection, connection.transaction():
            await connection.executemany(
                "INSERT INTO submissions (submission_id, report_type, period, unit, province, status,"
                " timeliness, received_at, validated_at, stream_seq, verdict)"
                " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)"
                " ON CONFLICT (submission_id) DO NOTHING",
                [
                    (
                        v.submission_id,
                        v.report_type,
                        v.period,
                        v.unit,
                        v.province,
                        v.status,
                        v.timeliness,
                        v.received_at,
                        validated_at,
                        v.stream_seq,
                        v.model_dump(mode="json"),
                    )
                    for v in verdicts
                ],
            )
            rows = await connection.fetch(
                "SELECT submission_id, verdict FROM submissions WHERE submission_id = ANY($1::text[])",
                [v.submission_id for v in verdicts],
            )
        return {r["submission_id"]: Verdict.model_validate(r["verdict"]) for r in rows}
