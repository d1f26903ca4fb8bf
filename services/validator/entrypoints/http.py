"""The validator's HTTP API: provinces reopen a locked report for one of their units."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import APIRouter, FastAPI, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

from services.validator.adapters.lock_exceptions import LockExceptionStore
from shared.catalog import Catalog
from shared.clock import Clock
from shared.identity import Caller, Role, caller_of, require_reach, require_role, within_reach
from shared.logging import get_logger
from shared.periods import InvalidPeriod
from shared.registry import Registry
from shared.schemas import LockException, LockExceptionRequest, Problem

log = get_logger(__name__)
CENTRAL = "VN"


class Refused(Exception):
    def __init__(self, status: int, reason: str, message: str) -> None:
        super().__init__(message)
        self.status, self.reason, self.message = status, reason, message


def routes(
    store_of: Callable[[], LockExceptionStore],
    registry_of: Callable[[], Registry],
    catalog: Catalog,
    clock: Clock,
) -> APIRouter:
    router = APIRouter()
    problems: dict[int | str, dict[str, Any]] = {
        400: {"model": Problem},
        401: {"model": Problem},
        403: {"model": Problem},
        404: {"model": Problem},
    }

    @router.post(
        "/v1/lock-exceptions",
        status_code=201,
        response_model=LockException,
        responses=problems,
        summary="Reopen one unit's report for a locked period (the unit's province, or Central)",
    )
    async def grant(body: LockExceptionRequest, request: Request) -> LockException:
        caller = caller_of(request)
        _may_reopen(caller, body.unit, registry_of())
        report_type = catalog.get(body.report_type)
        if report_type is None:
            raise Refused(400, "unknown_report_type", f"no report type {body.report_type!r}")
        try:
            report_type.period_of(body.period)
        except (InvalidPeriod, ValueError) as error:
            raise Refused(400, "invalid_period", str(error)) from error
        granted = await store_of().grant(
            LockException(
                unit=body.unit,
                report_type=body.report_type,
                period=body.period,
                granted_by=caller.unit,
                reason=body.reason,
                granted_at=clock.now(),
                expires_at=body.expires_at,
            )
        )
        log.info(
            "lock exception granted",
            unit=body.unit,
            report_type=body.report_type,
            period=body.period,
            granted_by=caller.unit,
            subject=caller.subject,
            reason=body.reason,
        )
        return granted

    @router.get(
        "/v1/lock-exceptions",
        response_model=list[LockException],
        responses=problems,
        summary="Lock exceptions in force, optionally for one unit",
    )
    async def listed(request: Request, unit: str | None = None) -> list[LockException]:
        caller = caller_of(request)
        registry = registry_of()
        if unit is not None:
            found = registry.get(unit)
            if found is None:
                raise Refused(404, "unknown_unit", f"no unit has code {unit[:16]!r}")
            require_reach(caller, found)
        return [
            granted
            for granted in await store_of().listed(unit, clock.now())
            if (found := registry.get(granted.unit)) is not None and within_reach(caller, found)
        ]

    @router.delete(
        "/v1/lock-exceptions/{unit}/{report_type}/{period}",
        status_code=204,
        responses=problems,
        summary="Revoke a lock exception",
    )
    async def revoke(unit: str, report_type: str, period: str, request: Request) -> Response:
        caller = caller_of(request)
        _may_reopen(caller, unit, registry_of())
        revoked = await store_of().revoke(
            unit, report_type, period, revoked_by=caller.unit, at=clock.now()
        )
        if not revoked:
            raise Refused(404, "unknown_lock_exception", "no such lock exception")
        log.info(
            "lock exception revoked",
            unit=unit,
            report_type=report_type,
            period=period,
            revoked_by=caller.unit,
            subject=caller.subject,
        )
        return Response(status_code=204)

    return router


def _may_reopen(caller: Caller, unit_code: str, registry: Registry) -> None:
    """A province's or Central's approver reopens: its own units' reports, or anyone's."""
    require_role(caller, Role.APPROVER)
    unit = registry.get(unit_code)
    if unit is None:
        raise Refused(400, "unknown_unit", f"no unit has code {unit_code}")
    if caller.unit not in (CENTRAL, unit.province):
        raise Refused(
            403, "not_the_province", f"only {unit.province} or {CENTRAL} may reopen {unit_code}"
        )


def add_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(Refused)
    async def refused(_: Request, error: Refused) -> JSONResponse:
        problem = Problem(reason=error.reason, message=error.message)
        return JSONResponse(problem.model_dump(), status_code=error.status)

    @app.exception_handler(RequestValidationError)
    async def invalid(_: Request, error: RequestValidationError) -> JSONResponse:
        problem = Problem(
            reason="invalid_request",
            message="the request is not valid",
            details=[{"loc": list(e["loc"]), "msg": e["msg"]} for e in error.errors()],
        )
        return JSONResponse(problem.model_dump(), status_code=400)
