"""Approval and acceptance over HTTP: provinces approve, Central accepts, undoing needs a reason."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import APIRouter, Body, Query, Request, Response

from services.validator import metrics
from services.validator.adapters.approval_store import ApprovalStore
from services.validator.domain.approvals import (
    Approval,
    LogEntry,
    Refusal,
    Step,
    decide,
)
from services.validator.domain.approvals import (
    Request as StepRequest,
)
from services.validator.entrypoints.http import Refused
from services.validator.entrypoints.models import (
    ApprovalState,
    LogEntryOut,
    PeriodApprovals,
    ProvinceApprovals,
    StepResult,
    UndoRequest,
    UnitApprovals,
)
from shared.catalog import Catalog, Level
from shared.clock import Clock
from shared.identity import Grant, Role, caller_of, require_reach, require_role, within_reach
from shared.logging import get_logger
from shared.periods import InvalidPeriod, Period
from shared.registry import Registry, Unit
from shared.schemas import Problem

log = get_logger(__name__)

STATUS_OF_REFUSAL = {
    "not_the_province": 403,
    "not_central": 403,
    "reason_required": 400,
    "not_approvable": 400,
    "not_a_province": 400,
}  # any other refusal is a conflict with the state: 409

PREFIX = "/v1/approvals/{report_type}/{period}"


def routes(
    store_of: Callable[[], ApprovalStore],
    registry_of: Callable[[], Registry],
    catalog: Catalog,
    clock: Clock,
) -> APIRouter:
    router = APIRouter(tags=["approvals"])
    context = _Context(store_of, registry_of, catalog, clock)
    _add_steps(router, context)
    _add_reads(router, context)
    return router


PROBLEMS: dict[int | str, dict[str, Any]] = {
    code: {"model": Problem} for code in (400, 401, 403, 404, 409)
}


@dataclass(frozen=True)
class _Context:
    store_of: Callable[[], ApprovalStore]
    registry_of: Callable[[], Registry]
    catalog: Catalog
    clock: Clock

    def period_of(self, report_type: str, label: str) -> Period:
        found = self.catalog.get(report_type)
        if found is None:
            raise Refused(404, "unknown_report_type", f"no report type {report_type!r}")
        try:
            return found.period_of(label)
        except (InvalidPeriod, ValueError) as error:
            raise Refused(404, "invalid_period", str(error)) from error

    def unit_of(self, code: str) -> Unit:
        unit = self.registry_of().get(code)
        if unit is None:
            raise Refused(404, "unknown_unit", f"no unit has code {code}")
        return unit


def _add_steps(router: APIRouter, context: _Context) -> None:
    clock, store_of = context.clock, context.store_of
    period_of, unit_of = context.period_of, context.unit_of

    async def take(
        step: Step, report_type: str, label: str, code: str, request: Request, reason: str | None
    ) -> StepResult:
        caller = caller_of(request)
        require_role(caller, Role.APPROVER)
        period = period_of(report_type, label)
        unit = unit_of(code)
        now = clock.now()
        if step == Step.APPROVE and now < period.opens_at():
            raise Refused(409, "period_not_open", f"period {label} has not opened yet")
        wanted = StepRequest(step, caller.unit, unit, report_type, label, now, reason)
        try:
            outcome = await store_of().act(
                report_type,
                label,
                unit.code,
                unit.province or unit.code,
                lambda own, province: decide(wanted, own, province),
            )
        except Refusal as refusal:
            metrics.approval_refusals.labels(step.value, refusal.reason).inc()
            status = STATUS_OF_REFUSAL.get(refusal.reason, 409)
            raise Refused(status, refusal.reason, refusal.message) from refusal
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
        return StepResult(
            **_state(report_type, label, unit.code, outcome.after).model_dump(),
            changed=outcome.changed,
        )

    @router.post(
        PREFIX + "/{unit}",
        response_model=StepResult,
        responses=PROBLEMS,
        summary="Approve a unit's data (a province: its own and its communes'; a commune: its"
        " own); revisions are then refused. The unit's province, or Central.",
    )
    async def approve(
        report_type: str, period: str, unit: str, request: Request, response: Response
    ) -> StepResult:
        result = await take(Step.APPROVE, report_type, period, unit, request, None)
        response.status_code = 201 if result.changed else 200
        return result

    @router.delete(
        PREFIX + "/{unit}",
        response_model=StepResult,
        responses=PROBLEMS,
        summary="Withdraw an approval (reason required, as ?reason= or a JSON body); not while"
        " Central has accepted it",
    )
    async def unapprove(
        report_type: str,
        period: str,
        unit: str,
        request: Request,
        reason: Annotated[str | None, Query(max_length=2000)] = None,
        body: Annotated[UndoRequest | None, Body()] = None,
    ) -> StepResult:
        why = reason or (body.reason if body else None)
        return await take(Step.UNAPPROVE, report_type, period, unit, request, why)

    @router.post(
        PREFIX + "/{unit}/acceptance",
        response_model=StepResult,
        responses=PROBLEMS,
        summary="Central accepts a province's approved data",
    )
    async def accept(report_type: str, period: str, unit: str, request: Request) -> StepResult:
        return await take(Step.ACCEPT, report_type, period, unit, request, None)

    @router.delete(
        PREFIX + "/{unit}/acceptance",
        response_model=StepResult,
        responses=PROBLEMS,
        summary="Central withdraws its acceptance (reason required); the province may then"
        " unapprove",
    )
    async def unaccept(
        report_type: str,
        period: str,
        unit: str,
        request: Request,
        reason: Annotated[str | None, Query(max_length=2000)] = None,
        body: Annotated[UndoRequest | None, Body()] = None,
    ) -> StepResult:
        why = reason or (body.reason if body else None)
        return await take(Step.UNACCEPT, report_type, period, unit, request, why)


def _add_reads(router: APIRouter, context: _Context) -> None:
    store_of, registry_of = context.store_of, context.registry_of
    period_of, unit_of = context.period_of, context.unit_of

    @router.get(
        PREFIX,
        response_model=PeriodApprovals,
        responses=PROBLEMS,
        summary="Where every province stands: approved, accepted or open, with who and when",
    )
    async def by_province(report_type: str, period: str, request: Request) -> PeriodApprovals:
        caller = caller_of(request)
        found = period_of(report_type, period)
        registry = registry_of()
        rows = {a.unit: a for a in await store_of().standing(report_type, period)}
        communes: dict[str, list[ApprovalState]] = {}
        for approval in rows.values():
            unit = registry.get(approval.unit)
            if unit is not None and unit.level == Level.COMMUNE and unit.province:
                communes.setdefault(unit.province, []).append(
                    _state(report_type, period, unit.code, approval)
                )
        return PeriodApprovals(
            report_type=report_type,
            period=period,
            provinces=[
                ProvinceApprovals(
                    **_state(report_type, period, p.code, rows.get(p.code)).model_dump(),
                    name=p.name,
                    communes=communes.get(p.code, []),
                )
                for p in registry.provinces(found.cutoff_end)
                if Grant.NATIONAL in caller.grants or within_reach(caller, p)
            ],
        )

    @router.get(
        PREFIX + "/{unit}",
        response_model=UnitApprovals,
        responses=PROBLEMS,
        summary="One unit's approval, what locks it, and the audit trail of every step",
    )
    async def of_unit(report_type: str, period: str, unit: str, request: Request) -> UnitApprovals:
        caller = caller_of(request)
        found = period_of(report_type, period)
        subject = unit_of(unit)
        require_reach(caller, subject)
        store = store_of()
        province = subject.province if subject.level == Level.COMMUNE else None
        rows = {
            a.unit: a
            for a in await store.standing(report_type, period, [subject.code, province or ""])
        }
        logged = [subject.code]
        if subject.level == Level.PROVINCE:
            logged += [c.code for c in registry_of().children(subject.code, found.cutoff_end)]
        covering = rows.get(province) if province else None
        return UnitApprovals(
            report_type=report_type,
            period=period,
            unit=subject.code,
            name=subject.name,
            level=subject.level.value,
            locked=subject.code in rows or covering is not None,
            own=_state(report_type, period, subject.code, rows.get(subject.code)),
            covered_by=_state(report_type, period, covering.unit, covering) if covering else None,
            log=[_entry(e) for e in await store.log(report_type, period, logged)],
        )


def _state(report_type: str, period: str, unit: str, approval: Approval | None) -> ApprovalState:
    if approval is None:
        return ApprovalState(report_type=report_type, period=period, unit=unit, status="open")
    return ApprovalState(
        report_type=report_type,
        period=period,
        unit=unit,
        status="accepted" if approval.accepted_by else "approved",
        approved_by=approval.approved_by,
        approved_at=approval.approved_at,
        accepted_by=approval.accepted_by,
        accepted_at=approval.accepted_at,
    )


def _entry(entry: LogEntry) -> LogEntryOut:
    return LogEntryOut(
        unit=entry.unit,
        action=entry.action.value,
        actor=entry.actor,
        at=entry.at,
        reason=entry.reason,
    )
