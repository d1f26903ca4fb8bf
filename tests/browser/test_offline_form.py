"""A commune clerk on a link that drops: the report form opens with no network (the service
worker kept it), a report sent offline waits in the browser under "Chờ gửi" with the time it
was filled, survives the page being closed, and goes once, under its own submission id, when
the link returns; the list stays within WCAG 2.1 AA; signing out wipes what the browser kept.
Here the report waits unsigned, as it does in a browser with no device key (signed:
test_offline_signing).

Phường Hoàn Kiếm (00070, account hoankiem) sends lg2-monthly 2026-12, which no other browser
test sends for it (test_commune sends its kl226-quarterly 2026-Q4 and counts only those).
Playwright's offline mode does not cut a service worker's own fetches: ``_cut`` does, by a
route on the requests the worker makes (conftest turns on their reporting)."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import Any

import httpx
import pytest
from playwright.sync_api import BrowserContext, Page, Route, expect

from shared.identity import Role
from shared.periods import VIETNAM
from tests.browser.conftest import Baocao, SignIn
from tests.browser.test_accessibility import violations

pytestmark = pytest.mark.browser

UNIT = "00070"
FORM = f"/communes/{UNIT}/lg2-monthly/2026-12"
VALUES = {
    "staff_positions": "118",
    "staff_in_post": "110",
    "key_posts_vacant": "1",
    "training_sessions": "2",
    "staff_trained": "60",
    "procedures_received": "980",
    "procedures_on_time": "975",
    "procedures_online": "940",
    "procedures_non_territorial": "120",
    "digital_signatures_issued": "25",
    "vacant_buildings": "0",
    "citizen_satisfaction_pct": "97,5",
    "network_outage_hours": "52",
}
FILLED = re.compile(r"^\d{2}/\d{2}/\d{4} \d{2}:\d{2}$")


def _worker_request(route: Route) -> None:
    if route.request.service_worker is not None:
        route.abort("internetdisconnected")
    else:
        route.fallback()


def _cut(context: BrowserContext) -> None:
    context.set_offline(True)
    context.route("**/*", _worker_request)


def _restore(context: BrowserContext) -> None:
    context.unroute("**/*", _worker_request)
    context.set_offline(False)


def _open_with_worker(baocao: Baocao, page: Page) -> None:
    """The form opened online once the worker controls the page, so it keeps a copy."""
    page.goto(baocao.url(FORM))
    page.evaluate("navigator.serviceWorker.ready.then(() => true)")
    page.reload()
    assert page.evaluate("Boolean(navigator.serviceWorker.controller)")


def _fill(page: Page) -> None:
    for code, value in VALUES.items():
        page.locator(f"#f-{code}").fill(value)


def _intake_status(baocao: Baocao, submission_id: str) -> httpx.Response:
    return httpx.get(
        f"{baocao.stack.url('intake')}/v1/submissions/{submission_id}",
        headers=baocao.issuer.headers("VN", [Role.READER]),
        timeout=10,
    )


def _history(baocao: Baocao) -> list[dict[str, Any]]:
    response = httpx.get(
        f"{baocao.stack.url('validator')}/v1/units/{UNIT}/submissions",
        params={"report_type": "lg2-monthly", "period": "2026-12", "limit": "50"},
        headers=baocao.issuer.headers("VN", [Role.READER]),
        timeout=10,
    )
    response.raise_for_status()
    submissions: list[dict[str, Any]] = response.json()["submissions"]
    return submissions


def _queue_offline(baocao: Baocao, page: Page) -> str:
    """Fill and send with the link cut: the report's id, from the waiting list."""
    _open_with_worker(baocao, page)
    _cut(page.context)
    _fill(page)
    page.get_by_role("button", name="Gửi báo cáo").click()
    waiting = page.locator("#outbox-list > li")
    expect(waiting).to_have_count(1)
    expect(waiting).to_have_attribute("data-state", "waiting")
    return str(waiting.get_attribute("data-submission"))


def test_the_form_opens_from_the_service_worker_with_no_network(
    baocao: Baocao, sign_in: SignIn
) -> None:
    page = sign_in("hoankiem")
    _open_with_worker(baocao, page)
    _cut(page.context)
    offline = page.context.new_page()
    response = offline.goto(baocao.url(FORM))
    assert response is not None
    assert response.from_service_worker
    expect(offline.locator("#f-staff_positions")).to_be_editable()
    expect(offline.get_by_role("button", name="Gửi báo cáo")).to_be_visible()
    # Its stylesheet and scripts came from the worker too: styled, and htmx is there.
    assert offline.evaluate("typeof htmx") == "object"
    header = offline.locator("header.top")
    assert header.evaluate("e => getComputedStyle(e).backgroundColor") == "rgb(160, 22, 27)"
    # A page this browser never opened is not there to be had.
    never = offline.goto(baocao.url(f"/communes/{UNIT}/kl226-quarterly/2026-Q3"))
    assert never is not None
    assert never.status == 503
    expect(offline.get_by_role("heading", level=1)).to_have_text("Không có mạng")


def test_a_report_sent_offline_waits_then_goes_once_when_the_link_returns(
    baocao: Baocao, sign_in: SignIn
) -> None:
    page = sign_in("hoankiem")
    context = page.context
    # No device key (its registration never gets through): the report waits unsigned.
    context.route("**/device", lambda route: route.abort("internetdisconnected"))
    submission_id = _queue_offline(baocao, page)
    waiting = page.locator("#outbox-list > li")
    expect(page.locator("#outbox-device")).to_be_hidden()
    expect(page.locator("#outbox")).to_be_visible()
    expect(page.locator("#outbox-title")).to_be_focused()
    expect(page.locator("#outbox-status")).to_contain_text("báo cáo đã được lưu trên máy này")
    expect(waiting).to_contain_text("Chờ gửi")
    expect(waiting).to_contain_text("(theo đồng hồ của máy này)")
    expect(waiting).to_contain_text("Chưa ký số: thời điểm nộp tính từ lúc hệ thống nhận")
    filled = waiting.locator("time")
    expect(filled).to_have_text(FILLED)
    shown = datetime.strptime(filled.inner_text(), "%d/%m/%Y %H:%M").replace(tzinfo=VIETNAM)
    assert abs(shown - datetime.now(VIETNAM)) < timedelta(minutes=2)  # Vietnam time
    assert submission_id == page.locator('#report-form input[name="submission_id"]').input_value()
    assert _intake_status(baocao, submission_id).status_code == 404  # nothing reached intake

    # The page closed and opened again, still with no network: the report still waits.
    page.close()
    page = context.new_page()
    page.goto(baocao.url(FORM))
    waiting = page.locator("#outbox-list > li")
    expect(waiting).to_have_count(1)
    expect(waiting).to_have_attribute("data-submission", submission_id)
    expect(waiting).to_have_attribute("data-state", "waiting")

    posted: list[str] = []
    page.on("request", lambda r: posted.append(r.url) if r.method == "POST" else None)
    _restore(context)
    expect(waiting).to_have_attribute("data-state", "sent", timeout=30_000)
    expect(waiting).to_contain_text("Đã gửi")
    expect(waiting.locator("code")).to_have_text(submission_id)
    expect(waiting.locator(".outbox-receipt")).to_contain_text(
        re.compile(r"\d{2}/\d{2}/\d{4} \d{2}:\d{2}:\d{2} \(thời điểm chính thức\)")
    )
    expect(page.locator("#outbox-status")).to_contain_text("đã gửi 1 báo cáo chờ")
    assert baocao.wait_for_verdict(submission_id)["status"] == "accepted"
    assert [s["submission_id"] for s in _history(baocao)].count(submission_id) == 1
    # Opened again online, nothing is sent again.
    page.reload()
    expect(page.locator("#outbox-list > li")).to_have_attribute("data-state", "sent")
    page.wait_for_load_state("networkidle")
    assert [u for u in posted if u.endswith("/submit")] == [baocao.url(f"{FORM}/submit")]


def test_the_waiting_list_meets_wcag_21_aa(baocao: Baocao, sign_in: SignIn) -> None:
    page = sign_in("hoankiem")
    _queue_offline(baocao, page)
    expect(page.locator("#outbox")).to_be_visible()
    assert violations(page) == []


def test_an_ended_session_keeps_the_report_until_the_clerk_signs_in_again(
    baocao: Baocao, sign_in: SignIn
) -> None:
    page = sign_in("hoankiem")
    context = page.context
    submission_id = _queue_offline(baocao, page)
    context.clear_cookies()  # the session ended while the link was down
    _restore(context)
    waiting = page.locator("#outbox-list > li")
    expect(waiting).to_have_attribute("data-state", "sign_in", timeout=30_000)
    expect(waiting).to_contain_text("hãy đăng nhập lại để gửi báo cáo này")
    assert _intake_status(baocao, submission_id).status_code == 404

    waiting.get_by_role("link", name="Đăng nhập lại").click()
    page.get_by_label("Tên đăng nhập").fill("hoankiem")
    page.get_by_label("Mật khẩu").fill(baocao.passwords["hoankiem"])
    page.get_by_role("button", name="Đăng nhập").click()
    expect(page).to_have_url(baocao.url(FORM))
    sent = page.locator(f'#outbox-list > li[data-submission="{submission_id}"]')
    expect(sent).to_have_attribute("data-state", "sent", timeout=30_000)
    assert _intake_status(baocao, submission_id).status_code == 200


def test_signing_out_wipes_the_queue_and_the_kept_pages(baocao: Baocao, sign_in: SignIn) -> None:
    page = sign_in("hoankiem")
    _queue_offline(baocao, page)
    # Online again, but the report itself still cannot get through: it stays waiting.
    page.route(f"**{FORM}/submit*", lambda route: route.abort("internetdisconnected"))
    asked: list[str] = []

    def accept(dialog: Any) -> None:
        asked.append(dialog.message)
        dialog.accept()

    page.on("dialog", accept)
    _restore(page.context)
    expect(page.locator("#outbox-list > li")).to_have_attribute("data-state", "waiting")
    page.get_by_role("button", name="Đăng xuất").click()
    expect(page).to_have_url(re.compile(r"/sign-in$"))
    assert asked
    assert "Đăng xuất sẽ xoá chúng" in asked[0]
    left = page.evaluate(
        """async () => ({
            databases: (await indexedDB.databases()).map((d) => d.name),
            caches: await caches.keys(),
            workers: (await navigator.serviceWorker.getRegistrations()).length,
        })"""
    )
    assert left == {"databases": [], "caches": [], "workers": 0}
