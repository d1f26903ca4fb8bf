"""A province's page in a real Chromium: its communes' status, approving and withdrawing with
Central's acceptance between, and another province refused by the services themselves.

Approval steps use lg2-monthly 2026-11, which no other browser test uses, so the seeded
kl226-quarterly 2026-Q4 reports stay open to revision whatever happens here.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import REJECTED_COMMUNE, SEEDED, Baocao, SignIn

pytestmark = pytest.mark.browser

PAGE = "/provinces/01/kl226-quarterly/2026-Q4"
APPROVING = "/provinces/01/lg2-monthly/2026-11"


def test_a_province_lands_on_its_page_with_its_communes_statuses(
    baocao: Baocao, sign_in: SignIn
) -> None:
    page = sign_in("hanoi")
    expect(page).to_have_url(re.compile(r"/provinces/01/[a-z0-9-]+/\d{4}"))
    page.goto(baocao.url(PAGE))
    communes = page.locator("#communes")
    for unit in SEEDED["01"]:
        expect(communes.locator(f'tr[data-unit="{unit}"] .badge')).to_have_text("Đúng hạn")
    expect(communes.locator('tr[data-unit="00004"] .badge')).to_have_text("Chưa nộp")
    expect(communes.locator('a[data-status="on_time"] .count')).to_have_text("5")
    # The filter (htmx, the address kept in step) leaves only the units on time.
    communes.get_by_role("link", name=re.compile("Đúng hạn")).click()
    expect(page).to_have_url(re.compile(r"\?status=on_time"))
    expect(page.locator("#communes tbody tr")).to_have_count(5)


def test_a_rejected_commune_shows_why_and_its_rejection_notice(
    baocao: Baocao, sign_in: SignIn
) -> None:
    page = sign_in("hanoi")
    page.goto(baocao.url(PAGE))
    status = page.locator(f'#communes tr[data-unit="{REJECTED_COMMUNE}"]')
    expect(status.locator(".badge")).to_have_text("Bị từ chối")
    expect(status.locator(".reasons")).to_contain_text(
        "Số hội nghị trực tiếp cộng trực tuyến phải bằng tổng số hội nghị"
    )
    expect(page.locator('#communes a[data-status="rejected"] .count')).to_have_text("1")
    # The late list has it too (no accepted report), with its notices a click away.
    late = page.locator(f'#late tr[data-unit="{REJECTED_COMMUNE}"]')
    late.get_by_text("Xem liên hệ và nhắc nhở").click()
    expect(late.locator(".unit-contacts")).to_contain_text(f"notify.{REJECTED_COMMUNE}")
    expect(late.locator(".unit-contacts")).to_contain_text("Thông báo báo cáo bị từ chối")


def test_approval_acceptance_and_their_withdrawal_each_leave_a_step_in_the_log(
    baocao: Baocao, sign_in: SignIn
) -> None:
    hanoi = sign_in("hanoi")
    hanoi.goto(baocao.url(APPROVING))
    approvals = hanoi.locator("#approvals")
    approvals.get_by_role("button", name="Phê duyệt", exact=True).click()
    expect(approvals.locator("[data-approval]")).to_have_text("Đã phê duyệt")
    expect(approvals.locator('tr[data-action="approve"]')).to_contain_text("01")

    central = sign_in("trunguong")
    central.goto(baocao.url(APPROVING))
    central.locator("#approvals").get_by_role("button", name="Chấp nhận", exact=True).click()
    expect(central.locator("#approvals [data-approval]")).to_have_text("Trung ương đã chấp nhận")

    # Accepted: the province is no longer offered a withdrawal, until Central withdraws.
    hanoi.reload()
    expect(approvals.get_by_role("button", name="Hủy phê duyệt")).to_have_count(0)
    central.locator("#approvals").get_by_label("Lý do hủy chấp nhận").fill("Tỉnh cần sửa")
    central.locator("#approvals").get_by_role("button", name="Hủy chấp nhận").click()
    expect(central.locator("#approvals [data-approval]")).to_have_text("Đã phê duyệt")

    hanoi.reload()
    approvals.get_by_label("Lý do hủy phê duyệt").fill("Phường Hoàn Kiếm bổ sung số liệu")
    approvals.get_by_role("button", name="Hủy phê duyệt").click()
    expect(approvals.locator("[data-approval]")).to_have_text("Chưa phê duyệt")
    log = approvals.locator("table.approval-log tbody tr")
    expect(log).to_have_count(4)
    expect(log.first).to_contain_text("Phường Hoàn Kiếm bổ sung số liệu")
    expect(approvals.locator('tr[data-action="unaccept"]')).to_contain_text("Tỉnh cần sửa")


def test_a_withdrawal_without_a_reason_is_refused_in_place(baocao: Baocao, sign_in: SignIn) -> None:
    hanoi = sign_in("hanoi")
    hanoi.goto(baocao.url("/provinces/01/lg2-monthly/2026-10"))
    approvals = hanoi.locator("#approvals")
    approvals.get_by_role("button", name="Phê duyệt", exact=True).click()
    reason = approvals.get_by_label("Lý do hủy phê duyệt")
    reason.fill("   ")  # passes the browser's `required`, not the validator
    approvals.get_by_role("button", name="Hủy phê duyệt").click()
    expect(approvals.get_by_role("alert")).to_contain_text("Cần ghi lý do.")
    approvals.get_by_label("Lý do hủy phê duyệt").fill("Kiểm tra lại")
    approvals.get_by_role("button", name="Hủy phê duyệt").click()
    expect(approvals.locator("[data-approval]")).to_have_text("Chưa phê duyệt")


@pytest.mark.parametrize("path", [PAGE, f"{PAGE}/communes", f"{PAGE}/approvals"])
def test_another_province_cannot_open_this_one_by_its_address(
    baocao: Baocao, sign_in: SignIn, path: str
) -> None:
    page = sign_in("hcm")
    response = page.goto(baocao.url(path))
    assert response is not None
    assert response.status == 403
    expect(page.get_by_role("alert")).to_contain_text("Bạn không có quyền")
    content = page.content()
    assert "Phường Ba Đình" not in content
    assert "Hà Nội" not in content
    assert not any(unit in content for unit in SEEDED["01"])
