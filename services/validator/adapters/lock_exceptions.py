"""Reports a province has reopened after their period locked.

Grants and revocations are both kept, each a row of its own (lock_exception_grants,
lock_exception_revocations; append-only, migration 0009): the view lock_exceptions holds the
exception in force for each report, its latest grant unless that was revoked.
"""

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
        """Record ``exception``: it replaces an earlier one for the same report, which stays on
        record."""
        row = await self._pool.fetchrow(
            f"INSERT INTO lock_exception_grants ({_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7)"
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

    async def revoke(
        self,
        unit: str,
        report_type: str,
        period: str,
        *,
        revoked_by: str | None = None,
        at: datetime | None = None,
    ) -> bool:
        """Revoke the report's exception in force (expired or not); False if it has none.

        The grant stays on record with a revocation pointing at it. Of two revocations at once,
        one records it and the other finds it gone, as two deletes would. ``at`` defaults to
        the database's time."""
        result = await self._pool.fetchval(
            "INSERT INTO lock_exception_revocations (grant_id, revoked_by, revoked_at)"
            " SELECT id, $4, coalesce($5, now()) FROM lock_exceptions"
            " WHERE unit = $1 AND report_type = $2 AND period = $3"
            " ON CONFLICT (grant_id) DO NOTHING RETURNING 1",
            unit,
            report_type,
            period,
            revoked_by,
            at,
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
