"""The national pages and their fragments: Central's overview of a report type and period.

The aggregator decides who may see them: every call carries the person's own token, and a
province's person gets its 403 (``national_scope_required``) as the page.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import RedirectResponse, Response
from starlette.exceptions import HTTPException

from services.web.entrypoints import live
from services.web.entrypoints.pages import is_fragment, lang_of, render, signed_in, web
from services.web.entrypoints.session import Session
from services.web.usecases.catalog import ReportTypeInfo
from services.web.usecases.national import NationalReader, parse_period, period_choices
from shared.periods import VIETNAM

router = APIRouter()
router.include_router(live.router)

Person = Annotated[Session, Depends(signed_in)]


def _reader(request: Request) -> NationalReader:
    context = web(request)
    return NationalReader(context.api, context.catalog)


def _today() -> datetime:
    return datetime.now(VIETNAM)


async def _asked(request: Request, session: Session, code: str, period: str) -> ReportTypeInfo:
    """The report type of the URL, with a period it has: anything else is not a page."""
    found = await web(request).catalog.report_type(code, session.token)
    if found is None or parse_period(period, found) is None:
        raise HTTPException(404)
    return found


def _own_period(label: str, report_type: ReportTypeInfo) -> bool:
    found = parse_period(label, report_type)
    return found is not None and found.periodicity == report_type.periodicity


def _links(code: str, period: str) -> dict[str, str]:
    base = f"/national/{code}/{period}"
    return {
        "page": base,
        "map": f"{base}/map",
        "targets": f"{base}/targets",
        "late": f"{base}/late",
        "trend": f"{base}/trend",
        "live": f"/live/{code}/{period}?unit=VN",
        "exports": f"/exports/{code}/{period}",
    }


def _common(request: Request, info: ReportTypeInfo, period: str) -> dict[str, Any]:
    return {
        "report_type": info,
        "period": period,
        "links": _links(info.code, period),
        "updated_at": _today(),
        "live_update": is_fragment(request),
    }


@router.get("/national", include_in_schema=False)
async def national_home(
    request: Request,
    session: Person,
    report_type: Annotated[str | None, Query(max_length=64)] = None,
    period: Annotated[str | None, Query(max_length=16)] = None,
) -> Response:
    """The first report type's current period, or what the toolbar's form asked for (a period
    the chosen type does not have falls back to its current one)."""
    types = await web(request).catalog.report_types(session.token)
    if not types:
        raise HTTPException(404)
    chosen = next((t for t in types if t.code == report_type), types[0])
    if period is None or not _own_period(period, chosen):
        period = chosen.current_period(_today().date())
    return RedirectResponse(f"/national/{chosen.code}/{period}", status_code=303)


@router.get("/national/{report_type}/{period}", include_in_schema=False)
async def national_page(
    request: Request, report_type: str, period: str, session: Person
) -> Response:
    info = await _asked(request, session, report_type, period)
    lang = lang_of(request)
    page = await _reader(request).page(info, period, session.token, lang)
    current = info.current_period(_today().date())
    return render(
        request,
        "national.html",
        {
            **_common(request, info, period),
            "report_types": await web(request).catalog.report_types(session.token),
            "periods": period_choices(info, current, period),
            "overview": page.overview,
            "targets": page.targets,
            "lateness": page.lateness,
            "trend": page.trend,
        },
    )


@router.get("/national/{report_type}/{period}/map", include_in_schema=False)
async def national_map(
    request: Request, report_type: str, period: str, session: Person
) -> Response:
    info = await _asked(request, session, report_type, period)
    overview = await _reader(request).overview(info.code, period, session.token)
    context = {**_common(request, info, period), "overview": overview}
    return render(request, "fragments/national_map.html", context)


@router.get("/national/{report_type}/{period}/targets", include_in_schema=False)
async def national_targets(
    request: Request, report_type: str, period: str, session: Person
) -> Response:
    info = await _asked(request, session, report_type, period)
    targets = await _reader(request).targets(info.code, period, session.token, lang_of(request))
    context = {**_common(request, info, period), "targets": targets}
    return render(request, "fragments/national_targets.html", context)


@router.get("/national/{report_type}/{period}/late", include_in_schema=False)
async def national_late(
    request: Request, report_type: str, period: str, session: Person
) -> Response:
    info = await _asked(request, session, report_type, period)
    lateness = await _reader(request).lateness(info, period, session.token)
    context = {**_common(request, info, period), "lateness": lateness}
    return render(request, "fragments/national_late.html", context)


@router.get("/national/{report_type}/{period}/trend", include_in_schema=False)
async def national_trend(
    request: Request, report_type: str, period: str, session: Person
) -> Response:
    info = await _asked(request, session, report_type, period)
    trend = await _reader(request).trend(info, period, session.token)
    context = {**_common(request, info, period), "trend": trend}
    return render(request, "fragments/national_trend.html", context)
