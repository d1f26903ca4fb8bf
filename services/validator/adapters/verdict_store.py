"""The submissions table: the validator's verdicts, which double as its tracking records."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any

import asyncpg

from services.validator.adapters.approval_locks import lock_id
from services.validator.domain.approvals import Approval, ApprovalsChanged, covering
from services.validator.domain.judgement import Locks
from shared.schemas import IndicatorValue, Verdict

Key = tuple[str, str, str]  # unit, report type, period


class VerdictStore:
    def __init__(self, pool: asyncpg.Pool[Any]) -> None:
        self._pool = pool

    async def record(
        self,
        verdicts: Sequence[Verdict],
        documents: Mapping[str, str],
        validated_at: datetime,
        approved: Collection[Key] = frozenset(),
        bodies: Mapping[str, bytes] | None = None,
    ) -> dict[str, Verdict]:
        """Store new verdicts; a submission id already judged keeps its first verdict.

        One statement for the batch. Returns the verdict now on record for every id given:
        the one just stored, or for an id judged before, the stored one (read back only then).

        ``approved`` are the approvals the verdicts were judged with. Raises ApprovalsChanged,
        storing nothing, if another now stands over a report accepted here (approval_locks).

        ``bodies`` are the bytes of the signed submissions, kept to verify them again later.
        """
        bodies = bodies or {}
        fresh = {v.submission_id: v for v in verdicts}  # ids are distinct: the service sees to it
        rows = list(fresh.values())
        async with self._pool.acquire() as connection, connection.transaction():
            await _no_new_approvals(connection, rows, approved)
            inserted = await connection.fetch(
                "INSERT INTO submissions (submission_id, report_type, period, unit, province,"
                " status, timeliness, received_at, validated_at, stream_seq, verdict, body)"
                " SELECT id, rt, p, u, pr, st, tl, ra, $9, seq, doc::jsonb, b FROM unnest("
                "$1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[],"
                " $7::text[], $8::timestamptz[], $10::bigint[], $11::text[], $12::bytea[])"
                " AS t(id, rt, p, u, pr, st, tl, ra, seq, doc, b)"
                " ON CONFLICT (submission_id) DO NOTHING RETURNING submission_id",
                [v.submission_id for v in rows],
                [v.report_type for v in rows],
                [v.period for v in rows],
                [v.unit for v in rows],
                [v.province for v in rows],
                [v.status for v in rows],
                [v.timeliness for v in rows],
                [v.received_at for v in rows],
                validated_at,
                [v.stream_seq for v in rows],
                [documents[v.submission_id] for v in rows],
                [bodies.get(v.submission_id) for v in rows],
            )
            stored = {r["submission_id"] for r in inserted}
            earlier = [i for i in fresh if i not in stored]
            if earlier:
                for row in await connection.fetch(
                    "SELECT submission_id, verdict FROM submissions"
                    " WHERE submission_id = ANY($1::text[])",
                    earlier,
                ):
                    fresh[row["submission_id"]] = Verdict.model_validate(row["verdict"])
        return fresh

    async def history(self, keys: Collection[Key]) -> dict[Key, dict[str, IndicatorValue]]:
        """The values of the latest accepted report for each (unit, report type, period)."""
        if not keys:
            return {}
        ordered = list(keys)
        # One index lookup per key (LATERAL ... LIMIT 1): joined as a set, the planner scanned
        # a whole period's accepted reports and filtered on the unit, once the previous periods
        # held thousands (docs/performance.md, issue 14).
        rows = await self._pool.fetch(
            "SELECT k.unit, k.report_type, k.period, latest.values"
            " FROM unnest($1::text[], $2::text[], $3::text[]) AS k(unit, report_type, period)"
            " CROSS JOIN LATERAL ("
            "   SELECT s.verdict -> 'values' AS values FROM submissions s"
            "   WHERE s.report_type = k.report_type AND s.period = k.period"
            "     AND s.unit = k.unit AND s.status = 'accepted'"
            "   ORDER BY s.received_at DESC, s.stream_seq DESC LIMIT 1"
            " ) AS latest",
            [k[0] for k in ordered],
            [k[1] for k in ordered],
            [k[2] for k in ordered],
        )
        return {
            (r["unit"], r["report_type"], r["period"]): _numbers(r["values"] or {}) for r in rows
        }

    async def locks(
        self, exception_keys: Collection[Key], approval_keys: Collection[Key], now: datetime
    ) -> Locks:
        """Which of ``exception_keys`` a province has reopened (and not yet expired), and the
        approvals standing among ``approval_keys``: one statement for the batch."""
        if not exception_keys and not approval_keys:
            return Locks()
        rows = await self._pool.fetch(
            "SELECT 'exception' AS kind, e.unit, e.report_type, e.period, NULL::text AS"
            " approved_by, NULL::timestamptz AS approved_at, NULL::text AS accepted_by,"
            " NULL::timestamptz AS accepted_at FROM lock_exceptions e"
            " JOIN unnest($1::text[], $2::text[], $3::text[]) AS k(unit, report_type, period)"
            " USING (unit, report_type, period)"
            " WHERE e.expires_at IS NULL OR e.expires_at > $4"
            " UNION ALL"
            " SELECT 'approval', a.unit, a.report_type, a.period, a.approved_by, a.approved_at,"
            " a.accepted_by, a.accepted_at FROM approvals a"
            " JOIN unnest($5::text[], $6::text[], $7::text[]) AS k(unit, report_type, period)"
            " USING (unit, report_type, period)",
            *_columns(exception_keys),
            now,
            *_columns(approval_keys),
        )
        locks = Locks()
        for r in rows:
            key = (r["unit"], r["report_type"], r["period"])
            if r["kind"] == "exception":
                locks.exceptions.add(key)
            else:
                locks.approvals[key] = Approval(
                    report_type=r["report_type"],
                    period=r["period"],
                    unit=r["unit"],
                    approved_by=r["approved_by"],
                    approved_at=r["approved_at"],
                    accepted_by=r["accepted_by"],
                    accepted_at=r["accepted_at"],
                )
        return locks


def _columns(keys: Collection[Key]) -> tuple[list[str], list[str], list[str]]:
    ordered = list(keys)
    return [k[0] for k in ordered], [k[1] for k in ordered], [k[2] for k in ordered]


async def _no_new_approvals(
    connection: asyncpg.pool.PoolConnectionProxy[Any] | asyncpg.Connection[Any],
    verdicts: Sequence[Verdict],
    approved: Collection[Key],
) -> None:
    """Take the approval locks of the provinces whose reports are accepted, shared, then look
    their approvals up again: one committed since the batch was judged stops the recording."""
    accepted = [v for v in verdicts if v.status == "accepted"]
    if not accepted:
        return
    ids = sorted({lock_id(v.report_type, v.period, v.province or v.unit) for v in accepted})
    # Sorted in a subquery, so the locks are taken in that order.
    await connection.execute(
        "SELECT pg_advisory_xact_lock_shared(k) FROM (SELECT unnest($1::bigint[]) AS k ORDER BY 1) s",
        ids,
    )
    keys = {key for v in accepted for key in covering(v.unit, v.province, v.report_type, v.period)}
    # A new statement, so a new snapshot: it sees an approval committed while it waited.
    rows = await connection.fetch(
        "SELECT a.unit, a.report_type, a.period FROM approvals a"
        " JOIN unnest($1::text[], $2::text[], $3::text[]) AS k(unit, report_type, period)"
        " USING (unit, report_type, period)",
        *_columns(keys),
    )
    if any((r["unit"], r["report_type"], r["period"]) not in approved for r in rows):
        raise ApprovalsChanged("an approval was committed while the batch was judged")


def _numbers(values: Mapping[str, Any]) -> dict[str, IndicatorValue]:
    # Decimals travel as strings in a verdict, to stay exact.
    return {
        code: value if isinstance(value, int) else Decimal(str(value))
        for code, value in values.items()
        if value is not None and not isinstance(value, bool)
    }
