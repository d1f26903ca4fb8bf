"""The Central read API: rollups, late lists and units missing a target, as typed bodies."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from fastapi import APIRouter, Request
from fastapi.responses import Response

from services.aggregator.entrypoints.bodies import (
    LateBody,
    MissingTargetBody,
    RollupBody,
    late_body,
    late_response,
    missing_target_body,
    missing_target_response,
    rollup_body,
    rollup_response,
)
from services.aggregator.entrypoints.scope import authorise_read
from services.aggregator.usecases.read_lists import UnitListReader
from services.aggregator.usecases.read_rollups import RollupReader


@dataclass(frozen=True)
class Readers:
    rollups: RollupReader
    lists: UnitListReader


def routes(readers_of: Callable[[], Readers]) -> APIRouter:
    """Routes over the readers, which exist once the service has loaded the registry."""
    router = APIRouter()

    @router.get(
        "/v1/rollups/{report_type}/{period}",
        summary="National rollup; children are the provinces",
        response_model=RollupBody,
    )
    async def national(report_type: str, period: str, request: Request) -> Response:
        readers = readers_of()
        authorise_read(request, readers.rollups.registry, None)
        return rollup_response(rollup_body(await readers.rollups.national(report_type, period)))

    @router.get(
        "/v1/rollups/{report_type}/{period}/{unit}",
        summary="A province's rollup (children: its communes) or a commune's report",
        response_model=RollupBody,
    )
    async def for_unit(report_type: str, period: str, unit: str, request: Request) -> Response:
        readers = readers_of()
        authorise_read(request, readers.rollups.registry, unit)
        reading = await readers.rollups.for_unit(report_type, period, unit)
        return rollup_response(rollup_body(reading))

    @router.get(
        "/v1/late/{report_type}/{period}",
        summary="Units that have not submitted or submitted late, with their deadlines",
        response_model=LateBody,
    )
    async def late(
        report_type: str, period: str, request: Request, province: str | None = None
    ) -> Response:
        readers = readers_of()
        authorise_read(request, readers.lists.registry, province)
        return late_response(late_body(await readers.lists.late(report_type, period, province)))

    @router.get(
        "/v1/targets/{report_type}/{period}/{derived}",
        summary="Units whose own figures miss a derived indicator's target, with their figure",
        response_model=MissingTargetBody,
    )
    async def missing_target(
        report_type: str, period: str, derived: str, request: Request, province: str | None = None
    ) -> Response:
        readers = readers_of()
        authorise_read(request, readers.lists.registry, province)
        found = await readers.lists.missing_target(report_type, period, derived, province)
        return missing_target_response(missing_target_body(found))

    return router
