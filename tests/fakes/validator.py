"""In-memory fakes of the validator's stores and publisher, for fast use-case tests.

Each store keeps the promises of its protocol in ``services/validator/usecases/ports.py``; the
contract tests (``tests/integration/contracts/test_validator_stores.py``) run the same cases
against these fakes and against PostgreSQL. The stores that share tables in PostgreSQL share an
:class:`InMemoryValidatorTables` here: an approval one store writes is a lock another reads.
"""

from __future__ import annotations

import itertools
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Any

from services.validator.domain.approvals import (
    Approval,
    ApprovalsChanged,
    Decision,
    LogEntry,
    Outcome,
    covering,
)
from services.validator.domain.history import Accepted, Cursor, ReportKey
from services.validator.domain.judgement import LockKey, Locks
from services.validator.domain.link_silence import Silence
from services.validator.domain.offline_time import QuietSpell
from services.validator.domain.signatures import SigningRegistry, UnitKey
from shared.schemas import IndicatorValue, LockException, Verdict

ApprovalRow = tuple[str, str, str]  # report type, period, unit (the table's primary key)


@dataclass
class Grant:
    id: int
    exception: LockException
    revoked: bool = False


@dataclass
class InMemoryValidatorTables:
    """The validator's tables: submissions, approvals and their log, lock exception grants."""

    submissions: dict[str, Verdict] = field(default_factory=dict)
    approvals: dict[ApprovalRow, Approval] = field(default_factory=dict)
    approval_log: list[LogEntry] = field(default_factory=list)
    grants: list[Grant] = field(default_factory=list)
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    def in_force(self) -> list[Grant]:
        """The view ``lock_exceptions``: each report's latest grant, unless it was revoked."""
        latest: dict[LockKey, Grant] = {}
        for grant in self.grants:
            e = grant.exception
            latest[(e.unit, e.report_type, e.period)] = grant
        return [g for g in latest.values() if not g.revoked]

    def next_id(self) -> int:
        return next(self._ids)


class InMemoryVerdictStore:
    """:class:`~services.validator.usecases.ports.VerdictRecords`."""

    def __init__(self, tables: InMemoryValidatorTables | None = None) -> None:
        self.tables = tables or InMemoryValidatorTables()
        self.bodies: dict[str, bytes] = {}

    async def record(
        self,
        verdicts: Sequence[Verdict],
        documents: Mapping[str, str],
        validated_at: datetime,
        approved: Collection[LockKey] = frozenset(),
        bodies: Mapping[str, bytes] | None = None,
    ) -> dict[str, Verdict]:
        fresh = {v.submission_id: v for v in verdicts}
        covered = {
            key
            for v in fresh.values()
            if v.status == "accepted"
            for key in covering(v.unit, v.province, v.report_type, v.period)
        }
        standing = {(a.unit, a.report_type, a.period) for a in self.tables.approvals.values()}
        if (covered & standing) - set(approved):
            raise ApprovalsChanged("an approval was committed while the batch was judged")
        for submission_id in list(fresh):
            if submission_id in self.tables.submissions:
                fresh[submission_id] = self.tables.submissions[submission_id]
                continue
            # Stored as its document, and read back from it, as the table's jsonb is.
            self.tables.submissions[submission_id] = Verdict.model_validate_json(
                documents[submission_id]
            )
            if bodies and submission_id in bodies:
                self.bodies[submission_id] = bodies[submission_id]
        return fresh

    async def history(self, keys: Collection[LockKey]) -> dict[LockKey, dict[str, IndicatorValue]]:
        latest: dict[LockKey, Verdict] = {}
        wanted = set(keys)
        for verdict in self.tables.submissions.values():
            key = (verdict.unit, verdict.report_type, verdict.period)
            if verdict.status != "accepted" or key not in wanted:
                continue
            if key not in latest or _newer(verdict, latest[key]):
                latest[key] = verdict
        return {key: dict(v.values or {}) for key, v in latest.items()}

    async def locks(
        self, exception_keys: Collection[LockKey], approval_keys: Collection[LockKey], now: datetime
    ) -> Locks:
        wanted = set(exception_keys)
        locks = Locks()
        for grant in self.tables.in_force():
            e = grant.exception
            key = (e.unit, e.report_type, e.period)
            if key in wanted and (e.expires_at is None or e.expires_at > now):
                locks.exceptions.add(key)
        for unit, report_type, period in approval_keys:
            approval = self.tables.approvals.get((report_type, period, unit))
            if approval is not None:
                locks.approvals[(unit, report_type, period)] = approval
        return locks


def _newer(verdict: Verdict, than: Verdict) -> bool:
    return (verdict.received_at, verdict.stream_seq) > (than.received_at, than.stream_seq)


class InMemoryApprovalStore:
    """:class:`~services.validator.usecases.ports.ApprovalRecords`."""

    def __init__(self, tables: InMemoryValidatorTables | None = None) -> None:
        self.tables = tables or InMemoryValidatorTables()

    async def act(
        self, report_type: str, period: str, unit: str, province: str, decide: Decision
    ) -> Outcome:
        own = self.tables.approvals.get((report_type, period, unit))
        theirs = self.tables.approvals.get((report_type, period, province))
        outcome = decide(own, theirs if province != unit else None)
        if outcome.entry is None:
            return outcome
        if outcome.after is None:
            self.tables.approvals.pop((report_type, period, unit), None)
        else:
            self.tables.approvals[(report_type, period, unit)] = outcome.after
        self.tables.approval_log.append(outcome.entry)
        return outcome

    async def standing(
        self, report_type: str, period: str, units: Collection[str] | None = None
    ) -> list[Approval]:
        return sorted(
            (
                a
                for (t, p, u), a in self.tables.approvals.items()
                if (t, p) == (report_type, period) and (units is None or u in units)
            ),
            key=lambda a: a.unit,
        )

    async def log(self, report_type: str, period: str, units: Collection[str]) -> list[LogEntry]:
        # Sorted by time; entries at the same time stay in the order they were written (id).
        return sorted(
            (
                e
                for e in self.tables.approval_log
                if (e.report_type, e.period) == (report_type, period) and e.unit in units
            ),
            key=lambda e: e.at,
        )


class InMemoryHistoryStore:
    """:class:`~services.validator.usecases.ports.HistoryPages`."""

    def __init__(self, tables: InMemoryValidatorTables | None = None) -> None:
        self.tables = tables or InMemoryValidatorTables()

    async def page(
        self,
        unit: str,
        *,
        report_type: str | None,
        period: str | None,
        after: Cursor | None,
        limit: int,
    ) -> list[Verdict]:
        below = (after.received_at, after.stream_seq, after.submission_id) if after else None
        found = [
            v
            for v in self.tables.submissions.values()
            if v.unit == unit
            and report_type in (None, v.report_type)
            and period in (None, v.period)
            and (below is None or _position(v) < below)
        ]
        return sorted(found, key=_position, reverse=True)[:limit]

    async def accepted(self, unit: str, reports: Collection[ReportKey]) -> list[Accepted]:
        wanted = set(reports)
        return [
            Accepted(
                v.submission_id,
                v.report_type,
                v.period,
                v.received_at,
                v.stream_seq,
                v.values or {},
            )
            for v in self.tables.submissions.values()
            if v.unit == unit and v.status == "accepted" and (v.report_type, v.period) in wanted
        ]


def _position(verdict: Verdict) -> tuple[datetime, int, str]:
    return (verdict.received_at, verdict.stream_seq, verdict.submission_id)


class InMemoryLockExceptionStore:
    """:class:`~services.validator.usecases.ports.LockExceptionRecords`."""

    def __init__(self, tables: InMemoryValidatorTables | None = None) -> None:
        self.tables = tables or InMemoryValidatorTables()

    async def grant(self, exception: LockException) -> LockException:
        self.tables.grants.append(Grant(self.tables.next_id(), exception))
        return exception

    async def revoke(
        self,
        unit: str,
        report_type: str,
        period: str,
        *,
        revoked_by: str | None = None,
        at: datetime | None = None,
    ) -> bool:
        for grant in self.tables.in_force():
            e = grant.exception
            if (e.unit, e.report_type, e.period) == (unit, report_type, period):
                grant.revoked = True
                return True
        return False

    async def listed(self, unit: str | None, now: datetime) -> list[LockException]:
        found = [
            g.exception
            for g in self.tables.in_force()
            if unit in (None, g.exception.unit)
            and (g.exception.expires_at is None or g.exception.expires_at > now)
        ]
        return sorted(found, key=lambda e: e.granted_at, reverse=True)


class InMemorySigningKeys:
    """:class:`~services.validator.usecases.ports.SigningKeys`, with ``register``, ``revoke``
    and ``require`` as ops would use ``baocao signing-key``."""

    def __init__(
        self,
        required_from: datetime = datetime(2100, 1, 1, tzinfo=UTC),
        notice: timedelta = timedelta(days=90),
    ) -> None:
        self._registry = SigningRegistry(required_from, notice)

    def register(self, key: UnitKey) -> None:
        keys = {unit: dict(held) for unit, held in self._registry.keys.items()}
        keys.setdefault(key.unit, {})[key.key_id] = key
        self._registry = replace(self._registry, keys=keys)

    def revoke(self, unit: str, key_id: str, reason: str, at: datetime) -> None:
        key = self._registry.keys[unit][key_id]
        self.register(replace(key, revoked_at=at, revoked_reason=reason))

    def require(self, unit: str, required_from: datetime) -> None:
        policies = {**self._registry.required_from_by_unit, unit: required_from}
        self._registry = replace(self._registry, required_from_by_unit=policies)

    async def current(self) -> SigningRegistry:
        return self._registry


@dataclass
class RecordingPublisher:
    """:class:`~services.validator.usecases.ports.VerdictPublisher` that keeps what it was
    given, in order."""

    published: list[Verdict] = field(default_factory=list)

    async def publish(
        self,
        verdicts: Sequence[Verdict],
        documents: Mapping[str, str],
        carriers: Mapping[str, Mapping[str, str]],
        validated_at: datetime,
    ) -> None:
        self.published += verdicts


@dataclass
class InMemoryQuietSpells:
    """:class:`~services.validator.usecases.ports.QuietSpellRecords`: the edges' silences as
    rows (unit, began, silent_until, open), as migration 0012 keeps them."""

    rows: list[list[Any]] = field(default_factory=list)

    async def observe(self, silent: Sequence[Silence], heard: Collection[str]) -> None:
        for seen in silent:
            open_row = self._open(seen.unit)
            if open_row is not None and seen.began > open_row[2]:  # heard from in between
                open_row[3] = False
                open_row = None
            if open_row is None:
                self.rows.append([seen.unit, seen.began, seen.seen_at, True])
            else:
                open_row[2] = max(open_row[2], seen.seen_at)
        for unit in heard:
            if (open_row := self._open(unit)) is not None:
                open_row[3] = False

    async def spells(self, units: Collection[str], since: datetime) -> dict[str, list[QuietSpell]]:
        found: dict[str, list[QuietSpell]] = {}
        for unit, began, until, _ in sorted(self.rows, key=lambda r: (r[0], r[1])):
            if unit in units and until >= since:
                found.setdefault(unit, []).append(QuietSpell(began, until, "edge"))
        return found

    def _open(self, unit: str) -> list[Any] | None:
        return next((r for r in self.rows if r[0] == unit and r[3]), None)

    # Browsers: (unit, key id) -> the instants of their contacts' intervals, as intake records
    # them in device_presence: (first_seen, last_seen).
    presence: dict[tuple[str, str], list[tuple[datetime, datetime]]] = field(default_factory=dict)

    async def device_spells(
        self, devices: Collection[tuple[str, str]], since: datetime
    ) -> dict[tuple[str, str], list[QuietSpell]]:
        found: dict[tuple[str, str], list[QuietSpell]] = {}
        for device in devices:
            seen = sorted(self.presence.get(device, []))
            for index, (_, last_seen) in enumerate(seen):
                ended = seen[index + 1][0] if index + 1 < len(seen) else None
                if ended is None or ended >= since:
                    found.setdefault(device, []).append(QuietSpell(last_seen, ended, "web"))
        return found
