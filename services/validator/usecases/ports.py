"""What the validator's use cases need from PostgreSQL and NATS, as protocols.

The asyncpg and NATS adapters implement them; tests/fakes/validator.py holds in-memory fakes,
and tests/integration/contracts/test_validator_stores.py runs one set of contract tests against
both, so a fake cannot drift from the store it stands in for.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from datetime import datetime
from typing import Protocol

from services.validator.domain.approvals import Approval, Decision, LogEntry, Outcome
from services.validator.domain.history import Accepted, Cursor, ReportKey
from services.validator.domain.judgement import LockKey, Locks
from services.validator.domain.link_silence import EdgeReading, Silence
from services.validator.domain.offline_time import QuietSpell
from services.validator.domain.signatures import SigningRegistry
from services.validator.domain.verdicts import History
from shared.schemas import LockException, Verdict


class VerdictRecords(Protocol):
    """The ``submissions`` table: one verdict per submission id, the first one recorded."""

    async def record(
        self,
        verdicts: Sequence[Verdict],
        documents: Mapping[str, str],
        validated_at: datetime,
        approved: Collection[LockKey] = frozenset(),
        bodies: Mapping[str, bytes] | None = None,
    ) -> dict[str, Verdict]:
        """Store new verdicts (``documents`` are their JSON); an id judged before keeps its
        first verdict. Returns the verdict on record for every id. Raises ApprovalsChanged,
        storing nothing, when an approval not in ``approved`` now covers an accepted report."""
        ...

    async def history(self, keys: Collection[LockKey]) -> History:
        """The values of the latest accepted report for each (unit, report type, period)."""
        ...

    async def locks(
        self, exception_keys: Collection[LockKey], approval_keys: Collection[LockKey], now: datetime
    ) -> Locks:
        """The lock exceptions in force at ``now`` among ``exception_keys`` and the approvals
        standing among ``approval_keys``."""
        ...


class QuietSpellRecords(Protocol):
    """The ``edge_link_spells`` table (migration 0012): the hub's record of its edges'
    silences."""

    async def observe(self, silent: Sequence[Silence], heard: Collection[str]) -> None:
        """Open a spell for each silent edge, or extend its open one (a new one when the edge
        was heard from since the open one was last seen silent); end the open spells of the
        ``heard``."""
        ...

    async def spells(self, units: Collection[str], since: datetime) -> dict[str, list[QuietSpell]]:
        """The ``units``' spells seen silent at ``since`` or later, oldest first."""
        ...

    async def device_spells(
        self, devices: Collection[tuple[str, str]], since: datetime
    ) -> dict[tuple[str, str], list[QuietSpell]]:
        """The silences of clerks' browsers, by (unit, key id) (migration 0013's
        ``device_silences``): from each contact to the next (``ended`` None: none since), those
        lasting until ``since`` or later, oldest first."""
        ...


class EdgeLinks(Protocol):
    async def read(self) -> list[EdgeReading]:
        """Every edge the hub sources, with how long ago it was last heard from."""
        ...


class SigningKeys(Protocol):
    async def current(self) -> SigningRegistry:
        """Every unit's keys and transition date, as committed now."""
        ...


class VerdictPublisher(Protocol):
    async def publish(
        self,
        verdicts: Sequence[Verdict],
        documents: Mapping[str, str],
        carriers: Mapping[str, Mapping[str, str]],
        validated_at: datetime,
    ) -> None:
        """Publish every verdict; returns once the stream has stored them all."""
        ...


class ApprovalRecords(Protocol):
    """The ``approvals`` table and its append-only log."""

    async def act(
        self, report_type: str, period: str, unit: str, province: str, decide: Decision
    ) -> Outcome:
        """Apply ``decide`` to the unit's row and its province's, as they stand, one step on a
        province's data at a time; the new row and its log entry are written together."""
        ...

    async def standing(
        self, report_type: str, period: str, units: Collection[str] | None = None
    ) -> list[Approval]:
        """The approvals standing of ``units`` (None: all), ordered by unit."""
        ...

    async def log(self, report_type: str, period: str, units: Collection[str]) -> list[LogEntry]:
        """Every step taken on ``units``' rows, oldest first."""
        ...


class HistoryPages(Protocol):
    """A unit's verdicts read back for the audit."""

    async def page(
        self,
        unit: str,
        *,
        report_type: str | None,
        period: str | None,
        after: Cursor | None,
        limit: int,
    ) -> list[Verdict]:
        """Up to ``limit`` of the unit's verdicts, newest first, below ``after``."""
        ...

    async def accepted(self, unit: str, reports: Collection[ReportKey]) -> list[Accepted]:
        """Every accepted submission of the unit for these (report type, period) pairs."""
        ...


class LockExceptionRecords(Protocol):
    """Reports reopened after their period locked; grants and revocations both kept."""

    async def grant(self, exception: LockException) -> LockException:
        """Record ``exception``; it replaces an earlier one for the same report."""
        ...

    async def revoke(
        self,
        unit: str,
        report_type: str,
        period: str,
        *,
        revoked_by: str | None = None,
        at: datetime | None = None,
    ) -> bool:
        """Revoke the report's exception in force (expired or not); False if it has none."""
        ...

    async def listed(self, unit: str | None, now: datetime) -> list[LockException]:
        """The exceptions in force at ``now`` (of ``unit``, or all), latest grant first."""
        ...
