"""Approval and acceptance over HTTP: provinces approve, Central accepts, undoing needs a reason.

Thin: each route takes the caller from shared.identity, calls usecases/approvals.py and
shapes the answer; refusals are rendered by shared/problems.py.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Body, Query, Request, Response

from services.validator.domain.approvals import Approval, LogEntry, Step
from services.validator.entrypoints.models import (
    ApprovalState,
    LogEntryOut,
    PeriodApprovals,
    ProvinceApprovals,
    StepResult,
    UndoRequest,
    UnitApprovals,
)
from services.validator.usecases.approvals import Approvals
from shared.identity import caller_of
from shared.schemas import Problem

PREFIX = "/v1/approvals/{report_type}/{period}"

PROBLEMS: dict[int | str, dict[str, Any]] = {
    code: {"model": Problem} for code in (400, 401, 403, 404, 409)
}


def routes(approvals_of: Callable[[], Approvals]) -> APIRouter:
    router = APIRouter(tags=["approvals"])
    _add_steps(router, approvals_of)
    _add_reads(router, approvals_of)
    return router


def _add_steps(router: APIRouter, approvals_of: Callable[[], Approvals]) -> None:
    async def take(
        step: Step, report_type: str, period: str, unit: str, request: Request, reason: str | None
    ) -> StepResult:
        taken = await approvals_of().take(
            caller_of(request), step, report_type, period, unit, reason
        )
        return StepResult(
            **_state(report_type, period, taken.unit.code, taken.outcome.after).model_dump(),
            changed=taken.outcome.changed,
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


def _add_reads(router: APIRouter, approvals_of: Callable[[], Approvals]) -> None:
    @router.get(
        PREFIX,
        response_model=PeriodApprovals,
        responses=PROBLEMS,
        summary="Where every province stands: approved, accepted or open, with who and when",
    )
    async def by_province(report_type: str, period: str, request: Request) -> PeriodApprovals:
        standing = await approvals_of().by_province(caller_of(request), report_type, period)
        return PeriodApprovals(
            report_type=report_type,
            period=period,
            provinces=[
                ProvinceApprovals(
                    **_state(report_type, period, p.province.code, p.own).model_dump(),
                    name=p.province.name,
                    communes=[_state(report_type, period, c.unit, c) for c in p.communes],
                )
                for p in standing
            ],
        )

    @router.get(
        PREFIX + "/{unit}",
        response_model=UnitApprovals,
        responses=PROBLEMS,
        summary="One unit's approval, what locks it, and the audit trail of every step",
    )
    async def of_unit(report_type: str, period: str, unit: str, request: Request) -> UnitApprovals:
        standing = await approvals_of().of_unit(caller_of(request), report_type, period, unit)
        covering = standing.covered_by
        return UnitApprovals(
            report_type=report_type,
            period=period,
            unit=standing.unit.code,
            name=standing.unit.name,
            level=standing.unit.level.value,
            locked=standing.locked,
            own=_state(report_type, period, standing.unit.code, standing.own),
            covered_by=_state(report_type, period, covering.unit, covering) if covering else None,
            log=[_entry(e) for e in standing.log],
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
