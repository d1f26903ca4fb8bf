"""Where a submission stands, from the receipts, the verdicts and the current reports."""

from __future__ import annotations

from typing import Any

import asyncpg

from shared.schemas import SubmissionStatus, Verdict


class StatusReader:
    def __init__(self, pool: asyncpg.Pool[Any]) -> None:
        self._pool = pool

    async def status(self, submission_id: str) -> SubmissionStatus | None:
        row = await self._pool.fetchrow(
            "SELECT s.verdict, l.submission_id AS current_id"
            " FROM submissions s LEFT JOIN latest_reports l"
            "   ON l.report_type = s.report_type AND l.period = s.period AND l.unit = s.unit"
            " WHERE s.submission_id = $1",
            submission_id,
        )
        if row is not None:
            verdict = Verdict.model_validate(row["verdict"])
            superseded = (
                verdict.status == "accepted"
                and row["current_id"] is not None
                and row["current_id"] != submission_id
            )
            return SubmissionStatus(
                submission_id=submission_id,
                status="superseded" if superseded else verdict.status,
                reasons=verdict.reasons,
                warnings=verdict.warnings,
                timeliness=verdict.timeliness,
                received_at=verdict.received_at,
                superseded_by=row["current_id"] if superseded else None,
            )
        receipt = await self._pool.fetchrow(
            "SELECT received_at FROM receipts WHERE submission_id = $1", submission_id
        )
        if receipt is None:
            return None
        return SubmissionStatus(
            submission_id=submission_id, status="received", received_at=receipt["received_at"]
        )
