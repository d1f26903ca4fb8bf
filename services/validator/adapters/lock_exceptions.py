"""The lock_exceptions table: reports a province has reopened after their period locked."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import asyncpg

from shared.schemas import LockException

_COLUMNS = "unit, report_type, period, granted_by, reason, granted_at, expires_at"


class LockExceptionStore:
    def __init__(self, pool: asyncpg.Pool[Any]) -> None:
        self._pool = pool

    async def grant(self, exception: LockException) -> LockException:
        """Record ``exception``, replacing an earlier one for the same report."""
        row = await self._pool.fetchrow(
            f"INSERT INTO lock_exceptions ({_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7)"
            " ON CONFLICT (unit, report_type, period) DO UPDATE SET"
            " granted_by = excluded.granted_by, reason = excluded.reason,"
            " granted_at = excluded.granted_at, expires_at = excluded.expires_at"
            f" RETURNING {_COLUMNS}",
            exception.unit,
            exception.report_type,
            exception.period,
            exception.granted_by,
            exception.reason,
            exception.granted_at,
            exception.expires_at,
        )
        assert row is not None
        return LockException(**dict(row))

    async def revoke(self, unit: str, report_type: str, period: str) -> bool:
        result = await self._pool.fetchval(
            "DELETE FROM lock_exceptions WHERE unit = $1 AND report_type = $2 AND period = $3"
            " RETURNING 1",
            unit,
            report_type,
            period,
        )
        return result is not None

    async def listed(self, unit: str | None, now: datetime) -> list[LockException]:
        rows = await self._pool.fetch(
            f"SELECT {_COLUMNS} FROM lock_exceptions"
            " WHERE ($1::text IS NULL OR unit = $1) AND (expires_at IS NULL OR expires_at > $2)"
            " ORDER BY granted_at DESC",
            unit,
            now,
        )
        return [LockException(**dict(r)) for r in rows]
