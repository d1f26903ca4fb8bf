"""Exports of a rollup with its children: GET /v1/exports/{report_type}/{period}[/{unit}].<format>.

``.csv``, ``.sdmx.json`` (SDMX-JSON 2.0.0 data message) and ``.dhis2.json`` (a DHIS2
dataValueSet). The rollup is read as the read API serves it, then the approvals covering its
units in one query; the rest is the pure renderers in ``services.aggregator.exports``.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from services.aggregator import metrics
from services.aggregator.entrypoints.bodies import rollup_body
from services.aggregator.entrypoints.scope import authorise_read
from services.aggregator.exports import Export, build_export, csv_format, dhis2, sdmx
from services.aggregator.exports.periods import reporting_periods
from services.aggregator.usecases.ports import ApprovalStatus
from services.aggregator.usecases.read_rollups import RollupReader
from shared.clock import Clock
from shared.periods import Period
from shared.registry import CENTRAL_CODE, Registry

FORMATS: dict[str, tuple[str, Callable[[Export], bytes]]] = {
    "csv": (csv_format.MEDIA_TYPE, csv_format.render_csv),
    "sdmx.json": (sdmx.MEDIA_TYPE, lambda export: _json(sdmx.render_sdmx(export))),
    "dhis2.json": (dhis2.MEDIA_TYPE, lambda export: _json(dhis2.render_dhis2(export))),
}


def routes(
    reader_of: Callable[[], RollupReader],
    approvals_of: Callable[[], ApprovalStatus],
    clock: Callable[[], Clock],
) -> APIRouter:
    router = APIRouter()

    async def built(report_type: str, period: str, unit: str | None) -> Export:
        reader = reader_of()
        reading = await (
            reader.for_unit(report_type, period, unit)
            if unit is not None
            else reader.national(report_type, period)
        )
        body = rollup_body(reading)
        known = reader.catalog.report_types[body["report_type"]]
        parsed = Period.parse(body["period"])
        head = reader.registry.get(body["unit"])
        parent = head.parent if head is not None else None
        units = {body["unit"], *(c["unit"] for c in body.get("children", []))}
        if parent is not None and parent != CENTRAL_CODE:
            units.add(parent)  # a commune's report is covered by its province's approval
        approvals = await approvals_of().approvals(
            known.code, [p.label for p in reporting_periods(known, parsed)], units
        )
        return build_export(
            known, parsed, body, parent=parent, approvals=approvals, now=clock().now()
        )

    async def export(report_type: str, period: str, unit: str | None, extension: str) -> Response:
        asked = reader_of().resolve(report_type, period)
        media_type, render = FORMATS[extension]
        parts = reporting_periods(asked.report_type, asked.period)
        if extension == "dhis2.json" and len(parts) > 1:
            # DHIS2 totals a data set's periods itself: a year of a quarterly report goes over
            # as its four quarters, never as a yearly value DHIS2 would add to them.
            exports = [await built(report_type, part.label, unit) for part in parts]
            content, head = _json(dhis2.render_dhis2_periods(exports)), exports[0].unit
        else:
            result = await built(report_type, period, unit)
            content, head = render(result), result.unit
        metrics.exports_rendered.labels(extension).inc()
        name = f"{asked.report_type.code}_{asked.period.label}_{head}.{extension}"
        return Response(
            content,
            media_type=media_type,
            headers={"Content-Disposition": f'attachment; filename="{name}"'},
        )

    for extension, (media_type, _) in FORMATS.items():
        _add(router, export, lambda: reader_of().registry, extension, media_type)
    return router


Exporter = Callable[[str, str, str | None, str], Awaitable[Response]]


def _add(
    router: APIRouter,
    export: Exporter,
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


def _json(document: dict[str, Any]) -> bytes:
    return json.dumps(document, ensure_ascii=False).encode("utf-8")
