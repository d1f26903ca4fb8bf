"""Which units have an accepted report, read from the validator's verdicts: the reminder
planner asks it who is still late."""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

import asyncpg

from services.notifier.domain.schedule import SubmittedKey


class PostgresAcceptedReports:
    """:class:`~services.notifier.usecases.ports.AcceptedReports` in PostgreSQL."""

    def __init__(self, pool: asyncpg.Pool[Any]) -> None:
        self._pool = pool

    async def submitted(self, periods: Collection[tuple[str, str]]) -> set[SubmittedKey]:
        """(report type, period, unit) with an accepted report, read from the validator's verdicts
        (through the view accepted_submissions: the notifier may not read its table)."""
        if not periods:
            return set()
        rows = await self._pool.fetch(
            "SELECT DISTINCT report_type, period, unit FROM accepted_submissions"
            " WHERE (report_type, period) IN"
            " (SELECT * FROM unnest($1::text[], $2::text[]))",
            [p[0] for p in periods],
            [p[1] for p in periods],
        )
        return {(r["report_type"], r["period"], r["unit"]) for r in rows}
