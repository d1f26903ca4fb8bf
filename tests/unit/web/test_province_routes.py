"""The province routes in the real app over ASGI, with the services faked: scoped by the
services' answers, fragments for htmx, approval forms guarded by CSRF, refusals inline."""

from __future__ import annotations

import re
from pathlib import Path

import httpx
import pytest

from shared.identity import Role

from .people import CSRF_HEADER_FOR_TESTS, Browser, browser_for
from .test_province_fakes import PERIOD, REPORT_TYPE, FakeServices

PEOPLE = {
    "hanoi": ("01", frozenset({Role.READER, Role.APPROVER})),
    "hcm": ("79", frozenset({Role.READER, Role.APPROVER})),
    "trunguong": ("VN", frozenset({Role.READER, Role.APPROVER})),
    "hanoi-clerk": ("01", frozenset({Role.READER, Role.APPROVER, Role.SUBMITTER})),
}
BASE = f"/provinces/01/{REPORT_TYPE}/{PERIOD}"
HTMX = {"HX-Request": "true"}


@pytest.fixture
def fake() -> FakeServices:
    return FakeServices()


@pytest.fixture
def browser(tmp_path: Path, fake: FakeServices) -> Browser:
    """``browser(username)``: a client of the app signed in as that person."""
    return browser_for(tmp_path, fake.api(), PEOPLE)


def _csrf(client: httpx.AsyncClient) -> str:
    return client.headers[CSRF_HEADER_FOR_TESTS]


async def test_a_province_lands_on_its_first_report_type_in_the_current_period(
    browser: Browser,
) -> None:
    response = await browser("hanoi").get("/provinces/01")
    assert response.status_code == 303
    assert re.fullmatch(
        rf"/provinces/01/{REPORT_TYPE}/\d{{4}}-Q[1-4]", response.headers["location"]
    )


async def test_the_page_shows_statuses_targets_approval_and_downloads(browser: Browser) -> None:
    response = await browser("hanoi").get(BASE)
    assert response.status_code == 200
    page = response.text
    assert 'data-unit="00004" data-status="on_time"' in page
    assert 'data-unit="00005" data-status="rejected"' in page
    assert "<li>Không khớp</li>" in page
    assert f'href="/communes/00005/{REPORT_TYPE}/{PERIOD}"' in page
    assert 'data-target="docs_reduction_pct"' in page
    assert 'data-approval="open"' in page
    assert f'action="{BASE}/approval"' in page
    for ext in ("csv", "sdmx.json", "dhis2.json"):
        assert f'href="/exports/{REPORT_TYPE}/{PERIOD}/01.{ext}"' in page


async def test_a_status_filter_keeps_only_those_units(browser: Browser) -> None:
    response = await browser("hanoi").get(f"{BASE}/communes?status=on_time", headers=HTMX)
    rows = re.findall(r'<tr data-unit="(\w+)" data-status="(\w+)"', response.text)
    assert rows == [("00004", "on_time")]
    assert "<html" not in response.text


@pytest.mark.parametrize("fragment", ["", "/communes", "/late", "/targets", "/approvals"])
async def test_another_province_gets_the_service_refusal_and_none_of_the_data(
    browser: Browser, fake: FakeServices, fragment: str
) -> None:
    response = await browser("hcm").get(BASE + fragment)
    assert response.status_code == 403
    assert "Xã 0000" not in response.text
    assert "Hà Nội" not in response.text
    assert all(
        "79" not in r.url.path and "01" in str(r.url)
        for r in fake.requests
        if r.url.host != "intake"
    )


async def test_an_approval_by_htmx_returns_the_approvals_section(browser: Browser) -> None:
    hanoi = browser("hanoi")
    response = await hanoi.post(f"{BASE}/approval", headers={**HTMX, "X-CSRF-Token": _csrf(hanoi)})
    assert response.status_code == 200
    assert response.text.lstrip().startswith('<section id="approvals"')
    assert 'data-approval="approved"' in response.text
    assert 'role="status"' in response.text
    assert f'action="{BASE}/approval/withdraw"' in response.text


async def test_a_plain_approval_form_redirects_back_to_the_page(browser: Browser) -> None:
    hanoi = browser("hanoi")
    response = await hanoi.post(f"{BASE}/approval", data={"csrf": _csrf(hanoi)})
    assert response.status_code == 303
    assert response.headers["location"] == f"{BASE}#approvals"


async def test_an_approval_without_the_csrf_token_never_reaches_the_validator(
    browser: Browser, fake: FakeServices
) -> None:
    response = await browser("hanoi").post(f"{BASE}/approval", data={"csrf": "forged"})
    assert response.status_code == 403
    assert fake.calls("validator") == []


async def test_a_refused_withdrawal_is_shown_beside_the_buttons(
    browser: Browser, fake: FakeServices
) -> None:
    fake.approval, fake.refuse_step = "approved", (409, "accepted_by_central")
    hanoi = browser("hanoi")
    by_htmx = await hanoi.post(
        f"{BASE}/approval/withdraw",
        data={"reason": "Xã bổ sung"},
        headers={**HTMX, "X-CSRF-Token": _csrf(hanoi)},
    )
    assert by_htmx.status_code == 200  # htmx swaps only 2xx answers
    assert 'data-reason="accepted_by_central"' in by_htmx.text
    assert "Trung ương đã chấp nhận số liệu" in by_htmx.text
    plain = await hanoi.post(
        f"{BASE}/approval/withdraw", data={"reason": "Xã bổ sung", "csrf": _csrf(hanoi)}
    )
    assert plain.status_code == 409
    assert 'data-reason="accepted_by_central"' in plain.text
    assert 'id="communes"' in plain.text


async def test_central_is_offered_acceptance_of_an_approved_province(
    browser: Browser, fake: FakeServices
) -> None:
    fake.approval = "approved"
    central = browser("trunguong")
    page = (await central.get(BASE)).text
    assert f'action="{BASE}/acceptance"' in page
    response = await central.post(
        f"{BASE}/acceptance", headers={**HTMX, "X-CSRF-Token": _csrf(central)}
    )
    assert 'data-approval="accepted"' in response.text
    assert f'action="{BASE}/acceptance/withdraw"' in response.text
    assert 'name="reason" required' in response.text


async def test_a_late_unit_contacts_load_as_a_fragment(browser: Browser) -> None:
    response = await browser("hanoi").get(f"{BASE}/late/00005/contacts", headers=HTMX)
    assert response.status_code == 200
    assert "vanthu@00005.gov.vn" in response.text


async def test_without_htmx_a_late_unit_contacts_open_as_a_page_of_their_own(
    browser: Browser,
) -> None:
    response = await browser("hanoi").get(f"{BASE}/late/00005/contacts")
    assert response.status_code == 200
    assert "<html" in response.text
    assert "vanthu@00005.gov.vn" in response.text
    assert f'href="{BASE}#late"' in response.text


async def test_a_province_submitter_gets_a_link_to_key_each_communes_paper_report(
    browser: Browser,
) -> None:
    for path, headers in ((BASE, {}), (f"{BASE}/communes", HTMX)):
        page = (await browser("hanoi-clerk").get(path, headers=headers)).text
        links = re.findall(r'<a class="keying-link" href="([^"]+)">([^<]+)<span', page)
        assert links == [
            (f"/communes/{unit}/{REPORT_TYPE}/{PERIOD}#commune-keying", "Nhập hộ")
            for unit in ("00004", "00005", "00006")
        ]  # the province's own row has none
        assert '<span class="visually-hidden"> báo cáo giấy của Xã 00004</span>' in page


async def test_a_province_person_without_the_submitter_role_gets_no_keying_link(
    browser: Browser,
) -> None:
    page = (await browser("hanoi").get(BASE)).text
    assert "keying-link" not in page
    assert "Nhập hộ" not in page
