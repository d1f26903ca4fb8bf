"""The commune use cases against fake services (httpx.MockTransport): what they send, with whose
token, and how the answers land on the form."""

from __future__ import annotations

import json
import unicodedata
from collections.abc import Callable
from datetime import date
from decimal import Decimal
from typing import Any

import httpx
import pytest

from services.web.adapters.services_api import ServicesApi
from services.web.domain.keying import Keyer
from services.web.usecases import commune
from services.web.usecases.catalog import CatalogReader
from services.web.usecases.ports import ServiceRefused
from shared.catalog import Catalog
from shared.catalog.schema import json_schema

TOKEN = "person-token"
TODAY = date(2026, 12, 10)
Handler = Callable[[httpx.Request], httpx.Response]


def catalog_answer(request: httpx.Request) -> httpx.Response | None:
    catalog = Catalog.load()
    if request.url.path == "/v1/catalog":
        types = [
            {
                "code": t.code,
                "title": {"vi": t.title.vi, "en": t.title.en},
                "periodicity": t.periodicity.value,
                "levels": [level.level.value for level in t.levels],
            }
            for t in catalog
        ]
        return httpx.Response(200, json={"report_types": types})
    if request.url.path.startswith("/v1/catalog/"):
        code = request.url.path.rsplit("/", 1)[1]
        report_type = catalog.get(code)
        assert report_type is not None
        return httpx.Response(200, json=json_schema(report_type, request.url.path))
    return None


class Services:
    """Fake services: the catalog from the package, everything else from ``answer``."""

    def __init__(self, answer: Handler) -> None:
        self.requests: list[httpx.Request] = []
        self.answer = answer
        self.api = ServicesApi(
            intake="http://intake",
            aggregator="http://aggregator",
            validator="http://validator",
            notifier="http://notifier",
            transport=httpx.MockTransport(self.handle),
        )
        self.catalog = CatalogReader(self.api)

    def handle(self, request: httpx.Request) -> httpx.Response:
        assert request.headers["Authorization"] == f"Bearer {TOKEN}"
        known = catalog_answer(request)
        if known is not None:
            return known
        self.requests.append(request)
        return self.answer(request)

    async def form(self, unit: str = "00070") -> commune.FormView:
        return await commune.blank_form(
            self.catalog, TOKEN, unit, "kl226-quarterly", "2026-Q4", TODAY
        )


def never(request: httpx.Request) -> httpx.Response:
    raise AssertionError(f"unexpected call {request.url}")


TYPED = {
    "docs_issued": "80",
    "docs_issued_prev_year": "100",
    "conferences_total": "10",
    "conferences_in_person": "4",
    "conferences_online": "7",
    "conferences_over_duration": "1",
    "procedures_total": "1.200",
    "procedures_online": "1.192",
    "reports_total": "20",
    "reports_over_network": "20",
    "conference_budget_planned": "50,5",
    "conference_budget_spent": "40,25",
}


async def test_a_commune_lands_on_the_first_type_it_sends_for_the_current_period() -> None:
    services = Services(never)
    assert await commune.landing(services.catalog, TOKEN, TODAY) == (
        "kl226-quarterly",
        "2026-Q4",
    )
    asked = await commune.landing(services.catalog, TOKEN, TODAY, "lg2-monthly", "2026-11")
    assert asked == ("lg2-monthly", "2026-11")
    # a period of another periodicity falls back to the type's current one
    mixed = await commune.landing(services.catalog, TOKEN, TODAY, "lg2-monthly", "2026-Q4")
    assert mixed == ("lg2-monthly", "2026-12")


async def test_the_form_has_the_catalogs_fields_deadline_and_last_eight_periods() -> None:
    view = await Services(never).form()
    assert [f.code for f in view.fields][:2] == ["docs_issued", "docs_issued_prev_year"]
    assert view.due == date(2026, 12, 17)
    assert view.periods[0] == "2026-Q4"
    assert len(view.periods) == 8
    assert view.periods[-1] == "2025-Q1"


async def test_an_unknown_type_or_period_is_a_404() -> None:
    services = Services(never)
    with pytest.raises(ServiceRefused) as raised:
        await commune.blank_form(services.catalog, TOKEN, "00070", "nope", "2026-Q4", TODAY)
    assert raised.value.status == 404
    with pytest.raises(ServiceRefused) as raised:
        await commune.blank_form(
            services.catalog, TOKEN, "00070", "kl226-quarterly", "2026-11", TODAY
        )
    assert raised.value.reason == "invalid_period"


async def test_check_runs_intakes_dry_run_with_exact_numbers_and_places_the_reasons() -> None:
    def answer(request: httpx.Request) -> httpx.Response:
        return httpx.Response(
            200,
            json={
                "dry_run": True,
                "status": "rejected",
                "timeliness": "on_time",
                "reasons": [
                    {
                        "code": "rule_violated",
                        "indicator": "conferences_in_person",
                        "rule": "conferences_split",
                        "message": "Số hội nghị ...",
                        "message_en": "In-person ...",
                    }
                ],
                "warnings": [],
            },
        )

    services = Services(answer)
    view = await services.form()
    view.typed = dict(TYPED)
    view = await commune.check(services.api, TOKEN, view)
    (sent,) = services.requests
    assert (sent.method, sent.url.path, sent.url.params["dry_run"]) == (
        "POST",
        "/v1/submissions",
        "true",
    )
    body = json.loads(sent.content, parse_float=Decimal)
    assert body["unit"] == "00070"
    assert body["submission_id"] == view.submission_id
    assert body["values"]["procedures_total"] == 1200
    assert body["values"]["conference_budget_planned"] == Decimal("50.5")
    assert body["values"]["conference_budget_spent"] == Decimal("40.25")
    assert list(view.placed.by_field) == ["conferences_in_person"]
    assert view.has_errors


async def test_a_figure_that_cannot_be_read_stops_the_check_before_intake() -> None:
    services = Services(never)
    view = await services.form()
    view.typed = {**TYPED, "docs_issued": "12,5"}
    view = await commune.check(services.api, TOKEN, view)
    (reason,) = view.placed.by_field["docs_issued"]
    assert reason["code"] == "not_whole"
    assert reason["message"] == "Chỉ tiêu này phải là số nguyên"
    assert services.requests == []


async def test_intakes_refusal_shows_on_the_form_and_an_outage_is_raised() -> None:
    def refuse(request: httpx.Request) -> httpx.Response:
        return httpx.Response(403, json={"reason": "unit_mismatch", "detail": "not yours"})

    services = Services(refuse)
    view = await services.form()
    view.typed = dict(TYPED)
    view = await commune.check(services.api, TOKEN, view)
    assert view.refusal is not None
    assert view.refusal.reason == "unit_mismatch"

    def down(request: httpx.Request) -> httpx.Response:
        return httpx.Response(503, json={"reason": "service_unavailable"})

    services = Services(down)
    view = await services.form()
    view.typed = dict(TYPED)
    with pytest.raises(ServiceRefused):
        await commune.submit(services.api, TOKEN, view)


async def test_submit_sends_under_the_forms_id_and_returns_the_receipt() -> None:
    def receive(request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content)
        assert "dry_run" not in request.url.params
        return httpx.Response(
            202,
            json={
                "submission_id": body["submission_id"],
                "received_at": "2026-12-10T02:12:03.418207Z",
                "status": "received",
            },
        )

    services = Services(receive)
    view = await services.form()
    view.typed = {**TYPED, "conferences_in_person": "3"}
    view, receipt = await commune.submit(services.api, TOKEN, view)
    assert receipt is not None
    assert receipt["submission_id"] == view.submission_id
    _again, second = await commune.submit(services.api, TOKEN, view)
    assert second is not None
    assert second["submission_id"] == receipt["submission_id"]


async def test_a_correction_is_prefilled_from_the_accepted_submission() -> None:
    history: dict[str, Any] = {
        "unit": "00070",
        "submissions": [
            {"submission_id": "rejected-1", "status": "rejected", "received_at": "x"},
            {
                "submission_id": "accepted-1",
                "status": "accepted",
                "received_at": "2026-12-10T02:12:03Z",
                "values": {"docs_issued": 80, "conference_budget_planned": "50.5"},
            },
        ],
    }

    def answer(request: httpx.Request) -> httpx.Response:
        assert request.url.path == "/v1/units/00070/submissions"
        assert request.url.params["period"] == "2026-Q4"
        return httpx.Response(200, json=history)

    services = Services(answer)
    view = await commune.with_history(services.api, TOKEN, await services.form())
    view = commune.prefill_correction(view, "vi")
    assert view.corrects == "accepted-1"
    assert view.typed["docs_issued"] == "80"
    assert view.typed["conference_budget_planned"] == "50,5"
    assert view.typed["conferences_total"] == ""


async def test_a_rejection_brings_the_form_back_under_a_new_id() -> None:
    view = await Services(never).form()
    first = view.submission_id
    verdict = {"status": "rejected", "reasons": [{"code": "period_locked", "message": "x"}]}
    view = commune.after_rejection(view, verdict)
    assert view.submission_id != first
    assert [r["code"] for r in view.placed.general] == ["period_locked"]


async def keying_form(services: Services) -> commune.FormView:
    view = await services.form("00004")
    view.keyer = Keyer("01", "person:hanoi")
    view.typed = dict(TYPED)
    return view


async def test_a_keyed_report_carries_the_keyer_and_the_reason_in_nfc() -> None:
    def answer(request: httpx.Request) -> httpx.Response:
        if request.url.params.get("dry_run") == "true":
            return httpx.Response(200, json={"status": "accepted", "reasons": [], "warnings": []})
        body = json.loads(request.content)
        return httpx.Response(
            202, json={"submission_id": body["submission_id"], "status": "received"}
        )

    services = Services(answer)
    view = await keying_form(services)
    view.reason = unicodedata.normalize("NFD", " Xã gửi báo cáo giấy ngày 08/12 ")
    view = await commune.check(services.api, TOKEN, view)
    view, receipt = await commune.submit(services.api, TOKEN, view)
    assert receipt is not None
    keyed = {"unit": "01", "person": "person:hanoi", "reason": "Xã gửi báo cáo giấy ngày 08/12"}
    for sent in services.requests:
        body = json.loads(sent.content)
        assert body["unit"] == "00004"  # the report stays the commune's
        assert body["keyed_by"] == keyed
        assert unicodedata.is_normalized("NFC", body["keyed_by"]["reason"])
    assert view.sent_keyed_by == keyed


async def test_a_report_not_keyed_carries_no_mark() -> None:
    def answer(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json={"status": "accepted", "reasons": [], "warnings": []})

    services = Services(answer)
    view = await services.form()
    view.typed = dict(TYPED)
    await commune.check(services.api, TOKEN, view)
    (sent,) = services.requests
    assert "keyed_by" not in json.loads(sent.content)


@pytest.mark.parametrize(
    ("reason", "problem"),
    [("", "reason_missing"), (" \n ", "reason_missing"), ("x" * 501, "reason_too_long")],
)
async def test_a_keyed_report_without_a_fit_reason_stops_before_intake(
    reason: str, problem: str
) -> None:
    services = Services(never)
    view = await keying_form(services)
    view.reason = reason
    view = await commune.check(services.api, TOKEN, view)
    assert view.reason_problem == problem
    assert view.has_errors
    view, receipt = await commune.submit(services.api, TOKEN, view)
    assert receipt is None
    assert view.reason_problem == problem
    assert services.requests == []


async def test_intakes_refusal_of_a_keyed_report_shows_on_the_form() -> None:
    services = Services(lambda request: httpx.Response(403, json={"reason": "not_the_province"}))
    view = await keying_form(services)
    view.reason = "Mất kết nối"
    view, receipt = await commune.submit(services.api, TOKEN, view)
    assert receipt is None
    assert view.refusal is not None
    assert view.refusal.reason == "not_the_province"
    assert view.sent_keyed_by is None


async def test_a_rejected_keyed_report_comes_back_with_its_reason() -> None:
    view = await keying_form(Services(never))
    verdict = {
        "status": "rejected",
        "reasons": [{"code": "period_locked", "message": "x"}],
        "keyed_by": {"unit": "01", "person": "person:hanoi", "reason": "Mất kết nối"},
    }
    view = commune.after_rejection(view, verdict)
    assert view.reason == "Mất kết nối"
