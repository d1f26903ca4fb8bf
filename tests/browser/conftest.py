"""Browser tests: the whole system as processes (the Stack `make run` starts, web app included)
and a real headless Chromium, Debian's `chromium` package driven by Playwright.

`make test` installs Chromium first when it is missing (README, docs/web.md); a run without it
fails here with the command to run, rather than skipping what the issue asks to be tested.

The services follow a shared clock set to 2026-12-10 09:00 Vietnam time (before the communes'
deadline of 17/12 for 2026-Q4), advancing in real time. Seeded before any test:
- accepted kl226-quarterly 2026-Q4 reports, on time, from the communes in ``SEEDED`` (five of
  Hà Nội, 01, and five of TP Hồ Chí Minh, 79);
- one rejected report from 00073 (Hà Nội): in-person plus online conferences do not add up.
Every other unit is missing, 00004 (badinh) and 00070 (hoankiem) included; the commune tests
then send 00070's report through the form, so no test may count on 00070 missing.

The system, the accounts and the browser are shared by the package's tests and torn down after
it, so Playwright's own event loop is gone before the async tests of other packages run.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import nats
import pytest
from playwright.sync_api import Browser, Page, Playwright, sync_playwright

from baocao.accounts_cli import signing_in
from baocao.stack import Stack
from services.web.settings import WebSettings
from shared.clock import ClockSegment
from shared.clock_sync import append_segment
from shared.identity import Role
from shared.identity.issuer import LocalIssuer
from shared.registry.seed import units_from_package
from tests.integration.system import kl226_values

REPORT_TYPE, PERIOD = "kl226-quarterly", "2026-Q4"
ROUND_TIME = datetime(2026, 12, 10, 2, 0, tzinfo=UTC)  # 09:00 in Vietnam
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ACCOUNTS: dict[str, tuple[str, frozenset[Role], str]] = {
    "trunguong": ("VN", frozenset({Role.READER, Role.APPROVER}), "Văn phòng Trung ương"),
    "hanoi": ("01", frozenset({Role.READER, Role.APPROVER, Role.SUBMITTER}), "Sở Nội vụ Hà Nội"),
    "hcm": ("79", frozenset({Role.READER, Role.APPROVER, Role.SUBMITTER}), "Sở Nội vụ TP HCM"),
    "badinh": ("00004", frozenset({Role.SUBMITTER}), "UBND phường Ba Đình"),
    "hoankiem": ("00070", frozenset({Role.SUBMITTER}), "UBND phường Hoàn Kiếm"),
}
REJECTED_COMMUNE = "00073"
UNSEEDED = frozenset({"00004", "00070", REJECTED_COMMUNE})


def _communes_of(province: str) -> list[str]:
    return sorted(
        u.code
        for u in units_from_package()
        if u.province == province and u.level.value == "commune" and u.code not in UNSEEDED
    )


SEEDED = {"01": _communes_of("01")[:5], "79": _communes_of("79")[:5]}


@dataclass
class Baocao:
    """The running system as a browser test sees it."""

    stack: Stack
    passwords: dict[str, str] = field(default_factory=dict)

    @property
    def web_url(self) -> str:
        return self.stack.url("web")

    def url(self, path: str) -> str:
        return f"{self.web_url}{path}"

    @property
    def issuer(self) -> LocalIssuer:
        return self.stack.issuer

    def headers(self, unit: str) -> dict[str, str]:
        return self.issuer.headers(unit)

    def submit(
        self,
        unit: str,
        period: str = PERIOD,
        submission_id: str | None = None,
        **value_overrides: Any,
    ) -> dict[str, Any]:
        """A report from ``unit``'s local system over HTTP; the receipt."""
        body = {
            "submission_id": submission_id or str(uuid.uuid4()),
            "report_type": REPORT_TYPE,
            "period": period,
            "unit": unit,
            "values": kl226_values(**value_overrides),
        }
        response = httpx.post(
            f"{self.stack.url('intake')}/v1/submissions",
            json=body,
            headers=self.headers(unit),
            timeout=10,
        )
        assert response.status_code == 202, response.text
        receipt: dict[str, Any] = response.json()
        return receipt

    def wait_for_verdict(self, submission_id: str, timeout: float = 20.0) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while True:
            response = httpx.get(
                f"{self.stack.url('intake')}/v1/submissions/{submission_id}",
                headers=self.issuer.headers("VN", [Role.READER]),
                timeout=10,
            )
            if response.status_code == 200 and response.json()["status"] != "received":
                status: dict[str, Any] = response.json()
                return status
            assert time.monotonic() < deadline, f"no verdict for {submission_id}: {response.text}"
            time.sleep(0.2)

    def national_submitted(self) -> int:
        response = httpx.get(
            f"{self.stack.url('aggregator')}/v1/rollups/{REPORT_TYPE}/{PERIOD}",
            headers=self.issuer.headers("VN", [Role.READER]),
            timeout=10,
        )
        response.raise_for_status()
        return int(response.json()["completeness"]["submitted"])


async def _set_clock(stack: Stack) -> None:
    connection = await nats.connect(stack.nats_url, **stack.nats_identities.options("ops"))
    try:
        await append_segment(
            connection.jetstream(), ClockSegment(datetime.now(UTC), ROUND_TIME, 1.0)
        )
    finally:
        await connection.close()


def _make_accounts(stack: Stack) -> dict[str, str]:
    accounts = signing_in(WebSettings.model_validate(stack.env))
    passwords = {}
    for username, (unit, roles, name) in ACCOUNTS.items():
        password = f"browser-test-{uuid.uuid4().hex[:12]}"
        accounts.create(username, unit, roles, name, password)
        passwords[username] = password
    return passwords


def _seed(baocao: Baocao) -> None:
    receipts = [baocao.submit(unit) for units in SEEDED.values() for unit in units]
    rejected = baocao.submit(REJECTED_COMMUNE, conferences_in_person=4)
    for receipt in [*receipts, rejected]:
        baocao.wait_for_verdict(receipt["submission_id"])
    deadline = time.monotonic() + 20
    while baocao.national_submitted() < len(receipts):
        assert time.monotonic() < deadline, "the seeded reports did not reach the rollups"
        time.sleep(0.2)


@pytest.fixture(scope="package")
def baocao(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Baocao]:
    run_dir: Path = tmp_path_factory.mktemp("browser-stack")
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": os.environ.get("HOME", str(run_dir)),
        "BAOCAO_CLOCK": "shared",
        "BAOCAO_LOG_FORMAT": "json",
        "NOTIFIER_TICK_SECONDS": "0.5",
        "WEB_LIVE_THROTTLE_SECONDS": "0.5",
    }
    stack = Stack(run_dir, env, random_ports=True, web=True)
    try:
        stack.start_infrastructure()
        asyncio.run(stack.prepare_database())
        asyncio.run(stack.prepare_nats())
        asyncio.run(_set_clock(stack))
        stack.start_services()
        system = Baocao(stack, _make_accounts(stack))
        _seed(system)
        yield system
    finally:
        stack.stop()


@pytest.fixture(scope="package")
def playwright() -> Iterator[Playwright]:
    if not Path(CHROMIUM).exists():
        pytest.fail(
            "Chromium is missing: `make test` installs it (apt-get install chromium"
            " fonts-dejavu-core); see docs/web.md"
        )
    # Playwright's offline mode does not reach a service worker's own fetches unless the
    # driver reports them (microsoft/playwright#2311): the offline form's tests cut those
    # with a route. Read by the driver when it starts, so set before it does.
    os.environ.setdefault("PW_EXPERIMENTAL_SERVICE_WORKER_NETWORK_EVENTS", "1")
    with sync_playwright() as driver:
        yield driver


@pytest.fixture(scope="package")
def browser(playwright: Playwright) -> Iterator[Browser]:
    chromium = playwright.chromium.launch(executable_path=CHROMIUM, headless=True)
    yield chromium
    chromium.close()


SignIn = Callable[[str], Page]


@pytest.fixture
def sign_in(baocao: Baocao, browser: Browser) -> Iterator[SignIn]:
    """``sign_in(username)``: a page in a fresh browser context, signed in through the real
    form, on the account's home page."""
    contexts = []

    def open_as(username: str) -> Page:
        context = browser.new_context(locale="vi-VN", viewport={"width": 1280, "height": 900})
        context.set_default_timeout(15_000)
        contexts.append(context)
        page = context.new_page()
        page.goto(baocao.url("/sign-in"))
        page.get_by_label("Tên đăng nhập").fill(username)
        page.get_by_label("Mật khẩu").fill(baocao.passwords[username])
        page.get_by_role("button", name="Đăng nhập").click()
        page.wait_for_url(lambda url: "/sign-in" not in url)
        return page

    yield open_as
    for context in contexts:
        context.close()
