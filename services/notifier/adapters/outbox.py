"""The notifications outbox: notices, their deliveries per channel, and every attempt.

Exactly once per (notice, channel) rests on three statements:

- ``claim``: pending deliveries are taken with ``FOR UPDATE SKIP LOCKED`` and leased to one
  worker (``claimed_by``, ``claimed_until`` in real time); replicas skip them, and a killed
  worker's lease expires so another takes over what it had not sent;
- ``begin_attempt``: right before sending, the holder renews its lease and records the attempt in
  one statement that finds the row only while it is pending and still leased to it;
- ``finish_sent`` / ``finish_failed``: the outcome, after the channel answered.

Attempts are an audit record, append-only in the database (migration 0009): an attempt's start
and its outcome are two rows, never one row completed in place; the ``notification_attempts``
view joins them, and an attempt with no outcome row was cut short ("in doubt").

The module is over 300 lines on purpose: the argument above is made by these statements
together (each one's ``WHERE`` fences the others), so they are read, and changed, side by side.
The reads that take no part in it live apart: ``accepted_reports.py`` and ``notice_history.py``.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection, Sequence
from datetime import datetime
from typing import Any

import asyncpg

from services.notifier.usecases.ports import Cancelled, Claimed, NewNotice
from shared.schemas import Notice


class PostgresOutbox:
    """The outbox in PostgreSQL (:class:`~services.notifier.usecases.ports.Outbox`)."""

    def __init__(self, pool: asyncpg.Pool[Any]) -> None:
        self._pool = pool

    async def scheduled(self, periods: Collection[tuple[str, str]]) -> set[str]:
        """The ids of every notice already in the outbox for these (report type, period)."""
        if not periods:
            return set()
        rows = await self._pool.fetch(
            "SELECT notice_id FROM notifications"
            " WHERE (report_type, period) IN (SELECT * FROM unnest($1::text[], $2::text[]))",
            [p[0] for p in periods],
            [p[1] for p in periods],
        )
        return {r["notice_id"] for r in rows}

    async def add(
        self,
        notices: Sequence[NewNotice],
        now: datetime,
        *,
        email_from: datetime | None,
    ) -> Counter[str]:
        """Insert the notices not yet on record (by notice id) and, for each new one, its
        deliveries: NATS always, e-mail (not before ``email_from``; None: e-mail is off) and the
        webhook where the recipient's contacts have them. Returns how many were new, by stage."""
        if not notices:
            return Counter()
        async with self._pool.acquire() as connection, connection.transaction():
            rows = await connection.fetch(
                "INSERT INTO notifications (notice_id, unit, report_type, period, stage, kind,"
                " level, recipient, deadline, payload, trace_carrier, about, created_at)"
                " SELECT n.id, n.unit, n.rt, n.period, n.stage, n.kind, n.level, n.recipient,"
                "   n.deadline, n.payload, n.carrier, string_to_array(n.about, ','),"
                "   $13"
                " FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[],"
                "   $6::text[], $7::text[], $8::text[], $9::timestamptz[], $10::jsonb[],"
                "   $11::jsonb[], $12::text[])"
                "   AS n(id, unit, rt, period, stage, kind, level, recipient, deadline, payload,"
                "        carrier, about)"
                " ON CONFLICT DO NOTHING RETURNING notice_id, stage, recipient",
                [n.notice.notice_id for n in notices],
                [n.notice.unit for n in notices],
                [n.notice.report_type for n in notices],
                [n.notice.period for n in notices],
                [n.notice.stage for n in notices],
                [n.notice.kind for n in notices],
                [n.notice.level for n in notices],
                [n.notice.recipient for n in notices],
                [n.notice.deadline for n in notices],
                [n.notice.model_dump(mode="json") for n in notices],
                [dict(n.carrier) if n.carrier else None for n in notices],
                # Unit codes have no commas; an array of arrays would be two-dimensional.
                [",".join(n.about) for n in notices],
                now,
            )
            if not rows:
                return Counter()
            ids = [r["notice_id"] for r in rows]
            await connection.execute(
                "INSERT INTO notification_deliveries (notice_id, channel, not_before)"
                " SELECT id, 'nats', $2 FROM unnest($1::text[]) AS id",
                ids,
                now,
            )
            await connection.execute(
                "INSERT INTO notification_deliveries (notice_id, channel, not_before)"
                " SELECT n.notice_id, 'webhook', $2 FROM notifications n"
                " JOIN contacts c ON c.unit = n.recipient"
                " WHERE n.notice_id = ANY($1::text[]) AND c.webhook_url IS NOT NULL",
                ids,
                now,
            )
            if email_from is not None:
                await connection.execute(
                    "INSERT INTO notification_deliveries (notice_id, channel, not_before)"
                    " SELECT n.notice_id, 'email', $2 FROM notifications n"
                    " JOIN contacts c ON c.unit = n.recipient"
                    " WHERE n.notice_id = ANY($1::text[]) AND cardinality(c.emails) > 0",
                    ids,
                    email_from,
                )
        return Counter(r["stage"] for r in rows)

    async def claim(
        self,
        worker: str,
        limit: int,
        now: datetime,
        *,
        channels: Collection[str],
        lease_seconds: float,
        only: Collection[str] | None = None,
    ) -> list[Claimed]:
        """Lease up to ``limit`` deliveries due by ``now`` (system time) on ``channels`` to
        ``worker``: pending, past their backoff, and unclaimed or with an expired lease."""
        rows = await self._pool.fetch(
            "WITH due AS ("
            "  SELECT notice_id, channel FROM notification_deliveries"
            "  WHERE status = 'pending' AND not_before <= $3 AND channel = ANY($4::text[])"
            "    AND retry_at <= clock_timestamp()"
            "    AND (claimed_until IS NULL OR claimed_until < clock_timestamp())"
            "    AND ($6::text[] IS NULL OR notice_id = ANY($6::text[]))"
            "  ORDER BY not_before, notice_id LIMIT $2 FOR UPDATE SKIP LOCKED)"
            " UPDATE notification_deliveries d SET claimed_by = $1,"
            "   claimed_until = clock_timestamp() + make_interval(secs => $5)"
            " FROM due WHERE d.notice_id = due.notice_id AND d.channel = due.channel"
            " RETURNING d.notice_id, d.channel",
            worker,
            limit,
            now,
            list(channels),
            lease_seconds,
            list(only) if only is not None else None,
        )
        if not rows:
            return []
        notices = await self._pool.fetch(
            "SELECT notice_id, payload, trace_carrier, about FROM notifications"
            " WHERE notice_id = ANY($1::text[])",
            list({r["notice_id"] for r in rows}),
        )
        by_id = {r["notice_id"]: r for r in notices}
        claimed = [
            Claimed(
                Notice.model_validate(by_id[r["notice_id"]]["payload"]),
                r["channel"],
                by_id[r["notice_id"]]["trace_carrier"] or {},
                tuple(by_id[r["notice_id"]]["about"] or ()),
            )
            for r in rows
        ]
        return sorted(claimed, key=lambda c: (c.notice.notice_id, c.channel))

    async def begin_attempt(
        self, notice_id: str, channel: str, worker: str, lease_seconds: float, at: datetime
    ) -> tuple[int, int] | None:
        """Record an attempt about to be made and renew the lease; (attempt id, attempt number),
        or None if ``worker`` no longer holds the delivery (its lease ran out and another
        worker took it, or it was cancelled or closed): then it must not send."""
        row = await self._pool.fetchrow(
            "WITH fenced AS ("
            "  UPDATE notification_deliveries SET attempts = attempts + 1,"
            "    claimed_until = clock_timestamp() + make_interval(secs => $4)"
            "  WHERE notice_id = $1 AND channel = $2 AND status = 'pending'"
            "    AND claimed_by = $3 AND claimed_until > clock_timestamp()"
            "  RETURNING attempts)"
            " INSERT INTO notification_attempt_starts"
            " (notice_id, channel, attempt, worker, started_at)"
            " SELECT $1, $2, attempts, $3, $5 FROM fenced RETURNING id, attempt",
            notice_id,
            channel,
            worker,
            lease_seconds,
            at,
        )
        return None if row is None else (row["id"], row["attempt"])

    async def release(
        self, notice_id: str, channel: str, worker: str, *, wait_seconds: float = 0.0
    ) -> None:
        """Give back a claimed delivery without an attempt, for a relay to take after
        ``wait_seconds`` of real time (at once by default; a held one is looked at again later,
        not claimed over and over meanwhile)."""
        await self._pool.execute(
            "UPDATE notification_deliveries SET claimed_by = NULL, claimed_until = NULL,"
            " retry_at = CASE WHEN $4::float8 > 0"
            "   THEN clock_timestamp() + make_interval(secs => $4::float8) ELSE retry_at END"
            " WHERE notice_id = $1 AND channel = $2 AND claimed_by = $3 AND status = 'pending'",
            notice_id,
            channel,
            worker,
            wait_seconds,
        )

    async def finish_sent(
        self, attempt_id: int, notice_id: str, channel: str, at: datetime
    ) -> None:
        async with self._pool.acquire() as connection, connection.transaction():
            await _record_outcome(connection, attempt_id, at, "sent")
            # Sent wins over a cancellation that came while it was on its way: it was sent.
            await connection.execute(
                "UPDATE notification_deliveries SET status = 'sent', closed_at = $3,"
                " claimed_by = NULL, claimed_until = NULL, last_error = NULL"
                " WHERE notice_id = $1 AND channel = $2",
                notice_id,
                channel,
                at,
            )
            if channel == "nats":
                # notifications.sent_at keeps its meaning from before 0006: on notify.<unit>.
                await connection.execute(
                    "UPDATE notifications SET sent_at = $2 WHERE notice_id = $1"
                    " AND cancelled_at IS NULL",
                    notice_id,
                    at,
                )

    async def finish_failed(
        self,
        attempt_id: int,
        notice_id: str,
        channel: str,
        at: datetime,
        *,
        error: str,
        http_status: int | None,
        retry_in: float | None,
    ) -> None:
        """Record a failed attempt: retried after ``retry_in`` real seconds, or dead (None)."""
        dead = retry_in is None
        async with self._pool.acquire() as connection, connection.transaction():
            await _record_outcome(
                connection,
                attempt_id,
                at,
                "dead" if dead else "failed",
                error=error[:2000],
                http_status=http_status,
            )
            await connection.execute(
                "UPDATE notification_deliveries SET claimed_by = NULL, claimed_until = NULL,"
                " last_error = $3,"
                " status = CASE WHEN $4 THEN 'dead' ELSE status END,"
                " closed_at = CASE WHEN $4 THEN $5 ELSE closed_at END,"
                " retry_at = clock_timestamp() + make_interval(secs => $6)"
                " WHERE notice_id = $1 AND channel = $2 AND status = 'pending'",
                notice_id,
                channel,
                error[:2000],
                dead,
                at,
                retry_in or 0.0,
            )

    async def close_undeliverable(
        self, notice_id: str, channel: str, at: datetime, reason: str
    ) -> None:
        """A channel the recipient no longer has (its e-mail or webhook removed since)."""
        await self._pool.execute(
            "UPDATE notification_deliveries SET status = 'cancelled', closed_at = $3,"
            " claimed_by = NULL, claimed_until = NULL, last_error = $4"
            " WHERE notice_id = $1 AND channel = $2 AND status = 'pending'",
            notice_id,
            channel,
            at,
            reason,
        )

    async def cancel_answered(
        self, now: datetime, periods: Collection[tuple[str, str]] | None = None
    ) -> list[Cancelled]:
        """Cancel the unsent deliveries of reminders and digests all of whose units now have an
        accepted report (restricted to (report type, period) in ``periods`` if given).

        A delivery being sent has passed ``begin_attempt``; if it is cancelled meanwhile, its
        ``finish_sent`` still records it sent, which is what happened."""
        report_types = [p[0] for p in periods] if periods is not None else None
        labels = [p[1] for p in periods] if periods is not None else None
        rows = await self._pool.fetch(
            # Driven by the pending deliveries (a partial index), not by every notice ever
            # scheduled: run before each relay, it must not grow with the country's notices.
            "WITH answered AS ("
            "  SELECT DISTINCT n.notice_id, n.stage FROM notification_deliveries p"
            "  JOIN notifications n ON n.notice_id = p.notice_id"
            "  WHERE p.status = 'pending' AND n.kind <> 'rejection' AND cardinality(n.about) > 0"
            "    AND ($2::text[] IS NULL OR (n.report_type, n.period) IN"
            "      (SELECT * FROM unnest($2::text[], $3::text[])))"
            "    AND NOT EXISTS (SELECT 1 FROM unnest(n.about) AS a(unit) WHERE NOT EXISTS ("
            "      SELECT 1 FROM accepted_submissions s"
            "      WHERE s.report_type = n.report_type AND s.period = n.period"
            "        AND s.unit = a.unit)))"
            " UPDATE notification_deliveries d SET status = 'cancelled', closed_at = $1,"
            "   claimed_by = NULL, claimed_until = NULL"
            " FROM answered WHERE d.notice_id = answered.notice_id AND d.status = 'pending'"
            " RETURNING d.notice_id, d.channel, answered.stage",
            now,
            report_types,
            labels,
        )
        if rows:
            await self._pool.execute(
                "UPDATE notifications n SET cancelled_at = $2 WHERE notice_id = ANY($1::text[])"
                " AND NOT EXISTS (SELECT 1 FROM notification_deliveries d"
                "   WHERE d.notice_id = n.notice_id AND d.status <> 'cancelled')",
                list({r["notice_id"] for r in rows}),
                now,
            )
        return [Cancelled(r["notice_id"], r["channel"], r["stage"]) for r in rows]

    async def unsent_count(self) -> int:
        count: int = await self._pool.fetchval(
            "SELECT count(*) FROM notification_deliveries WHERE status = 'pending'"
        )
        return count


async def _record_outcome(
    connection: asyncpg.pool.PoolConnectionProxy[Any],
    attempt_id: int,
    at: datetime,
    outcome: str,
    *,
    error: str | None = None,
    http_status: int | None = None,
) -> None:
    """The attempt's outcome, once: a second one for the same attempt (there is none today)
    would leave the first on record rather than rewrite it."""
    await connection.execute(
        "INSERT INTO notification_attempt_outcomes"
        " (attempt_id, finished_at, outcome, error, http_status) VALUES ($1, $2, $3, $4, $5)"
        " ON CONFLICT (attempt_id) DO NOTHING",
        attempt_id,
        at,
        outcome,
        error,
        http_status,
    )
