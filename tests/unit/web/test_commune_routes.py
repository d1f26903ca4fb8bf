"""The commune routes in the real app over ASGI, the services faked: pages without JavaScript
and fragments for htmx, CSRF on every POST, the services' scope (a refusal stays a refusal),
and a province's submitter keying a commune's paper report on its behalf."""

from __future__ import annotations

import html
import json
import re
import unicodedata
from pathlib import Path
from typing import Any

import httpx
import pytest

from shared.identity import Role

from .people import CSRF_HEADER_FOR_TESTS, Browser, browser_for, subject_of, unit_of
from .test_commune_usecases import TYPED, catalog_answer

BASE = "/communes/00070/kl226-quarterly/2026-Q4"
HTMX = {"HX-Request": "true"}
PEOPLE = {
    "hoankiem": ("00070", frozenset({Role.SUBMITTER})),
    "badinh": ("00004", frozenset({Role.SUBMITTER})),
    "hanoi": ("01", frozenset({Role.READER, Role.SUBMITTER})),
    "hanoi-reader": ("01", frozenset({Role.READER, Role.APPROVER})),
    "hcm": ("79", frozenset({Role.READER, Role.SUBMITTER})),
}
OVERSEEN = {"01": {"00004", "00070"}}  # the communes each province's token reaches
RECEIVED_AT = "2026-12-10T02:12:03.418207Z"  # 09:12:03 in Vietnam


class FakeServices:
    """Intake and the validator as far as these pages use them; the token names its unit and
    its person. Intake takes a report keyed on a commune's behalf as the contract says: from
    the person and unit named in ``keyed_by``, for a commune of their province."""

    def __init__(self) -> None:
        self.requests: list[httpx.Request] = []
        self.sent: dict[str, dict[str, Any]] = {}
        self.verdict = "accepted"
        self.counted_from: dict[str, Any] | None = None  # what every verdict says it counted

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
        return httpx.Response(200, json=self.judged(self.sent[submission_id]))

    def judged(self, sent: dict[str, Any]) -> dict[str, Any]:
        return {**sent, "status": self.verdict, "counted_from": self.counted_from}

    def history(self, unit: str, request: httpx.Request) -> httpx.Response:
        target = request.url.path.split("/")[3]
        if unit != target and target not in OVERSEEN.get(unit, ()):
            return httpx.Response(403, json={"reason": "not_your_unit", "detail": "no"})
        accepted = [self.judged(sent) for sent in self.sent.values() if sent["unit"] == target]
        return httpx.Response(200, json={"unit": target, "submissions": accepted})

    def receive(self, unit: str, request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content)
        keyed = body.get("keyed_by")
        if keyed is not None:
            if (keyed["unit"], keyed["person"]) != (unit, subject_of(request)):
                return httpx.Response(403, json={"reason": "keyed_by_not_caller", "detail": ""})
            if body["unit"] not in OVERSEEN.get(unit, ()):
                return httpx.Response(403, json={"reason": "not_the_province", "detail": ""})
        elif body["unit"] != unit:
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
            "unit": body["unit"],
            "report_type": "kl226-quarterly",
            "period": "2026-Q4",
            "values": values,
            "keyed_by": keyed,
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


async def test_a_province_without_the_submitter_role_reads_its_commune_only(
    browser: Browser, fake: FakeServices
) -> None:
    reader = browser("hanoi-reader")
    page = (await reader.get(BASE)).text
    assert 'id="commune-read-only"' in page
    assert 'id="report-form"' not in page
    assert 'id="commune-keying"' not in page
    data = {**form_data(reader), "keyed_reason": "Mất kết nối"}
    response = await reader.post(f"{BASE}/submit", data=data)
    assert response.status_code == 403
    assert "không được gửi báo cáo thay cho đơn vị 00070 (unit_mismatch)" in response.text
    (sent,) = [r for r in fake.requests if r.url.host == "intake"]
    assert "keyed_by" not in json.loads(sent.content)  # not offered, so not claimed


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


REASON = "Xã gửi báo cáo giấy ngày 08/12 do mất kết nối"


def keyed_data(client: httpx.AsyncClient, reason: str = REASON, **overrides: str) -> dict[str, str]:
    return {**form_data(client, conferences_in_person="3", **overrides), "keyed_reason": reason}


def intake_bodies(fake: FakeServices) -> list[dict[str, Any]]:
    return [json.loads(r.content) for r in fake.requests if r.url.host == "intake"]


async def test_a_province_submitter_gets_the_form_to_key_the_communes_paper_report(
    browser: Browser,
) -> None:
    page = (await browser("hanoi").get(BASE)).text
    assert 'id="commune-read-only"' not in page
    assert "Nhập hộ báo cáo giấy của đơn vị 00070" in page
    assert "nhập hộ bởi đơn vị 01 — hanoi" in page
    reason = page.split('id="field-keyed-reason"')[1].split('<div class="field')[0]
    assert '<label for="keyed-reason">' in reason
    assert "Lý do nhập hộ" in reason
    assert "Ví dụ: xã gửi báo cáo giấy ngày 08/12 do mất kết nối" in reason
    assert re.search(r'<textarea id="keyed-reason" name="keyed_reason"[^>]*aria-required', reason)
    assert 'aria-describedby="keyed-reason-help"' in reason
    for form in ('id="report-form"', 'class="card csv-upload"'):
        assert 'name="csrf"' in page.split(form)[1].split("</form>")[0]
    assert 'hx-include="#keyed-reason"' in page  # the CSV upload carries the reason too


async def test_a_keyed_report_names_the_persons_token_subject_and_the_reason_in_nfc(
    browser: Browser, fake: FakeServices
) -> None:
    hanoi = browser("hanoi")
    typed = unicodedata.normalize("NFD", f"  {REASON}\n")
    checked = await hanoi.post(f"{BASE}/check", data=keyed_data(hanoi, typed), headers=HTMX)
    assert 'id="commune-checked"' in checked.text
    response = await hanoi.post(f"{BASE}/submit", data=keyed_data(hanoi, typed))
    assert response.status_code == 303
    keyed = {"unit": "01", "person": "person:hanoi", "reason": REASON}
    assert [(b["unit"], b["keyed_by"]) for b in intake_bodies(fake)] == [("00070", keyed)] * 2


@pytest.mark.parametrize(
    ("reason", "message"),
    [("", "Ghi lý do nhập hộ báo cáo này"), ("x" * 501, "Lý do dài quá 500 ký tự")],
    ids=["missing", "too long"],
)
async def test_a_missing_or_too_long_reason_is_refused_by_its_field_without_asking_intake(
    browser: Browser, fake: FakeServices, reason: str, message: str
) -> None:
    hanoi = browser("hanoi")
    for action in ("check", "submit"):
        response = await hanoi.post(f"{BASE}/{action}", data=keyed_data(hanoi, reason))
        assert response.status_code == 200
        page = response.text
        field = page.split('id="field-keyed-reason"')[1].split('<div class="field')[0]
        assert 'id="keyed-reason-error"' in field
        assert message in field
        assert 'aria-invalid="true"' in field
        assert 'aria-describedby="keyed-reason-help keyed-reason-error"' in field
        summary = page.split('id="commune-errors"')[1].split("</div>")[0]
        assert f'<a href="#keyed-reason">Lý do nhập hộ: {message}</a>' in summary
        assert 'value="1.200"' in page  # the figures kept as typed
    assert intake_bodies(fake) == []


async def test_a_csv_upload_on_the_keying_form_checks_with_the_reason(
    browser: Browser, fake: FakeServices
) -> None:
    hanoi = browser("hanoi")
    content = "indicator,value\n" + "".join(f"{k},{v}\n" for k, v in TYPED.items())
    response = await hanoi.post(
        f"{BASE}/csv",
        data={"csrf": hanoi.headers[CSRF_HEADER_FOR_TESTS], "keyed_reason": REASON},
        files={"file": ("baocao.csv", content.encode(), "text/csv")},
        headers=HTMX,
    )
    assert "phải bằng tổng số" in response.text
    (body,) = intake_bodies(fake)
    assert body["keyed_by"]["reason"] == REASON


async def test_the_receipt_verdict_and_histories_show_who_keyed_it_and_why(
    browser: Browser,
) -> None:
    hanoi = browser("hanoi")
    mark = f"Nhập hộ bởi đơn vị 01 — hanoi — Lý do: {REASON}"
    by_htmx = await hanoi.post(f"{BASE}/submit", data=keyed_data(hanoi), headers=HTMX)
    assert mark in by_htmx.text
    receipt_url = by_htmx.headers["HX-Push-Url"]
    receipt = (await hanoi.get(receipt_url)).text
    assert mark in receipt
    assert 'data-keyed-by="01"' in receipt
    for who in ("hanoi", "hoankiem"):  # the province, and the commune itself
        history = (await browser(who).get("/communes/00070/history")).text
        row = history.split('data-submission="form-id-0001"')[1].split("</tr>")[0]
        assert mark in row
    form = (await browser("hoankiem").get(BASE)).text
    current = form.split('id="commune-current-title"')[1].split("</section>")[0]
    assert mark in current
    english = browser("hoankiem")
    english.cookies.set("baocao_lang", "en")
    history = (await english.get("/communes/00070/history")).text
    assert f"Keyed in on its behalf by unit 01 — hanoi — Reason: {REASON}" in history


async def test_a_report_sent_by_the_commune_itself_has_no_mark(browser: Browser) -> None:
    client = browser("hoankiem")
    await client.post(f"{BASE}/submit", data=form_data(client, conferences_in_person="3"))
    history = (await client.get("/communes/00070/history")).text
    assert 'data-submission="form-id-0001"' in history
    assert "Nhập hộ bởi" not in history
    assert 'class="keyed-by"' not in history


async def test_another_provinces_keying_is_refused_by_intake_on_the_form(
    browser: Browser, fake: FakeServices
) -> None:
    hcm = browser("hcm")
    assert (await hcm.get(BASE)).status_code == 403  # the validator keeps the page from it
    response = await hcm.post(f"{BASE}/submit", data=keyed_data(hcm))
    assert response.status_code == 403
    assert 'data-reason="not_the_province"' in response.text
    assert "Đơn vị 00070 không thuộc tỉnh, thành phố của bạn" in response.text
    fragment = await hcm.post(f"{BASE}/check", data=keyed_data(hcm), headers=HTMX)
    assert fragment.status_code == 200  # htmx swaps only 2xx: the refusal is in the fragment
    assert 'data-reason="not_the_province"' in fragment.text
    assert {b["keyed_by"]["unit"] for b in intake_bodies(fake)} == {"79"}


async def test_a_keyed_report_is_corrected_on_the_keying_form_with_a_new_reason(
    browser: Browser, fake: FakeServices
) -> None:
    hanoi = browser("hanoi")
    await hanoi.post(f"{BASE}/submit", data=keyed_data(hanoi))
    page = (await hanoi.get(f"{BASE}?correct=1")).text
    assert 'name="corrects" value="form-id-0001"' in page
    assert re.search(r'name="v.conference_budget_planned"[^>]*value="50,5"', page, re.S)
    assert re.search(r'<textarea id="keyed-reason"[^>]*></textarea>', page, re.S)  # asked again
    data = {**keyed_data(hanoi, "Phường gửi bản giấy sửa số văn bản"), "v.docs_issued": "75"}
    data |= {"submission_id": "form-id-0002", "corrects": "form-id-0001"}
    data["corrects_at"] = RECEIVED_AT
    response = await hanoi.post(f"{BASE}/submit", data=data)
    assert response.status_code == 303
    body = intake_bodies(fake)[-1]
    assert body["keyed_by"]["reason"] == "Phường gửi bản giấy sửa số văn bản"
    assert body["values"]["docs_issued"] == 75


# Signed at 23:05 on the 9th, Vietnam time, inside a silence of the unit's edge the hub recorded
# from 17:00 on the 9th to 09:00 on the 10th; received at 09:12 on the 10th (RECEIVED_AT).
SIGNED_IN_SILENCE = {
    "at": "2026-12-09T16:05:00Z",
    "basis": "signed",
    "grounds": "offline",
    "quiet_from": "2026-12-09T10:00:00Z",
    "quiet_until": "2026-12-10T02:00:00Z",
}
COUNTED_FROM_SIGNED = (
    "Tính theo giờ ký: 23:05 09/12/2026 (đơn vị mất kết nối từ 17:00 09/12/2026 đến"
    " 09:00 10/12/2026; hệ thống nhận lúc 09:12 10/12/2026)"
)


async def pages_after_sending(browser: Browser) -> dict[str, str]:
    """Every page that shows the report's time, the commune's own view of them."""
    client = browser("hoankiem")
    sent = await client.post(f"{BASE}/submit", data=form_data(client, conferences_in_person="3"))
    receipt_url = sent.headers["location"]
    return {
        "receipt": (await client.get(receipt_url)).text,
        "verdict": (await client.get(receipt_url, headers=HTMX)).text,
        "history": (await client.get("/communes/00070/history")).text,
        "form": (await client.get(BASE)).text,
    }


async def test_a_report_counted_from_its_signed_time_says_so_with_both_times_and_the_silence(
    browser: Browser, fake: FakeServices
) -> None:
    fake.counted_from = SIGNED_IN_SILENCE
    pages = await pages_after_sending(browser)
    for name, page in pages.items():
        assert COUNTED_FROM_SIGNED in page, name
        assert page.count('data-counted-from="signed"') == 1, name
    row = pages["history"].split('data-submission="form-id-0001"')[1].split("</tr>")[0]
    assert COUNTED_FROM_SIGNED in row
    current = pages["form"].split('id="commune-current-title"')[1].split("</section>")[0]
    assert COUNTED_FROM_SIGNED in current
    english = browser("hoankiem")
    english.cookies.set("baocao_lang", "en")
    history = html.unescape((await english.get("/communes/00070/history")).text)
    assert (
        "Counted from its signed time: 23:05 09/12/2026 (the hub heard nothing from the unit's"
        " edge from 17:00 09/12/2026 to 09:00 10/12/2026; received 09:12 10/12/2026)"
    ) in history


@pytest.mark.parametrize("counted_from", [None, "received"])
async def test_a_report_counted_from_its_receipt_shows_nothing_new(
    browser: Browser, fake: FakeServices, counted_from: str | None
) -> None:
    if counted_from is not None:
        fake.counted_from = {"at": RECEIVED_AT, "basis": "received", "grounds": "no_quiet_spell"}
    pages = await pages_after_sending(browser)
    for name, page in pages.items():
        assert "Tính theo giờ ký" not in page, name
        assert "data-counted-from" not in page, name
    assert "10/12/2026 09:12:03" in pages["history"]


async def test_a_rejection_counted_from_its_signed_time_says_so_above_the_form(
    browser: Browser, fake: FakeServices
) -> None:
    fake.counted_from, fake.verdict = SIGNED_IN_SILENCE, "rejected"
    client = browser("hoankiem")
    sent = await client.post(f"{BASE}/submit", data=form_data(client, conferences_in_person="3"))
    verdict = (await client.get(sent.headers["location"], headers=HTMX)).text
    assert 'data-status="rejected"' in verdict
    assert verdict.index(COUNTED_FROM_SIGNED) < verdict.index('id="report-form"')
