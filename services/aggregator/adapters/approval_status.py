"""Reads the approval states (the view over the approvals the validator's API writes) for
export statuses."""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

import asyncpg

from services.aggregator.exports.model import Approval, Approvals

_APPROVALS = """
SELECT period, unit, accepted_at IS NOT NULL AS accepted
FROM approval_states
WHERE report_type = $1 AND period = ANY($2::text[]) AND unit = ANY($3::text[])
"""


class ApprovalStatus:
    def __init__(self, pool: asyncpg.Pool[Any]) -> None:
        self._pool = pool

    async def approvals(
        self, report_type: str, periods: Collection[str], units: Collection[str]
    ) -> Approvals:
        """Every approval on record for ``units`` in ``periods``, in one query."""
        rows = await self._pool.fetch(_APPROVALS, report_type, list(periods), list(units))
        return {
            (row["period"], row["unit"]): Approval.CENTRAL_ACCEPTED
            if row["accepted"]
            else Approval.PROVINCE_APPROVED
            for row in rows
        }
