"""The Central read API."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import JSONResponse

from services.aggregator.entrypoints.errors import add_refusal_handler
from services.aggregator.entrypoints.scope import authorise_read
from services.aggregator.views import NotFound, RollupViews


def routes(views_of: Callable[[], RollupViews]) -> APIRouter:
    """Routes over the views, which exist once the service has loaded the registry."""
    router = APIRouter()

    @router.get(
        "/v1/rollups/{report_type}/{period}", summary="National rollup; children are the provinces"
    )
    async def national(report_type: str, period: str, request: Request) -> JSONResponse:
        authorise_read(request, views_of().registry, None)
        # Rollup bodies hold only JSON numbers, strings and None: skipping FastAPI's generic
        # encoder halves the time of the Central read.
        return JSONResponse(await views_of().national(report_type, period))

    @router.get(
        "/v1/rollups/{report_type}/{period}/{unit}",
        summary="A province's rollup (children: its communes) or a commune's report",
    )
    async def for_unit(report_type: str, period: str, unit: str, request: Request) -> JSONResponse:
        authorise_read(request, views_of().registry, unit)
        return JSONResponse(await views_of().for_unit(report_type, period, unit))

    @router.get(
        "/v1/late/{report_type}/{period}",
        summary="Units that have not submitted or submitted late, with their deadlines",
    )
    async def late(
        report_type: str, period: str, request: Request, province: str | None = None
    ) -> dict[str, Any]:
        authorise_read(request, views_of().registry, province)
        return await views_of().late(report_type, period, province)

    @router.get(
        "/v1/targets/{report_type}/{period}/{derived}",
        summary="Units whose own figures miss a derived indicator's target, with their figure",
    )
    async def missing_target(
        report_type: str, period: str, derived: str, request: Request, province: str | None = None
    ) -> JSONResponse:
        authorise_read(request, views_of().registry, province)
        return JSONResponse(await views_of().missing_target(report_type, period, derived, province))

    return router


def add_error_handlers(app: FastAPI) -> None:
    add_refusal_handler(app)

    @app.exception_handler(NotFound)
    async def not_found(_: Request, error: NotFound) -> JSONResponse:
        return JSONResponse({"reason": error.reason, "message": error.message}, status_code=404)
