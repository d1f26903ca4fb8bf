"""The commune routes in the real app over ASGI, the services faked: pages without JavaScript
and fragments for htmx, CSRF on every POST, the services' scope (a refusal stays a refusal)."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import httpx
import pytest

from shared.identity import Role

from .people import CSRF_HEADER_FOR_TESTS, Browser, browser_for, unit_of
from .test_commune_usecases import TYPED, catalog_answer

BASE = "/communes/00070/kl226-quarterly/2026-Q4"
HTMX = {"HX-Request": "true"}
PEOPLE = {
    "hoankiem": ("00070", frozenset({Role.SUBMITTER})),
    "badinh": ("00004", frozenset({Role.SUBMITTER})),
    "hanoi": ("01", frozenset({Role.READER, Role.SUBMITTER})),
}
RECEIVED_AT = "2026-12-10T02:12:03.418207Z"  # 09:12:03 in Vietnam


class FakeServices:
    """Intake and the validator as far as these pages use them; the token names its unit."""

    def __init__(self) -> None:
        self.requests: list[httpx.Request] = []
        self.sent: dict[str, dict[str, Any]] = {}

    def api(self) -> Any:
        from services.web.adapters.services_api import ServicesApi

        return ServicesApi(
            intake="http://intake",
            aggregator="http://aggregator",
            validator="http://validator",
            notifier="http://notifier",
            transport=httpx.MockTransport(self.handle),
        )

    def handle(self, request: httpx.Request) -> httpx.Response:
        known = catalog_answer(request)
        if known is not None:
            return known
        self.requests.append(request)
        unit = unit_of(request)
        if request.url.host == "validator":
            return self.history(unit, request)
        if request.method == "POST":
            return self.receive(unit, request)
        submission_id = request.url.path.rsplit("/", 1)[1]
        return httpx.Response(200, json={**self.sent[submission_id], "status": "accepted"})

    def history(self, unit: str, request: httpx.Request) -> httpx.Response:
        target = request.url.path.split("/")[3]
        if unit != target and not (unit == "01" and target == "00070"):
            return httpx.Response(403, json={"reason": "not_your_unit", "detail": "no"})
        accepted = [{**sent, "status": "accepted"} for sent in self.sent.values()]
        return httpx.Response(200, json={"unit": target, "submissions": accepted})

    def receive(self, unit: str, request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content)
        if body["unit"] != unit:
            return httpx.Response(403, json={"reason": "unit_mismatch", "detail": "not yours"})
        values = body["values"]
        split = values["conferences_in_person"] + values["conferences_online"]
        reasons = []
        if split != values["conferences_total"]:
            reasons = [
                {
                    "code": "rule_violated",
                    "indicator": "conferences_in_person",
                    "message": "Số hội nghị trực tiếp cộng trực tuyến phải bằng tổng số",
                    "message_en": "In-person plus online must equal all",
                }
            ]
        if request.url.params.get("dry_run") == "true":
            verdict = "rejected" if reasons else "accepted"
            return httpx.Response(
                200, json={"status": verdict, "reasons": reasons, "timeliness": "on_time"}
            )
        receipt = {
            "submission_id": body["submission_id"],
            "received_at": RECEIVED_AT,
            "status": "received",
        }
        self.sent[body["submission_id"]] = {
            **receipt,
            "report_type": "kl226-quarterly",
            "period": "2026-Q4",
            "values": values,
        }
        return httpx.Response(202, json=receipt)


@pytest.fixture
def fake() -> FakeServices:
    return FakeServices()


@pytest.fixture
def browser(tmp_path: Path, fake: FakeServices) -> Browser:
    return browser_for(tmp_path, fake.api(), PEOPLE)


def form_data(client: httpx.AsyncClient, **overrides: str) -> dict[str, str]:
    typed = {**TYPED, **overrides}
    return {
        "csrf": client.headers[CSRF_HEADER_FOR_TESTS],
        "submission_id": "form-id-0001",
        **{f"v.{code}": value for code, value in typed.items()},
    }


async def test_a_commune_lands_on_its_first_report_type_in_the_current_period(
    browser: Browser,
) -> None:
    response = await browser("hoankiem").get("/communes/00070")
    assert response.status_code == 303
    assert re.fullmatch(
        r"/communes/00070/kl226-quarterly/\d{4}-Q[1-4]", response.headers["location"]
    )
    chosen = await browser("hoankiem").get("/communes/00070?report_type=lg2-monthly&period=2026-11")
    assert chosen.headers["location"] == "/communes/00070/lg2-monthly/2026-11"


async def test_the_form_page_has_fields_deadline_ids_and_downloads(browser: Browser) -> None:
    page = (await browser("hoankiem").get(BASE)).text
    assert "Hạn gửi: 17/12/2026" in page
    assert re.search(r'name="submission_id" value="[0-9a-f-]{36}"', page)
    assert 'name="v.conferences_in_person"' in page
    assert 'inputmode="decimal"' in page
    assert "Đơn vị tính: triệu đồng · bắt buộc" in page
    assert 'href="/communes/00070/kl226-quarterly/template.csv"' in page
    for ext in ("csv", "sdmx.json", "dhis2.json"):
        assert f'href="/exports/kl226-quarterly/2026-Q4/00070.{ext}"' in page


async def test_every_post_needs_the_sessions_csrf_token(
    browser: Browser, fake: FakeServices
) -> None:
    client = browser("hoankiem")
    data = {**form_data(client), "csrf": "forged"}
    for action in ("check", "submit", "csv"):
        response = await client.post(f"{BASE}/{action}", data=data)
        assert response.status_code == 403
    assert not [r for r in fake.requests if r.url.host == "intake"]


async def test_a_check_without_javascript_shows_the_reason_by_its_field(
    browser: Browser,
) -> None:
    client = browser("hoankiem")
    response = await client.post(f"{BASE}/check", data=form_data(client))
    page = response.text
    assert "<html" in page
    assert 'id="commune-errors"' in page
    field = page.split('id="field-conferences_in_person"')[1].split('<div class="field')[0]
    assert "phải bằng tổng số" in field
    assert 'aria-invalid="true"' in field
    assert 'value="1.200"' in page  # kept as typed
    assert 'name="submission_id" value="form-id-0001"' in page


async def test_a_check_by_htmx_returns_the_form_fragment(browser: Browser) -> None:
    client = browser("hoankiem")
    data = form_data(client, conferences_in_person="3")
    response = await client.post(f"{BASE}/check", data=data, headers=HTMX)
    assert "<html" not in response.text
    assert 'id="commune-checked"' in response.text
    assert "đúng hạn" in response.text


async def test_sending_gives_the_receipt_then_the_verdict(browser: Browser) -> None:
    client = browser("hoankiem")
    data = form_data(client, conferences_in_person="3")
    response = await client.post(f"{BASE}/submit", data=data)
    assert response.status_code == 303
    receipt_url = response.headers["location"]
    assert receipt_url.startswith(f"{BASE}/submissions/form-id-0001?")
    page = (await client.get(receipt_url)).text
    assert "form-id-0001" in page
    assert "10/12/2026 09:12:03" in page
    fragment = (await client.get(receipt_url, headers=HTMX)).text
    assert 'data-status="accepted"' in fragment
    assert "<html" not in fragment
    by_htmx = await client.post(f"{BASE}/submit", data=data, headers=HTMX)
    assert by_htmx.headers["HX-Push-Url"] == receipt_url
    assert "form-id-0001" in by_htmx.text


async def test_a_correction_is_prefilled_and_says_what_it_corrects(browser: Browser) -> None:
    client = browser("hoankiem")
    await client.post(f"{BASE}/submit", data=form_data(client, conferences_in_person="3"))
    page = (await client.get(f"{BASE}?correct=1")).text
    assert "bản điều chỉnh của báo cáo đã gửi ngày 10/12/2026" in page
    assert 'name="corrects" value="form-id-0001"' in page
    assert re.search(r'name="v.conference_budget_planned"[^>]*value="50,5"', page, re.S)


async def test_a_province_reads_its_commune_and_is_refused_sending_for_it(
    browser: Browser,
) -> None:
    hanoi = browser("hanoi")
    page = (await hanoi.get(BASE)).text
    assert 'id="commune-read-only"' in page
    assert 'id="report-form"' not in page
    response = await hanoi.post(f"{BASE}/submit", data=form_data(hanoi))
    assert response.status_code == 403
    assert "không được gửi báo cáo thay cho đơn vị 00070 (unit_mismatch)" in response.text


async def test_another_commune_gets_the_services_refusal(browser: Browser) -> None:
    response = await browser("badinh").get(BASE)
    assert response.status_code == 403
    assert 'id="report-form"' not in response.text


async def test_a_csv_upload_fills_the_form_and_checks_it_without_sending(
    browser: Browser, fake: FakeServices
) -> None:
    client = browser("hoankiem")
    content = "\ufeffindicator;value\r\n" + "".join(f"{k};{v}\r\n" for k, v in TYPED.items())
    response = await client.post(
        f"{BASE}/csv",
        data={"csrf": client.headers[CSRF_HEADER_FOR_TESTS], "submission_id": "form-id-0002"},
        files={"file": ("baocao.csv", content.encode(), "text/csv")},
        headers=HTMX,
    )
    assert re.search(r'name="v.conference_budget_spent"[^>]*value="40,25"', response.text, re.S)
    assert "phải bằng tổng số" in response.text
    posted = [r for r in fake.requests if r.method == "POST"]
    assert [r.url.params.get("dry_run") for r in posted] == ["true"]


async def test_a_bad_csv_line_is_named_and_nothing_is_checked(
    browser: Browser, fake: FakeServices
) -> None:
    client = browser("hoankiem")
    response = await client.post(
        f"{BASE}/csv",
        data={"csrf": client.headers[CSRF_HEADER_FOR_TESTS]},
        files={"file": ("x.csv", b"indicator,value\ndocs_issued,80\nmade_up,1\n", "text/csv")},
    )
    assert "Dòng 3: Chỉ tiêu «made_up» không có trong biểu mẫu." in response.text
    assert not [r for r in fake.requests if r.method == "POST"]


async def test_the_csv_template_downloads(browser: Browser) -> None:
    response = await browser("hoankiem").get("/communes/00070/kl226-quarterly/template.csv")
    assert response.headers["content-type"].startswith("text/csv")
    assert response.content.decode("utf-8-sig").startswith("indicator,value,label,unit")


async def test_the_history_lists_the_units_submissions(browser: Browser) -> None:
    client = browser("hoankiem")
    await client.post(f"{BASE}/submit", data=form_data(client, conferences_in_person="3"))
    page = (await client.get("/communes/00070/history")).text
    assert 'data-submission="form-id-0001"' in page
    assert "10/12/2026 09:12:03" in page
