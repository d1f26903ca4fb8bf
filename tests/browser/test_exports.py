"""Every view's data downloads as CSV, SDMX-JSON and DHIS2 dataValueSet, scoped as the API is."""

from __future__ import annotations

import json

import pytest

from tests.browser.conftest import PERIOD, REPORT_TYPE, SEEDED, Baocao, SignIn

pytestmark = pytest.mark.browser


def test_central_downloads_the_national_table_in_three_formats(
    baocao: Baocao, sign_in: SignIn
) -> None:
    page = sign_in("trunguong")
    base = baocao.url(f"/exports/{REPORT_TYPE}/{PERIOD}")
    csv = page.request.get(f"{base}.csv")
    assert csv.status == 200
    assert "attachment" in csv.headers["content-disposition"]
    assert "Thành phố Hà Nội" in csv.text()
    sdmx = json.loads(page.request.get(f"{base}.sdmx.json").text())
    assert "data" in sdmx
    dhis2 = json.loads(page.request.get(f"{base}.dhis2.json").text())
    assert dhis2["dataValues"]


def test_a_province_downloads_its_own_communes_but_not_another_provinces(
    baocao: Baocao, sign_in: SignIn
) -> None:
    page = sign_in("hanoi")
    own = page.request.get(baocao.url(f"/exports/{REPORT_TYPE}/{PERIOD}/01.csv"))
    assert own.status == 200
    assert SEEDED["01"][0] in own.text()
    other = page.request.get(baocao.url(f"/exports/{REPORT_TYPE}/{PERIOD}/79.csv"))
    assert other.status == 403
    assert SEEDED["79"][0] not in other.text()
    national = page.request.get(baocao.url(f"/exports/{REPORT_TYPE}/{PERIOD}.csv"))
    assert national.status == 403


def test_an_unknown_format_is_not_found(baocao: Baocao, sign_in: SignIn) -> None:
    page = sign_in("trunguong")
    assert page.request.get(baocao.url(f"/exports/{REPORT_TYPE}/{PERIOD}.xlsx")).status == 404
