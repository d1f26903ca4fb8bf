"""Reading a unit's submissions back from the validator's own table, for the audit."""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

import asyncpg
from pydantic import TypeAdapter

from services.validator.domain.history import Accepted, Cursor, ReportKey
from shared.schemas import IndicatorValue, Verdict

_VALUES: TypeAdapter[dict[str, IndicatorValue]] = TypeAdapter(dict[str, IndicatorValue])


class HistoryStore:
    def __init__(self, pool: asyncpg.Pool[Any]) -> None:
        self._pool = pool

    async def page(
        self,
        unit: str,
        *,
        report_type: str | None,
        period: str | None,
        after: Cursor | None,
        limit: int,
    ) -> list[Verdict]:
        """Up to ``limit`` of the unit's verdicts, newest first, below ``after``
        (index submissions_by_unit)."""
        rows = await self._pool.fetch(
            "SELECT verdict FROM submissions WHERE unit = $1"
            " AND ($2::text IS NULL OR report_type = $2) AND ($3::text IS NULL OR period = $3)"
            " AND ($4::timestamptz IS NULL"
            "      OR (received_at, stream_seq, submission_id) < ($4, $5::bigint, $6::text))"
            " ORDER BY received_at DESC, stream_seq DESC, submission_id DESC LIMIT $7",
            unit,
            report_type,
            period,
            after.received_at if after else None,
            after.stream_seq if after else None,
            after.submission_id if after else None,
            limit,
        )
        return [Verdict.model_validate(r["verdict"]) for r in rows]

    async def accepted(self, unit: str, reports: Collection[ReportKey]) -> list[Accepted]:
        """Every accepted submission of the unit for these (report type, period) pairs, on
        whatever page it is (index submissions_by_report)."""
        if not reports:
            return []
        ordered = list(reports)
        rows = await self._pool.fetch(
            "SELECT s.submission_id, s.report_type, s.period, s.received_at, s.stream_seq,"
            " s.verdict -> 'values' AS values FROM submissions s"
            " JOIN unnest($2::text[], $3::text[]) AS k(report_type, period)"
            " ON s.report_type = k.report_type AND s.period = k.period"
            " WHERE s.unit = $1 AND s.status = 'accepted'",
            unit,
            [k[0] for k in ordered],
            [k[1] for k in ordered],
        )
        return [
            Accepted(
                submission_id=r["submission_id"],
                report_type=r["report_type"],
                period=r["period"],
                received_at=r["received_at"],
                stream_seq=r["stream_seq"],
                values=_VALUES.validate_python(r["values"] or {}),
            )
            for r in rows
        ]
