"""`baocao screenshots DIR` (`make screenshots`): every view of the web app with a simulated
round's data, as PNG files for docs/web.md.

It starts the whole system in a temporary directory (as `make run` does), drives the simulated
national round of the current quarter, then signs in as Central, a province and a commune in a
real headless Chromium and photographs each page, at desktop and at phone width.
``--only NAME`` (repeatable) takes only those pictures.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import tempfile
from collections.abc import Callable, Collection
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from playwright.sync_api import Browser, Page, sync_playwright

from baocao.accounts_cli import signing_in
from baocao.dev_accounts import ensure_dev_accounts
from baocao.stack import Stack
from baocao.up import run_round
from services.web.settings import WebSettings
from shared.periods import VIETNAM, Period, Periodicity

REPORT_TYPE = "kl226-quarterly"
MONTHLY_TYPE = "lg2-monthly"  # the round leaves it unsent: a commune's paper report to key
DESKTOP = {"width": 1280, "height": 900}
TALL = {"width": 1280, "height": 2400}
PHONE = {"width": 390, "height": 844}


@dataclass(frozen=True)
class Shot:
    name: str
    username: str
    path: str
    viewport: dict[str, int]
    act: Callable[[Page], None] | None = None
    # The whole page, or what the screen shows (a phone's, or a province's first 130 communes
    # out of hundreds: a picture of every row would be taller than anyone reads).
    full_page: bool = True


# A clerk's figures, typed the Vietnamese way, with one slip: 4 in person + 7 online is not 10.
TYPED = {
    "docs_issued": "80",
    "docs_issued_prev_year": "100",
    "conferences_total": "10",
    "conferences_in_person": "4",
    "conferences_online": "7",
    "conferences_over_duration": "1",
    "procedures_total": "1.200",
    "procedures_online": "1.150",
    "reports_total": "20",
    "reports_over_network": "20",
    "conference_budget_planned": "50,5",
    "conference_budget_spent": "40,25",
}


def _check_with_a_mistake(page: Page) -> None:
    """The commune form after "Kiểm tra", the rule's reason beside the field it concerns."""
    for code, value in TYPED.items():
        page.locator(f"#f-{code}").fill(value)
    page.get_by_role("button", name="Kiểm tra").click()
    page.wait_for_selector("#commune-errors, [aria-invalid=true]", timeout=15_000)


# Hà Nội's official typing in Phường Ba Đình's paper report of the month.
PAPER_REPORT = {
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
}
KEYING_REASON = "Phường gửi báo cáo giấy ngày 08/12 do mất kết nối mạng"


def _key_a_paper_report(page: Page) -> None:
    """The keying form with the paper report's figures and the reason typed in, not sent."""
    page.get_by_label("Lý do nhập hộ").fill(KEYING_REASON)
    for code, value in PAPER_REPORT.items():
        page.locator(f"#f-{code}").fill(value)


def shots(period: str, month: str) -> list[Shot]:
    national = f"/national/{REPORT_TYPE}/{period}"
    province = f"/provinces/01/{REPORT_TYPE}/{period}"
    commune = f"/communes/00004/{REPORT_TYPE}/{period}"
    keying = f"/communes/00004/{MONTHLY_TYPE}/{month}"
    return [
        Shot("sign-in", "", "/sign-in", DESKTOP),
        Shot("national", "trunguong", national, DESKTOP),
        Shot("national-phone", "trunguong", national, PHONE, full_page=False),
        Shot("province", "hanoi", province, TALL, full_page=False),
        Shot("province-late", "hanoi", f"{province}?status=late&status=missing", DESKTOP),
        Shot("province-phone", "hanoi", province, PHONE, full_page=False),
        Shot("commune-form", "badinh", commune, DESKTOP),
        Shot("commune-check", "badinh", commune, DESKTOP, _check_with_a_mistake),
        Shot("commune-form-phone", "badinh", commune, PHONE, full_page=False),
        Shot("commune-history", "badinh", "/communes/00004/history", DESKTOP),
        Shot("commune-keying", "hanoi", keying, DESKTOP, _key_a_paper_report),
    ]


def _photograph(
    browser: Browser, base_url: str, passwords: dict[str, str], shot: Shot, out: Path
) -> None:
    context = browser.new_context(locale="vi-VN", viewport=shot.viewport)  # type: ignore[arg-type]
    context.set_default_timeout(20_000)
    try:
        page = context.new_page()
        if shot.username:
            page.goto(f"{base_url}/sign-in")
            page.get_by_label("Tên đăng nhập").fill(shot.username)
            page.get_by_label("Mật khẩu").fill(passwords[shot.username])
            page.get_by_role("button", name="Đăng nhập").click()
            page.wait_for_url(lambda url: "/sign-in" not in url)
        page.goto(f"{base_url}{shot.path}")
        page.wait_for_load_state("networkidle")
        if shot.act is not None:
            shot.act(page)
        page.screenshot(path=str(out / f"{shot.name}.png"), full_page=shot.full_page)
    finally:
        context.close()


def take(out: Path, say: Callable[[str], Any] = print, only: Collection[str] = ()) -> int:
    chromium = shutil.which("chromium")
    if chromium is None:
        say("Chromium is missing: run `make chromium` (docs/web.md)")
        return 2
    run_dir = Path(tempfile.mkdtemp(prefix="baocao-screenshots-"))
    env = dict(os.environ, BAOCAO_CLOCK="shared", NOTIFIER_TICK_SECONDS="0.5")
    for name in ("NATS_URL", "DATABASE_URL"):
        env.pop(name, None)
    stack = Stack(run_dir, env, random_ports=True, web=True, say=say)
    today = datetime.now(VIETNAM).date()
    period = Period.containing(today, Periodicity.QUARTERLY).label
    month = Period.containing(today, Periodicity.MONTHLY).label
    wanted = [s for s in shots(period, month) if not only or s.name in only]
    if not wanted:
        say(f"no such screenshot: {', '.join(only)}")
        return 2
    try:
        stack.start()
        if not asyncio.run(run_round(stack)):
            say("the simulated round did not match its oracle; no screenshots taken")
            return 1
        passwords = ensure_dev_accounts(
            signing_in(WebSettings.model_validate(stack.env)), run_dir / "identity"
        )
        out.mkdir(parents=True, exist_ok=True)
        with sync_playwright() as driver:
            browser = driver.chromium.launch(executable_path=chromium, headless=True)
            for shot in wanted:
                _photograph(browser, stack.url("web"), passwords, shot, out)
                say(f"  {out / shot.name}.png")
            browser.close()
    finally:
        stack.stop()
        shutil.rmtree(run_dir, ignore_errors=True)
    return 0


def add_commands(commands: Any) -> None:
    command = commands.add_parser(
        "screenshots",
        help="photograph every web view with a simulated round's data (make screenshots)",
    )
    command.add_argument("directory", nargs="?", default="docs/screenshots")
    command.add_argument(
        "--only", action="append", default=[], metavar="NAME", help="only this picture"
    )
    command.set_defaults(run=_run)


def _run(args: argparse.Namespace) -> int:
    return take(Path(args.directory), only=args.only)
