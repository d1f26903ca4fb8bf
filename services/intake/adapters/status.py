"""Where a submission stands, from the receipts, the verdicts and the current reports (the
validator's and the aggregator's, through the views of migration 0009)."""

from __future__ import annotations

from typing import Any

import asyncpg

from shared.schemas import SubmissionStatus, Verdict


class StatusReader:
    def __init__(self, pool: asyncpg.Pool[Any]) -> None:
        self._pool = pool

    async def status(self, submission_id: str) -> SubmissionStatus | None:
        row = await self._pool.fetchrow(
            "SELECT s.unit, s.verdict, l.submission_id AS current_id"
            " FROM verdicts s LEFT JOIN current_reports l"
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
                unit=row["unit"],
                status="superseded" if superseded else verdict.status,
                reasons=verdict.reasons,
                warnings=verdict.warnings,
                timeliness=verdict.timeliness,
                received_at=verdict.received_at,
                superseded_by=row["current_id"] if superseded else None,
                signed_at=verdict.signed_at,
                key_id=verdict.signature.key_id if verdict.signature else None,
                keyed_by=verdict.keyed_by,
                counted_from=verdict.counted_from,
            )
        receipt = await self._pool.fetchrow(
            "SELECT unit, received_at FROM receipts WHERE submission_id = $1", submission_id
        )
        if receipt is None:
            return None
        return SubmissionStatus(
            submission_id=submission_id,
            unit=receipt["unit"],
            status="received",
            received_at=receipt["received_at"],
        )
