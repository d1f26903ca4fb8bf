"""Each unit's standing on one report over HTTP: a province page's communes in one call.

Thin: the route takes the caller from shared.identity, calls usecases/report_status.py and
shapes the answer; refusals are rendered by shared/problems.py.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any, Literal

from fastapi import APIRouter, Request
from pydantic import BaseModel, Field

from services.validator.domain.report_status import Submitted, UnitStatus
from services.validator.usecases.report_status import ReportStatuses
from shared.identity import caller_of
from shared.schemas import Problem, Reason, Timeliness

PROBLEMS: dict[int | str, dict[str, Any]] = {
    code: {"model": Problem} for code in (400, 401, 403, 404)
}


class LatestSubmission(BaseModel):
    """The unit's newest submission for the report (received_at, then stream sequence),
    accepted or not."""

    submission_id: str
    status: Literal["accepted", "rejected"]
    timeliness: Timeliness | None = Field(
        default=None, description="This submission's own: null when rejected."
    )
    received_at: datetime
    stream_seq: int
    reasons: list[Reason] = Field(default=[], description="Why it was rejected; empty if not.")


class UnitReportStatus(BaseModel):
    unit: str
    status: Literal["on_time", "late", "rejected"] = Field(
        description="rejected: none of its submissions was accepted; on_time: one accepted"
        " submission was on time (on time once, on time for good, as the rollups count);"
        " late: accepted, never on time."
    )
    corrected: bool = Field(description="More than one submission was accepted.")
    submissions: int = Field(description="Submissions received, whatever their verdict.")
    accepted: int
    rejected: int
    first_received_at: datetime
    last_received_at: datetime
    latest: LatestSubmission = Field(
        description="A rejected correction shows here while the unit keeps its status."
    )


class ReportStatus(BaseModel):
    report_type: str
    period: str
    unit: str
    units: list[UnitReportStatus] = Field(
        description="By unit code; only units with a submission (the rollup lists the expected"
        " units: one missing here has not submitted)."
    )


def routes(statuses_of: Callable[[], ReportStatuses]) -> APIRouter:
    router = APIRouter(tags=["audit"])

    @router.get(
        "/v1/report-status/{report_type}/{period}/{unit}",
        response_model=ReportStatus,
        responses=PROBLEMS,
        summary="Each unit's standing on a report: on time, late or rejected (with the reasons),"
        " corrected; a province and its communes, a commune, or VN for every unit (the unit,"
        " its province or Central)",
    )
    async def report_status(
        report_type: str, period: str, unit: str, request: Request
    ) -> ReportStatus:
        found = await statuses_of().within(caller_of(request), report_type, period, unit)
        return ReportStatus(
            report_type=found.report_type,
            period=found.period,
            unit=found.unit.code,
            units=[_unit(u) for u in found.units],
        )

    return router


def _unit(status: UnitStatus) -> UnitReportStatus:
    return UnitReportStatus(
        unit=status.unit,
        status=status.status.value,
        corrected=status.corrected,
        submissions=status.submissions,
        accepted=status.accepted,
        rejected=status.rejected,
        first_received_at=status.first_received_at,
        last_received_at=status.last_received_at,
        latest=_latest(status.latest),
    )


def _latest(submitted: Submitted) -> LatestSubmission:
    return LatestSubmission(
        submission_id=submitted.submission_id,
        status=submitted.status,
        timeliness=submitted.timeliness,
        received_at=submitted.received_at,
        stream_seq=submitted.stream_seq,
        reasons=list(submitted.reasons),
    )
