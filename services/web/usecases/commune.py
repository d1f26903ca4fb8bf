"""What the commune pages do: read the form from the catalog, check a report with intake's dry
run, send it, follow its verdict, and list the unit's submissions. Every call carries the
person's token; the services decide whether they may see or send for ``unit``. A province's
(or Central's) submitter keys a commune's paper report on the commune's form: the envelope then
carries ``keyed_by`` (who, and why), and intake decides whether the commune is theirs."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from services.web.domain.csv_values import CsvProblem
from services.web.domain.devices import SignedBody
from services.web.domain.keying import Keyer, keyed_by, read_reason
from services.web.domain.report_form import (
    Field,
    PlacedReasons,
    due_date,
    fields_of,
    place_reasons,
    read_values,
    typed_text,
)
from services.web.texts import translate
from services.web.usecases.catalog import CatalogReader, ReportTypeInfo
from services.web.usecases.ports import ServiceApis, ServiceRefused
from shared.periods import InvalidPeriod, Period

LEVEL = "commune"
RECENT_PERIODS = 8
# Refusals a form shows above its fields (the person can act on them); others are error pages.
INLINE_REFUSALS = frozenset({400, 403, 409, 413, 422})


def new_submission_id() -> str:
    return str(uuid.uuid4())


@dataclass
class FormView:
    unit: str
    report_type: ReportTypeInfo
    report_types: list[ReportTypeInfo]
    period: str
    periods: list[str]
    fields: list[Field]
    due: date | None
    typed: dict[str, str] = field(default_factory=dict)
    submission_id: str = field(default_factory=new_submission_id)
    corrects: str = ""
    corrects_at: str = ""
    placed: PlacedReasons = field(default_factory=PlacedReasons)
    checked: dict[str, Any] | None = None
    refusal: ServiceRefused | None = None
    csv_problems: list[CsvProblem] = field(default_factory=list)
    history: list[dict[str, Any]] = field(default_factory=list)
    read_only: bool = False
    # The clerk's own unit and a submitter: the browser may sign a report it keeps offline.
    signs_offline: bool = False
    # Keying the unit's paper report on its behalf: who keys, the reason as typed, and what
    # is wrong with it ("reason_missing", "reason_too_long"), if anything.
    keyer: Keyer | None = None
    reason: str = ""
    reason_problem: str | None = None
    sent_keyed_by: dict[str, Any] | None = None

    @property
    def current(self) -> dict[str, Any] | None:
        """The unit's accepted submission for this period, if any (newest first)."""
        return next((s for s in self.history if s.get("status") == "accepted"), None)

    @property
    def has_errors(self) -> bool:
        return (
            self.placed.failed
            or self.refusal is not None
            or bool(self.csv_problems)
            or self.reason_problem is not None
        )


def first_report_type(types: list[ReportTypeInfo]) -> ReportTypeInfo | None:
    return next((t for t in types if LEVEL in t.levels), None)


async def landing(
    catalog: CatalogReader, token: str, today: date, code: str = "", period: str = ""
) -> tuple[str, str] | None:
    """The report type and period a commune's page opens on: those asked for when they are a
    type communes send and a period of it, else the first such type and its current period."""
    types = [t for t in await catalog.report_types(token) if LEVEL in t.levels]
    chosen = next((t for t in types if t.code == code), None) or first_report_type(types)
    if chosen is None:
        return None
    try:
        asked = Period.parse(period)
    except InvalidPeriod:
        asked = None
    if asked is not None and asked.periodicity == chosen.periodicity:
        return chosen.code, asked.label
    return chosen.code, chosen.current_period(today)


async def blank_form(
    catalog: CatalogReader,
    token: str,
    unit: str,
    code: str,
    period: str,
    today: date,
) -> FormView:
    report_type = await catalog.report_type(code, token)
    if report_type is None or LEVEL not in report_type.levels:
        raise ServiceRefused(404, "unknown_report_type", code, {})
    try:
        label = Period.parse(period).label
    except InvalidPeriod:
        raise ServiceRefused(404, "invalid_period", period, {}) from None
    if Period.parse(label).periodicity != report_type.periodicity:
        raise ServiceRefused(404, "invalid_period", period, {})
    schema = await catalog.schema(code, token)
    latest = report_type.current_period(today)
    periods = report_type.recent_periods(latest, RECENT_PERIODS)[::-1]
    if label not in periods:
        periods.insert(0, label)
    return FormView(
        unit=unit,
        report_type=report_type,
        report_types=[t for t in await catalog.report_types(token) if LEVEL in t.levels],
        period=label,
        periods=periods,
        fields=fields_of(schema),
        due=due_date(schema, LEVEL, label),
    )


async def with_history(api: ServiceApis, token: str, view: FormView) -> FormView:
    """The unit's submissions for the form's period (the validator refuses a unit not the
    person's to see: its 403 becomes the page)."""
    body = await api.get(
        "validator",
        f"/v1/units/{view.unit}/submissions",
        token,
        params={"report_type": view.report_type.code, "period": view.period, "limit": "20"},
    )
    view.history = list(body.get("submissions", []))
    return view


def prefill_correction(view: FormView, lang: str) -> FormView:
    """The form filled with the unit's accepted values, to send as a correction."""
    current = view.current
    if current is not None:
        values = current.get("values") or {}
        view.typed = {f.code: typed_text(values.get(f.code), lang) for f in view.fields}
        view.corrects = str(current["submission_id"])
        view.corrects_at = str(current["received_at"])
    return view


def typed_from(form: Mapping[str, Any], fields: list[Field]) -> dict[str, str]:
    return {f.code: str(form.get(f"v.{f.code}", "") or "").strip() for f in fields}


def _local_reasons(errors: Mapping[str, str]) -> list[dict[str, Any]]:
    return [
        {
            "code": code,
            "indicator": indicator,
            "message": translate(f"commune.error.{code}", "vi"),
            "message_en": translate(f"commune.error.{code}", "en"),
        }
        for indicator, code in errors.items()
    ]


def _envelope(view: FormView, values: Mapping[str, int | float]) -> dict[str, Any]:
    envelope: dict[str, Any] = {
        "submission_id": view.submission_id,
        "report_type": view.report_type.code,
        "period": view.period,
        "unit": view.unit,
        "values": dict(values),
    }
    if view.keyer is not None:
        envelope["keyed_by"] = keyed_by(view.keyer, view.reason)
    return envelope


def _read(view: FormView) -> dict[str, int | float] | None:
    """The typed figures, and the keying reason on a keying form, read as intake wants them;
    None, with the problems placed on the form, when either cannot be sent."""
    read = read_values(view.fields, view.typed)
    if view.keyer is not None:
        reason = read_reason(view.reason)
        view.reason, view.reason_problem = reason.text, reason.problem
    if read.errors or view.reason_problem:
        view.placed = place_reasons(view.fields, _local_reasons(read.errors))
        return None
    return read.values


def _refused(view: FormView, refused: ServiceRefused) -> FormView:
    if refused.status not in INLINE_REFUSALS:
        raise refused
    view.refusal = refused
    details = refused.body.get("details") if isinstance(refused.body, Mapping) else None
    if isinstance(details, list):
        view.placed = place_reasons(view.fields, [d for d in details if isinstance(d, dict)])
    return view


async def check(api: ServiceApis, token: str, view: FormView) -> FormView:
    """Intake's dry run on the typed values: the verdict the report would get now."""
    values = _read(view)
    if values is None:
        return view
    try:
        result = await api.post(
            "intake",
            "/v1/submissions",
            token,
            body=_envelope(view, values),
            params={"dry_run": "true"},
        )
    except ServiceRefused as refused:
        return _refused(view, refused)
    view.checked = result
    view.placed = place_reasons(view.fields, result.get("reasons", []), result.get("warnings", []))
    return view


async def submit(
    api: ServiceApis, token: str, view: FormView
) -> tuple[FormView, dict[str, Any] | None]:
    """Send the report under the form's submission id: (the form, intake's receipt), or the
    form with what stopped it and no receipt."""
    values = _read(view)
    if values is None:
        return view, None
    envelope = _envelope(view, values)
    try:
        receipt = await api.post("intake", "/v1/submissions", token, body=envelope)
    except ServiceRefused as refused:
        return _refused(view, refused), None
    view.sent_keyed_by = envelope.get("keyed_by")
    return view, receipt


async def submit_signed(
    api: ServiceApis, token: str, view: FormView, body: SignedBody, lang: str
) -> tuple[FormView, dict[str, Any] | None]:
    """Send a report the browser signed, its bytes unchanged (a re-serialised body would no
    longer match its signature): as :func:`submit`, the form keeps the values it carried."""
    view.submission_id = body.submission_id
    numbers = {
        code: value
        for code, value in body.values.items()
        if isinstance(value, int | float) and not isinstance(value, bool)
    }
    view.typed = {f.code: typed_text(numbers.get(f.code), lang) for f in view.fields}
    try:
        receipt = await api.post_bytes("intake", "/v1/submissions", token, body.data)
    except ServiceRefused as refused:
        return _refused(view, refused), None
    return view, receipt


async def status(api: ServiceApis, token: str, submission_id: str) -> dict[str, Any]:
    """Intake's view of a submission: received, accepted, rejected or superseded."""
    result: dict[str, Any] = await api.get("intake", f"/v1/submissions/{submission_id}", token)
    return result


def after_rejection(view: FormView, verdict: Mapping[str, Any]) -> FormView:
    """The form again with the rejection's reasons next to its fields, under a new id (and,
    keyed on the unit's behalf, the reason given for it)."""
    view.placed = place_reasons(view.fields, verdict.get("reasons", []))
    view.submission_id = new_submission_id()
    keyed = verdict.get("keyed_by")
    if view.keyer is not None and isinstance(keyed, Mapping):
        view.reason = str(keyed.get("reason") or "")
    return view


async def history(
    api: ServiceApis, token: str, unit: str, params: Mapping[str, str]
) -> dict[str, Any]:
    wanted = {k: v for k, v in params.items() if k in ("report_type", "period", "cursor") and v}
    body: dict[str, Any] = await api.get(
        "validator", f"/v1/units/{unit}/submissions", token, params={**wanted, "limit": "50"}
    )
    return body
