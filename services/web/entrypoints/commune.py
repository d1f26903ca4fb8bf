"""The commune pages and their fragments: the report form (check, send, correct, CSV), the
receipt and its verdict, the unit's history. A person of another unit sees what the services
let them see: a province reads its communes' pages; its submitter gets the form to key a
commune's paper report on its behalf (intake decides whether the commune is theirs), anyone
else a read-only page."""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response
from starlette.datastructures import UploadFile

from services.web.domain import csv_values, devices, keying
from services.web.domain.report_form import place_reasons
from services.web.entrypoints.pages import (
    checked_csrf,
    is_fragment,
    lang_of,
    render,
    signed_in,
    web,
)
from services.web.entrypoints.session import Session
from services.web.texts import translate
from services.web.usecases import commune
from services.web.usecases.ports import ServiceRefused
from shared.periods import VIETNAM

router = APIRouter()
SignedIn = Annotated[Session, Depends(signed_in)]
CsrfChecked = Annotated[Session, Depends(checked_csrf)]
_COMMUNE = re.compile(r"[0-9]{5}")
_SUBMISSION_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:-]{7,127}")
KEYED_REASON = "keyed_reason"  # the keying form's reason field


def _today() -> date:
    return datetime.now(VIETNAM).date()


def _commune(unit: str) -> str:
    if not _COMMUNE.fullmatch(unit):
        raise ServiceRefused(404, "unknown_unit", unit, {})
    return unit


def _base(unit: str, code: str, period: str) -> str:
    return f"/communes/{unit}/{code}/{period}"


async def _form(request: Request, session: Session, unit: str, code: str, period: str) -> Any:
    view = await commune.blank_form(
        web(request).catalog, session.token, _commune(unit), code, period, _today()
    )
    if keying.may_key(session.unit, session.roles, unit):
        view.keyer = keying.Keyer(session.unit, session.token_subject())
    view.read_only = session.unit != unit and view.keyer is None
    view.signs_offline = session.unit == unit and keying.SUBMITTER in session.roles
    return view


def _show(request: Request, view: commune.FormView) -> Response:
    """The form fragment for htmx, else the whole page."""
    context = {"view": view, "base": _base(view.unit, view.report_type.code, view.period)}
    if is_fragment(request):  # htmx swaps only 2xx answers: the refusal is in the fragment
        return render(request, "fragments/commune_form.html", context)
    status_code = view.refusal.status if view.refusal else 200
    return render(request, "commune.html", context, status_code=status_code)


async def _posted(request: Request, view: commune.FormView) -> commune.FormView:
    form = await request.form()
    view.typed = commune.typed_from(form, view.fields)
    if view.keyer is not None:
        view.reason = str(form.get(KEYED_REASON) or "")
    submission_id = str(form.get("submission_id") or "")
    if _SUBMISSION_ID.fullmatch(submission_id):
        view.submission_id = submission_id
    corrects, corrects_at = str(form.get("corrects") or ""), str(form.get("corrects_at") or "")
    try:
        datetime.fromisoformat(corrects_at)
    except ValueError:
        return view  # not a correction the page made: the form is sent as a new report
    if _SUBMISSION_ID.fullmatch(corrects):
        view.corrects, view.corrects_at = corrects, corrects_at
    return view


@router.get("/communes/{unit}")
async def commune_home(request: Request, unit: str, session: SignedIn) -> Response:
    """The form of the first report type communes send, for the current period; the toolbar's
    plain GET form lands here too, with its choice in the query."""
    chosen = await commune.landing(
        web(request).catalog,
        session.token,
        _today(),
        request.query_params.get("report_type", ""),
        request.query_params.get("period", ""),
    )
    if chosen is None:
        raise ServiceRefused(404, "unknown_report_type", "", {})
    return RedirectResponse(_base(_commune(unit), *chosen), status_code=303)


@router.get("/communes/{unit}/history")
async def history_page(request: Request, unit: str, session: SignedIn) -> Response:
    params = dict(request.query_params)
    body = await commune.history(web(request).api, session.token, _commune(unit), params)
    types = await web(request).catalog.report_types(session.token)
    context = {
        "unit": unit,
        "body": body,
        "titles": {t.code: t.title(lang_of(request)) for t in types},
        "filters": {k: params.get(k, "") for k in ("report_type", "period")},
        "next_query": urlencode(
            {**{k: v for k, v in params.items() if k != "cursor"}, "cursor": body["next_cursor"]}
        )
        if body.get("next_cursor")
        else "",
    }
    return render(request, "commune_history.html", context)


@router.get("/communes/{unit}/{code}/template.csv")
async def csv_template(request: Request, unit: str, code: str, session: SignedIn) -> Response:
    catalog = web(request).catalog
    report_type = await catalog.report_type(code, session.token)
    if report_type is None:
        raise ServiceRefused(404, "unknown_report_type", code, {})
    view = await _form(request, session, unit, code, report_type.current_period(_today()))
    names = {f.unit: translate(f.unit_key, "vi") for f in view.fields}
    return Response(
        csv_values.template(view.fields, names),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{code}-{unit}.csv"'},
    )


@router.get("/communes/{unit}/{code}/{period}")
async def form_page(
    request: Request,
    unit: str,
    code: str,
    period: str,
    session: SignedIn,
    correct: str = "",
) -> Response:
    view = await _form(request, session, unit, code, period)
    view = await commune.with_history(web(request).api, session.token, view)
    if correct and not view.read_only:
        view = commune.prefill_correction(view, lang_of(request))
    return _show(request, view)


@router.post("/communes/{unit}/{code}/{period}/check")
async def check(
    request: Request, unit: str, code: str, period: str, session: CsrfChecked
) -> Response:
    view = await _posted(request, await _form(request, session, unit, code, period))
    view = await commune.check(web(request).api, session.token, view)
    return _show(request, view)


@router.post("/communes/{unit}/{code}/{period}/csv")
async def upload_csv(
    request: Request, unit: str, code: str, period: str, session: CsrfChecked
) -> Response:
    view = await _posted(request, await _form(request, session, unit, code, period))
    upload = (await request.form()).get("file")
    data = await upload.read(csv_values.MAX_BYTES + 1) if isinstance(upload, UploadFile) else b""
    parsed = csv_values.parse_csv(data, view.fields)
    view.typed.update(parsed.values)
    view.csv_problems = parsed.problems
    if not parsed.problems:
        view = await commune.check(web(request).api, session.token, view)
    return _show(request, view)


@router.post("/communes/{unit}/{code}/{period}/submit")
async def submit(
    request: Request, unit: str, code: str, period: str, session: CsrfChecked
) -> Response:
    view = await _posted(request, await _form(request, session, unit, code, period))
    view, receipt = await commune.submit(web(request).api, session.token, view)
    return _receipted(request, view, receipt)


@router.post("/communes/{unit}/{code}/{period}/submit-signed")
async def submit_signed(
    request: Request, unit: str, code: str, period: str, session: CsrfChecked
) -> Response:
    """A report the clerk's browser signed while offline (static/outbox.js), passed to intake
    byte for byte; answered as the form's own send is, so the outbox reads both alike."""
    view = await _form(request, session, unit, code, period)
    try:
        if not view.signs_offline:
            raise devices.DeviceRefused(403, "unit_mismatch", "the clerk's own unit only")
        body = devices.signed_body(
            await _body_at_most(request, devices.MAX_SIGNED_BODY_BYTES),
            unit=view.unit,
            report_type=view.report_type.code,
            period=view.period,
            session_unit=session.unit,
        )
    except devices.DeviceRefused as refused:
        raise ServiceRefused(refused.status, refused.reason, refused.detail, {}) from None
    view, receipt = await commune.submit_signed(
        web(request).api, session.token, view, body, lang_of(request)
    )
    return _receipted(request, view, receipt)


async def _body_at_most(request: Request, limit: int) -> bytes:
    """The request's body, read no further than one byte past ``limit``."""
    data = bytearray()
    async for chunk in request.stream():
        data += chunk
        if len(data) > limit:
            break
    return bytes(data)


def _receipted(
    request: Request, view: commune.FormView, receipt: dict[str, Any] | None
) -> Response:
    """The receipt (a fragment, or a redirect to its page), or the form with what stopped it."""
    if receipt is None:
        return _show(request, view)
    code = view.report_type.code
    query = urlencode({f"v.{k}": v for k, v in view.typed.items() if v})
    target = f"{_base(view.unit, code, view.period)}/submissions/{receipt['submission_id']}"
    target += f"?{query}" if query else ""
    if is_fragment(request):
        context = {
            "view": view,
            "receipt": receipt,
            "verdict": receipt,
            "self_url": target,
            "base": _base(view.unit, code, view.period),
        }
        return render(
            request, "fragments/commune_receipt.html", context, headers={"HX-Push-Url": target}
        )
    return RedirectResponse(target, status_code=303)


@router.get("/communes/{unit}/{code}/{period}/submissions/{submission_id}")
async def receipt_page(
    request: Request,
    unit: str,
    code: str,
    period: str,
    submission_id: str,
    session: SignedIn,
) -> Response:
    """The receipt and, once judged, the verdict; a rejection brings the form back with the
    values (carried in the query) and the reasons next to the fields."""
    if not _SUBMISSION_ID.fullmatch(submission_id):
        raise ServiceRefused(404, "unknown_submission", submission_id[:64], {})
    view = await _form(request, session, unit, code, period)
    verdict = await commune.status(web(request).api, session.token, submission_id)
    view.typed = commune.typed_from(request.query_params, view.fields)
    if verdict.get("status") == "rejected":
        view = commune.after_rejection(view, verdict)
    else:
        view.placed = place_reasons(view.fields, [], verdict.get("warnings", []))
    context = {
        "view": view,
        "receipt": verdict,
        "verdict": verdict,
        "self_url": str(request.url.path) + (f"?{request.url.query}" if request.url.query else ""),
        "base": _base(view.unit, view.report_type.code, view.period),
    }
    if is_fragment(request):
        return render(request, "fragments/commune_verdict.html", context)
    return render(request, "commune.html", context)
