"""The history of the notices to or about a unit, with every delivery attempt, for its HTTP
API: a read of the outbox's tables that takes no part in delivering."""

from __future__ import annotations

from typing import Any

import asyncpg


class PostgresNoticeHistory:
    """:class:`~services.notifier.usecases.ports.NoticeHistory` in PostgreSQL."""

    def __init__(self, pool: asyncpg.Pool[Any]) -> None:
        self._pool = pool

    async def history(self, unit: str, limit: int) -> list[dict[str, Any]]:
        """The notices sent to or about ``unit``, newest first, each with its deliveries and
        every attempt."""
        rows = await self._pool.fetch(
            "SELECT n.payload, n.created_at, n.cancelled_at, coalesce(("
            "   SELECT jsonb_agg(jsonb_build_object("
            "     'channel', d.channel, 'status', d.status, 'attempts', d.attempts,"
            "     'closed_at', d.closed_at, 'last_error', d.last_error,"
            "     'history', coalesce((SELECT jsonb_agg(jsonb_build_object("
            "         'attempt', a.attempt, 'worker', a.worker, 'started_at', a.started_at,"
            "         'finished_at', a.finished_at, 'outcome', a.outcome, 'error', a.error,"
            "         'http_status', a.http_status) ORDER BY a.id)"
            "       FROM notification_attempts a"
            "       WHERE a.notice_id = d.notice_id AND a.channel = d.channel), '[]'::jsonb))"
            "     ORDER BY d.channel)"
            "   FROM notification_deliveries d WHERE d.notice_id = n.notice_id), '[]'::jsonb)"
            "   AS deliveries"
            " FROM notifications n WHERE n.recipient = $1 OR n.unit = $1"
            " ORDER BY n.created_at DESC, n.notice_id LIMIT $2",
            unit,
            limit,
        )
        return [
            {
                "notice": r["payload"],
                "created_at": r["created_at"],
                "cancelled_at": r["cancelled_at"],
                "deliveries": r["deliveries"],
            }
            for r in rows
        ]
