"""Exports of a rollup with its children: GET /v1/exports/{report_type}/{period}[/{unit}].<format>.

``.csv``, ``.sdmx.json`` (SDMX-JSON 2.0.0 data message) and ``.dhis2.json`` (a DHIS2
dataValueSet). Each route authorises the caller, asks ``usecases/exports.py`` for the file and
sends it as an attachment.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from services.aggregator import metrics
from services.aggregator.entrypoints.scope import authorise_read
from services.aggregator.usecases.exports import FORMATS, Exporter
from services.aggregator.usecases.ports import ApprovalStatus
from services.aggregator.usecases.read_rollups import RollupReader
from shared.clock import Clock
from shared.registry import Registry


def routes(
    reader_of: Callable[[], RollupReader],
    approvals_of: Callable[[], ApprovalStatus],
    clock: Callable[[], Clock],
) -> APIRouter:
    router = APIRouter()

    async def export(report_type: str, period: str, unit: str | None, extension: str) -> Response:
        exporter = Exporter(reader_of(), approvals_of(), clock())
        file = await exporter.export(report_type, period, unit, extension)
        metrics.exports_rendered.labels(extension).inc()
        return Response(
            file.content,
            media_type=file.media_type,
            headers={"Content-Disposition": f'attachment; filename="{file.filename}"'},
        )

    for extension, file_format in FORMATS.items():
        _add(router, export, lambda: reader_of().registry, extension, file_format.media_type)
    return router


ExportRoute = Callable[[str, str, str | None, str], Awaitable[Response]]


def _add(
    router: APIRouter,
    export: ExportRoute,
    registry_of: Callable[[], Registry],
    extension: str,
    media_type: str,
) -> None:
    described: dict[int | str, dict[str, Any]] = {
        200: {"content": {media_type.split(";", maxsplit=1)[0]: {}}}
    }

    @router.get(
        f"/v1/exports/{{report_type}}/{{period}}.{extension}",
        summary=f"The national rollup and the provinces, as {extension}",
        response_class=Response,
        responses=described,
    )
    async def national(report_type: str, period: str, request: Request) -> Response:
        authorise_read(request, registry_of(), None)
        return await export(report_type, period, None, extension)

    @router.get(
        f"/v1/exports/{{report_type}}/{{period}}/{{unit}}.{extension}",
        summary=f"A province and its communes (or a commune, or VN), as {extension}",
        response_class=Response,
        responses=described,
    )
    async def for_unit(report_type: str, period: str, unit: str, request: Request) -> Response:
        authorise_read(request, registry_of(), unit)
        return await export(report_type, period, unit, extension)
