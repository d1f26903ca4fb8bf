"""The province pages and their fragments.

Every route calls the services with the signed-in person's token and names the province of its
URL, so a province opening another's page or fragment gets the service's own refusal (403)
rendered as the error page; nothing is checked here that the services do not decide.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Path, Query, Request
from fastapi.responses import RedirectResponse, Response

from services.web.domain import keying
from services.web.domain import province as domain
from services.web.entrypoints.pages import checked_csrf, is_fragment, render, signed_in, web
from services.web.entrypoints.session import Session
from services.web.usecases import province as usecase
from services.web.usecases.approvals import StepOutcome, take_step
from services.web.usecases.catalog import ReportTypeInfo
from services.web.usecases.ports import ServiceRefused
from shared.periods import VIETNAM, InvalidPeriod, Period

router = APIRouter()

Unit = Annotated[str, Path(pattern=r"^[A-Za-z0-9]{1,16}$")]
ReportType = Annotated[str, Path(pattern=r"^[a-z0-9][a-z0-9-]{0,63}$")]
PeriodLabel = Annotated[str, Path(pattern=r"^[0-9]{4}(-[A-Z0-9]{1,3})?$")]
SignedIn = Annotated[Session, Depends(signed_in)]
CsrfChecked = Annotated[Session, Depends(checked_csrf)]
Statuses = Annotated[list[str], Query(alias="status", max_length=len(domain.STATUSES))]
Reason = Annotated[str, Form(max_length=2000)]
PERIODS_SHOWN = 8
EXPORTS = (("csv", "export.csv"), ("sdmx.json", "export.sdmx"), ("dhis2.json", "export.dhis2"))


def _today() -> date:
    return datetime.now(VIETNAM).date()


def _same_periodicity(info: ReportTypeInfo, label: str | None) -> bool:
    try:
        return label is not None and Period.parse(label).periodicity == info.periodicity
    except InvalidPeriod:
        return False


def _periods(info: ReportTypeInfo | None, period: str) -> list[str]:
    """The toolbar's periods, newest first: the last eight up to today's, and the one shown."""
    if info is None or not _same_periodicity(info, period):
        return [period]
    recent = set(info.recent_periods(info.current_period(_today()), PERIODS_SHOWN))
    return sorted(recent | {period}, reverse=True)


async def _frame(
    request: Request, session: Session, unit: str, report_type: str, period: str
) -> dict[str, Any]:
    types = await web(request).catalog.report_types(session.token)
    info = next((t for t in types if t.code == report_type), None)
    base = f"/provinces/{unit}/{report_type}/{period}"
    return {
        "unit": unit,
        "report_type": report_type,
        "period": period,
        "info": info,
        "types": types,
        "periods": _periods(info, period),
        "base": base,
        "statuses": domain.STATUSES,
        "exports": [(f"/exports/{report_type}/{period}/{unit}.{ext}", key) for ext, key in EXPORTS],
        # A link to key each commune's paper report, for a submitter of a province or Central
        # (intake still decides whether the commune is theirs).
        "may_key": info is not None
        and "commune" in info.levels
        and keying.may_key_communes(session.unit, session.roles),
    }


def _reads(
    request: Request, session: Session, unit: str, rt: str, period: str
) -> usecase.ProvinceReads:
    return usecase.ProvinceReads(web(request).api, session.token, rt, period, unit)


def _approval(
    session: Session, approval: dict[str, Any], outcome: StepOutcome | None = None
) -> dict[str, Any]:
    status = approval.get("own", {}).get("status", "open")
    return {
        "approval": approval,
        "actions": domain.approval_actions(status, session.unit, session.roles),
        "outcome": outcome,
    }


@router.get("/provinces/{unit}")
async def landing(
    request: Request,
    unit: Unit,
    session: SignedIn,
    report_type: Annotated[str | None, Query(pattern=r"^[a-z0-9][a-z0-9-]{0,63}$")] = None,
    period: Annotated[str | None, Query(pattern=r"^[0-9]{4}(-[A-Z0-9]{1,3})?$")] = None,
) -> Response:
    """To the page of a report type and period: the toolbar's choice, else the first report
    type a province submits or rolls up, in today's period (Vietnam time)."""
    catalog = web(request).catalog
    chosen = await catalog.report_type(report_type, session.token) if report_type else None
    chosen = chosen or usecase.landing_report_type(await catalog.report_types(session.token))
    if chosen is None:
        raise ServiceRefused(404, "unknown_report_type", "", {})
    label = period if _same_periodicity(chosen, period) else chosen.current_period(_today())
    return RedirectResponse(f"/provinces/{unit}/{chosen.code}/{label}", status_code=303)


async def _page(
    request: Request,
    session: Session,
    ids: tuple[str, str, str],
    wanted: list[str],
    outcome: StepOutcome | None = None,
) -> Response:
    unit, report_type, period = ids
    reads = _reads(request, session, unit, report_type, period)
    view = await usecase.page(reads, web(request).catalog, wanted)
    context = await _frame(request, session, unit, report_type, period)
    context.update(
        view=view,
        communes=view.communes,
        late=view.late,
        targets=view.targets,
        **_approval(session, view.approval, outcome),
    )
    refused = outcome.refused if outcome else None
    return render(request, "province.html", context, status_code=refused.status if refused else 200)


@router.get("/provinces/{unit}/{report_type}/{period}")
async def province_page(
    request: Request,
    unit: Unit,
    report_type: ReportType,
    period: PeriodLabel,
    session: SignedIn,
    status: Statuses = [],  # noqa: B006 - FastAPI copies a query default
) -> Response:
    return await _page(request, session, (unit, report_type, period), status)


@router.get("/provinces/{unit}/{report_type}/{period}/communes")
async def communes_fragment(
    request: Request,
    unit: Unit,
    report_type: ReportType,
    period: PeriodLabel,
    session: SignedIn,
    status: Statuses = [],  # noqa: B006 - FastAPI copies a query default
) -> Response:
    reads = _reads(request, session, unit, report_type, period)
    found = await usecase.communes(reads, status)
    context = await _frame(request, session, unit, report_type, period)
    return render(request, "fragments/province_communes.html", {**context, "communes": found})


@router.get("/provinces/{unit}/{report_type}/{period}/late")
async def late_fragment(
    request: Request, unit: Unit, report_type: ReportType, period: PeriodLabel, session: SignedIn
) -> Response:
    found = await usecase.late_list(_reads(request, session, unit, report_type, period))
    context = await _frame(request, session, unit, report_type, period)
    return render(request, "fragments/province_late.html", {**context, "late": found})


@router.get("/provinces/{unit}/{report_type}/{period}/late/{late_unit}/contacts")
async def contacts_fragment(
    request: Request,
    unit: Unit,
    report_type: ReportType,
    period: PeriodLabel,
    late_unit: Unit,
    session: SignedIn,
) -> Response:
    """One late unit's contacts and notices, read when the person opens them (the notifier
    has no list of a province's contacts, and a page must not ask for each commune's)."""
    reads = _reads(request, session, unit, report_type, period)
    found = await usecase.unit_contacts(reads, late_unit)
    template = "province_contacts" if is_fragment(request) else "province_contacts_page"
    return render(request, f"fragments/{template}.html", {"found": found, "back": reads})


@router.get("/provinces/{unit}/{report_type}/{period}/targets")
async def targets_fragment(
    request: Request, unit: Unit, report_type: ReportType, period: PeriodLabel, session: SignedIn
) -> Response:
    reads = _reads(request, session, unit, report_type, period)
    found = await usecase.targets(reads, web(request).catalog)
    context = await _frame(request, session, unit, report_type, period)
    return render(request, "fragments/province_targets.html", {**context, "targets": found})


@router.get("/provinces/{unit}/{report_type}/{period}/approvals")
async def approvals_fragment(
    request: Request, unit: Unit, report_type: ReportType, period: PeriodLabel, session: SignedIn
) -> Response:
    approval = await _reads(request, session, unit, report_type, period).approval()
    context = await _frame(request, session, unit, report_type, period)
    context.update(_approval(session, approval))
    return render(request, "fragments/province_approvals.html", context)


async def _step(
    request: Request, session: Session, step: str, ids: tuple[str, str, str], reason: str = ""
) -> Response:
    """Take an approval step; htmx gets the approvals section back (the refusal beside the
    buttons), a plain form the page again (303 after success, the refusal inline if not)."""
    unit, report_type, period = ids
    api = web(request).api
    outcome = await take_step(
        api, session.token, step, report_type, period, unit, reason.strip() or None
    )
    if not is_fragment(request):
        if outcome.refused is None:
            target = f"/provinces/{unit}/{report_type}/{period}#approvals"
            return RedirectResponse(target, status_code=303)
        return await _page(request, session, ids, [], outcome)
    approval = await _reads(request, session, unit, report_type, period).approval()
    context = await _frame(request, session, unit, report_type, period)
    context.update(_approval(session, approval, outcome))
    # htmx swaps only 2xx answers: the refusal travels in the section, its status beside it.
    return render(request, "fragments/province_approvals.html", context)


@router.post("/provinces/{unit}/{report_type}/{period}/approval")
async def approve(
    request: Request, unit: Unit, report_type: ReportType, period: PeriodLabel, session: CsrfChecked
) -> Response:
    return await _step(request, session, "approve", (unit, report_type, period))


@router.post("/provinces/{unit}/{report_type}/{period}/approval/withdraw")
async def unapprove(
    request: Request,
    unit: Unit,
    report_type: ReportType,
    period: PeriodLabel,
    session: CsrfChecked,
    reason: Reason = "",
) -> Response:
    return await _step(request, session, "unapprove", (unit, report_type, period), reason)


@router.post("/provinces/{unit}/{report_type}/{period}/acceptance")
async def accept(
    request: Request, unit: Unit, report_type: ReportType, period: PeriodLabel, session: CsrfChecked
) -> Response:
    return await _step(request, session, "accept", (unit, report_type, period))


@router.post("/provinces/{unit}/{report_type}/{period}/acceptance/withdraw")
async def unaccept(
    request: Request,
    unit: Unit,
    report_type: ReportType,
    period: PeriodLabel,
    session: CsrfChecked,
    reason: Reason = "",
) -> Response:
    return await _step(request, session, "unaccept", (unit, report_type, period), reason)
