"""Downloads of every view's data, as CSV, SDMX-JSON and DHIS2 dataValueSet: the aggregator's
exports, fetched with the person's token (so scoped as the API is) and handed on as files."""

from __future__ import annotations

import re
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Path, Request
from fastapi.responses import Response

from services.web.entrypoints.pages import signed_in, web
from services.web.entrypoints.session import Session
from shared.identity.caller import UNIT_CODE

router = APIRouter()

FORMATS = ("sdmx.json", "dhis2.json", "csv")
NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,63}")
LABEL = Annotated[str, Path(pattern=NAME.pattern)]


async def _download(request: Request, session: Session, path: str, filename: str) -> Response:
    content, media_type = await web(request).api.get_bytes("aggregator", path, session.token)
    return Response(
        content,
        media_type=media_type,
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


def _split(filename: str) -> tuple[str, str]:
    """``2026-Q4.sdmx.json`` -> (``2026-Q4``, ``sdmx.json``); a 404 for any other format."""
    for fmt in FORMATS:
        stem = filename.removesuffix(f".{fmt}")
        if stem != filename and NAME.fullmatch(stem):
            return stem, fmt
    raise HTTPException(404)


@router.get("/exports/{report_type}/{filename}", include_in_schema=False)
async def national_export(
    request: Request,
    report_type: LABEL,
    filename: str,
    session: Annotated[Session, Depends(signed_in)],
) -> Response:
    period, fmt = _split(filename)
    return await _download(
        request,
        session,
        f"/v1/exports/{report_type}/{period}.{fmt}",
        f"baocao-{report_type}-{period}-VN.{fmt}",
    )


@router.get("/exports/{report_type}/{period}/{filename}", include_in_schema=False)
async def unit_export(
    request: Request,
    report_type: LABEL,
    period: LABEL,
    filename: str,
    session: Annotated[Session, Depends(signed_in)],
) -> Response:
    unit, fmt = _split(filename)
    if not UNIT_CODE.fullmatch(unit):
        raise HTTPException(404)
    return await _download(
        request,
        session,
        f"/v1/exports/{report_type}/{period}/{unit}.{fmt}",
        f"baocao-{report_type}-{period}-{unit}.{fmt}",
    )
