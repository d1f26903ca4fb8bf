"""Every view meets WCAG 2.1 AA as axe-core checks it (axe-core 4.12, bundled by
axe-playwright-python), in the real Chromium, signed in as the people who use it.

axe-core finds what a machine can: names, labels, contrast, structure, ARIA. Keyboard use is
shown by the tests that drive the pages through their labelled controls; what only a person can
judge (is a text clear?) is not claimed here.
"""

from __future__ import annotations

from typing import Any

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Browser, Page

from tests.browser.conftest import PERIOD, REPORT_TYPE, Baocao, SignIn

pytestmark = pytest.mark.browser

WCAG_21_AA = {
    "runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]},
    "resultTypes": ["violations"],
}


def violations(page: Page) -> list[str]:
    results: Any = Axe().run(page, options=WCAG_21_AA)
    return [
        f"{v['id']} ({v['impact']}): {[n['target'] for n in v['nodes']][:5]}"
        for v in results.response["violations"]
    ]


@pytest.mark.parametrize(
    ("username", "path"),
    [
        ("trunguong", f"/national/{REPORT_TYPE}/{PERIOD}"),
        ("hanoi", f"/provinces/01/{REPORT_TYPE}/{PERIOD}"),
        ("badinh", f"/communes/00004/{REPORT_TYPE}/{PERIOD}"),
        ("badinh", "/communes/00004/history"),
        ("hanoi", f"/communes/00004/{REPORT_TYPE}/{PERIOD}"),
    ],
    ids=["national", "province", "commune-form", "commune-history", "keying-form"],
)
def test_each_view_meets_wcag_21_aa(
    baocao: Baocao, sign_in: SignIn, username: str, path: str
) -> None:
    page = sign_in(username)
    page.goto(baocao.url(path))
    page.wait_for_load_state("networkidle")
    assert violations(page) == []


def test_the_sign_in_page_meets_wcag_21_aa(baocao: Baocao, browser: Browser) -> None:
    context = browser.new_context(locale="vi-VN")
    try:
        page = context.new_page()
        page.goto(baocao.url("/sign-in"))
        assert violations(page) == []
    finally:
        context.close()


def test_a_checked_form_with_its_errors_meets_wcag_21_aa(baocao: Baocao, sign_in: SignIn) -> None:
    page = sign_in("badinh")
    page.goto(baocao.url(f"/communes/00004/{REPORT_TYPE}/{PERIOD}"))
    page.locator("#f-conferences_total").fill("10")
    page.get_by_role("button", name="Kiểm tra").click()
    page.locator("#commune-errors").wait_for()
    assert violations(page) == []


def test_a_keying_form_refused_for_want_of_a_reason_meets_wcag_21_aa(
    baocao: Baocao, sign_in: SignIn
) -> None:
    page = sign_in("hanoi")
    page.goto(baocao.url(f"/communes/00004/{REPORT_TYPE}/{PERIOD}"))
    page.get_by_role("button", name="Kiểm tra").click()
    page.locator("#keyed-reason-error").wait_for()
    assert violations(page) == []
