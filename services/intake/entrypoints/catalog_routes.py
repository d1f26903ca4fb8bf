"""The report catalog for local systems: each report type's JSON Schema, to check before sending."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from shared.catalog import Catalog
from shared.catalog.schema import json_schema
from shared.refusals import NotFound
from shared.schemas import Problem


def routes(catalog: Catalog) -> APIRouter:
    router = APIRouter()
    # Built once: the catalog does not change while the process runs.
    schemas = {rt.code: json_schema(rt, f"/v1/catalog/{rt.code}") for rt in catalog}
    listing = [
        {
            "code": rt.code,
            "title": {"vi": rt.title.vi, "en": rt.title.en},
            "periodicity": rt.periodicity.value,
            "levels": [rule.level.value for rule in rt.levels],
            "schema": f"/v1/catalog/{rt.code}",
        }
        for rt in catalog
    ]

    @router.get("/v1/catalog", summary="The report types, each with a link to its JSON Schema")
    async def report_types() -> dict[str, Any]:
        return {"report_types": listing}

    @router.get(
        "/v1/catalog/{report_type}",
        summary="A report type as JSON Schema 2020-12, with its rules, derived indicators and"
        " deadlines under x-baocao-* keys",
        responses={404: {"model": Problem}},
    )
    async def report_type_schema(report_type: str) -> JSONResponse:
        schema = schemas.get(report_type)
        if schema is None:
            raise NotFound("unknown_report_type", f"no report type {report_type!r}")
        return JSONResponse(schema, media_type="application/schema+json")

    return router
