"""A province's official keys a commune's paper report on its behalf, in a real Chromium: from
the province page to the commune's form, a reason required, checked, sent, the receipt and the
verdict, and the mark (who keyed it, for which unit, why) in the history the province and the
commune itself read; another province's official is refused.

Phường Ba Đình (00004, account badinh) keys lg2-monthly 2026-12, which no other browser test
sends (they count on 00004 missing kl226-quarterly 2026-Q4, and approve lg2-monthly 2026-10
and 2026-11 only); 2026-12 is open and on time on the shared clock (due 21/12/2026).
"""

from __future__ import annotations

import re
import unicodedata

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import Baocao, SignIn
from tests.ledger import LEDGER

pytestmark = pytest.mark.browser

COMMUNE = "00004"
REPORT = "lg2-monthly/2026-12"
FORM = f"/communes/{COMMUNE}/{REPORT}"
REASON = "Phường gửi báo cáo giấy ngày 08/12 do mất kết nối mạng"
MARK = f"Nhập hộ bởi đơn vị 01 — hanoi — Lý do: {REASON}"
VALUES = {
    "staff_positions": "120",
    "staff_in_post": "112",
    "key_posts_vacant": "2",
    "training_sessions": "3",
    "staff_trained": "85",
    "procedures_received": "1.450",
    "procedures_on_time": "1.420",
    "procedures_online": "1.390",
    "procedures_non_territorial": "210",
    "digital_signatures_issued": "40",
    "vacant_buildings": "1",
    "citizen_satisfaction_pct": "96,5",
    "network_outage_hours": "30",
}


def _fill(page: Page) -> None:
    for code, value in VALUES.items():
        page.locator(f"#f-{code}").fill(value)


def test_a_province_keys_a_communes_paper_report_and_both_see_who_and_why(
    baocao: Baocao, sign_in: SignIn
) -> None:
    hanoi = sign_in("hanoi")
    hanoi.goto(baocao.url(f"/provinces/01/{REPORT}"))
    row = hanoi.locator(f'#communes tr[data-unit="{COMMUNE}"]')
    row.get_by_role("link", name=re.compile(r"^Nhập hộ báo cáo giấy của")).click()
    expect(hanoi).to_have_url(re.compile(rf"{FORM}#commune-keying$"))
    expect(hanoi.locator("#commune-keying")).to_contain_text(
        f"Nhập hộ báo cáo giấy của đơn vị {COMMUNE}"
    )
    expect(hanoi.locator("#commune-read-only")).to_have_count(0)

    # No reason: refused by the reason's field, before intake is asked.
    _fill(hanoi)
    hanoi.get_by_role("button", name="Kiểm tra").click()
    expect(hanoi.locator("#commune-errors")).to_be_focused()
    expect(hanoi.locator("#keyed-reason-error")).to_contain_text("Ghi lý do nhập hộ")
    reason = hanoi.get_by_label("Lý do nhập hộ")
    expect(reason).to_have_attribute("aria-invalid", "true")
    expect(hanoi.locator("#f-procedures_received")).to_have_value("1.450")  # kept as typed

    # Typed decomposed, as some keyboards send Vietnamese: stored composed (NFC).
    reason.fill(unicodedata.normalize("NFD", REASON))
    hanoi.get_by_role("button", name="Kiểm tra").click()
    expect(hanoi.locator("#commune-checked")).to_contain_text("đúng hạn")
    hanoi.get_by_role("button", name="Gửi báo cáo").click()

    receipt = hanoi.locator(".receipt")
    expect(hanoi.locator("#commune-receipt-id")).not_to_be_empty()
    submission_id = hanoi.locator("#commune-receipt-id").inner_text()
    expect(receipt.locator(".keyed-by")).to_have_text(MARK)
    expect(hanoi.locator("#commune-verdict")).to_have_attribute("data-status", "accepted")
    verdict = baocao.wait_for_verdict(submission_id)
    assert verdict["keyed_by"] == {"unit": "01", "person": "person:hanoi", "reason": REASON}

    hanoi.get_by_role("link", name="Lịch sử gửi báo cáo").first.click()
    keyed_row = hanoi.locator(f'#commune-history tr[data-submission="{submission_id}"]')
    expect(keyed_row).to_have_attribute("data-status", "accepted")
    expect(keyed_row.locator(".keyed-by")).to_have_text(MARK)

    # The commune sees it on its own history and its form, marked as keyed for it.
    badinh = sign_in("badinh")
    badinh.goto(baocao.url(f"/communes/{COMMUNE}/history?report_type=lg2-monthly"))
    own_row = badinh.locator(f'#commune-history tr[data-submission="{submission_id}"]')
    expect(own_row.locator(".keyed-by")).to_have_text(MARK)
    badinh.goto(baocao.url(FORM))
    expect(badinh.locator(".commune-current .keyed-by")).to_have_text(MARK)
    expect(badinh.locator("#commune-keying")).to_have_count(0)


def test_another_provinces_official_is_refused_the_communes_keying_form(
    baocao: Baocao, sign_in: SignIn
) -> None:
    hcm = sign_in("hcm")
    opened = hcm.goto(baocao.url(FORM))
    assert opened is not None
    LEDGER.record(f"web: hcm GET {FORM} (keying form)", opened.status == 403)
    assert opened.status == 403
    expect(hcm.locator("#report-form")).to_have_count(0)
    hcm.goto(baocao.url("/provinces/79"))
    csrf = hcm.locator("input[name=csrf]").first.get_attribute("value")
    assert csrf
    for action in ("check", "submit"):
        response = hcm.request.post(
            baocao.url(f"{FORM}/{action}"),
            form={"csrf": csrf, "submission_id": f"keying-hcm-{action}", "keyed_reason": REASON},
            max_redirects=0,
        )
        refused = response.status == 403 and 'data-reason="not_the_province"' in response.text()
        LEDGER.record(f"web: hcm POST {FORM}/{action} (keying another province's commune)", refused)
        assert refused, (action, response.status)
