"""Every page, fragment, stream, download and form of the web app is refused to a person it is
not theirs, and to no one signed in; the services decide, and the web app shows their answer.

Each attempt goes into the suite's security ledger (tests/ledger.py), whose tally the run
prints at its end.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import APIRequestContext, Browser

from tests.browser.conftest import PERIOD, REPORT_TYPE, SEEDED, Baocao, SignIn
from tests.ledger import LEDGER

pytestmark = pytest.mark.browser

RP = f"{REPORT_TYPE}/{PERIOD}"
HANOI = f"/provinces/01/{RP}"
HTMX = {"HX-Request": "true"}

# What Hồ Chí Minh City's official may not open: Hà Nội's, a Hà Nội commune's, the nation's.
NOT_FOR_A_PROVINCE = [
    HANOI,
    f"{HANOI}/communes",
    f"{HANOI}/late",
    f"{HANOI}/late/00073/contacts",
    f"{HANOI}/targets",
    f"{HANOI}/approvals",
    f"/communes/00073/{RP}",
    "/communes/00073/history",
    f"/national/{RP}",
    f"/national/{RP}/map",
    f"/national/{RP}/targets",
    f"/national/{RP}/late",
    f"/national/{RP}/trend",
    f"/live/{RP}?unit=VN",
    f"/live/{RP}?unit=01",
    f"/exports/{RP}.csv",
    f"/exports/{RP}/01.csv",
    f"/exports/{RP}/00073.dhis2.json",
]
# What Phường Ba Đình's clerk may not open: another commune's, its province's, the nation's.
NOT_FOR_A_COMMUNE = [
    f"/communes/00073/{RP}",
    "/communes/00073/history",
    HANOI,
    f"{HANOI}/communes",
    f"{HANOI}/approvals",
    f"/national/{RP}",
    f"/live/{RP}?unit=01",
    f"/exports/{RP}/01.csv",
    f"/exports/{RP}/00073.csv",
]


def _get(request: APIRequestContext, url: str, fragment: bool) -> int:
    response = request.get(url, headers=HTMX if fragment else {}, max_redirects=0)
    return response.status


@pytest.mark.parametrize(
    ("username", "paths"),
    [("hcm", NOT_FOR_A_PROVINCE), ("badinh", NOT_FOR_A_COMMUNE)],
    ids=["a province", "a commune"],
)
def test_nothing_of_another_unit_opens_by_url(
    baocao: Baocao, sign_in: SignIn, username: str, paths: list[str]
) -> None:
    request = sign_in(username).request
    let_in = []
    for path in paths:
        for fragment in (False, True):
            status = _get(request, baocao.url(path), fragment)
            refused = status == 403
            LEDGER.record(f"web: {username} GET {path} (htmx={fragment})", refused)
            if not refused:
                let_in.append((path, fragment, status))
    assert let_in == []


def test_no_form_of_another_unit_is_taken(baocao: Baocao, sign_in: SignIn) -> None:
    page = sign_in("hcm")
    csrf = page.locator("input[name=csrf]").first.get_attribute("value")
    assert csrf
    attempts: dict[str, dict[str, str | float | bool]] = {
        f"{HANOI}/approval": {"csrf": csrf},
        f"{HANOI}/approval/withdraw": {"csrf": csrf, "reason": "thử"},
        # A province's submitter gets a keying form for any commune; intake refuses a commune
        # not of its province (not_the_province), with the reason given or not.
        f"/communes/00073/{RP}/check": {
            "csrf": csrf,
            "submission_id": "scope-test-0001",
            "keyed_reason": "thử nhập hộ",
        },
        f"/communes/00073/{RP}/submit": {
            "csrf": csrf,
            "submission_id": "scope-test-0002",
            "keyed_reason": "thử nhập hộ",
        },
    }
    for path, form in attempts.items():
        response = page.request.post(baocao.url(path), form=form, max_redirects=0)
        refused = response.status == 403
        LEDGER.record(f"web: hcm POST {path}", refused)
        assert refused, (path, response.status)
    # A report signed offline by a browser passes only for the clerk's own commune.
    signed = f"/communes/00073/{RP}/submit-signed"
    response = page.request.post(
        baocao.url(signed),
        data=b'{"unit": "00073"}',
        headers={"X-CSRF-Token": csrf, "Content-Type": "application/json"},
        max_redirects=0,
    )
    LEDGER.record(f"web: hcm POST {signed}", response.status == 403)
    assert response.status == 403, (signed, response.status)


def test_a_form_without_the_sessions_csrf_token_is_refused(baocao: Baocao, sign_in: SignIn) -> None:
    page = sign_in("hanoi")
    response = page.request.post(
        baocao.url(f"{HANOI}/approval"), form={"csrf": "not-the-token"}, max_redirects=0
    )
    LEDGER.record("web: POST without the session's CSRF token", response.status == 403)
    assert response.status == 403
    assert "csrf_token_mismatch" in response.text()


def test_signed_out_every_page_sends_to_sign_in(baocao: Baocao, browser: Browser) -> None:
    context = browser.new_context()
    try:
        for path in [*NOT_FOR_A_PROVINCE, f"/communes/{SEEDED['01'][0]}/{RP}"]:
            page_answer = context.request.get(baocao.url(path), max_redirects=0)
            fragment = context.request.get(baocao.url(path), headers=HTMX, max_redirects=0)
            refused = (
                page_answer.status == 303
                and re.search(r"/sign-in", page_answer.headers["location"]) is not None
                and fragment.status == 401
            )
            LEDGER.record(f"web: signed out GET {path}", refused)
            assert refused, (path, page_answer.status, fragment.status)
    finally:
        context.close()
