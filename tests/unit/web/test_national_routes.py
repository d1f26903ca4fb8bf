"""The national routes in the real app over ASGI, with the services faked: Central's page and
fragments, a province refused with the service's 403, the toolbar's redirects, the live stream."""

from __future__ import annotations

import re
from pathlib import Path

import httpx
import pytest

from services.web.bootstrap import WebApp
from services.web.settings import WebSettings
from shared.identity import Role

from .people import Browser, browser_for
from .test_national_fakes import PERIOD, REPORT_TYPE, FakeServices

PEOPLE = {"trunguong": "VN", "hanoi": "01"}
PAGE = f"/national/{REPORT_TYPE}/{PERIOD}"
HTMX = {"HX-Request": "true"}


@pytest.fixture
def fake() -> FakeServices:
    return FakeServices()


@pytest.fixture
def browser(tmp_path: Path, fake: FakeServices) -> Browser:
    people = {name: (unit, frozenset({Role.READER})) for name, unit in PEOPLE.items()}
    return browser_for(tmp_path, fake.api(), people, WEB_LIVE_THROTTLE_SECONDS="0")


async def test_national_goes_to_the_first_report_type_in_its_current_period(
    browser: Browser,
) -> None:
    response = await browser("trunguong").get("/national")
    assert response.status_code == 303
    assert re.fullmatch(rf"/national/{REPORT_TYPE}/\d{{4}}-Q[1-4]", response.headers["location"])


@pytest.mark.parametrize(
    ("query", "location"),
    [
        ("report_type=lg2-monthly&period=2026-11", "/national/lg2-monthly/2026-11"),
        (f"report_type={REPORT_TYPE}&period=2025-Q3", f"/national/{REPORT_TYPE}/2025-Q3"),
        ("report_type=lg2-monthly&period=2026-Q4", r"/national/lg2-monthly/\d{4}-\d\d"),
        ("report_type=nothing&period=junk", rf"/national/{REPORT_TYPE}/\d{{4}}-Q[1-4]"),
    ],
)
async def test_the_toolbar_form_lands_on_a_period_of_the_chosen_type(
    browser: Browser, query: str, location: str
) -> None:
    response = await browser("trunguong").get(f"/national?{query}")
    assert re.fullmatch(location, response.headers["location"])


async def test_the_page_shows_the_map_targets_late_trend_and_downloads(browser: Browser) -> None:
    response = await browser("trunguong").get(PAGE)
    assert response.status_code == 200
    page = response.text
    assert len(re.findall(r'<li class="tile r-\d+ c-\d ', page)) == 34
    tile = re.search(
        r'<li class="tile r-13 c-3 band-complete has-late" data-unit="79">\s*<a id="tile-79" '
        r'href="([^"]+)" aria-label="([^"]+)"',
        page,
    )
    assert tile is not None
    assert tile[1] == f"/provinces/79/{REPORT_TYPE}/{PERIOD}"
    assert tile[2] == (
        "TP HCM, Thành phố Hồ Chí Minh: đã nộp 99/100, đầy đủ 99%, đúng hạn 97, trễ hạn 2, chưa nộp 1"
    )
    assert 'data-target="in_person_share_pct"' in page
    assert 'data-unit="04"' in page
    assert "Chưa nộp" in page
    assert 'sse-connect="/live/kl226-quarterly/2026-Q4?unit=VN"' in page
    assert page.count('hx-trigger="sse:rollup"') == 3
    assert 'aria-live="polite"' in page
    assert len(re.findall(r'<span class="fill w-\d+">', page)) == 12
    for ext in ("csv", "sdmx.json", "dhis2.json"):
        assert f'href="/exports/{REPORT_TYPE}/{PERIOD}.{ext}"' in page
    assert ' style="' not in page


@pytest.mark.parametrize("fragment", ["map", "targets", "late", "trend"])
async def test_a_fragment_is_only_its_section(browser: Browser, fragment: str) -> None:
    response = await browser("trunguong").get(f"{PAGE}/{fragment}", headers=HTMX)
    assert response.status_code == 200
    assert "<html" not in response.text
    assert "<h1" not in response.text


async def test_a_live_refresh_of_the_map_updates_the_time_shown(browser: Browser) -> None:
    response = await browser("trunguong").get(f"{PAGE}/map", headers=HTMX)
    assert 'hx-swap-oob="innerHTML:#national-updated"' in response.text
    assert "Cập nhật lúc" in response.text


@pytest.mark.parametrize("suffix", ["", "/map", "/targets", "/late", "/trend"])
async def test_a_province_gets_the_services_403_and_no_figures(
    browser: Browser, suffix: str
) -> None:
    response = await browser("hanoi").get(PAGE + suffix)
    assert response.status_code == 403
    assert "national_scope_required" in response.text
    assert "tile" not in response.text


@pytest.mark.parametrize("path", [f"/national/{REPORT_TYPE}/2026-Q5", f"/national/x/{PERIOD}"])
async def test_an_unknown_type_or_period_is_not_found(browser: Browser, path: str) -> None:
    assert (await browser("trunguong").get(path)).status_code == 404


async def test_the_live_stream_re_emits_rollup_changes_and_closes_the_feed(
    browser: Browser, fake: FakeServices
) -> None:
    fake.feed_chunks = [
        b": baocao live feed\nretry: 3000\n\n",
        b'event: rollup\nid: 7\ndata: {"unit": "VN", "period": "2026-Q4"}\n\n',
        b": heartbeat\n\n",
        b'event: rollup\nid: 9\ndata: {"unit": "VN"}\n\n',
    ]
    response = await browser("trunguong").get(
        f"/live/{REPORT_TYPE}/{PERIOD}?unit=VN", headers={"Last-Event-ID": "6"}
    )
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/event-stream")
    assert response.text.startswith(": baocao live\n")
    assert "event: rollup\ndata: VN\nid: 7\n\n" in response.text
    assert "event: rollup\ndata: VN\nid: 9\n\n" in response.text
    feed = fake.requests[-1]
    assert (feed.url.path, feed.url.params["unit"], feed.headers["Last-Event-ID"]) == (
        "/v1/feed",
        "VN",
        "6",
    )
    assert fake.streams[-1].closed


async def test_a_years_live_stream_follows_its_quarters(
    browser: Browser, fake: FakeServices
) -> None:
    fake.feed_chunks = [
        b'event: rollup\nid: 3\ndata: {"unit": "VN", "period": "2025-Q4"}\n\n',
        b'event: rollup\nid: 4\ndata: {"unit": "VN", "period": "2026-Q2"}\n\n',
    ]
    response = await browser("trunguong").get(f"/live/{REPORT_TYPE}/2026?unit=VN")
    assert "id: 3" not in response.text
    assert "event: rollup\ndata: VN\nid: 4\n\n" in response.text
    assert "period" not in fake.requests[-1].url.params


@pytest.mark.parametrize("path", [f"/live/nothing/{PERIOD}", f"/live/{REPORT_TYPE}/2026-07"])
async def test_a_live_stream_of_an_unknown_type_or_period_is_not_found(
    browser: Browser, path: str
) -> None:
    assert (await browser("trunguong").get(path)).status_code == 404


async def test_a_province_asking_for_the_nations_live_stream_gets_403(browser: Browser) -> None:
    response = await browser("hanoi").get(f"/live/{REPORT_TYPE}/{PERIOD}?unit=VN")
    assert response.status_code == 403


async def test_signed_out_pages_go_to_sign_in(tmp_path: Path, fake: FakeServices) -> None:
    settings = WebSettings.model_validate({"BAOCAO_IDENTITY_DIR": str(tmp_path)})
    app = WebApp(settings, api=fake.api()).app()
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://127.0.0.1"
    ) as client:
        response = await client.get(PAGE)
    assert response.status_code == 303
    assert response.headers["location"].startswith("/sign-in")
    assert fake.requests == []
