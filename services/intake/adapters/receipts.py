"""Receipts for submissions that came in over HTTP."""

from __future__ import annotations

from typing import Any

import asyncpg

from services.intake.domain.receipt import StoredReceipt


class ReceiptStore:
    def __init__(self, pool: asyncpg.Pool[Any]) -> None:
        self._pool = pool

    async def get(self, submission_id: str) -> StoredReceipt | None:
        row = await self._pool.fetchrow(
            "SELECT submission_id, unit, received_at, stream_seq FROM receipts WHERE submission_id = $1",
            submission_id,
        )
        return None if row is None else StoredReceipt(**dict(row))

    async def save(self, receipt: StoredReceipt, report_type: str, period: str) -> StoredReceipt:
        """Keep the first receipt for an id; returns the one on record."""
        row = await self._pool.fetchrow(
            "INSERT INTO receipts (submission_id, unit, report_type, period, received_at, stream_seq)"
            " VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (submission_id) DO NOTHING"
            " RETURNING submission_id, unit, received_at, stream_seq",
            receipt.submission_id,
            receipt.unit,
            report_type,
            period,
            receipt.received_at,
            receipt.stream_seq,
        )
        if row is not None:
            return StoredReceipt(**dict(row))
        stored = await self.get(receipt.submission_id)  # a concurrent retry got there first
        assert stored is not None
        return stored
