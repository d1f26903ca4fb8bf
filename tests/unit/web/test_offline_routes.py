"""What the offline form needs of the web app: the service worker served at the root with its
scope and no inline script, the session as the outbox script reads it (401 once it has ended),
sign-out wiping what the browser kept, and the form and outbox the script works on."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from .people import CSRF_HEADER_FOR_TESTS, Browser, browser_for
from .test_commune_routes import BASE, PEOPLE, FakeServices

STATIC = Path(__file__).resolve().parents[3] / "services" / "web" / "static"


@pytest.fixture
def browser(tmp_path: Path) -> Browser:
    return browser_for(tmp_path, FakeServices().api(), PEOPLE)


async def test_the_service_worker_is_served_at_the_root_for_the_whole_app(
    browser: Browser,
) -> None:
    response = await browser("hoankiem").get("/sw.js")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/javascript")
    assert response.headers["service-worker-allowed"] == "/"
    assert response.headers["cache-control"] == "no-cache"
    assert response.content == (STATIC / "sw.js").read_bytes()
    # The worker runs under the pages' own policy: scripts and fetches of this origin only.
    assert "script-src 'self'" in response.headers["content-security-policy"]


async def test_it_needs_no_session_so_a_signed_out_browser_can_update_it(
    browser: Browser,
) -> None:
    client = browser("hoankiem")
    client.cookies.clear()
    assert (await client.get("/sw.js")).status_code == 200


def test_the_worker_keeps_only_the_shell_and_commune_form_pages() -> None:
    worker = (STATIC / "sw.js").read_text(encoding="utf-8")
    kept = set(re.findall(r'"(/static/[^"]+)"', worker))
    assert kept == {
        "/static/app.css",
        "/static/commune.css",
        "/static/outbox.js",
        "/static/vendor/htmx-2.0.11.min.js",
        "/static/vendor/htmx-ext-sse-2.2.4.min.js",
    }
    for path in kept:
        assert (STATIC / path.removeprefix("/static/")).exists(), path
    assert 'request.method !== "GET"' in worker  # a POST is never answered by the worker


async def test_the_session_tells_the_outbox_who_is_signed_in_and_the_csrf_token(
    browser: Browser,
) -> None:
    client = browser("hoankiem")
    response = await client.get("/session")
    assert response.status_code == 200
    assert response.json() == {
        "signed_in": True,
        "person": "hoankiem",
        "unit": "00070",
        "csrf": client.headers[CSRF_HEADER_FOR_TESTS],
    }
    assert response.headers["cache-control"] == "no-store"
    assert "access-control-allow-origin" not in response.headers


async def test_an_ended_session_answers_401_so_the_queue_waits(
    browser: Browser,
) -> None:
    client = browser("hoankiem")
    client.cookies.clear()
    response = await client.get("/session")
    assert response.status_code == 401
    assert response.json() == {"signed_in": False}


async def test_signing_out_wipes_the_kept_pages_and_the_queue(
    browser: Browser,
) -> None:
    client = browser("hoankiem")
    response = await client.post("/sign-out", data={"csrf": client.headers[CSRF_HEADER_FOR_TESTS]})
    assert response.status_code == 303
    assert response.headers["clear-site-data"] == '"cache", "storage"'


async def test_the_form_page_carries_the_outbox_and_what_the_script_needs(
    browser: Browser,
) -> None:
    page = (await browser("hoankiem").get(BASE)).text
    assert '<script src="/static/outbox.js" defer></script>' in page
    assert re.search(r'<section class="card outbox" id="outbox" hidden', page)
    assert 'data-person="hoankiem"' in page
    assert 'data-t-state-waiting="Chờ gửi"' in page
    assert 'data-t-filled="Điền lúc {time} (theo đồng hồ của máy này)"' in page
    assert f'data-submit="{BASE}/submit"' in page
    assert 'data-unit="00070" data-report-type="kl226-quarterly" data-period="2026-Q4"' in page
    assert """hx-request='{"timeout": 30000}'""" in page


async def test_a_read_only_page_has_no_outbox(browser: Browser) -> None:
    page = (await browser("hanoi-reader").get(BASE)).text
    assert "commune-read-only" in page
    assert 'id="outbox"' not in page
    assert "outbox.js" not in page
