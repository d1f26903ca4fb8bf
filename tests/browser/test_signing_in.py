"""People sign in through the real form, in a real Chromium, and land on their unit's page."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Browser, expect

from tests.browser.conftest import Baocao, SignIn

pytestmark = pytest.mark.browser


@pytest.mark.parametrize(
    ("username", "home"),
    [("trunguong", "/national"), ("hanoi", "/provinces/01"), ("badinh", "/communes/00004")],
)
def test_each_level_signs_in_and_lands_on_its_own_page(
    sign_in: SignIn, username: str, home: str
) -> None:
    page = sign_in(username)
    assert home in page.url
    expect(page.get_by_role("button", name="Đăng xuất")).to_be_visible()


def test_a_wrong_password_is_refused_without_saying_whether_the_user_exists(
    baocao: Baocao, browser: Browser
) -> None:
    context = browser.new_context(locale="vi-VN")
    try:
        page = context.new_page()
        for username in ("hanoi", "nobody-here"):
            page.goto(baocao.url("/sign-in"))
            page.get_by_label("Tên đăng nhập").fill(username)
            page.get_by_label("Mật khẩu").fill("not the password at all")
            page.get_by_role("button", name="Đăng nhập").click()
            expect(page.get_by_role("alert")).to_have_text(
                "Tên đăng nhập hoặc mật khẩu không đúng."
            )
        assert context.cookies() == [] or all(
            not c["name"].startswith(("baocao_session", "__Host-baocao"))
            or c["name"].endswith("signin")
            for c in context.cookies()
        )
    finally:
        context.close()


def test_the_session_cookie_is_httponly_and_samesite(sign_in: SignIn) -> None:
    page = sign_in("hanoi")
    session = [c for c in page.context.cookies() if c["name"] == "baocao_session"]
    assert len(session) == 1
    assert session[0]["httpOnly"] is True
    assert session[0]["sameSite"] == "Lax"


def test_signing_out_ends_the_session(baocao: Baocao, sign_in: SignIn) -> None:
    page = sign_in("hanoi")
    page.get_by_role("button", name="Đăng xuất").click()
    expect(page).to_have_url(re.compile(r"/sign-in$"))
    page.goto(baocao.url("/"))  # signed in, this would be Hà Nội's page
    expect(page).to_have_url(re.compile(r"/sign-in$"))


def test_english_can_be_switched_on(sign_in: SignIn) -> None:
    page = sign_in("hanoi")
    page.get_by_role("button", name="English").click()
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()
    expect(page.locator("html")).to_have_attribute("lang", "en")
