"""Reading one report's submissions back from the validator's own table, by province or unit,
for the report status (usecases/report_status.py:ReportStatusRows)."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from typing import Any

import asyncpg
from pydantic import TypeAdapter

from services.validator.domain.report_status import Submitted
from shared.schemas import Reason

_REASONS: TypeAdapter[list[Reason]] = TypeAdapter(list[Reason])

# Only a rejection's reasons are read out of the verdict document: an accepted row's is never
# opened, so a whole country's accepted reports cost their short columns only.
_COLUMNS = (
    "SELECT submission_id, unit, status, timeliness, received_at, stream_seq,"
    " CASE WHEN status = 'rejected' THEN verdict -> 'reasons' END AS reasons FROM submissions"
)


class ReportStatusStore:
    def __init__(self, pool: asyncpg.Pool[Any]) -> None:
        self._pool = pool

    async def of_provinces(
        self, report_type: str, period: str, provinces: Collection[str]
    ) -> list[Submitted]:
        """One statement for a province or all 34 (index submissions_by_province, migration
        0011: leading with province, an ``= ANY`` of the 34 is 34 short index ranges)."""
        if not provinces:
            return []
        rows = await self._pool.fetch(
            _COLUMNS + " WHERE province = ANY($3::text[]) AND report_type = $1 AND period = $2",
            report_type,
            period,
            list(provinces),
        )
        return _submitted(rows)

    async def of_unit(self, report_type: str, period: str, unit: str) -> list[Submitted]:
        """One unit's (index submissions_by_unit, migration 0005: the unit's own rows)."""
        rows = await self._pool.fetch(
            _COLUMNS + " WHERE unit = $3 AND report_type = $1 AND period = $2",
            report_type,
            period,
            unit,
        )
        return _submitted(rows)


def _submitted(rows: Sequence[asyncpg.Record]) -> list[Submitted]:
    return [
        Submitted(
            submission_id=r["submission_id"],
            unit=r["unit"],
            status=r["status"],
            timeliness=r["timeliness"],
            received_at=r["received_at"],
            stream_seq=r["stream_seq"],
            reasons=tuple(_REASONS.validate_python(r["reasons"] or [])),
        )
        for r in rows
    ]
