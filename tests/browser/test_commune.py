"""A commune fills its report in a real Chromium: checks it, sees a rule's reason next to the
field, fixes it, sends it, reads the receipt and the verdict, corrects it, and finds both
submissions in its history; a CSV file fills the form. 00070 (hoankiem) has no report seeded
for 2026-Q4, so these tests are the first to send one."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import SignIn

pytestmark = pytest.mark.browser

FORM = "/communes/00070/kl226-quarterly/2026-Q4"
VALUES = {
    "docs_issued": "80",
    "docs_issued_prev_year": "100",
    "conferences_total": "10",
    "conferences_in_person": "4",  # 4 + 7 is not 10: the rule conferences_split fails
    "conferences_online": "7",
    "conferences_over_duration": "1",
    "procedures_total": "1.200",
    "procedures_online": "1.192",
    "reports_total": "20",
    "reports_over_network": "20",
    "conference_budget_planned": "50,5",
    "conference_budget_spent": "40,25",
}


def _fill(page: Page, values: dict[str, str]) -> None:
    for code, value in values.items():
        page.locator(f"#f-{code}").fill(value)


def test_a_commune_lands_on_its_report_form(sign_in: SignIn) -> None:
    page = sign_in("hoankiem")
    expect(page).to_have_url(re.compile(r"/communes/00070/kl226-quarterly/\d{4}-Q[1-4]$"))
    expect(page.get_by_role("heading", level=1)).to_contain_text("00070")
    field = page.get_by_label("Số hội nghị tổ chức trực tiếp")
    expect(field).to_have_attribute("inputmode", "numeric")
    expect(page.get_by_label("Kinh phí hội nghị đã chi")).to_have_attribute("inputmode", "decimal")
    expect(page.locator("#field-conferences_in_person")).to_contain_text("bắt buộc")
    help_text = page.locator("#f-docs_issued-help")
    expect(help_text).to_contain_text("sổ đăng ký văn bản đi")
    expect(page.locator("#f-docs_issued")).to_have_attribute(
        "aria-describedby", re.compile(r"\bf-docs_issued-help\b")
    )
    expect(page.locator("#field-conferences_in_person .rule")).to_contain_text(
        "phải bằng tổng số hội nghị"
    )


def test_check_fix_send_receipt_verdict_correct_and_history(sign_in: SignIn) -> None:
    page = sign_in("hoankiem")
    page.goto(page.url.split("/communes")[0] + FORM)
    expect(page.locator("#commune-deadline, .deadline")).to_contain_text("17/12/2026")
    _fill(page, VALUES)
    page.get_by_role("button", name="Kiểm tra").click()

    summary = page.locator("#commune-errors")
    expect(summary).to_be_focused()
    expect(summary.get_by_role("link")).to_contain_text(["Số hội nghị tổ chức trực tiếp"])
    field = page.locator("#field-conferences_in_person")
    expect(field.locator(".error-message")).to_contain_text("phải bằng tổng số hội nghị")
    expect(page.locator("#f-conferences_in_person")).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#f-procedures_total")).to_have_value("1.200")  # kept as typed

    page.locator("#f-conferences_in_person").fill("3")
    page.get_by_role("button", name="Kiểm tra").click()
    expect(page.locator("#commune-checked")).to_contain_text("đúng hạn")
    expect(page.locator(".error-message")).to_have_count(0)

    page.get_by_role("button", name="Gửi báo cáo").click()
    receipt_id = page.locator("#commune-receipt-id")
    expect(receipt_id).not_to_be_empty()
    first_id = receipt_id.inner_text()
    expect(page.locator("#commune-receipt-time")).to_have_text(
        re.compile(r"^\d{2}/\d{2}/\d{4} \d{2}:\d{2}:\d{2}$")
    )
    verdict = page.locator("#commune-verdict")
    expect(verdict).to_have_attribute("data-status", "accepted")
    expect(verdict).to_contain_text("Đúng hạn")

    verdict.get_by_role("link", name="Điều chỉnh báo cáo").click()
    expect(page.locator(".correction")).to_contain_text("bản điều chỉnh")
    expect(page.locator("#f-conference_budget_planned")).to_have_value("50,5")
    page.locator("#f-docs_issued").fill("75")
    page.get_by_role("button", name="Gửi báo cáo").click()
    expect(page.locator("#commune-verdict")).to_have_attribute("data-status", "accepted")
    second_id = page.locator("#commune-receipt-id").inner_text()
    assert second_id != first_id

    page.get_by_role("link", name="Lịch sử gửi báo cáo").first.click()
    rows = page.locator("#commune-history tbody tr")
    expect(rows).to_have_count(2)
    expect(page.locator(f'tr[data-submission="{first_id}"]')).to_have_attribute(
        "data-status", "superseded"
    )
    expect(page.locator(f'tr[data-submission="{second_id}"]')).to_have_attribute(
        "data-status", "accepted"
    )


def test_a_csv_file_fills_the_form_and_checks_it(sign_in: SignIn, tmp_path: Path) -> None:
    page = sign_in("hoankiem")
    page.goto(page.url.split("/communes")[0] + FORM)
    lines = ["chỉ tiêu;giá trị"] + [f"{code};{value}" for code, value in VALUES.items()]
    upload = tmp_path / "baocao.csv"
    upload.write_bytes(("\ufeff" + "\r\n".join(lines) + "\r\n").encode("utf-8"))
    page.get_by_label("Chọn tệp CSV").set_input_files(str(upload))
    page.get_by_role("button", name="Điền từ tệp").click()
    expect(page.locator("#f-conference_budget_spent")).to_have_value("40,25")
    expect(page.locator("#f-procedures_online")).to_have_value("1.192")
    # Filled and checked, not sent: the rule's reason is next to its field.
    expect(page.locator("#field-conferences_in_person .error-message")).to_be_visible()
    expect(page.locator("#commune-receipt-id")).to_have_count(0)


def test_central_views_a_commune_read_only(sign_in: SignIn) -> None:
    # Central's official reads every commune; without the submitter role they key nothing.
    page = sign_in("trunguong")
    page.goto(page.url.split("/national")[0] + "/communes/00073/kl226-quarterly/2026-Q4")
    expect(page.locator("#commune-read-only")).to_contain_text("chỉ xem")
    expect(page.locator("#report-form")).to_have_count(0)
    page.get_by_role("link", name="Lịch sử gửi báo cáo").click()
    expect(page.locator('#commune-history tr[data-status="rejected"]')).to_have_count(1)
