"""The notifications outbox: claims that make each notice go out once."""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection, Mapping, Sequence
from datetime import datetime
from typing import Any

import asyncpg

from services.notifier.domain.schedule import SubmittedKey
from shared.schemas import Notice


class Outbox:
    def __init__(self, pool: asyncpg.Pool[Any]) -> None:
        self._pool = pool

    async def submitted(self, periods: Collection[tuple[str, str]]) -> set[SubmittedKey]:
        """(report type, period, unit) with an accepted report, read from the validator's verdicts."""
        if not periods:
            return set()
        rows = await self._pool.fetch(
            "SELECT DISTINCT report_type, period, unit FROM submissions"
            " WHERE status = 'accepted' AND (report_type, period) IN"
            " (SELECT * FROM unnest($1::text[], $2::text[]))",
            [p[0] for p in periods],
            [p[1] for p in periods],
        )
        return {(r["report_type"], r["period"], r["unit"]) for r in rows}

    async def scheduled(
        self, periods: Collection[tuple[str, str]]
    ) -> set[tuple[str, str, str, str]]:
        """(unit, report type, period, stage) of every notice already in the outbox."""
        if not periods:
            return set()
        rows = await self._pool.fetch(
            "SELECT unit, report_type, period, stage FROM notifications"
            " WHERE (report_type, period) IN (SELECT * FROM unnest($1::text[], $2::text[]))",
            [p[0] for p in periods],
            [p[1] for p in periods],
        )
        return {(r["unit"], r["report_type"], r["period"], r["stage"]) for r in rows}

    async def add(
        self,
        notices: Sequence[Notice],
        now: datetime,
        carriers: Mapping[str, Mapping[str, str]] | None = None,
    ) -> Counter[str]:
        """Insert notices not yet on record (by notice id); returns how many were new, by stage.

        ``carriers`` hold the trace each notice continues, by notice id."""
        if not notices:
            return Counter()
        carriers = carriers or {}
        rows = await self._pool.fetch(
            "INSERT INTO notifications (notice_id, unit, report_type, period, stage, recipient,"
            " deadline, payload, trace_carrier, created_at)"
            " SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[],"
            "   $6::text[], $7::timestamptz[], $8::jsonb[], $9::jsonb[], $10::timestamptz[])"
            " ON CONFLICT DO NOTHING RETURNING stage",
            [n.notice_id for n in notices],
            [n.unit for n in notices],
            [n.report_type for n in notices],
            [n.period for n in notices],
            [n.stage for n in notices],
            [n.recipient for n in notices],
            [n.deadline for n in notices],
            [n.model_dump(mode="json") for n in notices],
            [dict(carriers[n.notice_id]) if n.notice_id in carriers else None for n in notices],
            [now] * len(notices),
        )
        return Counter(r["stage"] for r in rows)

    async def claim_unsent(
        self, connection: asyncpg.Connection[Any], limit: int
    ) -> list[tuple[Notice, Mapping[str, str]]]:
        """Lock up to ``limit`` unsent notices for this transaction; replicas skip them."""
        rows = await connection.fetch(
            "SELECT payload, trace_carrier FROM notifications"
            " WHERE sent_at IS NULL AND cancelled_at IS NULL"
            " ORDER BY created_at LIMIT $1 FOR UPDATE SKIP LOCKED",
            limit,
        )
        return [(Notice.model_validate(r["payload"]), r["trace_carrier"] or {}) for r in rows]

    async def mark_sent(
        self, connection: asyncpg.Connection[Any], notices: Sequence[Notice], now: datetime
    ) -> None:
        await connection.execute(
            "UPDATE notifications SET sent_at = $2 WHERE notice_id = ANY($1::text[])",
            [n.notice_id for n in notices],
            now,
        )

    async def set_aside(
        self, connection: asyncpg.Connection[Any], notice_ids: Sequence[str], now: datetime
    ) -> None:
        """Close notices that can never be delivered, so they stop holding back the rest."""
        if notice_ids:
            await connection.execute(
                "UPDATE notifications SET cancelled_at = $2 WHERE notice_id = ANY($1::text[])",
                list(notice_ids),
                now,
            )

    async def cancel(self, reported: Collection[tuple[str, str, str]], now: datetime) -> int:
        """Cancel unsent notices about (unit, report type, period) that now has a report.

        A notice being sent is locked by its claim; the update waits for it, then finds it
        sent and leaves it alone."""
        if not reported:
            return 0
        rows = await self._pool.fetch(
            "UPDATE notifications SET cancelled_at = $4"
            " FROM unnest($1::text[], $2::text[], $3::text[]) AS r(unit, report_type, period)"
            " WHERE notifications.unit = r.unit AND notifications.report_type = r.report_type"
            " AND notifications.period = r.period AND notifications.stage <> 'rejection'"
            " AND notifications.sent_at IS NULL AND notifications.cancelled_at IS NULL"
            " RETURNING 1",
            [k[0] for k in reported],
            [k[1] for k in reported],
            [k[2] for k in reported],
            now,
        )
        return len(rows)

    async def cancel_answered(self, now: datetime) -> int:
        """Cancel unsent reminders and escalations whose report has been accepted since they were
        scheduled: a report accepted while the round that scheduled them was still running."""
        rows = await self._pool.fetch(
            "UPDATE notifications n SET cancelled_at = $1"
            " WHERE n.sent_at IS NULL AND n.cancelled_at IS NULL AND n.stage <> 'rejection'"
            " AND EXISTS (SELECT 1 FROM submissions s WHERE s.status = 'accepted'"
            "   AND s.report_type = n.report_type AND s.period = n.period AND s.unit = n.unit)"
            " RETURNING 1",
            now,
        )
        return len(rows)

    async def unsent_count(self) -> int:
        count: int = await self._pool.fetchval(
            "SELECT count(*) FROM notifications WHERE sent_at IS NULL AND cancelled_at IS NULL"
        )
        return count

    def acquire(self) -> Any:
        return self._pool.acquire()
