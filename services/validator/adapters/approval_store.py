"""The approvals table and its append-only log."""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

import asyncpg

from services.validator.adapters.approval_locks import lock_id
from services.validator.domain.approvals import Approval, Decision, LogEntry, Outcome, Step

_COLUMNS = "report_type, period, unit, approved_by, approved_at, accepted_by, accepted_at"
_LOG_COLUMNS = "report_type, period, unit, action, actor, reason, at"


class ApprovalStore:
    def __init__(self, pool: asyncpg.Pool[Any]) -> None:
        self._pool = pool

    async def act(
        self, report_type: str, period: str, unit: str, province: str, decide: Decision
    ) -> Outcome:
        """Take one step on ``unit``'s row, deciding from the rows as they stand under the
        province's approval lock: steps on one province's data (and the recording of verdicts
        for it) happen one at a time. The row and its log entry are written together."""
        async with self._pool.acquire() as connection, connection.transaction():
            await connection.execute(
                "SELECT pg_advisory_xact_lock($1)", lock_id(report_type, period, province)
            )
            rows = {
                r["unit"]: _approval(r)
                for r in await connection.fetch(
                    f"SELECT {_COLUMNS} FROM approvals"
                    " WHERE report_type = $1 AND period = $2 AND unit = ANY($3::text[])",
                    report_type,
                    period,
                    [unit, province],
                )
            }
            outcome = decide(rows.get(unit), rows.get(province) if province != unit else None)
            if outcome.entry is None:
                return outcome
            if outcome.after is None:
                await connection.execute(
                    "DELETE FROM approvals WHERE report_type = $1 AND period = $2 AND unit = $3",
                    report_type,
                    period,
                    unit,
                )
            else:
                after = outcome.after
                await connection.execute(
                    f"INSERT INTO approvals ({_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7)"
                    " ON CONFLICT (report_type, period, unit) DO UPDATE SET"
                    " approved_by = excluded.approved_by, approved_at = excluded.approved_at,"
                    " accepted_by = excluded.accepted_by, accepted_at = excluded.accepted_at",
                    after.report_type,
                    after.period,
                    after.unit,
                    after.approved_by,
                    after.approved_at,
                    after.accepted_by,
                    after.accepted_at,
                )
            entry = outcome.entry
            await connection.execute(
                f"INSERT INTO approval_log ({_LOG_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7)",
                entry.report_type,
                entry.period,
                entry.unit,
                entry.action.value,
                entry.actor,
                entry.reason,
                entry.at,
            )
        return outcome

    async def standing(
        self, report_type: str, period: str, units: Collection[str] | None = None
    ) -> list[Approval]:
        """The approvals standing for a report type and period, of ``units`` (None: all)."""
        rows = await self._pool.fetch(
            f"SELECT {_COLUMNS} FROM approvals WHERE report_type = $1 AND period = $2"
            " AND ($3::text[] IS NULL OR unit = ANY($3::text[])) ORDER BY unit",
            report_type,
            period,
            None if units is None else list(units),
        )
        return [_approval(r) for r in rows]

    async def log(self, report_type: str, period: str, units: Collection[str]) -> list[LogEntry]:
        """Every step taken on ``units``' rows, oldest first."""
        rows = await self._pool.fetch(
            f"SELECT {_LOG_COLUMNS} FROM approval_log"
            " WHERE report_type = $1 AND period = $2 AND unit = ANY($3::text[])"
            " ORDER BY at, id",
            report_type,
            period,
            list(units),
        )
        return [
            LogEntry(
                report_type=r["report_type"],
                period=r["period"],
                unit=r["unit"],
                action=Step(r["action"]),
                actor=r["actor"],
                at=r["at"],
                reason=r["reason"],
            )
            for r in rows
        ]


def _approval(row: asyncpg.Record) -> Approval:
    return Approval(
        report_type=row["report_type"],
        period=row["period"],
        unit=row["unit"],
        approved_by=row["approved_by"],
        approved_at=row["approved_at"],
        accepted_by=row["accepted_by"],
        accepted_at=row["accepted_at"],
    )
