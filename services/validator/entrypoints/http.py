"""The validator's HTTP API for lock exceptions: provinces reopen a locked report for one of
their units.

Thin: each route takes the caller from shared.identity, calls usecases/lock_exceptions.py and
shapes the answer; refusals are rendered by shared/problems.py.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import APIRouter, Request, Response

from services.validator.usecases.lock_exceptions import LockExceptions
from shared.identity import caller_of
from shared.schemas import LockException, LockExceptionRequest, Problem

PROBLEMS: dict[int | str, dict[str, Any]] = {
    code: {"model": Problem} for code in (400, 401, 403, 404)
}


def routes(lock_exceptions_of: Callable[[], LockExceptions]) -> APIRouter:
    router = APIRouter()

    @router.post(
        "/v1/lock-exceptions",
        status_code=201,
        response_model=LockException,
        responses=PROBLEMS,
        summary="Reopen one unit's report for a locked period (the unit's province, or Central)",
    )
    async def grant(body: LockExceptionRequest, request: Request) -> LockException:
        return await lock_exceptions_of().grant(caller_of(request), body)

    @router.get(
        "/v1/lock-exceptions",
        response_model=list[LockException],
        responses=PROBLEMS,
        summary="Lock exceptions in force, optionally for one unit",
    )
    async def listed(request: Request, unit: str | None = None) -> list[LockException]:
        return await lock_exceptions_of().listed(caller_of(request), unit)

    @router.delete(
        "/v1/lock-exceptions/{unit}/{report_type}/{period}",
        status_code=204,
        responses=PROBLEMS,
        summary="Revoke a lock exception",
    )
    async def revoke(unit: str, report_type: str, period: str, request: Request) -> Response:
        await lock_exceptions_of().revoke(caller_of(request), unit, report_type, period)
        return Response(status_code=204)

    return router
