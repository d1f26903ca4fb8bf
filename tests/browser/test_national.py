"""Central's national overview in a real Chromium: the 34 tiles with the seeded figures, the map
changing live after a report comes in, and a province refused the national view."""

from __future__ import annotations

import re
from typing import Any

import httpx
import pytest
from playwright.sync_api import expect

from shared.identity import Role
from tests.browser.conftest import PERIOD, REPORT_TYPE, Baocao, SignIn

pytestmark = pytest.mark.browser

NATIONAL = f"/national/{REPORT_TYPE}/{PERIOD}"


def _read(baocao: Baocao, path: str) -> Any:
    response = httpx.get(
        f"{baocao.stack.url('aggregator')}{path}",
        headers=baocao.issuer.headers("VN", [Role.READER]),
        timeout=10,
    )
    response.raise_for_status()
    return response.json()


def _province(baocao: Baocao, code: str) -> dict[str, Any]:
    national = _read(baocao, f"/v1/rollups/{REPORT_TYPE}/{PERIOD}")
    found: dict[str, Any] = next(c for c in national["children"] if c["unit"] == code)
    return found


def _a_missing_commune(baocao: Baocao, province: str) -> str:
    late = _read(baocao, f"/v1/late/{REPORT_TYPE}/{PERIOD}?province={province}")
    return str(
        next(
            u["unit"] for u in late["units"] if u["level"] == "commune" and u["status"] == "missing"
        )
    )


def test_central_signs_in_to_the_national_map_of_34_provinces(
    baocao: Baocao, sign_in: SignIn
) -> None:
    page = sign_in("trunguong")
    expect(page).to_have_url(re.compile(rf"/national/{REPORT_TYPE}/\d{{4}}-Q[1-4]$"))
    expect(page.locator(".nat-map .tile")).to_have_count(34)

    page.goto(baocao.url(NATIONAL))
    expect(page.locator(".nat-map .tile")).to_have_count(34)
    hanoi = _province(baocao, "01")["completeness"]
    assert hanoi["submitted"] >= 5  # the seeded reports
    tile = page.locator('.tile[data-unit="01"] a')
    expect(tile).to_contain_text("Hà Nội")
    expect(tile).to_have_attribute(
        "aria-label",
        re.compile(rf"^Thành phố Hà Nội: đã nộp {hanoi['submitted']}/{hanoi['expected']}, "),
    )
    expect(tile).to_have_attribute("href", f"/provinces/01/{REPORT_TYPE}/{PERIOD}")
    expect(page.locator('.tile[data-unit="04"]')).to_have_class(re.compile(r"\bband-none\b"))
    expect(page.get_by_role("heading", name="Tỉnh chậm hoặc chưa nộp")).to_be_visible()
    expect(page.locator('[data-target="docs_reduction_pct"]')).to_be_visible()
    expect(page.get_by_role("link", name="CSV")).to_have_attribute(
        "href", f"/exports/{REPORT_TYPE}/{PERIOD}.csv"
    )


def test_the_map_changes_live_when_a_report_comes_in(baocao: Baocao, sign_in: SignIn) -> None:
    page = sign_in("trunguong")
    page.goto(baocao.url(NATIONAL))
    before = _province(baocao, "79")["completeness"]
    tile = page.locator('.tile[data-unit="79"] a')
    expect(tile).to_have_attribute(
        "aria-label", re.compile(rf"đã nộp {before['submitted']}/{before['expected']},")
    )
    page.evaluate(
        "window.notReloaded = true;"
        " window.shownTime = document.querySelector('#national-updated').firstChild"
    )

    commune = _a_missing_commune(baocao, "79")
    baocao.wait_for_verdict(baocao.submit(commune)["submission_id"])

    expect(tile).to_have_attribute(
        "aria-label",
        re.compile(rf"đã nộp {before['submitted'] + 1}/{before['expected']},"),
        timeout=15_000,
    )
    assert page.evaluate("window.notReloaded") is True
    # The live region's text was rewritten with the map (the time has only seconds).
    assert page.evaluate(
        "document.querySelector('#national-updated').firstChild !== window.shownTime"
    )
    expect(page.locator("#national-updated")).to_contain_text("Cập nhật lúc")


def test_a_province_gets_a_403_page_for_the_national_view(baocao: Baocao, sign_in: SignIn) -> None:
    page = sign_in("hanoi")
    for path in (NATIONAL, f"{NATIONAL}/map", f"{NATIONAL}/late"):
        response = page.goto(baocao.url(path))
        assert response is not None
        assert response.status == 403, path
        expect(page.get_by_role("alert")).to_contain_text("không có quyền")
        expect(page.locator(".nat-map")).to_have_count(0)
    live = page.request.get(baocao.url(f"/live/{REPORT_TYPE}/{PERIOD}?unit=VN"))
    assert live.status == 403


def test_the_map_fits_a_phone(baocao: Baocao, sign_in: SignIn) -> None:
    page = sign_in("trunguong")
    page.set_viewport_size({"width": 360, "height": 740})
    page.goto(baocao.url(NATIONAL))
    expect(page.locator(".nat-map .tile")).to_have_count(34)
    # Read at once in the page: a live refresh may swap the map between two reads.
    left, right, page_width = page.evaluate(
        "(() => { const box = document.querySelector('.nat-map').getBoundingClientRect();"
        " return [box.left, box.right, document.documentElement.scrollWidth]; })()"
    )
    assert left >= 0
    assert right <= 360
    assert page_width <= 360
