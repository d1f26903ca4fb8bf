"""Approval steps and what stands: the use case behind /v1/approvals.

A step is decided by the pure rules of domain/approvals.py (``decide``), under the province's
approval lock the store takes; this module finds the period and the unit, checks the caller,
counts and logs. Refusals carry a kind and a reason, never an HTTP status.
"""

from __future__ import annotations

from dataclasses import dataclass

from services.validator import metrics
from services.validator.domain.approvals import (
    Approval,
    LogEntry,
    Outcome,
    Request,
    Step,
    StepRefused,
    decide,
)
from services.validator.usecases.ports import ApprovalRecords
from shared.catalog import Catalog, Level
from shared.clock import Clock
from shared.identity import (
    Caller,
    Role,
    reaches_nation,
    require_reach,
    require_role,
    within_reach,
)
from shared.logging import get_logger
from shared.periods import InvalidPeriod, Period
from shared.refusals import NotFound
from shared.registry import Registry, Unit

log = get_logger(__name__)


@dataclass(frozen=True)
class StepTaken:
    unit: Unit
    outcome: Outcome


@dataclass(frozen=True)
class ProvinceStanding:
    """A province's own approval, and those of its communes approved on their own."""

    province: Unit
    own: Approval | None
    communes: list[Approval]


@dataclass(frozen=True)
class UnitStanding:
    """One unit's approval, its province's that covers it (a commune's), and every step."""

    unit: Unit
    own: Approval | None
    covered_by: Approval | None
    log: list[LogEntry]

    @property
    def locked(self) -> bool:
        return self.own is not None or self.covered_by is not None


class Approvals:
    def __init__(
        self, store: ApprovalRecords, registry: Registry, catalog: Catalog, clock: Clock
    ) -> None:
        self.store = store
        self.registry = registry
        self.catalog = catalog
        self.clock = clock

    async def take(
        self,
        caller: Caller,
        step: Step,
        report_type: str,
        label: str,
        code: str,
        reason: str | None = None,
    ) -> StepTaken:
        """Take ``step`` on unit ``code``'s data for the period, as ``caller``."""
        require_role(caller, Role.APPROVER)
        period = self._period(report_type, label)
        unit = self._unit(code)
        now = self.clock.now()
        if step == Step.APPROVE and now < period.opens_at():
            raise StepRefused("period_not_open", f"period {label} has not opened yet")
        wanted = Request(step, caller.unit, unit, report_type, label, now, reason)
        try:
            outcome = await self.store.act(
                report_type,
                label,
                unit.code,
                unit.province or unit.code,
                lambda own, province: decide(wanted, own, province),
            )
        except StepRefused as refusal:
            metrics.approval_refusals.labels(step.value, refusal.reason).inc()
            raise
        if outcome.changed:
            metrics.approval_steps.labels(step.value, unit.level.value).inc()
            log.info(
                "approval step",
                step=step.value,
                unit=unit.code,
                report_type=report_type,
                period=label,
                actor=caller.unit,
                subject=caller.subject,
                reason=reason,
            )
        return StepTaken(unit, outcome)

    async def by_province(
        self, caller: Caller, report_type: str, label: str
    ) -> list[ProvinceStanding]:
        """Every province the caller reaches (all of them with the national grant)."""
        period = self._period(report_type, label)
        rows = {a.unit: a for a in await self.store.standing(report_type, label)}
        communes: dict[str, list[Approval]] = {}
        for approval in rows.values():
            unit = self.registry.get(approval.unit)
            if unit is not None and unit.level == Level.COMMUNE and unit.province:
                communes.setdefault(unit.province, []).append(approval)
        return [
            ProvinceStanding(p, rows.get(p.code), communes.get(p.code, []))
            for p in self.registry.provinces(period.cutoff_end)
            if reaches_nation(caller) or within_reach(caller, p)
        ]

    async def of_unit(
        self, caller: Caller, report_type: str, label: str, code: str
    ) -> UnitStanding:
        """A unit within the caller's reach; a province's log includes its communes' steps."""
        period = self._period(report_type, label)
        unit = self._unit(code)
        require_reach(caller, unit)
        province = unit.province if unit.level == Level.COMMUNE else None
        rows = {
            a.unit: a
            for a in await self.store.standing(report_type, label, [unit.code, province or ""])
        }
        logged = [unit.code]
        if unit.level == Level.PROVINCE:
            logged += [c.code for c in self.registry.children(unit.code, period.cutoff_end)]
        return UnitStanding(
            unit=unit,
            own=rows.get(unit.code),
            covered_by=rows.get(province) if province else None,
            log=await self.store.log(report_type, label, logged),
        )

    def _period(self, report_type: str, label: str) -> Period:
        found = self.catalog.get(report_type)
        if found is None:
            raise NotFound("unknown_report_type", f"no report type {report_type!r}")
        try:
            return found.period_of(label)
        except (InvalidPeriod, ValueError) as error:
            raise NotFound("invalid_period", str(error)) from error

    def _unit(self, code: str) -> Unit:
        unit = self.registry.get(code)
        if unit is None:
            raise NotFound("unknown_unit", f"no unit has code {code}")
        return unit
